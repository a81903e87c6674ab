#include "core/models/factor_model.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "core/models/factor_kernels.h"
#include "core/util/error.h"

namespace rwb {

namespace {

using factor::kPanel;

using factor::simd::V16;
using factor::simd::V4;
using factor::simd::V8;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Scores R users against one panel of 16 items with vectors V (kVecs = 16 / lanes of them per
// panel) and writes out[r * 16 + lane]. Every (user, item) score is accumulated as
// ((0 + u0*y0) + u1*y1) + ... in float, then + item bias, then + user offset; the scalar path in
// scoreItems() performs the same operations in the same order, so all paths and all SIMD levels
// agree bit for bit. Returns a bit mask of the rows with at least one score > thresholds[r]
// (thresholds may be null: every row then counts), so that the caller can skip a row's 16
// candidates with one test.
template <class V, int R>
[[gnu::always_inline]] inline unsigned tileScores(const float* const* rows, const float* panel,
                                                  std::size_t f, const float* bias,
                                                  const float* offsets, const float* thresholds,
                                                  float* out) {
  constexpr int kLanes = static_cast<int>(sizeof(V) / sizeof(float));
  constexpr int kVecs = static_cast<int>(kPanel) / kLanes;
  V acc[R][kVecs];
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) acc[r][v] = V{};
  }
  for (std::size_t j = 0; j < f; ++j) {
    V y[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) y[v] = factor::simd::load<V>(panel + j * kPanel + v * kLanes);
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) {
      const float u = rows[r][j];
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[r][v] += u * y[v];
    }
  }
  if (bias != nullptr) {
    for (int v = 0; v < kVecs; ++v) {
      const V b = factor::simd::load<V>(bias + v * kLanes);
      for (int r = 0; r < R; ++r) acc[r][v] += b;
    }
  }
  if (offsets != nullptr) {
    for (int r = 0; r < R; ++r) {
      for (int v = 0; v < kVecs; ++v) acc[r][v] += offsets[r];
    }
  }
  unsigned mask = 0;
  for (int r = 0; r < R; ++r) {
    bool any = thresholds == nullptr;
    if (!any) {
      auto hit = acc[r][0] > thresholds[r];
      for (int v = 1; v < kVecs; ++v) hit |= acc[r][v] > thresholds[r];
      std::uint64_t words[sizeof(hit) / 8];
      std::memcpy(words, &hit, sizeof(hit));
      std::uint64_t m = 0;
      for (auto w : words) m |= w;
      any = m != 0;
    }
    if (any) {
      mask |= 1u << r;
      for (int v = 0; v < kVecs; ++v) factor::simd::store(out + r * kPanel + v * kLanes, acc[r][v]);
    }
  }
  return mask;
}

bool better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

// A user's running top-k. Items arrive in ascending index order, so a candidate equal to the
// current k-th score is never better (the ranking rule breaks ties by lower index).
struct TopKState {
  std::vector<ScoredItem> heap;
  float threshold = kNegInf;
  std::size_t k = 0;

  void offer(Index item, float s) {
    auto worseFirst = [](const ScoredItem& a, const ScoredItem& b) { return better(a, b); };
    if (heap.size() < k) {
      heap.push_back({item, s});
      std::push_heap(heap.begin(), heap.end(), worseFirst);
      if (heap.size() == k) threshold = heap.front().score;
    } else {
      std::pop_heap(heap.begin(), heap.end(), worseFirst);
      heap.back() = {item, s};
      std::push_heap(heap.begin(), heap.end(), worseFirst);
      threshold = heap.front().score;
    }
  }
};

// What the blocked top-k kernel reads (raw views of a FactorModel's state).
struct TopKJob {
  const Model* model = nullptr;  // for seenItems()
  const float* users = nullptr;  // numUsers x f
  const float* panels = nullptr;
  const float* panelBias = nullptr;   // or null
  const float* userOffset = nullptr;  // numUsers, or null
  std::size_t f = 0, n = 0, nPanels = 0, itemBlock = 1, k = 0;
  bool excludeSeen = false;
};

