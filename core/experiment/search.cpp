#include "core/experiment/search.h"

#include <tbb/parallel_for.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "core/experiment/pipeline_stages.h"
#include "core/prep/splitter.h"
#include "core/util/error.h"

namespace rwb {

namespace {

using Clock = std::chrono::steady_clock;

Params applyAndResolve(const ModelInfo& model, const Params& base, const Params& overrides) {
  Params p = base;
  for (auto it = overrides.begin(); it != overrides.end(); ++it) p[it.key()] = it.value();
  return model.schema.resolve(p, "$.search.candidate");
}

double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

nlohmann::json sampleOne(const ModelInfo& model, const ParamSpace& ps, std::mt19937_64& rng) {
  if (!ps.values.empty()) {
    const auto i = static_cast<std::size_t>(uniform01(rng) * static_cast<double>(ps.values.size()));
    return ps.values[std::min(i, ps.values.size() - 1)];
  }
  const ParamSpec* p = model.schema.find(ps.name);
  const double lo = ps.range->min ? *ps.range->min : *p->min;
  const double hi = ps.range->max ? *ps.range->max : *p->max;
  const bool logScale = ps.range->logScale.value_or(p->logScale);
  const double u = uniform01(rng);
  double v =
      logScale ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))) : lo + u * (hi - lo);
  v = std::clamp(v, lo, hi);
  if (p->type == ParamType::kInt) {
    return static_cast<long long>(std::clamp(std::round(v), std::ceil(lo), std::floor(hi)));
  }
  return v;
}

struct Scored {
  std::size_t index;
  double score;
};

}  // namespace

std::vector<Params> gridCandidates(const ModelInfo& model, const Params& baseParams,
                                   const std::vector<ParamSpace>& space) {
  std::vector<Params> out;
  std::vector<std::size_t> pos(space.size(), 0);
  for (const auto& ps : space) {
    if (ps.values.empty()) {
      throw SpecError("$.search.space." + ps.name, "grid search needs a list of values");
    }
  }
  while (true) {
    Params o = Params::object();
    for (std::size_t d = 0; d < space.size(); ++d) o[space[d].name] = space[d].values[pos[d]];
    out.push_back(applyAndResolve(model, baseParams, o));
    // Odometer increment, last parameter fastest.
    std::size_t d = space.size();
    while (d > 0) {
      --d;
      if (++pos[d] < space[d].values.size()) break;
      pos[d] = 0;
      if (d == 0) return out;
    }
    if (space.empty()) return out;
  }
}

std::vector<Params> randomCandidates(const ModelInfo& model, const Params& baseParams,
                                     const std::vector<ParamSpace>& space, int trials,
                                     std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Params> out;
  std::set<std::string> seen;
  // Small discrete spaces have fewer distinct points than trials: stop after enough repeats.
  const int maxDraws = std::max(trials * 20, 100);
  for (int draw = 0; draw < maxDraws && static_cast<int>(out.size()) < trials; ++draw) {
    Params o = Params::object();
    for (const auto& ps : space) o[ps.name] = sampleOne(model, ps, rng);
    Params p = applyAndResolve(model, baseParams, o);
    if (seen.insert(p.dump()).second) out.push_back(std::move(p));
  }
  return out;
}

