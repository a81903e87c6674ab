#include "ui/run_engine.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/eval/evaluator.h"
#include "core/experiment/run_statistics.h"
#include "core/experiment/runner.h"
#include "core/store/project_store.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"

namespace rwb::ui {

namespace {

std::string absolutePath(const std::string& p, const std::string& baseDir) {
  namespace fs = std::filesystem;
  // A database server's source (postgresql://..., odbc:...) is no file path.
  if (p.empty() || databaseKind(p) != DatabaseKind::kNone) return p;
  fs::path path(p);
  if (path.is_relative() && !baseDir.empty()) path = fs::path(baseDir) / path;
  return fs::absolute(path).lexically_normal().string();
}

}  // namespace

std::string splitDescription(const ExperimentSpec& spec) {
  const std::string& m = spec.split.method;
  if (m == "files") return "given test file";
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.2f", spec.split.ratio);
  std::string out = m + " " + ratio;
  // Only what the method reads: random rows have no group, the chronological split no seed.
  if (m == "recommenders" || m == "stratified" || m == "chronological")
    out += " by " + spec.split.by;
  if (m != "chronological") out += ", seed " + std::to_string(spec.split.seed);
  return out;
}

std::map<std::string, double> beyondAccuracy(const Dataset& train, const Dataset& test,
                                             const std::vector<Index>& users,
                                             const std::vector<RecList>& lists, int k,
                                             TaskContext& ctx) {
  EvalOptions eo;
  eo.k = static_cast<std::size_t>(k);
  eo.oracle = false;
  eo.metrics = {"catalog_coverage", "novelty"};
  std::map<std::string, double> out;
  for (const auto& mv : evaluate(train, test, users, lists, eo, ctx).metrics)
    out[mv.name] = mv.value;
  return out;
}

nlohmann::json storedSpec(const nlohmann::json& spec, const std::string& baseDir) {
  nlohmann::json out = spec;
  if (out.contains("dataset") && out["dataset"].contains("path")) {
    out["dataset"]["path"] = absolutePath(out["dataset"]["path"].get<std::string>(), baseDir);
  }
  if (out.contains("split")) {
    for (const char* key : {"train", "test", "valid"}) {
      if (out["split"].contains(key)) {
        out["split"][key] = absolutePath(out["split"][key].get<std::string>(), baseDir);
      }
    }
  }
  return out;
}

RunOutcome executeRun(const RunRequest& request, TaskContext& ctx) {
  if (!request.data.data) throw Error("no dataset is loaded");
  const ExperimentSpec spec = parseExperimentSpec(request.spec, request.baseDir);
  if (spec.models.size() != 1) throw SpecError("$.models", "a run holds exactly one model");

  // Open the project first, as `recwb run --project` does: a bad file fails before any work.
  std::optional<ProjectStore> store;
  std::int64_t specId = 0;
  if (!request.projectPath.empty()) {
    store.emplace(request.projectPath);
    specId = store->putSpec(storedSpec(request.spec, request.baseDir));
  }
  RunnerOptions options;
  options.keepFitted = true;
  options.keepRecommendations = true;
  options.keepModels = store.has_value();
  options.curveCutoffs.assign(std::begin(kCurveCutoffs), std::end(kCurveCutoffs));
  TaskContext runCtx(ctx, 0.0, 0.9);
  ExperimentResult result = runExperiment(spec, request.data, options, runCtx);
  if (result.runs.size() != 1) throw Error("the runner returned no run");
  rwb::RunRecord& rec = result.runs.front();
  if (rec.status == RunStatus::kCancelled) throw Cancelled();

  RunOutcome out;
  // Recorded as the CLI records it: the runner's record, failed runs included.
  const std::string experiment = spec.name.empty() ? std::string("gui") : spec.name;
  if (store) out.storeId = store->saveRun(rec, experiment, specId);
  out.specId = specId;
  if (rec.status == RunStatus::kFailed) throw Error(rec.error);

  ctx.progress(0.9, "confidence intervals");
  TaskContext ciCtx(ctx, 0.9, 0.97);
  out.ci = bootstrapIntervals(rec, ciCtx);
  out.evaluation = evaluationOf(rec);
  out.train = result.data.train;
  out.test = result.data.test;
  out.split = splitDescription(spec);

  // Beyond-accuracy figures for the trade-off chart, from the same lists.
  TaskContext evCtx(ctx, 0.97, 1.0);
  out.beyondAccuracy =
      beyondAccuracy(*out.train, *out.test, rec.recUsers, rec.recommendations, rec.k, evCtx);
  out.record = std::move(rec);
  ctx.progress(1.0, "done");
  return out;
}

}  // namespace rwb::ui