// Top-k of users[0, count) into states (each reset with k): item blocks of L2 size in the outer
// loop, tiles of R users against each panel of the block in the inner loop.
template <class V, int R>
[[gnu::always_inline]] inline void topKUsersImpl(const TopKJob& job, const Index* users,
                                                 std::size_t count, TopKState* states) {
  for (std::size_t pb = 0; pb < job.nPanels; pb += job.itemBlock) {
    const std::size_t pe = std::min(job.nPanels, pb + job.itemBlock);
    for (std::size_t t = 0; t < count; t += R) {
      const std::size_t valid = std::min<std::size_t>(R, count - t);
      const float* rows[R];
      float offsets[R];
      float thresholds[R];
      for (std::size_t r = 0; r < static_cast<std::size_t>(R); ++r) {
        const Index u = users[t + std::min(r, valid - 1)];
        rows[r] = job.users + static_cast<std::size_t>(u) * job.f;
        offsets[r] = job.userOffset == nullptr ? 0.0f : job.userOffset[u];
      }
      for (std::size_t p = pb; p < pe; ++p) {
        for (std::size_t r = 0; r < static_cast<std::size_t>(R); ++r)
          thresholds[r] = states[t + std::min(r, valid - 1)].threshold;
        float out[R * kPanel];
        unsigned mask =
            tileScores<V, R>(rows, job.panels + p * job.f * kPanel, job.f,
                             job.panelBias == nullptr ? nullptr : job.panelBias + p * kPanel,
                             job.userOffset == nullptr ? nullptr : offsets, thresholds, out);
        if (mask == 0) continue;
        const std::size_t lanes = std::min(kPanel, job.n - p * kPanel);
        for (std::size_t r = 0; r < valid; ++r) {
          if ((mask & (1u << r)) == 0) continue;
          TopKState& st = states[t + r];
          for (std::size_t w = 0; w < lanes; ++w) {
            const float s = out[r * kPanel + w];
            if (!(s > st.threshold)) continue;
            const Index item = static_cast<Index>(p * kPanel + w);
            if (job.excludeSeen) {
              const auto seen = job.model->seenItems(users[t + r]);
              if (std::binary_search(seen.begin(), seen.end(), item)) continue;
            }
            st.offer(item, s);
          }
        }
      }
    }
  }
}

RWB_NO_FP_CONTRACT void topKUsersBase(const TopKJob& job, const Index* users, std::size_t count,
                                      TopKState* st) {
  topKUsersImpl<V4, 2>(job, users, count, st);
}
#if RWB_HAVE_SIMD_DISPATCH
// 16 items x R users = 8 accumulator registers at each level (of 16 xmm / 16 ymm / 32 zmm).
RWB_TARGET_AVX2 void topKUsersAvx2(const TopKJob& job, const Index* users, std::size_t count,
                                   TopKState* st) {
  topKUsersImpl<V8, 4>(job, users, count, st);
}
RWB_TARGET_AVX512 void topKUsersAvx512(const TopKJob& job, const Index* users, std::size_t count,
                                       TopKState* st) {
  topKUsersImpl<V16, 8>(job, users, count, st);
}
#endif

void topKUsers(factor::SimdLevel level, const TopKJob& job, const Index* users, std::size_t count,
               TopKState* st) {
#if RWB_HAVE_SIMD_DISPATCH
  if (level == factor::SimdLevel::kAvx512) return topKUsersAvx512(job, users, count, st);
  if (level == factor::SimdLevel::kAvx2) return topKUsersAvx2(job, users, count, st);
#endif
  (void)level;
  topKUsersBase(job, users, count, st);
}

}  // namespace

