#pragma once
/// \file
/// The experiment runner: load -> prep -> split once, then for every model (and seed) of the
/// spec: [search on a validation split of train] -> fit on train -> recommend (batch) ->
/// evaluate on test, with independent runs in parallel up to the thread budget.

#include <functional>
#include <memory>
#include <vector>

#include "core/experiment/experiment_spec.h"
#include "core/experiment/pipeline_stages.h"
#include "core/experiment/run_record.h"
#include "core/util/task_context.h"

namespace rwb {

/// How to run (everything that is not part of the experiment itself).
struct RunnerOptions {
  int threads = -1;    ///< thread budget; < 0 = the spec's "threads"; 0 = all hardware threads
  ModelLookup lookup;  ///< model registry to use; empty = the built-in registry
  bool keepRecommendations = false;  ///< fill RunRecord::recUsers / recommendations
  bool keepModels = false;           ///< fill RunRecord::modelBlob (saveModelToBytes)
  bool keepFitted = false;           ///< fill RunRecord::fitted (the fitted model in memory)
  /// Further cut-offs for metric@k curves (e.g. 1, 5, 10, 20, 50, 100), evaluated in the same
  /// pass: each run recommends max(k, cutoffs) items once, the spec's metrics at its own k are
  /// computed on the first k of them (numbers identical to a run without cutoffs), and each
  /// metric with a cut-off at every other cut-off lands in RunRecord::metricsAtK. Empty = none.
  std::vector<int> curveCutoffs;
  /// Writes a successful run's outputs (e.g. its top-k list file), from a worker thread, one
  /// call at a time, before onRunFinished; may release what it wrote from the record. If it
  /// throws, the run is recorded as failed with the reason: a run whose outputs were not written
  /// is never "ok".
  std::function<void(RunRecord&, const PreparedData&)> writeOutputs;
  /// Called as each run ends (any status, after writeOutputs), from a worker thread, one call
  /// at a time.
  std::function<void(const RunRecord&)> onRunFinished;
  /// Monotonic seconds for the time budget (the searches, their shares, ExperimentResult's
  /// seconds); empty = std::steady_clock. Tests inject a fake clock their models advance.
  std::function<double()> clock;
};

/// The outcome of an experiment.
struct ExperimentResult {
  std::string name;
  PreparedData data;            ///< the shared data (for summaries and outputs)
  std::vector<RunRecord> runs;  ///< one per model and seed, in spec order
  int threads = 0;              ///< the thread budget actually used
  bool cancelled = false;       ///< a stop was requested while models ran
  double seconds = 0.0;         ///< the whole run: preparation, searches, final runs
  /// The tuning budget that bounds the whole run when there are auto searches (0 = none):
  /// seconds > budgetSeconds is an overshoot (the estimates below were too low).
  double budgetSeconds = 0.0;
  /// The final fits reserved out of the budget: the sum of the searches' refit estimates.
  double finalFitsEstimate = 0.0;
};

/// The code version recorded with runs: "0.1.0 (<git describe>)".
std::string codeVersion();

/// Process peak resident set size (VmHWM of /proc/self/status) in bytes; 0 if unavailable.
std::uint64_t peakRssBytes();

/// Runs an experiment. Same spec + seeds + thread budget => the same numbers.
///
/// Cancel: if ctx is stopped while the data is being prepared, throws Cancelled. Once models
/// run, a stop ends every unfinished run as RunStatus::kCancelled (runs already finished keep
/// their results) and returns with cancelled = true, within 200 ms for models that honour
/// TaskContext. A failing model gives a kFailed record with its message; other runs continue.
/// Throws SpecError, after loading and before any fit, when a model's feature configuration
/// names an attribute column the training data lacks (ModelSpec::featuresPath locates it).
ExperimentResult runExperiment(const ExperimentSpec& spec, const RunnerOptions& options,
                               TaskContext& ctx);

/// runExperiment() on data already in memory (see InMemoryData): the spec's dataset entry is
/// not read, everything after loading (preparation, split, search, fit, recommend, evaluate,
/// records) is the same code, so a spec run here and by `recwb run` on the files the data came
/// from gives identical records (fingerprint, split hash, metrics). Same cancel and error
/// contract; throws SpecError when the in-memory data does not fit the spec's split.
ExperimentResult runExperiment(const ExperimentSpec& spec, const InMemoryData& data,
                               const RunnerOptions& options, TaskContext& ctx);

}  // namespace rwb
