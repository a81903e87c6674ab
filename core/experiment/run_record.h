#pragma once
/// \file
/// RunRecord: everything remembered about one model run of an experiment.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/data/id_map.h"
#include "core/models/model.h"
#include "core/models/param_schema.h"
#include "core/util/task_context.h"

namespace rwb {

/// How a run ended. A cancelled run was stopped by the user and is not a failure.
enum class RunStatus { kOk, kFailed, kCancelled };

/// "ok", "failed", "cancelled".
const char* runStatusName(RunStatus status);
/// Inverse of runStatusName; throws StoreError for anything else.
RunStatus parseRunStatus(const std::string& name);

/// One candidate evaluated by a hyperparameter search (on the validation split).
struct SearchTrial {
  Params params;         ///< full resolved parameters of the candidate
  int rung = 0;          ///< successive halving rung (0 for grid / random)
  long long budget = 0;  ///< epochs / iterations used (0 = the candidate's own value)
  double score = 0.0;    ///< the selection metric on validation (NaN if the fit failed)
  double fitSeconds = 0.0;
  std::string error;  ///< why the candidate failed, empty if it did not
  int config = 0;     ///< auto: index of the configuration (a trial per rung it reached)
};

/// The history of a search: every trial in the order run, and the winner.
struct SearchHistory {
  std::string method;  ///< "grid", "random", "halving"
  std::string metric;  ///< e.g. "ndcg@10"
  std::string validationSplitHash;
  std::vector<SearchTrial> trials;
  Params best;
  double bestScore = 0.0;
  double seconds = 0.0;
  double budgetSeconds = 0.0;  ///< auto: the time share this search had (0 = none)
  /// Estimated wall seconds of the winner's final fit (fit on the whole training split,
  /// recommend, evaluate): the winning trial's seconds scaled by train rows / fit rows.
  double refitSecondsEstimate = 0.0;
  /// auto: why it stopped sampling: "trials" (the trial bound), "budget" (the time share ran
  /// out; a run with more time would have sampled more), "space" (no new point found) or
  /// "failures" (the first trials all failed with the same error; the run then fails).
  std::string stoppedBy;
};

/// Everything about one run. Timings are wall-clock seconds.
struct RunRecord {
  std::string name;   ///< run name (unique within the experiment)
  std::string model;  ///< registry name
  RunStatus status = RunStatus::kFailed;
  std::string error;  ///< failure message (empty when ok or cancelled)

  std::string datasetFingerprint;
  std::string datasetSource;
  std::string splitHash;
  std::string codeVersion;  ///< RWB_VERSION + " (" + git describe + ")"
  Params params;            ///< the parameters of the final model
  std::uint64_t seed = 0;
  int threads = 0;
  int k = 10;

  double fitSeconds = 0.0;
  double recommendSeconds = 0.0;
  double evaluateSeconds = 0.0;
  std::uint64_t peakRssBytes = 0;  ///< process VmHWM after the run (Linux; 0 if unknown)
  std::uint64_t modelBytes = 0;    ///< Model::memoryBytes() of the fitted model

  /// The evaluation's candidate set (ExperimentSpec::evaluation): "catalogue", "held_out" or
  /// "file". Under a candidate set the fields below say how large it was.
  std::string candidates = "catalogue";
  std::size_t candidateItems = 0;  ///< items in the set (0 for catalogue)
  /// Candidates per evaluated user (the set minus the user's training items): min, max, mean.
  std::size_t candidatesMin = 0, candidatesMax = 0;
  double candidatesMean = 0.0;
  /// Test users without a test item in the set: not evaluated (like users without test items).
  std::size_t usersWithoutRelevantCandidate = 0;
  /// cold_users splits: test users were scored as new users (attributes, plus their first
  /// newUserHistory events as history).
  bool newUsers = false;
  std::size_t newUserHistory = 0;
  /// The split method (SplitSpec::method, e.g. "cold_items"); empty when not recorded (runs
  /// stored before the protocol was).
  std::string splitMethod;
  /// "file" candidate sets: the file's name (without its folder).
  std::string candidatesFile;
  /// What the evaluation could not vouch for (EvalResult::warnings: users not evaluated, lists
  /// ranked by ties, ...). Shown by `recwb run`, `recwb runs show` and the GUI's log; stored
  /// with the protocol.
  std::vector<std::string> warnings;

  std::map<std::string, double> metrics;  ///< on the test split
  /// The spec's metrics at further cut-offs (RunnerOptions::curveCutoffs), e.g. "ndcg@5",
  /// means only; never a key of `metrics`. Empty unless requested.
  std::map<std::string, double> metricsAtK;
  std::vector<Index> evaluatedUsers;  ///< ascending; per-user vectors follow this order
  std::map<std::string, std::vector<double>> perUser;
  std::vector<std::pair<int, EpochMetrics>> learningCurve;  ///< from the final fit
  /// What the final model tuned during fit (FittedSummary::fittedSummary, core/models/
  /// fitted_summary.h) as compact JSON text; empty when the model has no summary, the run did
  /// not finish, or it was stored before summaries were (project schema < 9).
  std::string fittedSummary;
  std::optional<SearchHistory> search;

  /// Top-k lists of the final model: recUsers[i] owns recommendations[i]. Not stored in the
  /// project file (they are written as TSV by the CLI); empty unless requested.
  std::vector<Index> recUsers;
  std::vector<RecList> recommendations;
  /// saveModelToBytes() of the final model; empty unless requested or when the run failed.
  std::string modelBlob;
  /// The fitted model itself; null unless RunnerOptions::keepFitted (never stored).
  std::shared_ptr<const Model> fitted;
};

/// JSON form of a record (no per-user vectors, recommendations or model blob), as used by
/// metrics.json and `recwb runs show --json`. The fitted summary is the object "fitted", absent
/// when the record has none.
nlohmann::json toJson(const RunRecord& record);
nlohmann::json toJson(const SearchHistory& history);

/// The evaluation protocol of a run (split method, candidate set and its sizes, new users and
/// their history) as stored in the project file; protocolFromJson reads it back into `record`
/// (a null or empty document leaves the defaults: the catalogue, split method unknown).
nlohmann::json protocolToJson(const RunRecord& record);
void protocolFromJson(const nlohmann::json& json, RunRecord& record);

/// A short label of the protocol for tables and reports, e.g. "catalogue", "cold items, 336
/// held-out candidates", "cold users (attributes only), catalogue", "120 candidates from
/// items.txt".
std::string protocolLabel(const RunRecord& record);

/// Runs whose metrics may be compared share this key: the split hash alone for runs ranked over
/// the catalogue (as before protocols were recorded), else the split hash and protocolLabel (the
/// same split evaluated on another candidate set, or on new users, is another comparison).
std::string comparisonKey(const RunRecord& record);

}  // namespace rwb