std::span<const float> FactorModel::userFactors(Index user) const {
  if (factors_ == 0 || static_cast<std::size_t>(user) * factors_ >= users_.size()) return {};
  return {users_.data() + static_cast<std::size_t>(user) * factors_, factors_};
}

std::span<const float> FactorModel::itemFactors(Index item) const {
  if (factors_ == 0 || static_cast<std::size_t>(item) * factors_ >= items_.size()) return {};
  return {items_.data() + static_cast<std::size_t>(item) * factors_, factors_};
}

void FactorModel::setFactors(const FactorMatrix& users, const FactorMatrix& items,
                             std::vector<float> itemBias, std::vector<float> userOffset) {
  if (static_cast<std::size_t>(users.rows()) != numUsers() ||
      static_cast<std::size_t>(items.rows()) != numItems() || users.cols() != items.cols() ||
      (!itemBias.empty() && itemBias.size() != numItems()) ||
      (!userOffset.empty() && userOffset.size() != numUsers())) {
    throw ModelError(type() + ": internal error: factor shapes do not match the data");
  }
  factors_ = static_cast<std::size_t>(users.cols());
  users_.assign(users.data(), users.data() + users.size());
  items_.assign(items.data(), items.data() + items.size());
  const std::size_t n = numItems();
  const std::size_t nPanels = (n + kPanel - 1) / kPanel;
  panels_.assign(nPanels * kPanel * factors_, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t p = i / kPanel, lane = i % kPanel;
    float* base = panels_.data() + p * factors_ * kPanel;
    for (std::size_t j = 0; j < factors_; ++j) base[j * kPanel + lane] = items(i, j);
  }
  panelBias_.clear();
  if (!itemBias.empty()) {
    panelBias_.assign(nPanels * kPanel, 0.0f);
    std::copy(itemBias.begin(), itemBias.end(), panelBias_.begin());
  }
  itemBias_ = std::move(itemBias);
  userOffset_ = std::move(userOffset);
}

void FactorModel::clearFactors() {
  factors_ = 0;
  users_.clear();
  items_.clear();
  panels_.clear();
  panelBias_.clear();
  itemBias_.clear();
  userOffset_.clear();
}

RWB_NO_FP_CONTRACT void FactorModel::scoreItems(Index user, std::span<const Index> items,
                                                std::span<float> out) const {
  const float* u = users_.data() + static_cast<std::size_t>(user) * factors_;
  const float off = userOffset(user);
  for (std::size_t q = 0; q < items.size(); ++q) {
    const Index i = items[q];
    const float* base = panels_.data() + (i / kPanel) * factors_ * kPanel + (i % kPanel);
    float acc = 0.0f;
    for (std::size_t j = 0; j < factors_; ++j) acc += u[j] * base[j * kPanel];
    if (!panelBias_.empty()) acc += panelBias_[i];
    if (!userOffset_.empty()) acc += off;
    out[q] = acc;
  }
}

RWB_NO_FP_CONTRACT void FactorModel::scoreAllItems(Index user, std::span<float> out) const {
  const float* row = users_.data() + static_cast<std::size_t>(user) * factors_;
  const float off = userOffset(user);
  const std::size_t n = numItems();
  const std::size_t nPanels = (n + kPanel - 1) / kPanel;
  for (std::size_t p = 0; p < nPanels; ++p) {
    float s[kPanel];
    tileScores<V4, 1>(&row, panels_.data() + p * factors_ * kPanel, factors_,
                      panelBias_.empty() ? nullptr : panelBias_.data() + p * kPanel,
                      userOffset_.empty() ? nullptr : &off, nullptr, s);
    const std::size_t lanes = std::min(kPanel, n - p * kPanel);
    for (std::size_t w = 0; w < lanes; ++w) out[p * kPanel + w] = s[w];
  }
}

