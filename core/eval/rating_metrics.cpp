#include "core/eval/rating_metrics.h"

#include <cmath>
#include <string>

#include "core/util/error.h"

namespace rwb {

namespace {
void check(std::span<const double> a, std::span<const double> b, const char* what) {
  if (a.size() != b.size()) {
    throw Error(std::string(what) + ": true and predicted vectors differ in length (" +
                std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ")");
  }
  if (a.empty()) throw Error(std::string(what) + ": no (true, predicted) pairs to score");
}
double mean(std::span<const double> v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
}  // namespace

double rmse(std::span<const double> truth, std::span<const double> predicted) {
  check(truth, predicted, "rmse");
  double s = 0.0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const double d = truth[i] - predicted[i];
    s += d * d;
  }
  return std::sqrt(s / static_cast<double>(truth.size()));
}

double mae(std::span<const double> truth, std::span<const double> predicted) {
  check(truth, predicted, "mae");
  double s = 0.0;
  for (std::size_t i = 0; i < truth.size(); ++i) s += std::abs(truth[i] - predicted[i]);
  return s / static_cast<double>(truth.size());
}

double rSquared(std::span<const double> truth, std::span<const double> predicted) {
  check(truth, predicted, "r2");
  const double m = mean(truth);
  double res = 0.0, tot = 0.0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    res += (truth[i] - predicted[i]) * (truth[i] - predicted[i]);
    tot += (truth[i] - m) * (truth[i] - m);
  }
  if (tot == 0.0) return res == 0.0 ? 1.0 : 0.0;
  return 1.0 - res / tot;
}

double explainedVariance(std::span<const double> truth, std::span<const double> predicted) {
  check(truth, predicted, "explained_variance");
  const double n = static_cast<double>(truth.size());
  const double mt = mean(truth);
  double md = 0.0;
  for (std::size_t i = 0; i < truth.size(); ++i) md += truth[i] - predicted[i];
  md /= n;
  double vt = 0.0, vd = 0.0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const double d = truth[i] - predicted[i] - md;
    vd += d * d;
    vt += (truth[i] - mt) * (truth[i] - mt);
  }
  if (vt == 0.0) return vd == 0.0 ? 1.0 : 0.0;
  return 1.0 - vd / vt;
}

}  // namespace rwb
