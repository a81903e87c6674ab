#include "core/eval/ranking_metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace rwb {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t cutoff(std::span<const Index> ranked, std::size_t k) noexcept {
  return std::min(ranked.size(), k);
}

// 1 / log2(rank + 1) for 1-based ranks, and its prefix sums (the binary IDCG), tabulated for
// the usual cut-offs; larger ranks are computed directly.
constexpr std::size_t kTable = 1024;
struct Discounts {
  std::array<double, kTable> at{};       // at[r] = 1 / log2(r + 2), r 0-based
  std::array<double, kTable + 1> sum{};  // sum[m] = at[0] + ... + at[m-1]
  Discounts() {
    for (std::size_t r = 0; r < kTable; ++r) {
      at[r] = 1.0 / std::log2(static_cast<double>(r) + 2.0);
      sum[r + 1] = sum[r] + at[r];
    }
  }
};
const Discounts& discounts() {
  static const Discounts d;
  return d;
}
double discount(std::size_t r) {
  return r < kTable ? discounts().at[r] : 1.0 / std::log2(static_cast<double>(r) + 2.0);
}
double discountSum(std::size_t m) {
  if (m <= kTable) return discounts().sum[m];
  double s = discounts().sum[kTable];
  for (std::size_t r = kTable; r < m; ++r) s += discount(r);
  return s;
}

double gainOf(float value, Gain gain) {
  switch (gain) {
    case Gain::kBinary:
      return 1.0;
    case Gain::kRaw:
      return static_cast<double>(value);
    case Gain::kExp:
      return std::exp2(static_cast<double>(value)) - 1.0;
  }
  return 1.0;
}

// Sum over the hits within the first k of (number of hits so far) / rank.
double precisionSumAtHits(std::span<const Index> ranked, std::span<const Index> relevant,
                          std::size_t k) {
  const std::size_t n = cutoff(ranked, k);
  double sum = 0.0;
  std::size_t hits = 0;
  for (std::size_t r = 0; r < n; ++r) {
    if (relevantPosition(relevant, ranked[r]) >= 0) {
      ++hits;
      sum += static_cast<double>(hits) / static_cast<double>(r + 1);
    }
  }
  return sum;
}
}  // namespace

std::ptrdiff_t relevantPosition(std::span<const Index> relevant, Index item) noexcept {
  const auto it = std::lower_bound(relevant.begin(), relevant.end(), item);
  if (it == relevant.end() || *it != item) return -1;
  return it - relevant.begin();
}

std::size_t hitsAtK(std::span<const Index> ranked, std::span<const Index> relevant,
                    std::size_t k) noexcept {
  const std::size_t n = cutoff(ranked, k);
  std::size_t hits = 0;
  for (std::size_t r = 0; r < n; ++r) hits += relevantPosition(relevant, ranked[r]) >= 0 ? 1 : 0;
  return hits;
}

double precisionAtK(std::span<const Index> ranked, std::span<const Index> relevant, std::size_t k) {
  if (relevant.empty() || k == 0) return kNaN;
  return static_cast<double>(hitsAtK(ranked, relevant, k)) / static_cast<double>(k);
}

double recallAtK(std::span<const Index> ranked, std::span<const Index> relevant, std::size_t k) {
  if (relevant.empty() || k == 0) return kNaN;
  return static_cast<double>(hitsAtK(ranked, relevant, k)) / static_cast<double>(relevant.size());
}

double rPrecisionAtK(std::span<const Index> ranked, std::span<const Index> relevant,
                     std::size_t k) {
  if (relevant.empty() || k == 0) return kNaN;
  const std::size_t r = relevant.size();
  return static_cast<double>(hitsAtK(ranked, relevant, std::min(k, r))) / static_cast<double>(r);
}

double hitRateAtK(std::span<const Index> ranked, std::span<const Index> relevant, std::size_t k) {
  if (relevant.empty() || k == 0) return kNaN;
  return hitsAtK(ranked, relevant, k) > 0 ? 1.0 : 0.0;
}

double reciprocalRankAtK(std::span<const Index> ranked, std::span<const Index> relevant,
                         std::size_t k) {
  if (relevant.empty() || k == 0) return kNaN;
  const std::size_t n = cutoff(ranked, k);
  for (std::size_t r = 0; r < n; ++r) {
    if (relevantPosition(relevant, ranked[r]) >= 0) return 1.0 / static_cast<double>(r + 1);
  }
  return 0.0;
}

double averagePrecision(std::span<const Index> ranked, std::span<const Index> relevant,
                        std::size_t k) {
  if (relevant.empty() || k == 0) return kNaN;
  return precisionSumAtHits(ranked, relevant, k) / static_cast<double>(relevant.size());
}

double averagePrecisionAtK(std::span<const Index> ranked, std::span<const Index> relevant,
                           std::size_t k) {
  if (relevant.empty() || k == 0) return kNaN;
  return precisionSumAtHits(ranked, relevant, k) /
         static_cast<double>(std::min(k, relevant.size()));
}

double ndcgAtK(std::span<const Index> ranked, std::span<const Index> relevant,
               std::span<const float> values, std::size_t k, Gain gain) {
  if (relevant.empty() || k == 0) return kNaN;
  const bool graded = gain != Gain::kBinary;
  const std::size_t n = cutoff(ranked, k);
  double dcg = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    const auto p = relevantPosition(relevant, ranked[r]);
    if (p < 0) continue;
    const double g = graded ? gainOf(values[static_cast<std::size_t>(p)], gain) : 1.0;
    dcg += g * discount(r);
  }
  const std::size_t m = std::min(k, relevant.size());
  double idcg = 0.0;
  if (!graded) {
    idcg = discountSum(m);
  } else {
    // The ideal list orders the relevant items by gain, largest first. The buffer is reused
    // per thread: this runs once per user and metric.
    thread_local std::vector<double> gains;
    gains.resize(relevant.size());
    for (std::size_t j = 0; j < relevant.size(); ++j) gains[j] = gainOf(values[j], gain);
    std::partial_sort(gains.begin(), gains.begin() + static_cast<std::ptrdiff_t>(m), gains.end(),
                      std::greater<>());
    for (std::size_t r = 0; r < m; ++r) idcg += gains[r] * discount(r);
  }
  // All-zero gains (raw gain of 0-valued items) make the user's nDCG undefined.
  if (!(idcg > 0.0)) return kNaN;
  return dcg / idcg;
}

double userAuc(std::span<const Index> ranked, std::span<const Index> relevant,
               std::size_t numCandidates) {
  const std::size_t positives = relevant.size();
  if (positives == 0) return kNaN;
  std::size_t listedNeg = 0, listedPos = 0;
  for (const Index item : ranked) {
    if (relevantPosition(relevant, item) >= 0) {
      ++listedPos;
    } else {
      ++listedNeg;
    }
  }
  const std::size_t negatives =
      std::max(numCandidates >= positives ? numCandidates - positives : 0, listedNeg);
  if (negatives == 0) return kNaN;
  double correct = 0.0;
  std::size_t negAbove = 0;
  for (const Index item : ranked) {
    if (relevantPosition(relevant, item) >= 0) {
      correct += static_cast<double>(negatives - negAbove);
    } else {
      ++negAbove;
    }
  }
  // Unlisted relevant items tie with the unlisted non-relevant ones.
  correct +=
      0.5 * static_cast<double>(positives - listedPos) * static_cast<double>(negatives - listedNeg);
  return correct / (static_cast<double>(positives) * static_cast<double>(negatives));
}

}  // namespace rwb