SearchHistory searchHyperparameters(const SearchRequest& req, const Dataset& train,
                                    TaskContext& ctx) {
  if (req.model == nullptr) throw ModelError("searchHyperparameters: no model given");
  const auto t0 = Clock::now();
  const SearchSpec& s = req.search;
  SearchHistory h;
  h.method = s.method;
  h.metric = s.metric.empty() ? metricKey(req.metrics.primary, req.metrics.k) : s.metric;

  // The validation split is carved from train only, shaped like the experiment's split.
  TaskContext splitCtx(ctx, 0.0, 0.02);
  const ValidationSplit vs =
      carveValidation(train, req.validation, s.validationRatio, s.seed, splitCtx);
  h.validationSplitHash = hex64(vs.hash);
  const Dataset& fitSet = vs.fit;
  const Dataset& validSet = vs.valid;
  const std::vector<Index>& validUsers = vs.users;
  MetricsSpec selMetrics = req.metrics;
  if (std::find_if(specMetricNames().begin(), specMetricNames().end(), [&](const auto& n) {
        return metricKey(n, selMetrics.k) == h.metric;
      }) == specMetricNames().end()) {
    throw SpecError("$.search.metric", "unknown selection metric '" + h.metric + "'");
  }
  for (const auto& n : specMetricNames()) {
    if (metricKey(n, selMetrics.k) == h.metric) selMetrics.names = {n};
  }

  std::vector<Params> candidates;
  const bool allLists = std::all_of(s.space.begin(), s.space.end(),
                                    [](const ParamSpace& p) { return !p.values.empty(); });
  if (s.method == "grid" || (s.method == "halving" && allLists)) {
    candidates = gridCandidates(*req.model, req.baseParams, s.space);
  } else {
    candidates = randomCandidates(*req.model, req.baseParams, s.space, s.trials, s.seed);
  }

  long long maxBudget = 0;
  long long budget = 0;
  if (s.method == "halving") {
    maxBudget = req.baseParams.at(s.budgetParam).get<long long>();
    budget = std::min<long long>(s.minBudget, maxBudget);
  }
  // Total fits, for progress: halving shrinks the field by eta at each rung.
  std::size_t plannedFits = candidates.size();
  if (s.method == "halving") {
    plannedFits = 0;
    std::size_t n = candidates.size();
    for (long long b = budget;; b = std::min(maxBudget, b * s.eta)) {
      plannedFits += n;
      if (b >= maxBudget || n <= 1) break;
      n = (n + static_cast<std::size_t>(s.eta) - 1) / static_cast<std::size_t>(s.eta);
    }
  }
  std::atomic<std::size_t> fitsDone{0};

  auto evaluate = [&](const Params& params, int rung, long long b) {
    SearchTrial t;
    t.params = params;
    t.rung = rung;
    t.budget = b;
    if (b > 0) t.params[s.budgetParam] = b;
    const auto f0 = Clock::now();
    // Trials run in parallel: their own progress would interleave, so the search reports
    // finished fits instead. The child still shares the stop flag.
    TaskContext trialCtx(ctx, 0.02, 1.0);
    trialCtx.setProgressCallback([](double, std::string_view) {});
    try {
      auto model = req.model->create(t.params);
      TrainingData td{fitSet, &validSet, req.seed, req.threads};
      model->fit(td, trialCtx);
      const auto lists =
          validationLists(*model, vs, static_cast<std::size_t>(selMetrics.k), trialCtx);
      const auto ev = evaluateTopK(validUsers, lists, fitSet, validSet, selMetrics, trialCtx);
      t.score = ev.metrics.at(h.metric);
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      t.score = std::numeric_limits<double>::quiet_NaN();
      t.error = e.what();
    }
    t.fitSeconds = std::chrono::duration<double>(Clock::now() - f0).count();
    const auto done = fitsDone.fetch_add(1) + 1;
    ctx.progress(0.02 + 0.98 * static_cast<double>(done) / static_cast<double>(plannedFits),
                 "search " + std::to_string(done) + "/" + std::to_string(plannedFits));
    return t;
  };

  // Candidates of one rung are independent: fit them in parallel, keep them in order.
  auto runRung = [&](const std::vector<Params>& cands, int rung, long long b) {
    std::vector<SearchTrial> trials(cands.size());
    tbb::parallel_for(std::size_t{0}, cands.size(),
                      [&](std::size_t i) { trials[i] = evaluate(cands[i], rung, b); });
    ctx.throwIfStopped();
    return trials;
  };
  auto ranking = [](const std::vector<SearchTrial>& trials) {
    std::vector<Scored> r;
    for (std::size_t i = 0; i < trials.size(); ++i) {
      if (std::isfinite(trials[i].score)) r.push_back({i, trials[i].score});
    }
    std::stable_sort(r.begin(), r.end(),
                     [](const Scored& a, const Scored& b) { return a.score > b.score; });
    return r;
  };

  std::vector<Params> field = candidates;
  int rung = 0;
  while (true) {
    auto trials = runRung(field, rung, budget);
    const auto ranked = ranking(trials);
    h.trials.insert(h.trials.end(), trials.begin(), trials.end());
    if (ranked.empty()) {
      throw ModelError("every search candidate failed; first error: " + trials.front().error);
    }
    const bool last =
        s.method != "halving" || budget >= maxBudget || field.size() <= 1 || ranked.size() == 1;
    if (last) {
      h.best = field[ranked.front().index];
      if (s.method == "halving") h.best[s.budgetParam] = maxBudget;
      h.bestScore = ranked.front().score;
      break;
    }
    const std::size_t keep = std::max<std::size_t>(
        1, (field.size() + static_cast<std::size_t>(s.eta) - 1) / static_cast<std::size_t>(s.eta));
    std::vector<Params> next;
    for (std::size_t i = 0; i < std::min(keep, ranked.size()); ++i) {
      next.push_back(field[ranked[i].index]);
    }
    field = std::move(next);
    budget = std::min(maxBudget, budget * s.eta);
    ++rung;
  }
  h.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return h;
}

}  // namespace rwb
