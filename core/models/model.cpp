#include "core/models/model.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/util/error.h"

namespace rwb {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

bool better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}
}  // namespace

std::vector<ScoredItem> topK(std::span<const float> scores, std::size_t k) {
  std::vector<ScoredItem> heap;
  if (k == 0) return heap;
  heap.reserve(k + 1);
  // Min-heap of the best k seen so far under the ranking rule; heap.front() is the worst kept.
  auto worseFirst = [](const ScoredItem& a, const ScoredItem& b) { return better(a, b); };
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const float s = scores[i];
    if (s == kNegInf || std::isnan(s)) continue;
    const ScoredItem cand{static_cast<Index>(i), s};
    if (heap.size() < k) {
      heap.push_back(cand);
      std::push_heap(heap.begin(), heap.end(), worseFirst);
    } else if (better(cand, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), worseFirst);
      heap.back() = cand;
      std::push_heap(heap.begin(), heap.end(), worseFirst);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

void Model::fit(const TrainingData& data, TaskContext& ctx) {
  const Dataset& train = data.train;
  if (train.numInteractions() == 0) throw ModelError(type() + ": the training set is empty");
  fitted_ = false;
  numUsers_ = train.numUsers();
  numItems_ = train.numItems();
  seen_ = train.userItemMatrix(true);
  seenByItem_ = seen_.transposed();
  popularity_.assign(numItems_, 0.0f);
  for (auto i : train.interactions.item) popularity_[i] += 1.0f;
  ctx.throwIfStopped();
  try {
    fitModel(data, ctx);
  } catch (...) {
    seen_ = Csr{};
    seenByItem_ = Csr{};
    popularity_.clear();
    throw;
  }
  fitted_ = true;
}

bool Model::canScoreUser(Index user) const { return user < numUsers_ && seen_.rowSize(user) > 0; }

void Model::innerProductQuery(Index, std::span<float>) const {
  throw ModelError(type() + ": the model has no inner-product form (user and item vectors)");
}

void Model::innerProductItem(Index, std::span<float>) const {
  throw ModelError(type() + ": the model has no inner-product form (user and item vectors)");
}

std::span<const Index> Model::seenItems(Index user) const {
  if (user >= seen_.rows) return {};
  return seen_.rowIndices(user);
}

void Model::checkUser(Index user) const {
  if (!fitted_) throw ModelError(type() + ": the model is not fitted");
  if (user >= numUsers_) {
    throw ModelError(type() + ": user index " + std::to_string(user) + " out of range (" +
                     std::to_string(numUsers_) + " users)");
  }
}

void Model::score(Index user, std::span<const Index> items, std::span<float> out) const {
  checkUser(user);
  if (items.size() != out.size()) throw ModelError(type() + ": score: size mismatch");
  for (auto i : items) {
    if (i >= numItems_) {
      throw ModelError(type() + ": item index " + std::to_string(i) + " out of range (" +
                       std::to_string(numItems_) + " items)");
    }
  }
  if (canScoreUser(user)) {
    scoreItems(user, items, out);
  } else {
    for (std::size_t j = 0; j < items.size(); ++j) out[j] = popularity_[items[j]];
  }
}

bool Model::canScoreNewUser(const NewUser&) const { return false; }

void Model::scoreNewUser(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const {
  checkNewUser(user);
  if (items.size() != out.size()) throw ModelError(type() + ": scoreNewUser: size mismatch");
  for (auto i : items) {
    if (i >= numItems_) {
      throw ModelError(type() + ": item index " + std::to_string(i) + " out of range (" +
                       std::to_string(numItems_) + " items)");
    }
  }
  if (canScoreNewUser(user)) {
    scoreNewUserItems(user, items, out);
  } else {
    for (std::size_t j = 0; j < items.size(); ++j) out[j] = popularity_[items[j]];
  }
}

void Model::checkNewUser(const NewUser& user) const {
  if (!fitted_) throw ModelError(type() + ": the model is not fitted");
  for (auto i : user.history) {
    if (i >= numItems_) {
      throw ModelError(type() + ": history item index " + std::to_string(i) + " out of range (" +
                       std::to_string(numItems_) + " items)");
    }
  }
}

RecList Model::recommendNewUser(const NewUser& user, std::size_t k) const {
  checkNewUser(user);
  RecList result;
  std::vector<float> scores(numItems_);
  if (canScoreNewUser(user)) {
    scoreAllNewUserItems(user, scores);
  } else {
    std::copy(popularity_.begin(), popularity_.end(), scores.begin());
    result.fallback = true;
  }
  for (auto i : user.history) {
    scores[i] = kNegInf;
  }
  result.items = topK(scores, k);
  return result;
}

void Model::scoreNewUserItems(const NewUser&, std::span<const Index>, std::span<float>) const {
  throw ModelError(type() + ": the model cannot score users outside its training data");
}

void Model::scoreAllNewUserItems(const NewUser& user, std::span<float> out) const {
  std::vector<Index> all(numItems_);
  std::iota(all.begin(), all.end(), Index{0});
  scoreNewUserItems(user, all, out);
}

void Model::scoreAllItems(Index user, std::span<float> out) const {
  std::vector<Index> all(numItems_);
  std::iota(all.begin(), all.end(), Index{0});
  scoreItems(user, all, out);
}

RecList Model::recommend(Index user, std::size_t k, bool excludeSeen) const {
  checkUser(user);
  RecList result;
  thread_local std::vector<float> scores;
  scores.resize(numItems_);
  if (canScoreUser(user)) {
    scoreAllItems(user, scores);
  } else {
    std::copy(popularity_.begin(), popularity_.end(), scores.begin());
    result.fallback = true;
  }
  if (excludeSeen) {
    for (auto i : seenItems(user)) scores[i] = kNegInf;
  }
  result.items = topK(scores, k);
  return result;
}

std::vector<RecList> Model::recommendBatch(std::span<const Index> users, std::size_t k,
                                           bool excludeSeen, TaskContext& ctx) const {
  std::vector<RecList> out(users.size());
  std::atomic<std::size_t> done{0};
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, users.size(), 64),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      if (ctx.stopRequested()) return;
                      for (std::size_t j = r.begin(); j != r.end(); ++j) {
                        out[j] = recommend(users[j], k, excludeSeen);
                      }
                      const auto d = done.fetch_add(r.size()) + r.size();
                      ctx.progress(static_cast<double>(d) / static_cast<double>(users.size()),
                                   "recommending");
                    });
  ctx.throwIfStopped();
  return out;
}

