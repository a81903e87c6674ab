#include "core/eval/statistics.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>

#include "core/util/error.h"
#include "core/util/random.h"

namespace rwb {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

__extension__ using U128 = unsigned __int128;

// SplitMix64: a fast, well-mixed generator; one stream per bootstrap resample.
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() { return splitmixNext(state); }
  // Uniform in [0, n) by multiply-shift (bias < n / 2^64, far below any visible effect).
  std::size_t below(std::size_t n) {
    return static_cast<std::size_t>((static_cast<U128>(next()) * n) >> 64);
  }
};

std::vector<double> dropNaN(std::span<const double> v) {
  std::vector<double> out;
  out.reserve(v.size());
  for (double x : v) {
    if (!std::isnan(x)) out.push_back(x);
  }
  return out;
}

std::vector<double> pairedDifferences(std::span<const double> a, std::span<const double> b,
                                      const char* what) {
  if (a.size() != b.size()) {
    throw Error(std::string(what) + ": the paired samples differ in length (" +
                std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ")");
  }
  std::vector<double> d;
  d.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!std::isnan(a[i]) && !std::isnan(b[i])) d.push_back(a[i] - b[i]);
  }
  return d;
}

// Quantile with linear interpolation between order statistics (type 7, numpy's default).
double quantileSorted(const std::vector<double>& s, double q) {
  const double pos = q * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (pos - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

void meanSd(const std::vector<double>& d, double& mean, double& sd) {
  mean = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
  double ss = 0.0;
  for (double x : d) ss += (x - mean) * (x - mean);
  sd = d.size() > 1 ? std::sqrt(ss / static_cast<double>(d.size() - 1)) : kNaN;
}
}  // namespace

ConfidenceInterval bootstrapMean(std::span<const double> values, const BootstrapOptions& options,
                                 TaskContext& ctx) {
  if (options.resamples == 0) throw Error("bootstrap: the number of resamples must be at least 1");
  if (!(options.level > 0.0 && options.level < 1.0)) {
    throw Error("bootstrap: the confidence level must be between 0 and 1");
  }
  const std::vector<double> v = dropNaN(values);
  ConfidenceInterval ci;
  ci.n = v.size();
  if (v.empty()) return ci;
  ci.estimate = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  std::vector<double> means(options.resamples);
  const std::size_t n = v.size();
  tbb::parallel_for(std::size_t{0}, options.resamples, [&](std::size_t b) {
    if (ctx.stopRequested()) return;
    SplitMix rng{linearStreamSeed(options.seed, b * 0xD1B54A32D192ED03ull + 1)};
    rng.next();
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += v[rng.below(n)];
    means[b] = s / static_cast<double>(n);
  });
  ctx.throwIfStopped();
  std::sort(means.begin(), means.end());
  const double alpha = 1.0 - options.level;
  ci.lower = quantileSorted(means, alpha / 2.0);
  ci.upper = quantileSorted(means, 1.0 - alpha / 2.0);
  return ci;
}

TestResult pairedTTest(std::span<const double> a, std::span<const double> b) {
  const auto d = pairedDifferences(a, b, "paired t-test");
  TestResult r;
  r.n = d.size();
  if (d.size() < 2) return r;
  double mean = 0.0, sd = 0.0;
  meanSd(d, mean, sd);
  if (sd == 0.0) {
    r.statistic = mean == 0.0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), mean);
    r.pValue = mean == 0.0 ? 1.0 : 0.0;
    return r;
  }
  r.statistic = mean / (sd / std::sqrt(static_cast<double>(d.size())));
  const boost::math::students_t dist(static_cast<double>(d.size() - 1));
  r.pValue =
      std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(r.statistic))));
  return r;
}

TestResult wilcoxonSignedRank(std::span<const double> a, std::span<const double> b,
                              const WilcoxonOptions& options) {
  auto d = pairedDifferences(a, b, "Wilcoxon signed-rank test");
  const bool zeros = std::any_of(d.begin(), d.end(), [](double x) { return x == 0.0; });
  d.erase(std::remove(d.begin(), d.end(), 0.0), d.end());
  TestResult r;
  r.n = d.size();
  if (d.empty()) {
    r.statistic = 0.0;
    r.pValue = 1.0;
    return r;
  }
  const std::size_t n = d.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t x, std::size_t y) { return std::abs(d[x]) < std::abs(d[y]); });
  std::vector<double> rank(n);
  double tieTerm = 0.0;
  bool ties = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && std::abs(d[order[j]]) == std::abs(d[order[i]])) ++j;
    const double avg = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t t = i; t < j; ++t) rank[order[t]] = avg;
    const double t = static_cast<double>(j - i);
    if (j - i > 1) ties = true;
    tieTerm += t * t * t - t;
    i = j;
  }
  double wPlus = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (d[i] > 0) wPlus += rank[i];
  }
  r.statistic = wPlus;
  const double nn = static_cast<double>(n);
  if (n <= options.exactMaxN && !ties && !zeros) {
    // Exact null distribution: counts of subsets of {1..n} by rank sum (doubles are exact up to
    // 2^53, enough for n <= 50 after dividing by 2^n incrementally).
    const std::size_t maxSum = n * (n + 1) / 2;
    std::vector<double> dist(maxSum + 1, 0.0);
    dist[0] = 1.0;
    for (std::size_t k = 1; k <= n; ++k) {
      for (std::size_t s = k * (k + 1) / 2; s >= k; --s) {
        dist[s] += dist[s - k];
        if (s == k) break;
      }
      for (auto& x : dist) x *= 0.5;
    }
    const auto w = static_cast<std::size_t>(std::llround(wPlus));
    double lower = 0.0, upper = 0.0;
    for (std::size_t s = 0; s <= maxSum; ++s) {
      if (s <= w) lower += dist[s];
      if (s >= w) upper += dist[s];
    }
    r.pValue = std::min(1.0, 2.0 * std::min(lower, upper));
    r.exact = true;
    return r;
  }
  const double mean = nn * (nn + 1.0) / 4.0;
  const double var = nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0 - tieTerm / 48.0;
  if (!(var > 0.0)) {
    r.pValue = 1.0;
    return r;
  }
  double z = wPlus - mean;
  if (options.continuityCorrection) {
    z = z > 0 ? std::max(0.0, z - 0.5) : std::min(0.0, z + 0.5);
  }
  z /= std::sqrt(var);
  const boost::math::normal normal;
  r.pValue = std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(normal, std::abs(z))));
  return r;
}

double cohensDPaired(std::span<const double> a, std::span<const double> b) {
  const auto d = pairedDifferences(a, b, "Cohen's d");
  if (d.size() < 2) return kNaN;
  double mean = 0.0, sd = 0.0;
  meanSd(d, mean, sd);
  if (sd == 0.0) {
    return mean == 0.0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), mean);
  }
  return mean / sd;
}

std::vector<double> holmAdjust(std::span<const double> pValues) {
  std::vector<double> out(pValues.size(), kNaN);
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < pValues.size(); ++i) {
    if (!std::isnan(pValues[i])) idx.push_back(i);
  }
  std::stable_sort(idx.begin(), idx.end(),
                   [&](std::size_t x, std::size_t y) { return pValues[x] < pValues[y]; });
  const double m = static_cast<double>(idx.size());
  double running = 0.0;
  for (std::size_t j = 0; j < idx.size(); ++j) {
    const double adj = std::min(1.0, (m - static_cast<double>(j)) * pValues[idx[j]]);
    running = std::max(running, adj);
    out[idx[j]] = running;
  }
  return out;
}

}  // namespace rwb
