#include "core/eval/beyond_accuracy.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/eval/ranking_metrics.h"

namespace rwb {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t countIntersection(std::span<const Index> a, std::span<const Index> b) {
  std::size_t n = 0;
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++n;
      ++i;
      ++j;
    }
  }
  return n;
}

// Recommendation count per catalogue item (items beyond the catalogue are counted too).
std::vector<std::uint64_t> recCounts(std::span<const std::span<const Index>> lists,
                                     std::size_t catalog, std::uint64_t& rows) {
  std::vector<std::uint64_t> counts(catalog, 0);
  rows = 0;
  for (const auto& l : lists) {
    for (const Index i : l) {
      if (i >= counts.size()) counts.resize(static_cast<std::size_t>(i) + 1, 0);
      ++counts[i];
      ++rows;
    }
  }
  return counts;
}
}  // namespace

TrainStats::TrainStats(const Dataset& train, std::size_t catalogSize)
    : itemCount_(std::max(catalogSize, train.numItems()), 0), numRows_(train.numInteractions()) {
  for (const Index i : train.interactions.item) ++itemCount_[i];
  numTrainItems_ = static_cast<std::size_t>(
      std::count_if(itemCount_.begin(), itemCount_.end(), [](std::uint32_t c) { return c > 0; }));
  byUser_ = train.userItemMatrix(true);
  byItem_ = byUser_.transposed();
}

std::span<const Index> TrainStats::userItems(Index user) const noexcept {
  if (user >= byUser_.rows) return {};
  return byUser_.rowIndices(user);
}

void TrainStats::useItemFeatures(Eigen::MatrixXf features) {
  features_ = std::move(features);
  featureNorms_ = features_.rowwise().norm();
  kind_ = SimilarityKind::kFeatures;
}

void TrainStats::prepareSimilarity(std::span<const Index> items, TaskContext& ctx) {
  if (kind_ != SimilarityKind::kCooccurrence) return;
  std::vector<Index> todo;
  for (const Index i : items) {
    if (i < byItem_.rows && !preparedRow_.count(i)) {
      preparedRow_.emplace(i, todo.size() + prepared_.size());
      todo.push_back(i);
    }
  }
  const std::size_t base = prepared_.size();
  prepared_.resize(base + todo.size());
  tbb::parallel_for(std::size_t{0}, todo.size(), [&](std::size_t t) {
    if (ctx.stopRequested()) return;
    // Co-occurrence row of item a: for every training user of a, count that user's items.
    std::unordered_map<Index, std::uint32_t> acc;
    for (const Index u : byItem_.rowIndices(todo[t])) {
      for (const Index j : byUser_.rowIndices(u)) ++acc[j];
    }
    auto& row = prepared_[base + t];
    row.assign(acc.begin(), acc.end());
    std::sort(row.begin(), row.end());
  });
  ctx.throwIfStopped();
}

double TrainStats::similarity(Index a, Index b) const {
  if (a == b) return 1.0;
  if (kind_ == SimilarityKind::kFeatures) {
    const auto rows = static_cast<Index>(features_.rows());
    if (a >= rows || b >= rows) return 0.0;
    const double na = featureNorms_[a], nb = featureNorms_[b];
    if (na == 0.0 || nb == 0.0) return 0.0;
    return static_cast<double>(features_.row(a).dot(features_.row(b))) / (na * nb);
  }
  const double ca = itemCount(a), cb = itemCount(b);
  if (ca == 0.0 || cb == 0.0) return 0.0;
  std::size_t co = 0;
  auto lookup = [&](Index x, Index y) -> bool {
    const auto it = preparedRow_.find(x);
    if (it == preparedRow_.end()) return false;
    const auto& row = prepared_[it->second];
    const auto p = std::lower_bound(row.begin(), row.end(), std::pair<Index, std::uint32_t>{y, 0});
    co = (p != row.end() && p->first == y) ? p->second : 0;
    return true;
  };
  if (!lookup(a, b) && !lookup(b, a)) {
    co = (a < byItem_.rows && b < byItem_.rows)
             ? countIntersection(byItem_.rowIndices(a), byItem_.rowIndices(b))
             : 0;
  }
  // The library's counts are training rows; with one row per (user, item) they equal the
  // number of distinct users, which is what the co-occurrence counts.
  return static_cast<double>(co) / std::sqrt(ca * cb);
}

double catalogCoverage(std::span<const std::span<const Index>> lists, const TrainStats& train) {
  if (train.numTrainItems() == 0) return kNaN;
  std::uint64_t rows = 0;
  const auto counts = recCounts(lists, train.catalogSize(), rows);
  const auto distinct =
      std::count_if(counts.begin(), counts.end(), [](std::uint64_t c) { return c > 0; });
  return static_cast<double>(distinct) / static_cast<double>(train.numTrainItems());
}

double distributionalCoverage(std::span<const std::span<const Index>> lists,
                              const TrainStats& train) {
  std::uint64_t rows = 0;
  const auto counts = recCounts(lists, train.catalogSize(), rows);
  if (rows == 0) return kNaN;
  double h = 0.0;
  for (const auto c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / static_cast<double>(rows);
    h -= p * std::log2(p);
  }
  return h;
}

double giniIndex(std::span<const std::span<const Index>> lists, const TrainStats& train) {
  std::uint64_t rows = 0;
  auto counts = recCounts(lists, train.catalogSize(), rows);
  const std::size_t n = counts.size();
  if (rows == 0 || n < 2) return kNaN;
  std::sort(counts.begin(), counts.end());
  double s = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    s += (2.0 * static_cast<double>(j + 1) - static_cast<double>(n) - 1.0) *
         static_cast<double>(counts[j]);
  }
  return s / ((static_cast<double>(n) - 1.0) * static_cast<double>(rows));
}

double novelty(std::span<const std::span<const Index>> lists, const TrainStats& train) {
  std::uint64_t rows = 0;
  double s = 0.0;
  const double total = static_cast<double>(train.numRows());
  for (const auto& l : lists) {
    for (const Index i : l) {
      ++rows;
      const auto c = train.itemCount(i);
      if (c > 0) s -= std::log2(static_cast<double>(c) / total);
    }
  }
  if (rows == 0) return kNaN;
  return s / static_cast<double>(rows);
}

double intraListDiversity(std::span<const Index> list, const TrainStats& train) {
  if (list.size() < 2) return kNaN;
  double s = 0.0;
  std::size_t pairs = 0;
  for (std::size_t a = 0; a < list.size(); ++a) {
    for (std::size_t b = a + 1; b < list.size(); ++b) {
      s += train.similarity(list[a], list[b]);
      ++pairs;
    }
  }
  return 1.0 - s / static_cast<double>(pairs);
}

double serendipity(std::span<const Index> list, std::span<const Index> seen,
                   std::span<const Index> relevant, const TrainStats& train, bool useRelevance) {
  if (list.empty() || seen.empty()) return kNaN;
  double total = 0.0;
  for (const Index i : list) {
    if (useRelevance && relevantPosition(relevant, i) < 0) continue;  // rel(i) = 0
    double s = 0.0;
    for (const Index j : seen) s += train.similarity(i, j);
    total += 1.0 - s / static_cast<double>(seen.size());
  }
  return total / static_cast<double>(list.size());
}

double averagePopularity(std::span<const Index> list, const TrainStats& train) {
  if (list.empty()) return kNaN;
  double s = 0.0;
  for (const Index i : list) s += train.itemCount(i);
  return s / static_cast<double>(list.size());
}

}  // namespace rwb
