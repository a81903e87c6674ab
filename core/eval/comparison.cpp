#include "core/eval/comparison.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace rwb {

ComparisonResult compareRuns(const std::vector<const EvalResult*>& runs,
                             const std::vector<std::string>& names, const CompareOptions& options,
                             TaskContext& ctx) {
  if (runs.size() < 2) throw Error("compare: at least two runs are needed");
  if (names.size() != runs.size()) {
    throw Error("compare: " + std::to_string(names.size()) + " names for " +
                std::to_string(runs.size()) + " runs");
  }
  for (const auto* r : runs) {
    if (!r) throw Error("compare: a run is missing");
  }
  ComparisonResult out;
  out.runs = names;
  // Users evaluated in every run.
  out.users = runs[0]->users;
  for (std::size_t r = 1; r < runs.size(); ++r) {
    std::vector<Index> common;
    std::set_intersection(out.users.begin(), out.users.end(), runs[r]->users.begin(),
                          runs[r]->users.end(), std::back_inserter(common));
    out.users = std::move(common);
  }
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::size_t dropped = runs[r]->users.size() - out.users.size();
    if (dropped > 0) {
      out.warnings.push_back(names[r] + ": " + std::to_string(dropped) +
                             " users are not evaluated in every run and were left out");
    }
    if (runs[r]->k != runs[0]->k) {
      out.warnings.push_back(names[r] + " was evaluated at k = " + std::to_string(runs[r]->k) +
                             ", " + names[0] + " at k = " + std::to_string(runs[0]->k));
    }
  }
  std::vector<std::string> metricNames = options.metrics;
  if (metricNames.empty()) {
    for (const auto& m : runs[0]->metrics) {
      const bool everywhere = std::all_of(runs.begin(), runs.end(),
                                          [&](const EvalResult* r) { return r->find(m.name); });
      if (everywhere) metricNames.push_back(m.name);
    }
  }
  // Positions of the common users within each run's user vector.
  std::vector<std::vector<std::size_t>> pos(runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto& u = runs[r]->users;
    pos[r].reserve(out.users.size());
    for (const Index x : out.users) {
      pos[r].push_back(
          static_cast<std::size_t>(std::lower_bound(u.begin(), u.end(), x) - u.begin()));
    }
  }
  const std::size_t nPairs = runs.size() * (runs.size() - 1) / 2;
  const std::size_t steps = std::max<std::size_t>(1, metricNames.size());
  std::size_t step = 0;
  for (const auto& name : metricNames) {
    ctx.throwIfStopped();
    ctx.progress(static_cast<double>(step++) / static_cast<double>(steps), "comparing " + name);
    MetricComparison mc;
    mc.metric = name;
    std::vector<std::vector<double>> values(runs.size());
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const MetricValue* mv = runs[r]->find(name);
      if (!mv) throw Error("compare: metric '" + name + "' is missing from run " + names[r]);
      mc.higherIsBetter = mv->higherIsBetter;
      mc.perUser = mv->perUser;
      mc.oracle.push_back(mv->oracle);
      if (mv->perUser) {
        values[r].reserve(out.users.size());
        for (const auto p : pos[r]) values[r].push_back(mv->perUserValues[p]);
        mc.runs.push_back(bootstrapMean(values[r], options.bootstrap, ctx));
      } else {
        ConfidenceInterval ci;
        ci.estimate = mv->value;
        ci.n = runs[r]->users.size();
        mc.runs.push_back(ci);
      }
    }
    if (mc.perUser) {
      std::vector<double> tP, wP;
      for (std::size_t a = 0; a < runs.size(); ++a) {
        for (std::size_t b = a + 1; b < runs.size(); ++b) {
          PairComparison pc;
          pc.a = a;
          pc.b = b;
          std::vector<double> diff(out.users.size());
          for (std::size_t i = 0; i < diff.size(); ++i) diff[i] = values[b][i] - values[a][i];
          pc.difference = bootstrapMean(diff, options.bootstrap, ctx);
          pc.tTest = pairedTTest(values[b], values[a]);
          pc.wilcoxon = wilcoxonSignedRank(values[b], values[a], options.wilcoxon);
          pc.cohensD = cohensDPaired(values[b], values[a]);
          tP.push_back(pc.tTest.pValue);
          wP.push_back(pc.wilcoxon.pValue);
          mc.pairs.push_back(pc);
        }
      }
      const auto tH = nPairs > 1 ? holmAdjust(tP) : tP;
      const auto wH = nPairs > 1 ? holmAdjust(wP) : wP;
      for (std::size_t i = 0; i < mc.pairs.size(); ++i) {
        mc.pairs[i].tTestHolm = tH[i];
        mc.pairs[i].wilcoxonHolm = wH[i];
      }
    }
    out.metrics.push_back(std::move(mc));
  }
  ctx.progress(1.0, "compared");
  return out;
}

}  // namespace rwb
