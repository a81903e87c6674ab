#include "core/experiment/search.h"

#include <tbb/parallel_for.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "core/experiment/pipeline_stages.h"
#include "core/experiment/tpe.h"
#include "core/prep/splitter.h"
#include "core/util/error.h"
#include "core/util/random.h"

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

// The TPE coordinates of a space: ranges are numbers (log / int as declared), lists are
// categories (their index).
std::vector<TpeDimension> tpeDimensions(const ModelInfo& model,
                                        const std::vector<ParamSpace>& space) {
  std::vector<TpeDimension> dims;
  for (const auto& ps : space) {
    TpeDimension d;
    if (!ps.values.empty()) {
      d.kind = TpeDimension::Kind::kCategorical;
      d.categories = static_cast<int>(ps.values.size());
    } else {
      const ParamSpec* p = model.schema.find(ps.name);
      d.kind = p->type == ParamType::kInt ? TpeDimension::Kind::kInt : TpeDimension::Kind::kReal;
      d.min = ps.range->min ? *ps.range->min : *p->min;
      d.max = ps.range->max ? *ps.range->max : *p->max;
      d.logScale = ps.range->logScale.value_or(p->logScale);
    }
    dims.push_back(d);
  }
  return dims;
}

// Parameter overrides of a TPE point. Conditional parameters whose condition fails keep the
// base value, and their coordinate becomes NaN (left out of the densities).
Params pointToOverrides(const ModelInfo& model, const std::vector<ParamSpace>& space,
                        std::vector<double>& point) {
  Params o = Params::object();
  for (std::size_t d = 0; d < space.size(); ++d) {
    const ParamSpace& ps = space[d];
    if (!ps.whenParam.empty()) {
      const bool active = o.contains(ps.whenParam) &&
                          std::find(ps.whenValues.begin(), ps.whenValues.end(), o[ps.whenParam]) !=
                              ps.whenValues.end();
      if (!active) {
        point[d] = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
    }
    if (!ps.values.empty()) {
      o[ps.name] = ps.values[static_cast<std::size_t>(point[d])];
    } else if (model.schema.find(ps.name)->type == ParamType::kInt) {
      o[ps.name] = static_cast<long long>(point[d]);
    } else {
      o[ps.name] = point[d];
    }
  }
  return o;
}

// The TPE point of resolved parameters (the model's defaults as the first configuration):
// numbers clamped into the searched range, values not in a list are NaN.
std::vector<double> paramsToPoint(const std::vector<ParamSpace>& space,
                                  const std::vector<TpeDimension>& dims, const Params& params) {
  std::vector<double> x(space.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t d = 0; d < space.size(); ++d) {
    const auto& v = params.at(space[d].name);
    if (!space[d].values.empty()) {
      const auto it = std::find(space[d].values.begin(), space[d].values.end(), v);
      if (it != space[d].values.end()) {
        x[d] = static_cast<double>(it - space[d].values.begin());
      }
    } else if (v.is_number()) {
      x[d] = std::clamp(v.get<double>(), dims[d].min, dims[d].max);
    }
  }
  return x;
}

using EvaluateFn = std::function<SearchTrial(const Params&, int rung, long long budget)>;
using SecondsFn = std::function<double()>;

// The time budget of an auto search covers the search and the winner's final fit (search.h).
// Both estimates come from the search's own trial timings.
struct TimeBudget {
  double budget = 0.0;      ///< seconds; <= 0 = no limit
  double refitScale = 1.0;  ///< train rows / fit rows: a final fit's cost per trial second

  // A trial at `epochs` (0 = not iterative): the slowest earlier trial at the same epochs,
  // else the slowest one at the nearest level below (above when there is none below), scaled
  // linearly by epochs. The nearest level, because a trial's fixed costs (validation lists,
  // metrics) weigh more at few epochs: scaling from the first rung overestimates.
  static double trialEstimate(const std::vector<SearchTrial>& trials, long long epochs) {
    long long below = -1, above = -1;
    for (const auto& t : trials) {
      if (t.budget <= epochs) below = std::max(below, t.budget);
      if (t.budget > epochs && (above < 0 || t.budget < above)) above = t.budget;
    }
    const long long level = below >= 0 ? below : above;
    double slowest = 0.0;
    for (const auto& t : trials) {
      if (t.budget == level) slowest = std::max(slowest, t.fitSeconds);
    }
    if (epochs <= 0 || level <= 0) return slowest;
    return slowest * static_cast<double>(epochs) / static_cast<double>(level);
  }
  // Whether a trial at `epochs` may start `elapsed` seconds in, the best trial so far being
  // `best` (nullptr = none scored): it and the refit of whichever wins must fit.
  bool allows(const std::vector<SearchTrial>& trials, const SearchTrial* best, double elapsed,
              long long epochs) const {
    if (budget <= 0.0 || trials.empty()) return true;
    const double next = trialEstimate(trials, epochs);
    const double winner = std::max(best != nullptr ? best->fitSeconds : 0.0, next);
    return elapsed + next + refitScale * winner <= budget;
  }
};

// Whether the first `n` (or more) trials all failed, every one with the same error: a failure
// no parameter of the space changes (too little data for the model, a missing column), so the
// search stops instead of spending its share on candidates that fail alike.
bool failedAlike(const std::vector<SearchTrial>& trials, std::size_t n) {
  if (trials.size() < n || trials.empty()) return false;
  return std::all_of(trials.begin(), trials.end(), [&](const SearchTrial& t) {
    return !std::isfinite(t.score) && !t.error.empty() && t.error == trials.front().error;
  });
}

// The best scored trial: the highest score, ties to the larger budget, then the earlier trial.
const SearchTrial* bestTrial(const std::vector<SearchTrial>& trials) {
  const SearchTrial* best = nullptr;
  for (const auto& t : trials) {
    if (!std::isfinite(t.score)) continue;
    if (best == nullptr || t.score > best->score ||
        (t.score == best->score && t.budget > best->budget)) {
      best = &t;
    }
  }
  return best;
}

// The "auto" method: Hyperband (Li et al., JMLR 2018) over the budget parameter's epochs for
// iterative models, one configuration per bracket otherwise; new configurations come from TPE
// once the budget level it models has enough results, uniformly before. Sequential: each fit
// uses all of the search's threads, and the order of trials never depends on timing.
void autoSearch(const SearchRequest& req, long long maxBudget, double t0, const SecondsFn& now,
                const TimeBudget& time, const EvaluateFn& evaluate, SearchHistory& h) {
  const SearchSpec& s = req.search;
  const ModelInfo& model = *req.model;
  const std::vector<TpeDimension> dims = tpeDimensions(model, s.space);
  const TpeSampler tpe(dims);
  Rng rng(deriveSeed(s.seed, 0x7e5));
  const long long eta = std::max(2, s.eta);
  // At most three rungs: deeper brackets spend most fits on budgets too small to rank well.
  int maxS = 0;
  for (long long p = eta; maxBudget > 0 && maxS < 2 && p <= maxBudget; p *= eta) ++maxS;
  const int trialCap = s.trials > 0 ? s.trials : (s.budgetSeconds > 0 ? 0 : 30);
  const std::size_t startup = std::max<std::size_t>(5, dims.size() + 1);
  h.budgetSeconds = s.budgetSeconds;

  std::vector<std::vector<double>> configPoints;  // TPE point of each configuration
  std::vector<Params> configParams;               // resolved parameters of each configuration
  std::set<std::string> seen;
  // The best trial so far, kept up to date by run().
  const SearchTrial* bestSoFar = nullptr;
  const auto budgetAt = [&](int bracket, int rung) -> long long {
    if (maxBudget <= 0) return 0;
    long long div = 1;
    for (int i = rung; i < bracket; ++i) div *= eta;
    return std::max<long long>(1, (maxBudget + div / 2) / div);
  };
  // TPE models the largest budget level with at least `startup` results.
  const auto proposePoint = [&]() {
    std::map<long long, std::vector<std::size_t>> byBudget;
    for (std::size_t i = 0; i < h.trials.size(); ++i) {
      if (std::isfinite(h.trials[i].score)) byBudget[h.trials[i].budget].push_back(i);
    }
    for (auto it = byBudget.rbegin(); it != byBudget.rend(); ++it) {
      if (it->second.size() < startup) continue;
      std::vector<std::vector<double>> pts;
      std::vector<double> scores;
      for (std::size_t i : it->second) {
        pts.push_back(configPoints[static_cast<std::size_t>(h.trials[i].config)]);
        scores.push_back(h.trials[i].score);
      }
      return tpe.propose(pts, scores, rng);
    }
    return tpe.sampleUniform(rng);
  };
  // A new configuration: the model's defaults first, then proposals; false when none is new.
  const auto newConfig = [&]() {
    if (configParams.empty()) {
      Params p = applyAndResolve(model, req.baseParams, Params::object());
      seen.insert(p.dump());
      configPoints.push_back(paramsToPoint(s.space, dims, p));
      configParams.push_back(std::move(p));
      return true;
    }
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::vector<double> x = attempt < 5 ? proposePoint() : tpe.sampleUniform(rng);
      Params p = applyAndResolve(model, req.baseParams, pointToOverrides(model, s.space, x));
      if (!seen.insert(p.dump()).second) continue;
      configPoints.push_back(std::move(x));
      configParams.push_back(std::move(p));
      return true;
    }
    return false;
  };
  const auto run = [&](int config, int rung, long long b) {
    SearchTrial t = evaluate(configParams[static_cast<std::size_t>(config)], rung, b);
    t.config = config;
    h.trials.push_back(std::move(t));
    bestSoFar = bestTrial(h.trials);  // the vector may have moved
    return h.trials.back().score;
  };
  const auto outOfTime = [&](long long epochs) {
    return !time.allows(h.trials, bestSoFar, now() - t0, epochs);
  };

  bool stop = false;
  for (int bracket = maxS; !stop; bracket = bracket == 0 ? maxS : bracket - 1) {
    // Hyperband's bracket size: ceil((maxS + 1) / (bracket + 1) * eta^bracket).
    long long pow = 1;
    for (int i = 0; i < bracket; ++i) pow *= eta;
    const auto n = static_cast<std::size_t>((pow * (maxS + 1) + bracket) / (bracket + 1));
    std::vector<std::pair<int, double>> field;  // (config, score at the current rung)
    for (std::size_t i = 0; i < n; ++i) {
      if (outOfTime(budgetAt(bracket, 0))) {
        h.stoppedBy = "budget";
        stop = true;
        break;
      }
      if (trialCap > 0 && static_cast<int>(configParams.size()) >= trialCap) {
        h.stoppedBy = "trials";
        stop = true;
        break;
      }
      if (!newConfig()) {
        h.stoppedBy = "space";
        stop = true;
        break;
      }
      const int c = static_cast<int>(configParams.size()) - 1;
      field.emplace_back(c, run(c, 0, budgetAt(bracket, 0)));
      if (failedAlike(h.trials, startup)) {
        h.stoppedBy = "failures";
        stop = true;
        break;
      }
    }
    // Successive halving: the best 1/eta go on to eta times the epochs. Promotions of a
    // bracket cut by the trial bound still run (they add no configuration).
    for (int rung = 1; rung <= bracket && !field.empty(); ++rung) {
      std::stable_sort(field.begin(), field.end(), [](const auto& a, const auto& b) {
        const bool fa = std::isfinite(a.second), fb = std::isfinite(b.second);
        return fa != fb ? fa : (fa && a.second > b.second);
      });
      const auto keep = std::max<std::size_t>(1, field.size() / static_cast<std::size_t>(eta));
      field.resize(keep);
      if (!std::isfinite(field.front().second)) break;
      for (auto& [c, score] : field) {
        if (outOfTime(budgetAt(bracket, rung))) {
          h.stoppedBy = "budget";
          stop = true;
          break;
        }
        score = std::isfinite(score) ? run(c, rung, budgetAt(bracket, rung)) : score;
      }
      if (h.stoppedBy == "budget") break;
    }
  }

  // The winner: the best (configuration, epochs) pair over every rung, refitted with those
  // epochs. Each trial is an ordinary fit with its own epochs, so its validation score is what
  // that pair scores; taking only the largest budget reached would throw away a configuration
  // that peaks early (iALS overfits with more sweeps at low regularisation). Ties keep the
  // larger budget, then the earlier trial.
  const SearchTrial* best = bestTrial(h.trials);
  if (best == nullptr) {
    throw ModelError(
        "every search candidate failed" +
        (h.stoppedBy == "failures"
             ? " (the first " + std::to_string(h.trials.size()) +
                   " with the same error, so the search stopped and left its time to the others)"
             : std::string()) +
        "; first error: " + (h.trials.empty() ? std::string("none ran") : h.trials.front().error));
  }
  h.best = configParams[static_cast<std::size_t>(best->config)];
  if (maxBudget > 0) h.best[s.budgetParam] = best->budget;
  h.bestScore = best->score;
  h.refitSecondsEstimate = time.refitScale * best->fitSeconds;
}

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

