#include "core/experiment/runner.h"

#include <tbb/info.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "core/data/item_set.h"
#include "core/experiment/evaluation_protocol.h"
#include "core/experiment/search.h"
#include "core/features/feature_pipeline.h"
#include "core/models/fitted_summary.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "rwb_version.h"

namespace rwb {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct RunPlan {
  const ModelSpec* model;
  const ModelInfo* info;
  std::uint64_t seed;
  std::string name;
};

// The candidate set of the evaluation, prepared once for every run.
struct CandidatePlan {
  std::string kind = "catalogue";
  std::vector<Index> items;              ///< ascending; empty for the catalogue
  std::shared_ptr<const Dataset> truth;  ///< the relevant rows; null = the test split as is
  std::size_t usersWithoutRelevant = 0;
  bool newUsers = false;  ///< cold_users: test users are scored as new users
  std::size_t history = 0;
  NewUserCohort cohort;
};

CandidatePlan planCandidates(const ExperimentSpec& spec, const PreparedData& data) {
  const EvaluationSpec& ev = spec.evaluation;
  CandidatePlan plan;
  plan.kind = ev.candidates;
  if (spec.split.method == "cold_users") {
    plan.newUsers = true;
    plan.history = ev.coldUserHistory;
    plan.cohort.attributes = &data.train->userAttributes;
    HistorySplit h = takeFirstEvents(*data.test, ev.coldUserHistory);
    plan.cohort.history = std::move(h.history);
    plan.truth = std::make_shared<const Dataset>(std::move(h.truth));
    if (ev.candidates == "catalogue") {
      plan.usersWithoutRelevant =
          usersWithInteractions(*data.test).size() - usersWithInteractions(*plan.truth).size();
      return plan;
    }
  }
  if (ev.candidates == "catalogue") return plan;
  const Dataset& relevant = plan.truth ? *plan.truth : *data.test;
  if (ev.candidates == "held_out") {
    plan.items = heldOutItems(*data.train, *data.test);
    if (plan.items.empty()) {
      throw SpecError("$.evaluation.candidates",
                      "\"held_out\" finds no test item without training rows on this split; use "
                      "\"catalogue\" or a cold_items split");
    }
  } else {
    plan.items = readItemSetFile(ev.candidatesFile, data.test->items);
  }
  plan.truth = std::make_shared<const Dataset>(restrictToItems(relevant, plan.items));
  plan.usersWithoutRelevant =
      usersWithInteractions(*data.test).size() - usersWithInteractions(*plan.truth).size();
  if (plan.truth->numInteractions() == 0) {
    throw SpecError("$.evaluation.candidates", "no test interaction has a candidate item");
  }
  return plan;
}

// A failed run keeps its identity and timings but no results.
void markFailed(RunRecord& r, const std::string& error) {
  r.status = RunStatus::kFailed;
  r.error = error;
  r.metrics.clear();
  r.metricsAtK.clear();
  r.perUser.clear();
  r.evaluatedUsers.clear();
  r.modelBlob.clear();
  r.fitted.reset();
  r.fittedSummary.clear();
  r.recUsers.clear();
  r.recommendations.clear();
}

// An auto search's outcome, computed before the runs (see TuningSpec): the history, or why the
// search failed.
struct Tuned {
  std::optional<SearchHistory> history;
  std::string error;
  std::vector<std::string> warnings;  ///< the budget could not cover the search and its refit
};

SearchRequest searchRequest(const RunPlan& plan, const ExperimentSpec& spec, int threads,
                            const std::function<double()>& clock = {}) {
  SearchRequest req;
  req.model = plan.info;
  req.baseParams = plan.model->params;
  req.search = *plan.model->search;
  req.metrics = spec.metrics;
  req.seed = plan.seed;
  req.threads = threads;
  req.clock = clock;
  req.validation = validationKindFor(spec.split.method, spec.tuning.validationBy.empty()
                                                            ? spec.split.by
                                                            : spec.tuning.validationBy);
  return req;
}

// The best parameters of the auto search of `model` with `seed` in this experiment, or nullptr.
const Params* tunedParamsOf(const std::string& model, const std::vector<RunPlan>& plans,
                            const std::vector<Tuned>& tuned, std::uint64_t seed) {
  for (std::size_t i = 0; i < plans.size(); ++i) {
    if (plans[i].model->name == model && plans[i].seed == seed && tuned[i].history) {
      return &tuned[i].history->best;
    }
  }
  return nullptr;
}

// Models made of other models take, for each member given as "auto", the best parameters of
// the auto search of the same model and seed in this experiment (chosen on validation, so the
// combination stays honest): a blend's "members" and a two_stage's "score_models".
Params withTunedMembers(Params params, const std::vector<RunPlan>& plans,
                        const std::vector<Tuned>& tuned, std::uint64_t seed) {
  const auto lookup = [&](const std::string& model, const std::string& where) {
    const Params* p = tunedParamsOf(model, plans, tuned, seed);
    if (p == nullptr) {
      throw SpecError(where, "\"auto\" needs a successful auto search of '" + model +
                                 "' in the same experiment");
    }
    return *p;
  };
  for (const char* key : {"members", "score_models"}) {
    if (!params.contains(key) || !params.at(key).is_string()) continue;
    const std::string text = params.at(key).get<std::string>();
    if (text.empty()) continue;
    nlohmann::json members = nlohmann::json::parse(text);
    if (!members.is_object()) continue;  // the model reports its own malformed parameter
    for (auto it = members.begin(); it != members.end(); ++it) {
      if (!it.value().is_string() || it.value() != "auto") continue;
      it.value() = lookup(it.key(), std::string("$.params.") + key + "." + it.key());
    }
    params[key] = members.dump();
  }
  return params;
}

// Models whose parameters may name other models' auto searches: tuned after those.
bool combinesModels(const RunPlan& plan) {
  return plan.model->name == "blend" || plan.model->name == "two_stage";
}

// The weight of an auto search in the sharing of the tuning budget: 1, plus 1 per member model
// of a blend or two_stage (its "members" / "score_models", and a candidate_model not among
// them): each of its trials fits every member and then itself.
double shareWeight(const RunPlan& plan) {
  if (!combinesModels(plan)) return 1.0;
  std::set<std::string> members;
  const Params& p = plan.model->params;
  for (const char* key : {"members", "score_models"}) {
    if (!p.contains(key) || !p.at(key).is_string()) continue;
    const auto parsed = nlohmann::json::parse(p.at(key).get<std::string>(), nullptr, false);
    if (!parsed.is_object()) continue;
    for (auto it = parsed.begin(); it != parsed.end(); ++it) members.insert(it.key());
  }
  if (p.contains("candidate_model") && p.at("candidate_model").is_string()) {
    members.insert(p.at("candidate_model").get<std::string>());
  }
  return 1.0 + static_cast<double>(members.size());
}

// "12.3" for messages.
std::string seconds1(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", s);
  return text;
}

bool isAuto(const RunPlan& plan) {
  return plan.model->search && plan.model->search->method == "auto";
}

RunRecord runOne(const RunPlan& plan, const ExperimentSpec& spec, const PreparedData& data,
                 const CandidatePlan& cands, const RunnerOptions& options, int threads,
                 const Tuned* tuned, TaskContext& ctx) {
  std::vector<std::string> budgetWarnings;
  if (tuned != nullptr) budgetWarnings = tuned->warnings;
  RunRecord r;
  r.name = plan.name;
  r.model = plan.model->name;
  r.datasetFingerprint = data.datasetFingerprint;
  r.datasetSource = data.datasetSource;
  r.splitHash = data.splitHash;
  r.splitMethod = spec.split.method;
  r.codeVersion = codeVersion();
  r.params = plan.model->params;
  r.seed = plan.seed;
  r.threads = threads;
  r.k = spec.metrics.k;
  try {
    ctx.throwIfStopped();
    // Search first, on train only: the test split is not passed (see search.h).
    const bool searchHere = plan.model->search && tuned == nullptr;
    TaskContext searchCtx(ctx, 0.0, searchHere ? 0.7 : 0.0);
    if (tuned != nullptr) {
      if (!tuned->history) throw ModelError(tuned->error);
      r.search = tuned->history;
      r.params = r.search->best;
    } else if (plan.model->search) {
      r.search = searchHyperparameters(searchRequest(plan, spec, threads), *data.train, searchCtx);
      r.params = r.search->best;
    }
    const double base = searchHere ? 0.7 : 0.0;
    TaskContext fitCtx(ctx, base, base + (1.0 - base) * 0.6);
    auto model = plan.info->create(r.params);
    const auto t0 = Clock::now();
    model->fit(TrainingData{*data.train, data.validation.get(), plan.seed, threads}, fitCtx);
    r.fitSeconds = secondsSince(t0);
    r.learningCurve = fitCtx.history();
    r.fittedSummary = fittedSummaryOf(*model);

    TaskContext recCtx(ctx, base + (1.0 - base) * 0.6, base + (1.0 - base) * 0.95);
    const Dataset& truth = cands.truth ? *cands.truth : *data.test;
    const std::vector<Index> users = usersWithInteractions(truth);
    const auto t1 = Clock::now();
    // One list per user, as long as the largest cut-off: the metrics at k read its first k
    // items, the metric@k curves the rest.
    int length = spec.metrics.k;
    for (const int c : options.curveCutoffs) length = std::max(length, c);
    std::vector<RecList> longLists;
    std::vector<std::size_t> counts;
    if (cands.truth) {
      CandidateLists c = cands.newUsers
                             ? recommendForNewUsers(*model, users, cands.cohort, cands.items,
                                                    static_cast<std::size_t>(length), recCtx)
                             : recommendAmong(*model, users, cands.items,
                                              static_cast<std::size_t>(length), recCtx);
      r.newUsers = cands.newUsers;
      r.newUserHistory = cands.history;
      longLists = std::move(c.lists);
      counts = std::move(c.candidates);
      r.candidates = cands.kind;
      if (cands.kind == "file") {
        r.candidatesFile =
            std::filesystem::path(spec.evaluation.candidatesFile).filename().string();
      }
      r.candidateItems = cands.items.size();
      r.usersWithoutRelevantCandidate = cands.usersWithoutRelevant;
      if (!counts.empty()) {
        r.candidatesMin = *std::min_element(counts.begin(), counts.end());
        r.candidatesMax = *std::max_element(counts.begin(), counts.end());
        double sum = 0.0;
        for (const auto n : counts) sum += static_cast<double>(n);
        r.candidatesMean = sum / static_cast<double>(counts.size());
      }
    } else {
      longLists = model->recommendBatch(users, static_cast<std::size_t>(length), true, recCtx);
    }
    std::vector<RecList> lists;
    if (length == spec.metrics.k) {
      lists = std::move(longLists);
    } else {
      lists.reserve(longLists.size());
      for (const RecList& l : longLists) {
        RecList top = l;
        if (top.items.size() > static_cast<std::size_t>(spec.metrics.k))
          top.items.resize(static_cast<std::size_t>(spec.metrics.k));
        lists.push_back(std::move(top));
      }
    }
    r.recommendSeconds = secondsSince(t1);

    const double evalEnd = options.curveCutoffs.empty() ? 1.0 : base + (1.0 - base) * 0.975;
    TaskContext evalCtx(ctx, base + (1.0 - base) * 0.95, evalEnd);
    const auto t2 = Clock::now();
    TopKEvaluation ev =
        evaluateTopK(users, lists, *data.train, truth, spec.metrics, evalCtx, counts);
    if (!options.curveCutoffs.empty()) {
      TaskContext curveCtx(ctx, evalEnd, 1.0);
      const std::vector<RecList>& curveLists = length == spec.metrics.k ? lists : longLists;
      r.metricsAtK = evaluateAtCutoffs(users, curveLists, *data.train, truth, spec.metrics,
                                       options.curveCutoffs, curveCtx);
    }
    r.evaluateSeconds = secondsSince(t2);
    r.metrics = std::move(ev.metrics);
    r.evaluatedUsers = std::move(ev.users);
    r.perUser = std::move(ev.perUser);
    r.warnings = std::move(budgetWarnings);
    r.warnings.insert(r.warnings.end(), ev.warnings.begin(), ev.warnings.end());
    r.modelBytes = model->memoryBytes();
    if (options.keepModels) r.modelBlob = saveModelToBytes(*model);
    if (options.keepFitted) r.fitted = std::shared_ptr<const Model>(std::move(model));
    if (options.keepRecommendations) {
      r.recUsers = users;
      r.recommendations = std::move(lists);
    }
    ctx.throwIfStopped();
    r.status = RunStatus::kOk;
  } catch (const Cancelled&) {
    // A cancelled run keeps nothing it produced: no metrics, no model, no lists.
    RunRecord c;
    c.name = r.name;
    c.model = r.model;
    c.datasetFingerprint = r.datasetFingerprint;
    c.datasetSource = r.datasetSource;
    c.splitHash = r.splitHash;
    c.codeVersion = r.codeVersion;
    c.params = plan.model->params;
    c.seed = r.seed;
    c.threads = r.threads;
    c.k = r.k;
    c.status = RunStatus::kCancelled;
    r = std::move(c);
  } catch (const std::exception& e) {
    markFailed(r, e.what());
  }
  r.peakRssBytes = peakRssBytes();
  return r;
}

}  // namespace