std::vector<std::vector<ScoredItem>> FactorModel::blockedTopK(std::span<const Index> users,
                                                              std::size_t k, bool excludeSeen,
                                                              TaskContext* ctx) const {
  std::vector<std::vector<ScoredItem>> result(users.size());
  if (k == 0 || users.empty()) return result;
  const std::size_t n = numItems();
  const std::size_t f = factors_;
  const std::size_t nPanels = (n + kPanel - 1) / kPanel;
  const std::size_t panelBytes = std::max<std::size_t>(f, 1) * kPanel * sizeof(float);
  TopKJob job;
  job.model = this;
  job.users = users_.data();
  job.panels = panels_.data();
  job.panelBias = panelBias_.empty() ? nullptr : panelBias_.data();
  job.userOffset = userOffset_.empty() ? nullptr : userOffset_.data();
  job.f = f;
  job.n = n;
  job.nPanels = nPanels;
  // Item blocks of about 256 KiB of panels stay in L2 while a block of users streams over them.
  job.itemBlock = std::max<std::size_t>(1, (256u << 10) / panelBytes);
  job.k = k;
  job.excludeSeen = excludeSeen;
  constexpr std::size_t kUserBlock = 64;
  const factor::SimdLevel level = factor::simdLevel();
  std::atomic<std::size_t> done{0};

  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, users.size(), kUserBlock),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      std::vector<TopKState> states(kUserBlock);
                      for (auto& s : states) s.heap.reserve(k);
                      for (std::size_t b = range.begin(); b < range.end(); b += kUserBlock) {
                        if (ctx != nullptr && ctx->stopRequested()) return;
                        const std::size_t e = std::min(range.end(), b + kUserBlock);
                        for (std::size_t j = 0; j < e - b; ++j) {
                          states[j].heap.clear();
                          states[j].threshold = kNegInf;
                          states[j].k = k;
                        }
                        topKUsers(level, job, users.data() + b, e - b, states.data());
                        for (std::size_t j = b; j < e; ++j) {
                          auto& heap = states[j - b].heap;
                          std::sort(heap.begin(), heap.end(), better);
                          result[j].assign(heap.begin(), heap.end());
                        }
                        if (ctx != nullptr) {
                          const auto d = done.fetch_add(e - b) + (e - b);
                          ctx->progress(static_cast<double>(d) / static_cast<double>(users.size()),
                                        "recommending");
                        }
                      }
                    });
  return result;
}

std::vector<RecList> FactorModel::recommendBatch(std::span<const Index> users, std::size_t k,
                                                 bool excludeSeen, TaskContext& ctx) const {
  if (!isFitted()) throw ModelError(type() + ": the model is not fitted");
  std::vector<Index> scorable;
  std::vector<std::size_t> where;
  std::vector<RecList> out(users.size());
  for (std::size_t j = 0; j < users.size(); ++j) {
    if (users[j] >= numUsers()) {
      throw ModelError(type() + ": user index " + std::to_string(users[j]) + " out of range (" +
                       std::to_string(numUsers()) + " users)");
    }
    if (canScoreUser(users[j])) {
      scorable.push_back(users[j]);
      where.push_back(j);
    } else {
      out[j] = recommend(users[j], k, excludeSeen);  // popularity fallback, flagged
    }
  }
  auto lists = blockedTopK(scorable, k, excludeSeen, &ctx);
  ctx.throwIfStopped();
  for (std::size_t j = 0; j < scorable.size(); ++j) out[where[j]].items = std::move(lists[j]);
  return out;
}

