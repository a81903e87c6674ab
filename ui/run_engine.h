#pragma once
/// \file
/// The bridge between the Experiment view and the engine: one model run, executed off the GUI
/// thread. With the experiment runner (core/experiment/runner.h) in the build, a run is
/// runExperiment() on a one-model spec (load -> split -> fit -> recommend -> evaluate, exactly
/// what `recwb run` does). Without it, the session's in-memory dataset is used and
/// its splitters (core/prep) and evaluator (core/eval) are called directly: split (or the given
/// test file) -> fit -> evaluateModel -> bootstrap 95% CIs of the per-user metrics.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/models/model.h"
#include "core/util/task_context.h"

namespace rwb {
struct EvalResult;
}

namespace rwb::ui {

/// True when this build contains the experiment runner (metrics, splits, learning curves).
bool engineHasRunner();

struct RunRequest {
  nlohmann::json spec;  ///< a complete experiment spec with exactly one model
  std::string baseDir;  ///< folder relative spec paths resolve against
  /// Session snapshot used without the runner: the loaded dataset and optional test set.
  std::shared_ptr<const Dataset> data;
  std::shared_ptr<const Dataset> test;
};

struct RunOutcome {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Dataset> train;
  std::shared_ptr<const Dataset> test;
  std::string split;  ///< human description of train/test
  double fitSeconds = 0.0;
  double recommendSeconds = 0.0;
  std::size_t memoryBytes = 0;
  std::map<std::string, double> metrics;
  /// 95% bootstrap CI (lower, upper) of each per-user metric's mean.
  std::map<std::string, std::pair<double, double>> ci;
  std::vector<Index> evaluatedUsers;
  std::map<std::string, std::vector<double>> perUser;
  std::vector<std::pair<int, EpochMetrics>> epochs;
  /// The full evaluation (per-user vectors), for the paired tests of the Compare view.
  std::shared_ptr<const EvalResult> evaluation;
};

/// Executes one run. Throws rwb::Error subclasses with the engine's message, Cancelled on stop.
RunOutcome executeRun(const RunRequest& request, TaskContext& ctx);

}  // namespace rwb::ui