std::string codeVersion() { return std::string(RWB_VERSION) + " (" + RWB_GIT_DESCRIBE + ")"; }

std::uint64_t peakRssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream ss(line.substr(6));
      std::uint64_t kb = 0;
      ss >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

namespace {

ExperimentResult runPrepared(const ExperimentSpec& spec, const RunnerOptions& options,
                             const std::function<PreparedData(TaskContext&)>& prepare,
                             TaskContext& ctx) {
  const std::function<double()> now = budgetClock(options.clock);
  const double t0 = now();
  const ModelLookup lookup = options.lookup
                                 ? options.lookup
                                 : ModelLookup([](std::string_view n) { return findModel(n); });
  ExperimentResult result;
  result.name = spec.name;
  int threads = options.threads >= 0 ? options.threads : spec.threads;
  if (threads <= 0) threads = tbb::info::default_concurrency();
  result.threads = threads;

  // Validate every model before loading anything.
  std::vector<RunPlan> plans;
  for (std::size_t m = 0; m < spec.models.size(); ++m) {
    const ModelSpec& ms = spec.models[m];
    const ModelInfo* info = lookup(ms.name);
    if (info == nullptr) {
      throw SpecError("$.models[" + std::to_string(m) + "].name",
                      "unknown model '" + ms.name + "'");
    }
    for (auto seed : spec.seeds) {
      plans.push_back({&ms, info, seed, runNameFor(ms, seed, spec.seeds.size())});
    }
  }

  tbb::task_arena arena(threads);
  TaskContext dataCtx(ctx, 0.0, 0.1);
  arena.execute([&] { result.data = prepare(dataCtx); });

  // Feature configurations name attribute columns: check them against the data before any fit,
  // so that a misspelt column fails at once with its place in the spec.
  for (const ModelSpec& ms : spec.models) {
    if (ms.featuresPath.empty()) continue;
    FeatureConfig::parse(ms.params.at("features").get<std::string>(), ms.featuresPath)
        .checkColumns(*result.data.train, ms.featuresPath);
  }

  const CandidatePlan cands = planCandidates(spec, result.data);

  // Auto searches first, one after another with every thread, so that each one's trials do not
  // depend on what runs beside it; the budget, which bounds the whole run, is shared as
  // TuningSpec says.
  // Blends and two_stage models come last: their members may take the parameters the other
  // searches chose.
  std::vector<std::size_t> autoPlans;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < plans.size(); ++i) {
      if (isAuto(plans[i]) && combinesModels(plans[i]) == (pass == 1)) {
        autoPlans.push_back(i);
      }
    }
  }
  std::vector<Tuned> tuned(plans.size());
  const double runsBegin = autoPlans.empty() ? 0.1 : 0.8;
  if (!autoPlans.empty()) {
    TaskContext tuneCtx(ctx, 0.1, runsBegin);
    const double budget = spec.tuning.budgetSeconds;
    result.budgetSeconds = budget;
    for (std::size_t a = 0; a < autoPlans.size() && !ctx.stopRequested(); ++a) {
      const RunPlan& plan = plans[autoPlans[a]];
      const double n = static_cast<double>(autoPlans.size());
      TaskContext one(tuneCtx, static_cast<double>(a) / n, static_cast<double>(a + 1) / n);
      one.setProgressCallback(
          [&](double f, std::string_view stage) {
            // f is already mapped into tuneCtx's range; only the run's name is added.
            tuneCtx.progress(f, plan.name + ": " + std::string(stage));
          },
          std::chrono::milliseconds(0));
      SearchRequest req = searchRequest(plan, spec, threads, options.clock);
      if (combinesModels(plan)) {
        try {
          req.baseParams = withTunedMembers(req.baseParams, plans, tuned, plan.seed);
        } catch (const std::exception& e) {
          tuned[autoPlans[a]].error = e.what();
          continue;
        }
      }
      // What is left of the budget once the final fits of the searched models are reserved,
      // shared by weight among this search and those after it; the share covers the search and
      // its own final fit (search.h). A spent budget still runs one trial (the first one, the
      // defaults): a share of 0 would read as "no time limit".
      double weightLeft = 0.0;
      for (std::size_t b = a; b < autoPlans.size(); ++b) {
        weightLeft += shareWeight(plans[autoPlans[b]]);
      }
      const double left = budget - (now() - t0) - result.finalFitsEstimate;
      const double share = left * shareWeight(plan) / weightLeft;
      req.search.budgetSeconds = std::max(share, 1e-9);
      Tuned& t = tuned[autoPlans[a]];
      try {
        arena.execute([&] { t.history = searchHyperparameters(req, *result.data.train, one); });
      } catch (const Cancelled&) {
        break;  // every run sees the stop and ends as cancelled
      } catch (const std::exception& e) {
        t.error = e.what();
      }
      if (!t.history) continue;
      const SearchHistory& h = *t.history;
      result.finalFitsEstimate += h.refitSecondsEstimate;
      if (h.stoppedBy == "budget" && h.trials.size() == 1) {
        const double needed = h.seconds + h.refitSecondsEstimate;
        t.warnings.push_back(
            "time budget: this model's share was " + seconds1(std::max(share, 0.0)) + " s, " +
            (needed > share ? "less than one search trial (" : "enough for one search trial (") +
            seconds1(h.seconds) + " s) plus its final fit (~" + seconds1(h.refitSecondsEstimate) +
            " s estimated); only its first configuration was tried");
      }
    }
  }

  // Progress of the runs, aggregated: each run reports its own fraction.
  std::vector<std::atomic<double>> fractions(plans.size());
  for (auto& f : fractions) f.store(0.0);
  std::vector<std::unique_ptr<TaskContext>> runCtx;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    runCtx.push_back(std::make_unique<TaskContext>(ctx, runsBegin, 1.0));
    runCtx.back()->setProgressCallback(
        [&, i](double f, std::string_view stage) {
          fractions[i].store(f);
          double sum = 0.0;
          for (const auto& x : fractions) sum += x.load();
          ctx.progress(runsBegin + (1.0 - runsBegin) * sum / static_cast<double>(plans.size()),
                       plans[i].name + ": " + std::string(stage));
        },
        std::chrono::milliseconds(0));
  }

  result.runs.resize(plans.size());
  std::mutex callbackMutex;
  arena.execute([&] {
    tbb::task_group group;
    for (std::size_t i = 0; i < plans.size(); ++i) {
      group.run([&, i] {
        result.runs[i] = runOne(plans[i], spec, result.data, cands, options, threads,
                                isAuto(plans[i]) ? &tuned[i] : nullptr, *runCtx[i]);
        fractions[i].store(1.0);
        std::lock_guard lock(callbackMutex);
        if (options.writeOutputs && result.runs[i].status == RunStatus::kOk) {
          try {
            options.writeOutputs(result.runs[i], result.data);
          } catch (const std::exception& e) {
            markFailed(result.runs[i], std::string("its outputs were not written: ") + e.what());
          }
        }
        if (options.onRunFinished) options.onRunFinished(result.runs[i]);
      });
    }
    group.wait();
  });
  result.cancelled = ctx.stopRequested();
  result.seconds = now() - t0;
  ctx.progress(1.0, result.cancelled ? "cancelled" : "done");
  return result;
}

}  // namespace

ExperimentResult runExperiment(const ExperimentSpec& spec, const RunnerOptions& options,
                               TaskContext& ctx) {
  return runPrepared(
      spec, options, [&](TaskContext& c) { return prepareData(spec, c); }, ctx);
}

ExperimentResult runExperiment(const ExperimentSpec& spec, const InMemoryData& data,
                               const RunnerOptions& options, TaskContext& ctx) {
  return runPrepared(
      spec, options, [&](TaskContext& c) { return prepareData(spec, data, c); }, ctx);
}

}  // namespace rwb
