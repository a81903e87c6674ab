#pragma once
/// \file
/// ExperimentSpec: the versioned JSON document that makes an experiment reproducible (data
/// source, preparation, split, features, models or search spaces, metrics, seeds, threads,
/// outputs). The full key reference is in docs/experiments.md.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/dataset_loader.h"
#include "core/models/param_schema.h"
#include "core/prep/splitter.h"

namespace rwb {

struct ModelInfo;

/// The only spec version this build reads (and writes).
inline constexpr int kSpecVersion = 1;

/// Where the interactions come from and how they are read. Input paths (`path`, and the
/// attribute files options.itemsPath / usersPath) are resolved against the spec file's folder
/// at parse time. In JSON: {"path": ...} plus the keys of datasetOptionsToJson (core/data
/// dataset_options_json.h; words and aliases in docs/data.md).
struct DatasetSource {
  std::string path;
  DatasetOptions options;  ///< handed to loadDataset as is (options.base stays null)
  bool operator==(const DatasetSource&) const = default;
};

/// The spec's dataset entry as JSON: {"path"} + datasetOptionsToJson(options).
nlohmann::json datasetSourceToJson(const DatasetSource& source);

/// Reads a dataset entry: "path" (required, non-empty) plus the options of
/// datasetOptionsFromJson; relative paths are resolved against baseDir. Throws SpecError at
/// `path` + the offending key.
DatasetSource datasetSourceFromJson(const nlohmann::json& json, const std::string& path,
                                    const std::filesystem::path& baseDir);

/// How train/test (and optionally validation) are formed.
struct SplitSpec {
  /// A core/prep split method name (random, stratified, chronological, time_cutoff,
  /// leave_last_n, cold_items, cold_users, recommenders) or "files" (given train/test[/valid]
  /// files).
  std::string method = "recommenders";
  /// The splitter's options (all methods but "files"); ratio/by/seed/minRating below mirror it.
  SplitOptions options;
  double ratio = 0.75;      ///< fraction of each group's rows that go to train, in (0, 1)
  std::string by = "user";  ///< "user" or "item": the stratification group
  std::uint64_t seed = 42;
  int minRating = 1;  ///< groups with fewer rows are dropped (recommenders' min_rating)
  std::string trainPath, testPath, validPath;  ///< for "files"; absolute after parsing
};

/// A random-search range for one parameter; unset bounds come from the model's ParamSchema.
struct ParamRange {
  std::optional<double> min, max;
  std::optional<bool> logScale;
};

/// One parameter's search space: a list of values (grid or random choice) or a range.
struct ParamSpace {
  std::string name;
  std::vector<nlohmann::json> values;  ///< non-empty for a list
  std::optional<ParamRange> range;     ///< set for a range (random / halving only)
  /// Conditional parameter (default spaces): sampled only when parameter `whenParam` of the
  /// same candidate takes one of `whenValues`; otherwise it keeps its base value.
  std::string whenParam;
  std::vector<nlohmann::json> whenValues;
};

/// Hyperparameter search for one model. Selection uses a validation split carved from the
/// training split only; the test split is used once, for the final refit.
struct SearchSpec {
  /// "grid", "random", "halving" (successive halving) or "auto" (Hyperband brackets over epochs
  /// for iterative models, TPE after a random start; see searchHyperparameters). "auto" searches
  /// the model's default space ("search": "auto") or the space a search object gives
  /// ({"method": "auto", "space": ...}); either way its settings come from the TuningSpec.
  std::string method = "grid";
  std::vector<ParamSpace> space;
  /// Candidates for "random" and (with ranges) "halving"; "auto": at most this many
  /// configurations (0 = only the time budget bounds it).
  int trials = 10;
  std::string metric;            ///< e.g. "ndcg@10"; empty = the experiment's primary metric
  double validationRatio = 0.8;  ///< per-user share of train kept for fitting candidates
  std::uint64_t seed = 7;        ///< sampling and validation-split seed
  int eta = 3;                   ///< halving: keep the best 1/eta at each rung
  int minBudget = 1;             ///< halving: epochs of the first rung
  std::string budgetParam;  ///< halving / auto: "epochs" or "iterations" (empty: not iterative)
  /// auto: wall-clock seconds this search may start fits in (0 = no time limit). Set by the
  /// runner from the experiment's tuning budget (see TuningSpec).
  double budgetSeconds = 0.0;
};

/// The experiment's tuning settings ("tuning" in the spec), used by every "search": "auto".
struct TuningSpec {
  /// Wall-clock seconds for the whole run (loading, the auto searches and the final fits).
  /// The searches run one after another before the final fits, each with all threads. Search
  /// i gets (budget - elapsed - final fits reserved so far) * w_i / (w_i + ... + w_n), where
  /// w is 1, or 1 + its member models for a blend / two_stage; its share covers its trials
  /// and its own final fit, estimated from its trial timings (search.h), which is reserved
  /// when it ends. Time one search leaves unused passes to the next ones. The runner reports
  /// a share too small for one trial plus its refit, and an overshoot (ExperimentResult).
  /// Runs without an auto search are not estimated: their time is not reserved.
  double budgetSeconds = 600.0;
  /// Upper bound on the configurations each auto search samples (0 = only the budget bounds
  /// it). With a bound that the budget does not cut, the trials are fully reproducible.
  int trials = 0;
  double validationRatio = 0.8;  ///< per-user share of train kept for fitting candidates
  std::uint64_t seed = 7;        ///< sampling and validation-split seed
  std::string metric;            ///< selection metric, e.g. "ndcg@10"; empty = the primary one
  /// Stratification group of the carved validation ("user" or "item"); empty = the split's own
  /// (validationKindFor(split.method, split.by)). Ignored by cold_items / cold_users splits.
  std::string validationBy;
};

/// One model entry of the spec.
struct ModelSpec {
  std::string name;     ///< registry name
  std::string runName;  ///< display / output name; defaults to name (a safe file name)
  Params params;        ///< resolved against the schema (defaults filled in)
  /// JSON path of the model's feature configuration: "$.models[i].params.features" when the
  /// model sets its own, "$.features" when it inherits the spec's, empty when it has none.
  std::string featuresPath;
  std::optional<SearchSpec> search;
};

/// Metrics computed on the test split (and used for selection on validation).
struct MetricsSpec {
  int k = 10;
  std::vector<std::string> names = {"precision", "recall", "ndcg", "map"};
  std::string primary = "ndcg";  ///< the metric tables are sorted by and searches select on
};

/// How the test users' lists are formed (spec key "evaluation"; docs/experiments.md).
struct EvaluationSpec {
  /// The items each user is ranked over: "catalogue" (every item the user has no training row
  /// with), "held_out" (the test items without training rows: the new items of a cold_items
  /// split) or "file" (the items listed in candidatesFile, minus each user's training items).
  /// Default: "held_out" for cold_items splits, "catalogue" otherwise.
  std::string candidates = "catalogue";
  std::string candidatesFile;  ///< "file" only; absolute after parsing
  /// cold_users splits only: each test user's first n events (by time) are given to the model
  /// as history and removed from the truth; 0 = attributes only.
  std::size_t coldUserHistory = 0;
};

/// Outputs written by `recwb run`. Unlike inputs, these stay as written: relative paths are
/// taken relative to the run's output folder (`--out`) or, without one, the working directory.
struct OutputSpec {
  std::string recommendations;  ///< folder for <run name>.tsv top-k files; empty = none
  std::string dir;              ///< folder for metrics.json; empty = the caller decides
};

/// A parsed, validated experiment.
struct ExperimentSpec {
  int version = kSpecVersion;
  std::string name;
  DatasetSource dataset;
  nlohmann::json prep = nlohmann::json::array();  ///< preparation steps, in order
  SplitSpec split;
  /// The default feature configuration (null when absent): validated at parse time and given
  /// to every model with a "features" parameter that does not set its own.
  nlohmann::json features;
  std::vector<ModelSpec> models;
  MetricsSpec metrics;
  EvaluationSpec evaluation;
  TuningSpec tuning;                        ///< used by models whose search is "auto"
  std::vector<std::uint64_t> seeds = {42};  ///< every model runs once per seed
  int threads = 0;                          ///< 0 = all hardware threads
  OutputSpec output;
  nlohmann::json source;  ///< the document as given (for the store)
};

/// Looks up a model by registry name (the runner and tests may substitute their own registry).
using ModelLookup = std::function<const ModelInfo*(std::string_view)>;

/// Parses and validates a spec document. Relative paths are resolved against baseDir. Throws
/// SpecError with the JSON path of the first offending field (unknown keys, wrong types,
/// out-of-range values, unknown models or parameters, an invalid feature configuration, a run
/// name that is not a safe file name, two runs that would write the same output file, also when
/// their names differ only in letter case). lookup defaults to the model registry.
ExperimentSpec parseExperimentSpec(const nlohmann::json& doc, const std::filesystem::path& baseDir,
                                   const ModelLookup& lookup = {});

/// The name of model m's run for one seed: its run name, with "-seed<N>" appended when the
/// spec lists several seeds. Output files (e.g. <name>.tsv) are named after it.
std::string runNameFor(const ModelSpec& m, std::uint64_t seed, std::size_t seedCount);

/// Why `name` cannot be used as a file name on common file systems (empty, too long, a NUL or
/// other control character, a path separator, one of : * ? " < > |, "." or "..", a leading or
/// trailing dot or space, a reserved Windows device name), or an empty string when it can.
std::string unsafeFileNameReason(std::string_view name);

/// The search of `"search": "auto"` for a model: method "auto" over the model's default space
/// (ParamSchema search domains), validation settings from `tuning`, budgetParam = the model's
/// integer "epochs" or "iterations" parameter if it has one. Throws SpecError at `path` when
/// the model declares no default search space.
SearchSpec autoSearchSpec(const ModelInfo& info, const TuningSpec& tuning, const std::string& path);

/// `recwb run --tune SECONDS`: sets the tuning budget and gives every model without a search
/// the auto search. Throws SpecError (at $.models[i]) for a model without a default space.
void applyAutoTuning(ExperimentSpec& spec, double budgetSeconds, const ModelLookup& lookup = {});

/// Reads and parses a spec file (paths relative to its folder). Throws IoError when it cannot
/// be read, ParseError (file:line:column) for malformed JSON, SpecError for invalid content
/// (including a duplicate key or a number out of the range of a double).
ExperimentSpec loadExperimentSpec(const std::filesystem::path& file,
                                  const ModelLookup& lookup = {});

/// Metric names a spec may list: "precision", "recall", "ndcg", "map" (full MAP, normalised by
/// all relevant items), "map_at_k" (normalised by min(k, relevant)), "hit_rate".
const std::vector<std::string>& specMetricNames();

/// The key of a metric at cut-off k as it appears in results, e.g. "ndcg@10"; "map" has none.
std::string metricKey(const std::string& metric, int k);

}  // namespace rwb
