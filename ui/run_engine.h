#pragma once
/// \file
/// The bridge between the GUI and the engine: one experiment run, executed off the GUI thread by
/// core/experiment's runner on the session's in-memory data (runExperiment with InMemoryData),
/// so a run made here and `recwb run` on the same spec produce the same record. With a project
/// open the run is recorded in it exactly as `recwb run --project` records it. The GUI then adds
/// what only it displays: bootstrap 95% CIs of the per-user means and beyond-accuracy figures
/// (catalogue coverage, novelty) of the kept top-k lists.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/experiment/experiment_spec.h"
#include "core/experiment/pipeline_stages.h"
#include "core/experiment/run_record.h"
#include "core/experiment/run_statistics.h"
#include "core/util/task_context.h"

namespace rwb {
struct EvalResult;
}

namespace rwb::ui {

/// The cut-offs of the Compare view's metric@k curves: every GUI run evaluates its metrics
/// at each of them in the same pass (core/experiment RunnerOptions::curveCutoffs).
inline constexpr int kCurveCutoffs[] = {1, 5, 10, 20, 50, 100};

struct RunRequest {
  nlohmann::json spec;  ///< a complete experiment spec (the editor's), with exactly one model
  std::string baseDir;  ///< folder relative spec paths resolve against
  InMemoryData data;    ///< the session's dataset (and test set for split "files")
  /// Project file to record the run in ("" = none). The spec is stored with absolute paths, as
  /// `recwb run --project` stores it, so `recwb export --project` can rebuild the training data.
  std::string projectPath;
};

struct RunOutcome {
  rwb::RunRecord
      record;  ///< the runner's record (status kOk), with the fitted model and top-k lists
  std::shared_ptr<const Dataset> train;
  std::shared_ptr<const Dataset> test;
  std::string split;  ///< human description of train/test
  /// 95% bootstrap CI (lower, upper) of each per-user metric's mean.
  std::map<std::string, std::pair<double, double>> ci;
  /// Catalogue coverage and novelty of the top-k lists (not part of the stored record).
  std::map<std::string, double> beyondAccuracy;
  /// The per-user vectors as an EvalResult, for the paired tests of the Compare view.
  std::shared_ptr<const EvalResult> evaluation;
  std::int64_t storeId = 0;  ///< id of the run in the project file (0 when not recorded)
  std::int64_t specId = 0;   ///< the spec stored with it (0 when not recorded)
};

/// Executes one run. Throws rwb::Error subclasses with the engine's message (a failed run is
/// still recorded in the project, as the CLI records it), Cancelled on stop (nothing recorded).
RunOutcome executeRun(const RunRequest& request, TaskContext& ctx);

/// How a spec's train/test were formed, as the runs table's split column shows it.
std::string splitDescription(const ExperimentSpec& spec);

/// Catalogue coverage and novelty of top-k lists (core/eval evaluate): the display-only
/// figures of the trade-off chart, for new runs and for stored runs reconnected to their data.
std::map<std::string, double> beyondAccuracy(const Dataset& train, const Dataset& test,
                                             const std::vector<Index>& users,
                                             const std::vector<RecList>& lists, int k,
                                             TaskContext& ctx);

/// The spec as a project stores it: dataset and split file paths made absolute.
nlohmann::json storedSpec(const nlohmann::json& spec, const std::string& baseDir);

}  // namespace rwb::ui