std::function<double()> budgetClock(const std::function<double()>& clock) {
  if (clock) return clock;
  return [] { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); };
}

SearchHistory searchHyperparameters(const SearchRequest& req, const Dataset& train,
                                    TaskContext& ctx) {
  if (req.model == nullptr) throw ModelError("searchHyperparameters: no model given");
  const SecondsFn now = budgetClock(req.clock);
  const double t0 = now();
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
  if (s.method == "auto") {
    if (s.space.empty()) throw SpecError("$.search", "the auto search space is empty");
  } else {
    const bool allLists = std::all_of(s.space.begin(), s.space.end(),
                                      [](const ParamSpace& p) { return !p.values.empty(); });
    if (s.method == "grid" || (s.method == "halving" && allLists)) {
      candidates = gridCandidates(*req.model, req.baseParams, s.space);
    } else {
      candidates = randomCandidates(*req.model, req.baseParams, s.space, s.trials, s.seed);
    }
  }

  long long maxBudget = 0;
  long long budget = 0;
  if (s.method == "halving" || (s.method == "auto" && !s.budgetParam.empty())) {
    maxBudget = req.baseParams.at(s.budgetParam).get<long long>();
    budget = std::min<long long>(s.minBudget, maxBudget);
  }
  // Total fits, for progress: halving shrinks the field by eta at each rung.
  std::size_t plannedFits = std::max<std::size_t>(1, candidates.size());
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
  // auto: every configuration starts at rung 0, so rung-0 fits count the configurations.
  std::atomic<std::size_t> configsDone{0};
  const int configCap = s.trials > 0 ? s.trials : (s.budgetSeconds > 0 ? 0 : 30);
  // The best validation score so far, for the progress line (trials of a rung finish in any
  // order, so it is guarded).
  std::mutex bestMutex;
  double bestSoFar = std::numeric_limits<double>::quiet_NaN();

  auto evaluate = [&](const Params& params, int rung, long long b) {
    SearchTrial t;
    t.params = params;
    t.rung = rung;
    t.budget = b;
    if (b > 0) t.params[s.budgetParam] = b;
    const double f0 = now();
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
    t.fitSeconds = now() - f0;
    std::string best;
    {
      const std::lock_guard lock(bestMutex);
      if (std::isfinite(t.score) && !(t.score <= bestSoFar)) bestSoFar = t.score;
      if (std::isfinite(bestSoFar)) {
        char text[64];
        std::snprintf(text, sizeof text, ", best %s %.4f", h.metric.c_str(), bestSoFar);
        best = text;
      }
    }
    const auto done = fitsDone.fetch_add(1) + 1;
    const auto configs = configsDone.load() + (rung == 0 ? 1 : 0);
    if (rung == 0) configsDone.fetch_add(1);
    if (s.method == "auto") {
      const double elapsed = now() - t0;
      const double byTime = s.budgetSeconds > 0 ? elapsed / s.budgetSeconds : 0.0;
      const double byTrials =
          s.trials > 0 ? static_cast<double>(done) / (3.0 * static_cast<double>(s.trials)) : 0.0;
      // Fits and configurations differ: a configuration promoted to a higher rung is fitted
      // again.
      std::string of = ", configuration " + std::to_string(configs);
      if (configCap > 0) of += " of " + std::to_string(configCap);
      if (s.budgetSeconds > 0) {
        char text[64];
        std::snprintf(text, sizeof text, " (%.0f of %.0f s)", elapsed, s.budgetSeconds);
        of += text;
      }
      ctx.progress(0.02 + 0.98 * std::min(1.0, std::max(byTime, byTrials)),
                   "auto search: fit " + std::to_string(done) + of + best);
    } else {
      ctx.progress(0.02 + 0.98 * static_cast<double>(done) / static_cast<double>(plannedFits),
                   "search " + std::to_string(done) + "/" + std::to_string(plannedFits) + best);
    }
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

  if (s.method == "auto") {
    TimeBudget time;
    time.budget = s.budgetSeconds;
    if (fitSet.numInteractions() > 0) {
      time.refitScale = static_cast<double>(train.numInteractions()) /
                        static_cast<double>(fitSet.numInteractions());
    }
    autoSearch(req, maxBudget, t0, now, time, evaluate, h);
    h.seconds = now() - t0;
    return h;
  }

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
  h.seconds = now() - t0;
  return h;
}

}  // namespace rwb
