#pragma once
/// \file
/// The stages an experiment runs before and after the models: load -> prep -> split, and top-k
/// evaluation. These are the integration points with core/data (loadDataset), core/prep
/// (splitters, filters) and core/eval (metrics): each is one function here, so that when those
/// modules land the body changes and the runner does not.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/data/dataset.h"
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

/// Loads the spec's data source, applies its preparation steps and splits it. Throws IoError /
/// ParseError for unreadable input, SpecError (with the spec path) for options this build does
/// not support, Cancelled when ctx is stopped (nothing is returned then).
PreparedData prepareData(const ExperimentSpec& spec, TaskContext& ctx);

/// Row assignment of a split: indices into the split dataset's interactions, each ascending.
struct RowSplit {
  std::vector<std::uint32_t> train;
  std::vector<std::uint32_t> test;
  std::vector<std::uint8_t> assignment;  ///< per row: 0 train, 1 test, 2 dropped (min_rating)
};

/// Stratified random split, exactly as Microsoft Recommenders' python_stratified_split: every
/// row, in log order, draws a double from numpy's legacy RandomState(seed) (MT19937, 53-bit
/// doubles); rows are ordered by (group, draw); a row whose 1-based rank within its group is
/// <= round_half_even(ratio * group size) goes to train, the others to test. Groups (users when
/// byItem is false, else items) with fewer than minRows rows are dropped. Throws Cancelled.
RowSplit stratifiedSplit(const Dataset& data, double ratio, bool byItem, std::uint64_t seed,
                         std::size_t minRows, TaskContext& ctx);

/// 16 lower-case hex digits.
std::string hex64(std::uint64_t v);

/// The result of scoring top-k lists against held-out interactions.
struct TopKEvaluation {
  std::map<std::string, double> metrics;               ///< metricKey(name, k) -> mean over users
  std::vector<Index> users;                            ///< the users evaluated, ascending
  std::map<std::string, std::vector<double>> perUser;  ///< metric key -> value per user
};

/// Ranking metrics with binary relevance (a held-out interaction = relevant), averaged over the
/// users that have held-out interactions and a non-empty list (Microsoft Recommenders'
/// convention, so figures compare with its published tables):
///   precision@k = hits / k;  recall@k = hits / |R|;  hit_rate@k = [hits > 0]
///   ndcg@k = sum_{hit at rank r} 1/log2(r+1) / sum_{r=1..min(|R|,k)} 1/log2(r+1)
///   map = sum_{hit at rank r} (hits up to r / r) / |R|;   map@k: same / min(k, |R|)
/// users[i] owns lists[i] (only its first k items count); truth holds the relevant items.
TopKEvaluation evaluateTopK(std::span<const Index> users, std::span<const RecList> lists,
                            const Dataset& truth, const MetricsSpec& metrics, TaskContext& ctx);

/// The users with at least one interaction in data, ascending (who gets recommendations).
std::vector<Index> usersWithInteractions(const Dataset& data);

}  // namespace rwb