std::vector<ScoredItem> Model::similarItems(Index item, std::size_t k) const {
  if (!fitted_) throw ModelError(type() + ": the model is not fitted");
  if (item >= numItems_) {
    throw ModelError(type() + ": item index " + std::to_string(item) + " out of range (" +
                     std::to_string(numItems_) + " items)");
  }
  std::vector<float> sim(numItems_, kNegInf);
  const auto users = seenByItem_.rowIndices(item);
  if (users.empty()) return {};
  std::vector<std::uint32_t> co(numItems_, 0);
  for (auto u : users) {
    for (auto j : seen_.rowIndices(u)) ++co[j];
  }
  const double ni = static_cast<double>(users.size());
  for (std::size_t j = 0; j < numItems_; ++j) {
    if (co[j] == 0 || j == item) continue;
    const double nj = static_cast<double>(seenByItem_.rowSize(j));
    sim[j] = static_cast<float>(co[j] / std::sqrt(ni * nj));
  }
  return topK(sim, k);
}

void Model::save(BinaryWriter& out) const {
  if (!fitted_) throw ModelError(type() + ": cannot save a model that is not fitted");
  out.putString(type());
  out.putString(params_.dump());
  out.put<std::uint64_t>(numUsers_);
  out.put<std::uint64_t>(numItems_);
  out.putVector(seen_.offsets);
  out.putVector(seen_.indices);
  out.putVector(popularity_);
  saveState(out);
}

void Model::loadState(BinaryReader& in) {
  fitted_ = false;
  numUsers_ = in.get<std::uint64_t>("num_users");
  in.check(numUsers_ < kNoIndex, "user count out of range");
  numItems_ = in.get<std::uint64_t>("num_items");
  in.check(numItems_ < kNoIndex, "item count out of range");
  Csr seen;
  seen.rows = numUsers_;
  seen.cols = numItems_;
  seen.offsets = in.getVector<std::uint64_t>("seen_offsets");
  in.check(seen.offsets.size() == numUsers_ + 1, "seen-items offsets have the wrong length");
  seen.indices = in.getVector<Index>("seen_items");
  in.check(seen.offsets.front() == 0 && seen.offsets.back() == seen.indices.size(),
           "seen-items offsets do not match the index count");
  for (std::size_t r = 0; r < numUsers_; ++r) {
    in.check(seen.offsets[r] <= seen.offsets[r + 1], "seen-items offsets are not monotone");
  }
  for (auto i : seen.indices) in.check(i < numItems_, "seen item index out of range");
  seen.values.assign(seen.indices.size(), 1.0f);
  popularity_ = in.getVector<float>("popularity");
  in.check(popularity_.size() == numItems_, "popularity vector has the wrong length");
  seen_ = std::move(seen);
  seenByItem_ = seen_.transposed();
  loadModelState(in);
  in.check(in.atEnd(), "trailing bytes after the model state");
  fitted_ = true;
}

std::size_t Model::memoryBytes() const {
  return seen_.indices.size() * sizeof(Index) + seen_.offsets.size() * sizeof(std::uint64_t) +
         popularity_.size() * sizeof(float);
}

}  // namespace rwb