std::vector<ScoredItem> FactorModel::similarItems(Index item, std::size_t k) const {
  if (!isFitted()) throw ModelError(type() + ": the model is not fitted");
  if (item >= numItems()) {
    throw ModelError(type() + ": item index " + std::to_string(item) + " out of range (" +
                     std::to_string(numItems()) + " items)");
  }
  const auto& pop = itemPopularity();
  if (pop[item] == 0.0f) return {};
  auto norm = [&](Index i) {
    double s = 0.0;
    for (float v : itemFactors(i)) s += static_cast<double>(v) * v;
    return std::sqrt(s);
  };
  const auto yi = itemFactors(item);
  const double ni = norm(item);
  std::vector<float> sim(numItems(), kNegInf);
  if (ni == 0.0) return {};
  for (Index j = 0; j < numItems(); ++j) {
    if (j == item || pop[j] == 0.0f) continue;
    const double nj = norm(j);
    if (nj == 0.0) continue;
    const auto yj = itemFactors(j);
    double dot = 0.0;
    for (std::size_t q = 0; q < factors_; ++q) dot += static_cast<double>(yi[q]) * yj[q];
    sim[j] = static_cast<float>(dot / (ni * nj));
  }
  return topK(sim, k);
}

double FactorModel::validationNdcg(const Dataset& validation, std::size_t k) const {
  const Csr rel = validation.userItemMatrix(true);
  std::vector<Index> users;
  for (std::size_t u = 0; u < rel.rows && u < numUsers(); ++u) {
    if (rel.rowSize(u) > 0 && !seenItems(static_cast<Index>(u)).empty()) {
      users.push_back(static_cast<Index>(u));
    }
  }
  if (users.empty()) return 0.0;
  const auto lists = blockedTopK(users, k, true, nullptr);
  double total = 0.0;
  for (std::size_t j = 0; j < users.size(); ++j) {
    const auto relevant = rel.rowIndices(users[j]);
    double dcg = 0.0, idcg = 0.0;
    for (std::size_t r = 0; r < lists[j].size(); ++r) {
      if (std::binary_search(relevant.begin(), relevant.end(), lists[j][r].item)) {
        dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
      }
    }
    for (std::size_t r = 0; r < std::min(k, relevant.size()); ++r) {
      idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    }
    total += dcg / idcg;
  }
  return total / static_cast<double>(users.size());
}

void FactorModel::saveFactors(BinaryWriter& out) const {
  out.put<std::uint64_t>(factors_);
  out.putVector(users_);
  out.putVector(items_);
  out.putVector(itemBias_);
  out.putVector(userOffset_);
}

void FactorModel::loadFactors(BinaryReader& in) {
  auto finite = [](const std::vector<float>& v) {
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
  };
  const auto f = in.get<std::uint64_t>("num_factors");
  in.check(f >= 1 && f <= 100000, "factor count out of range");
  auto users = in.getVector<float>("user_factors");
  in.check(users.size() == numUsers() * f, "user factor matrix has the wrong size");
  in.check(finite(users), "holds non-finite values");
  auto items = in.getVector<float>("item_factors");
  in.check(items.size() == numItems() * f, "item factor matrix has the wrong size");
  in.check(finite(items), "holds non-finite values");
  auto itemBias = in.getVector<float>("item_bias");
  in.check(itemBias.empty() || itemBias.size() == numItems(), "item bias has the wrong length");
  in.check(finite(itemBias), "holds non-finite values");
  auto userOffset = in.getVector<float>("user_offsets");
  in.check(userOffset.empty() || userOffset.size() == numUsers(),
           "user offsets have the wrong length");
  in.check(finite(userOffset), "holds non-finite values");
  const auto fi = static_cast<Eigen::Index>(f);
  FactorMatrix u =
      Eigen::Map<const FactorMatrix>(users.data(), static_cast<Eigen::Index>(numUsers()), fi);
  FactorMatrix v =
      Eigen::Map<const FactorMatrix>(items.data(), static_cast<Eigen::Index>(numItems()), fi);
  setFactors(u, v, std::move(itemBias), std::move(userOffset));
}

std::size_t FactorModel::innerProductDim() const {
  return factors_ == 0 ? 0 : factors_ + (itemBias_.empty() ? 0 : 1);
}

