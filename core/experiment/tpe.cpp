#include "core/experiment/tpe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/util/error.h"

namespace rwb {

namespace {

double toModel(const TpeDimension& d, double x) { return d.logScale ? std::log(x) : x; }
double fromModel(const TpeDimension& d, double z) {
  double x = d.logScale ? std::exp(z) : z;
  x = std::clamp(x, d.min, d.max);
  if (d.kind == TpeDimension::Kind::kInt) x = std::clamp(std::round(x), d.min, d.max);
  return x;
}

double normalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// A mixture of Gaussians truncated to [lo, hi] (one dimension, model coordinates).
struct Parzen {
  double lo = 0.0, hi = 1.0;
  std::vector<double> mu, sigma, weight;  // weight sums to 1

  Parzen(std::vector<double> obs, double lo_, double hi_, double priorWeight) : lo(lo_), hi(hi_) {
    const double range = std::max(hi - lo, 1e-12);
    std::sort(obs.begin(), obs.end());
    const std::size_t n = obs.size();
    const double minSigma = range / std::min(100.0, static_cast<double>(n) + 1.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double left = obs[i] - (i == 0 ? lo : obs[i - 1]);
      const double right = (i + 1 == n ? hi : obs[i + 1]) - obs[i];
      mu.push_back(obs[i]);
      sigma.push_back(std::clamp(std::max(left, right), minSigma, range));
      weight.push_back(1.0);
    }
    mu.push_back(0.5 * (lo + hi));
    sigma.push_back(range);
    weight.push_back(priorWeight);
    const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
    for (double& w : weight) w /= total;
  }

  double logDensity(double z) const {
    double p = 0.0;
    for (std::size_t c = 0; c < mu.size(); ++c) {
      const double s = sigma[c];
      const double mass = normalCdf((hi - mu[c]) / s) - normalCdf((lo - mu[c]) / s);
      const double u = (z - mu[c]) / s;
      p +=
          weight[c] * std::exp(-0.5 * u * u) / (s * std::sqrt(2.0 * M_PI) * std::max(mass, 1e-300));
    }
    return std::log(std::max(p, 1e-300));
  }

  double sample(Rng& rng) const {
    const std::size_t c = rng.weighted(weight);
    for (int attempt = 0; attempt < 64; ++attempt) {
      const double z = mu[c] + sigma[c] * rng.normal();
      if (z >= lo && z <= hi) return z;
    }
    return std::clamp(mu[c], lo, hi);
  }
};

std::vector<double> categoricalWeights(const std::vector<double>& obs, int categories,
                                       double priorWeight) {
  std::vector<double> w(static_cast<std::size_t>(categories),
                        priorWeight / static_cast<double>(categories));
  for (double v : obs) {
    const auto c =
        static_cast<std::size_t>(std::clamp<long long>(std::llround(v), 0, categories - 1));
    w[c] += 1.0;
  }
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x /= total;
  return w;
}

}  // namespace

TpeSampler::TpeSampler(std::vector<TpeDimension> dims, TpeOptions options)
    : dims_(std::move(dims)), options_(options) {
  if (dims_.empty()) throw ModelError("TPE: the search space has no dimension");
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    const auto& d = dims_[i];
    const std::string where = "TPE dimension " + std::to_string(i) + ": ";
    if (d.kind == TpeDimension::Kind::kCategorical) {
      if (d.categories < 1) throw ModelError(where + "a categorical needs at least one category");
    } else {
      if (!(d.min <= d.max)) throw ModelError(where + "min exceeds max");
      if (d.logScale && !(d.min > 0.0)) throw ModelError(where + "a log range needs min > 0");
    }
  }
  if (!(options_.gamma > 0.0 && options_.gamma < 1.0) || options_.candidates < 1 ||
      !(options_.priorWeight > 0.0)) {
    throw ModelError("TPE: gamma must be in (0, 1), candidates >= 1, prior weight > 0");
  }
}

