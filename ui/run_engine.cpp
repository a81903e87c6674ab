#include "ui/run_engine.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/eval/evaluator.h"
#include "core/eval/protocol.h"
#include "core/eval/statistics.h"
#include "core/models/registry.h"
#include "core/prep/splitter.h"
#include "core/util/error.h"

namespace rwb::ui {

// The GUI runs one model at a time on the dataset already in memory (the runner in
// core/experiment re-reads its sources from a spec file), with the same core pieces:
// core/prep splitters, Model::fit, core/eval's evaluateModel and bootstrap intervals.
bool engineHasRunner() { return false; }

RunOutcome executeRun(const RunRequest& request, TaskContext& ctx) {
  if (!request.data) throw Error("no dataset is loaded");
  const auto& spec = request.spec;
  const auto& models = spec.at("models");
  if (models.size() != 1) throw SpecError("$.models", "a run holds exactly one model");
  const auto& m = models[0];
  const std::string name = m.at("name").get<std::string>();
  auto model = createModel(name, m.value("params", Params::object()), "$.models[0]");
  const auto seeds = spec.value("seeds", nlohmann::json::array({42}));
  const std::uint64_t seed = seeds.empty() ? 42u : seeds[0].get<std::uint64_t>();
  const nlohmann::json split = spec.value("split", nlohmann::json::object());
  const std::string method = split.value("method", std::string("recommenders"));

  RunOutcome out;
  ctx.progress(0.0, "splitting");
  if (method == "files") {
    if (!request.test) throw SpecError("$.split.test", "no test file is loaded");
    out.train = request.data;
    out.test = request.test;
    out.split = "given test file";
  } else {
    SplitOptions so;
    const auto parsed = splitMethodFromName(method);
    if (!parsed) {
      throw SpecError("$.split.method",
                      "unknown split method '" + method + "' (known: " + splitMethodNames() + ")");
    }
    so.method = *parsed;
    so.ratio = split.value("ratio", 0.75);
    so.by = split.value("by", std::string("user")) == "item" ? SplitBy::kItem : SplitBy::kUser;
    so.seed = split.value("seed", 42ull);
    TaskContext sub(ctx, 0.0, 0.1);
    SplitDatasets parts = materializeSplit(*request.data, splitDataset(*request.data, so, sub));
    out.train = std::make_shared<const Dataset>(std::move(parts.train));
    out.test = std::make_shared<const Dataset>(std::move(parts.test));
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.2f", so.ratio);
    out.split = method + " " + ratio + " by " + (so.by == SplitBy::kItem ? "item" : "user") +
                ", seed " + std::to_string(so.seed);
  }
  ctx.throwIfStopped();

  TrainingData td{*out.train, nullptr, seed, spec.value("threads", 0)};
  const auto t0 = std::chrono::steady_clock::now();
  {
    TaskContext sub(ctx, 0.1, 0.8);
    model->fit(td, sub);
    out.epochs = sub.history();
  }
  out.fitSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.memoryBytes = model->memoryBytes();

  const nlohmann::json metrics = spec.value("metrics", nlohmann::json::object());
  EvalOptions eo;
  eo.k = static_cast<std::size_t>(metrics.value("k", 10));
  for (const auto& n : metrics.value("names", nlohmann::json::array())) {
    eo.metrics.push_back(n.get<std::string>());
  }
  // Beyond-accuracy figures for the trade-off chart.
  eo.metrics.push_back("catalog_coverage");
  eo.metrics.push_back("novelty");
  ctx.progress(0.8, "evaluating");
  const auto t1 = std::chrono::steady_clock::now();
  EvalResult ev;
  {
    TaskContext sub(ctx, 0.8, 0.95);
    ev = evaluateModel(*model, *out.train, *out.test, eo, ProtocolOptions{}, sub);
  }
  out.recommendSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  out.evaluatedUsers = ev.users;
  out.evaluation = std::make_shared<const EvalResult>(ev);
  BootstrapOptions bo;
  bo.resamples = 1000;
  for (const auto& mv : ev.metrics) {
    out.metrics[mv.name] = mv.value;
    if (!mv.perUser) continue;
    out.perUser[mv.name] = mv.perUserValues;
    std::vector<double> defined;
    defined.reserve(mv.perUserValues.size());
    for (double v : mv.perUserValues) {
      if (!std::isnan(v)) defined.push_back(v);
    }
    if (defined.size() < 2) continue;
    const ConfidenceInterval ci = bootstrapMean(defined, bo, ctx);
    out.ci[mv.name] = {ci.lower, ci.upper};
  }
  ctx.progress(1.0, "done");
  out.model = std::move(model);
  return out;
}

}  // namespace rwb::ui