void FactorModel::innerProductQuery(Index user, std::span<float> out) const {
  if (!isFitted() || !canScoreUser(user) || out.size() != innerProductDim()) {
    throw ModelError(type() + ": no inner-product query for user " + std::to_string(user));
  }
  const float* u = users_.data() + static_cast<std::size_t>(user) * factors_;
  std::copy(u, u + factors_, out.begin());
  if (!itemBias_.empty()) out[factors_] = 1.0f;
}

void FactorModel::innerProductItem(Index item, std::span<float> out) const {
  if (!isFitted() || item >= numItems() || out.size() != innerProductDim()) {
    throw ModelError(type() + ": no inner-product vector for item " + std::to_string(item));
  }
  const float* v = items_.data() + static_cast<std::size_t>(item) * factors_;
  std::copy(v, v + factors_, out.begin());
  if (!itemBias_.empty()) out[factors_] = itemBias_[item];
}

std::size_t FactorModel::memoryBytes() const {
  return Model::memoryBytes() + (users_.size() + items_.size() + panels_.size() +
                                 panelBias_.size() + itemBias_.size() + userOffset_.size()) *
                                    sizeof(float);
}

namespace factor {

void randomNormal(FactorMatrix& m, double scale, std::uint64_t seed) {
  Rng rng(seed);
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      m(r, c) = static_cast<float>(scale * rng.normal());
    }
  }
}

int effectiveThreads(int threads) {
  return threads > 0 ? threads : std::max(1, tbb::this_task_arena::max_concurrency());
}

void runInArena(int threads, const std::function<void()>& fn) {
  if (threads <= 0) {
    fn();
    return;
  }
  tbb::task_arena arena(threads);
  arena.execute(fn);
}

Strata::Strata(std::span<const std::uint64_t> userOffsets, std::span<const Index> itemOf,
               std::size_t numItems, int blocks)
    : offsets_(userOffsets), itemOf_(itemOf), numItems_(numItems), blocks_(std::max(1, blocks)) {
  itemBlock_.assign(numItems_, 0);
  blockItems_.resize(blocks_);
  shuffle(0);
}

void Strata::shuffle(std::uint64_t seed) {
  const auto t = static_cast<std::size_t>(blocks_);
  std::vector<Index> perm(numItems_);
  std::iota(perm.begin(), perm.end(), Index{0});
  if (t > 1) {
    Rng rng(seed);
    for (std::size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
  }
  for (auto& b : blockItems_) b.clear();
  for (std::size_t j = 0; j < perm.size(); ++j) itemBlock_[perm[j]] = static_cast<int>(j % t);
  for (std::size_t i = 0; i < numItems_; ++i) {
    blockItems_[itemBlock_[i]].push_back(static_cast<Index>(i));
  }
  cellStart_.assign(t * t + 1, 0);
  const std::size_t users = offsets_.size() - 1;
  for (std::size_t u = 0; u < users; ++u) {
    for (auto k = offsets_[u]; k < offsets_[u + 1]; ++k) {
      ++cellStart_[(u % t) * t + itemBlock_[itemOf_[k]] + 1];
    }
  }
  for (std::size_t c = 0; c < t * t; ++c) cellStart_[c + 1] += cellStart_[c];
  cells_.resize(cellStart_.back());
  std::vector<std::uint64_t> fill(cellStart_.begin(), cellStart_.end() - 1);
  for (std::size_t u = 0; u < users; ++u) {
    for (auto k = offsets_[u]; k < offsets_[u + 1]; ++k) {
      cells_[fill[(u % t) * t + itemBlock_[itemOf_[k]]]++] = k;
    }
  }
}

std::span<const std::uint64_t> Strata::cell(int userBlock, int itemBlock) const {
  const std::size_t c = static_cast<std::size_t>(userBlock) * blocks_ + itemBlock;
  return {cells_.data() + cellStart_[c], cellStart_[c + 1] - cellStart_[c]};
}

std::span<const Index> Strata::itemsOf(int itemBlock) const { return blockItems_[itemBlock]; }

}  // namespace factor

}  // namespace rwb
