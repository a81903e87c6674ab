#include "core/eval/classification_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "core/util/error.h"

namespace rwb {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check(std::span<const double> labels, std::span<const double> scores, const char* what) {
  if (labels.size() != scores.size()) {
    throw Error(std::string(what) + ": labels and scores differ in length (" +
                std::to_string(labels.size()) + " vs " + std::to_string(scores.size()) + ")");
  }
  if (labels.empty()) throw Error(std::string(what) + ": no labelled scores");
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0.0 && labels[i] != 1.0) {
      throw Error(std::string(what) + ": label " + std::to_string(i) + " is " +
                  std::to_string(labels[i]) + "; labels must be 0 or 1");
    }
    if (!std::isfinite(scores[i])) {
      throw Error(std::string(what) + ": score " + std::to_string(i) + " is not finite");
    }
  }
}

void checkProbabilities(std::span<const double> p, const char* what) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] < 0.0 || p[i] > 1.0) {
      throw Error(std::string(what) + ": prediction " + std::to_string(i) + " is " +
                  std::to_string(p[i]) + ", outside [0, 1]");
    }
  }
}

// Indices ordered by score descending (stable, so equal scores keep input order).
std::vector<std::size_t> byScoreDescending(std::span<const double> scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}
}  // namespace

double rocAuc(std::span<const double> labels, std::span<const double> scores) {
  check(labels, scores, "roc_auc");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double rankSumPos = 0.0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double avgRank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1..j
    for (std::size_t t = i; t < j; ++t) {
      if (labels[order[t]] == 1.0) {
        rankSumPos += avgRank;
        ++pos;
      }
    }
    i = j;
  }
  const std::size_t neg = labels.size() - pos;
  if (pos == 0 || neg == 0) return kNaN;
  const double p = static_cast<double>(pos), n = static_cast<double>(neg);
  return (rankSumPos - p * (p + 1.0) / 2.0) / (p * n);
}

double logLoss(std::span<const double> labels, std::span<const double> probabilities, double eps) {
  check(labels, probabilities, "logloss");
  double s = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double p = std::clamp(probabilities[i], eps, 1.0 - eps);
    s -= labels[i] == 1.0 ? std::log(p) : std::log1p(-p);
  }
  return s / static_cast<double>(labels.size());
}

double averagePrecisionScore(std::span<const double> labels, std::span<const double> scores) {
  check(labels, scores, "pr_auc");
  const double totalPos = std::accumulate(labels.begin(), labels.end(), 0.0);
  if (totalPos == 0.0) return kNaN;
  const auto order = byScoreDescending(scores);
  double ap = 0.0, tp = 0.0, seen = 0.0, prevRecall = 0.0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) {
      tp += labels[order[j]];
      seen += 1.0;
      ++j;
    }
    const double recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    i = j;
  }
  return ap;
}

double brierScore(std::span<const double> labels, std::span<const double> probabilities) {
  check(labels, probabilities, "brier");
  checkProbabilities(probabilities, "brier");
  double s = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double d = probabilities[i] - labels[i];
    s += d * d;
  }
  return s / static_cast<double>(labels.size());
}

std::vector<CalibrationBin> calibrationBins(std::span<const double> labels,
                                            std::span<const double> probabilities,
                                            std::size_t bins) {
  check(labels, probabilities, "calibration");
  checkProbabilities(probabilities, "calibration");
  if (bins == 0) throw Error("calibration: the number of bins must be at least 1");
  std::vector<CalibrationBin> out(bins);
  const double width = 1.0 / static_cast<double>(bins);
  for (std::size_t b = 0; b < bins; ++b) {
    out[b].lower = static_cast<double>(b) * width;
    out[b].upper = b + 1 == bins ? 1.0 : static_cast<double>(b + 1) * width;
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    auto b = static_cast<std::size_t>(probabilities[i] * static_cast<double>(bins));
    b = std::min(b, bins - 1);
    out[b].count += 1;
    out[b].meanPredicted += probabilities[i];
    out[b].fractionPositive += labels[i];
  }
  for (auto& bin : out) {
    if (bin.count > 0) {
      bin.meanPredicted /= static_cast<double>(bin.count);
      bin.fractionPositive /= static_cast<double>(bin.count);
    }
  }
  return out;
}

}  // namespace rwb