std::vector<double> TpeSampler::sampleUniform(Rng& rng) const {
  std::vector<double> x;
  for (const auto& d : dims_) {
    if (d.kind == TpeDimension::Kind::kCategorical) {
      x.push_back(static_cast<double>(rng.below(static_cast<std::uint64_t>(d.categories))));
    } else {
      const double lo = toModel(d, d.min), hi = toModel(d, d.max);
      x.push_back(fromModel(d, lo + rng.uniform() * (hi - lo)));
    }
  }
  return x;
}

std::vector<double> TpeSampler::propose(const std::vector<std::vector<double>>& points,
                                        const std::vector<double>& scores, Rng& rng) const {
  std::vector<std::size_t> usable;
  for (std::size_t i = 0; i < points.size() && i < scores.size(); ++i) {
    if (std::isfinite(scores[i]) && points[i].size() == dims_.size()) usable.push_back(i);
  }
  if (usable.size() < 2) return sampleUniform(rng);
  // Best first; ties keep the earlier point, so the split does not depend on sort internals.
  std::stable_sort(usable.begin(), usable.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  auto nGood = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(options_.gamma * static_cast<double>(usable.size()))));
  // A tie across the boundary would put equal scores in both l and g by the accident of their
  // order: the tied group goes to l when it holds the best score, else wholly to g.
  if (nGood < usable.size() && scores[usable[nGood]] == scores[usable[nGood - 1]]) {
    const double tied = scores[usable[nGood]];
    if (tied == scores[usable[0]]) {
      while (nGood < usable.size() && scores[usable[nGood]] == tied) ++nGood;
    } else {
      while (nGood > 1 && scores[usable[nGood - 1]] == tied) --nGood;
    }
  }

  struct DimModel {
    std::vector<Parzen> numeric;    // [good, bad] for numbers
    std::vector<double> good, bad;  // category weights
  };
  std::vector<DimModel> models(dims_.size());
  for (std::size_t d = 0; d < dims_.size(); ++d) {
    const auto& dim = dims_[d];
    std::vector<double> good, bad;
    for (std::size_t r = 0; r < usable.size(); ++r) {
      const double v = points[usable[r]][d];
      if (std::isnan(v)) continue;
      const double z = dim.kind == TpeDimension::Kind::kCategorical ? v : toModel(dim, v);
      (r < nGood ? good : bad).push_back(z);
    }
    if (dim.kind == TpeDimension::Kind::kCategorical) {
      models[d].good = categoricalWeights(good, dim.categories, options_.priorWeight);
      models[d].bad = categoricalWeights(bad, dim.categories, options_.priorWeight);
    } else {
      const double lo = toModel(dim, dim.min), hi = toModel(dim, dim.max);
      models[d].numeric.emplace_back(good, lo, hi, options_.priorWeight);
      models[d].numeric.emplace_back(bad, lo, hi, options_.priorWeight);
    }
  }

  std::vector<double> best;
  double bestGain = -std::numeric_limits<double>::infinity();
  for (int c = 0; c < options_.candidates; ++c) {
    std::vector<double> x(dims_.size());
    double gain = 0.0;
    for (std::size_t d = 0; d < dims_.size(); ++d) {
      const auto& dim = dims_[d];
      if (dim.kind == TpeDimension::Kind::kCategorical) {
        const std::size_t k = rng.weighted(models[d].good);
        x[d] = static_cast<double>(k);
        gain += std::log(models[d].good[k]) - std::log(models[d].bad[k]);
      } else {
        // Score the value actually used (rounded, clamped), not the raw draw.
        x[d] = fromModel(dim, models[d].numeric[0].sample(rng));
        const double z = toModel(dim, x[d]);
        gain += models[d].numeric[0].logDensity(z) - models[d].numeric[1].logDensity(z);
      }
    }
    if (gain > bestGain) {
      bestGain = gain;
      best = std::move(x);
    }
  }
  return best;
}

}  // namespace rwb
