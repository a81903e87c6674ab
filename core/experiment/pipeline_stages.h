#pragma once
/// \file
/// The stages an experiment runs before and after the models: load -> prep -> split, and top-k
/// evaluation. Each is one function over core/data (loadDataset), core/prep (filters,
/// splitters) or core/eval (metrics), so that the runner and the GUI call the same code.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/load_result.h"
#include "core/experiment/experiment_spec.h"
#include "core/models/model.h"
#include "core/util/task_context.h"

namespace rwb {

/// The immutable data every run of an experiment shares. All datasets share the same id maps
/// (a dense index is the same user or item in train, validation and test).
struct PreparedData {
  std::shared_ptr<const Dataset> train;
  std::shared_ptr<const Dataset> test;
  std::shared_ptr<const Dataset> validation;  ///< only with given files; may be null
  std::string datasetFingerprint;             ///< 16 hex digits (xxHash3 of the loaded data)
  std::string datasetSource;                  ///< path(s) read
  std::string splitHash;                      ///< 16 hex digits (xxHash3 of the row assignment)
  nlohmann::json summary;                     ///< counts of the loaded data and of each split
  std::vector<std::string> notes;             ///< loader and split remarks
  double loadSeconds = 0.0;
  double splitSeconds = 0.0;
};

/// Data already in memory that stands in for the spec's sources (the GUI's loaded dataset).
/// Loaded with loadDatasetSource() / loadTestSource() from the spec's dataset entry, it gives
/// the same fingerprint and split hash as prepareData(spec) reading the files, hence the same runs.
struct InMemoryData {
  /// The loaded dataset, before preparation (with split "files": the training file).
  std::shared_ptr<const Dataset> data;
  /// With split "files": the test interactions, loaded on top of `data` (a superset of its id
  /// maps, earlier indices unchanged). Ignored otherwise.
  std::shared_ptr<const Dataset> test;
  /// With split "files" and a validation file: loaded on top of `test`. May be null.
  std::shared_ptr<const Dataset> validation;
  std::string source;  ///< recorded as PreparedData::datasetSource (the path(s) read)
};

/// Reads a spec's dataset entry exactly as prepareData() does (core/data loadDataset: format
/// detection, MovieLens layouts, RecWorkbench folders with items.csv / users.csv attributes,
/// SQLite, delimited files). Throws IoError / ParseError / Cancelled.
LoadResult loadDatasetSource(const DatasetSource& source, TaskContext& ctx);

/// Reads a held-out file (test or validation of split "files") on top of `base` with the
/// dataset entry's delimited options, exactly as prepareData() does.
LoadResult loadTestSource(const DatasetSource& source, const std::string& path, const Dataset& base,
                          TaskContext& ctx);

/// prepareData() on data already in memory: the same preparation, split, fingerprint and split
/// hash, without reading the spec's sources. Throws SpecError when `data.data` is null, or split
/// "files" has no `data.test` (or the spec names a validation file that `data` lacks).
PreparedData prepareData(const ExperimentSpec& spec, const InMemoryData& data, TaskContext& ctx);

/// Loads the spec's data source, applies its preparation steps and splits it. Throws IoError /
/// ParseError for unreadable input, SpecError (with the spec path) for options this build does
/// not support, Cancelled when ctx is stopped (nothing is returned then).
PreparedData prepareData(const ExperimentSpec& spec, TaskContext& ctx);

/// 16 lower-case hex digits.
std::string hex64(std::uint64_t v);

/// The result of scoring top-k lists against held-out interactions.
struct TopKEvaluation {
  std::map<std::string, double> metrics;               ///< metricKey(name, k) -> mean over users
  std::vector<Index> users;                            ///< the users evaluated, ascending
  std::map<std::string, std::vector<double>> perUser;  ///< metric key -> value per user
  std::vector<std::string> warnings;                   ///< EvalResult::warnings
};

/// The spec's ranking metrics computed by core/eval (definitions and sources in
/// docs/metrics.md; Microsoft Recommenders' conventions). users[i] owns lists[i]; truth holds
/// the relevant items and shares train's id maps. Keys are metricKey(name, k). candidates[i]
/// is the number of items users[i] was ranked over (EvalOptions::candidates); empty = the
/// catalogue minus the user's training items.
TopKEvaluation evaluateTopK(std::span<const Index> users, std::span<const RecList> lists,
                            const Dataset& train, const Dataset& truth, const MetricsSpec& metrics,
                            TaskContext& ctx, std::span<const std::size_t> candidates = {});

/// The spec's metrics that have a cut-off (all but "map") at each of `cutoffs` other than
/// metrics.k, in one evaluation over the lists (each at least max(cutoffs) long where the model
/// had that many items): metricKey(name, cutoff) -> mean over users. Cut-offs must be >= 1.
std::map<std::string, double> evaluateAtCutoffs(std::span<const Index> users,
                                                std::span<const RecList> lists,
                                                const Dataset& train, const Dataset& truth,
                                                const MetricsSpec& metrics,
                                                std::span<const int> cutoffs, TaskContext& ctx);

/// The users with at least one interaction in data, ascending (who gets recommendations).
std::vector<Index> usersWithInteractions(const Dataset& data);

}  // namespace rwb
