#include "ui/run_engine.h"

#include <chrono>

#include "core/models/registry.h"
#include "core/util/error.h"

#if __has_include("core/experiment/runner.h")
#define RWB_UI_HAS_RUNNER 1
#include "core/experiment/runner.h"
#else
#define RWB_UI_HAS_RUNNER 0
#endif

namespace rwb::ui {

bool engineHasRunner() { return RWB_UI_HAS_RUNNER != 0; }

#if RWB_UI_HAS_RUNNER
RunOutcome executeRun(const RunRequest& request, TaskContext& ctx) {
  const ExperimentSpec spec = parseExperimentSpec(request.spec, request.baseDir);
  RunnerOptions options;
  options.keepModels = true;
  ExperimentResult result = runExperiment(spec, options, ctx);
  if (result.cancelled) throw Cancelled();
  if (result.runs.empty()) throw Error("the experiment produced no run");
  RunRecord& rec = result.runs.front();
  if (rec.status == RunStatus::kCancelled) throw Cancelled();
  if (rec.status == RunStatus::kFailed) throw ModelError(rec.error);
  RunOutcome out;
  out.model = loadModelFromBytes(rec.modelBlob);
  out.train = result.data.train;
  out.test = result.data.test;
  out.split = spec.split.method == "files"
                  ? "given files"
                  : spec.split.method + " " + std::to_string(spec.split.ratio) + " by " +
                        spec.split.by + ", seed " + std::to_string(spec.split.seed);
  out.fitSeconds = rec.fitSeconds;
  out.recommendSeconds = rec.recommendSeconds;
  out.memoryBytes = rec.modelBytes;
  out.metrics = rec.metrics;
  out.evaluatedUsers = rec.evaluatedUsers;
  out.perUser = rec.perUser;
  out.epochs = rec.learningCurve;
  return out;
}
#else
RunOutcome executeRun(const RunRequest& request, TaskContext& ctx) {
  if (!request.data) throw Error("no dataset is loaded");
  const auto& models = request.spec.at("models");
  if (models.size() != 1) throw SpecError("$.models", "a run holds exactly one model");
  const auto& m = models[0];
  const std::string name = m.at("name").get<std::string>();
  auto model = createModel(name, m.value("params", Params::object()), "$.models[0]");
  const auto seeds = request.spec.value("seeds", nlohmann::json::array({42}));
  TrainingData td{*request.data, nullptr, seeds.empty() ? 42u : seeds[0].get<std::uint64_t>(),
                  request.spec.value("threads", 0)};
  const auto t0 = std::chrono::steady_clock::now();
  model->fit(td, ctx);
  RunOutcome out;
  out.fitSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.memoryBytes = model->memoryBytes();
  out.epochs = ctx.history();
  out.model = std::move(model);
  out.train = request.data;
  out.test = request.test;
  out.split = request.test ? "given test file (not evaluated: no runner in this build)"
                           : "none: fitted on all data (no runner in this build)";
  return out;
}
#endif

}  // namespace rwb::ui
