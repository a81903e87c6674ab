#include "core/features/cell_popularity.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace rwb {

namespace {
// Scale of the share, as item_popularity's: log(1 + 1e5 * share).
constexpr double kShareScale = 1e5;
}  // namespace

std::uint64_t CellPopularity::cellKey(const Spec& s, const SparseVector& userAttr) {
  // Mixed radix over the columns: digit = position of the active one-hot value in the column's
  // slice, or the slice width when no value is active (missing).
  std::uint64_t key = 0;
  for (std::size_t c = 0; c < s.start.size(); ++c) {
    std::uint64_t digit = s.width[c];
    for (const auto& f : userAttr) {
      if (f.index >= s.start[c] && f.index < s.start[c] + s.width[c] && f.value != 0.0f) {
        digit = f.index - s.start[c];
        break;
      }
    }
    key = key * (static_cast<std::uint64_t>(s.width[c]) + 1) + digit;
  }
  return key;
}

CellPopularity CellPopularity::compute(const Dataset& train, const LabelConfig& labels,
                                       const BehaviourConfig& config,
                                       const std::vector<ColumnEncoder>& userEncoders,
                                       std::span<const std::uint32_t> userStarts,
                                       std::span<const SparseVector> userAttr) {
  CellPopularity cp;
  cp.smoothing_ = config.cellSmoothing;
  cp.numItems_ = train.numItems();
  const std::size_t numUsers = train.numUsers();
  const std::size_t n = cp.numItems_;
  // Distinct positive items per user.
  std::vector<std::vector<Index>> pos(numUsers);
  const auto& log = train.interactions;
  for (std::size_t r = 0; r < log.size(); ++r) {
    if (labels.isPositive(log, r)) pos[log.user[r]].push_back(log.item[r]);
  }
  cp.global_.assign(n, 0.0);
  for (std::size_t u = 0; u < numUsers; ++u) {
    auto& p = pos[u];
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
    cp.posItems_.insert(cp.posItems_.end(), p.begin(), p.end());
    cp.posOffsets_.push_back(cp.posItems_.size());
    for (Index i : p) cp.global_[i] += 1.0;
  }
  for (std::size_t k = 0; k < config.cellPopularity.size(); ++k) {
    const auto& columns = config.cellPopularity[k];
    const std::string path = "$.features.behaviour.cell_popularity[" + std::to_string(k) + "]";
    if (columns.empty()) throw SpecError(path, "a cell needs at least one user column");
    Spec s;
    for (const auto& col : columns) {
      std::size_t e = 0;
      while (e < userEncoders.size() && userEncoders[e].config().column != col) ++e;
      if (e == userEncoders.size()) {
        throw SpecError(path, "column '" + col + "' has no user encoder in this pipeline");
      }
      if (userEncoders[e].config().kind != "onehot") {
        throw SpecError(path, "column '" + col + "' must have a onehot user encoder (it has " +
                                  userEncoders[e].config().kind + ")");
      }
      s.name += (s.name.empty() ? "" : "*") + col;
      s.start.push_back(userStarts[e]);
      s.width.push_back(static_cast<std::uint32_t>(userEncoders[e].dim()));
    }
    for (std::size_t u = 0; u < numUsers; ++u) {
      if (pos[u].empty()) continue;
      const auto key = cellKey(s, u < userAttr.size() ? userAttr[u] : SparseVector{});
      auto [it, added] = s.cellOfKey.emplace(key, static_cast<std::uint32_t>(s.total.size()));
      if (added) {
        s.total.push_back(0.0);
        s.counts.resize(s.counts.size() + n, 0.0f);
      }
      const std::size_t c = it->second;
      s.total[c] += static_cast<double>(pos[u].size());
      for (Index i : pos[u]) s.counts[c * n + i] += 1.0f;
    }
    cp.specs_.push_back(std::move(s));
  }
  return cp;
}

std::vector<std::string> CellPopularity::featureNames() const {
  std::vector<std::string> out;
  for (const auto& s : specs_) {
    out.push_back("behaviour.cell_popularity:" + s.name);
    out.push_back("behaviour.cell_popularity:" + s.name + ".lift");
  }
  return out;
}

void CellPopularity::appendFeatures(const SparseVector& userAttr, Index self, Index item,
                                    std::uint32_t offset, SparseVector& out) const {
  // The left-out user's own engagements (none for a new user).
  double ownAll = 0.0, ownItem = 0.0;
  if (self != kNoIndex && static_cast<std::size_t>(self) + 1 < posOffsets_.size()) {
    const auto b = posItems_.begin() + static_cast<std::ptrdiff_t>(posOffsets_[self]);
    const auto e = posItems_.begin() + static_cast<std::ptrdiff_t>(posOffsets_[self + 1]);
    ownAll = static_cast<double>(e - b);
    ownItem = std::binary_search(b, e, item) ? 1.0 : 0.0;
  }
  // The global share keeps the user's own positives, as item_popularity does: negatives come
  // from items with training positives, so a leave-one-out global share would make
  // single-positive items the only share-0 training rows, all positive, and a model would
  // rank items without training data first.
  const double totalAll = static_cast<double>(posItems_.size());
  const double g = item < numItems_ && totalAll > 0 ? global_[item] / totalAll : 0.0;
  for (std::size_t k = 0; k < specs_.size(); ++k) {
    const Spec& s = specs_[k];
    double nc = 0.0, tc = 0.0;
    const auto it = s.cellOfKey.find(cellKey(s, userAttr));
    if (it != s.cellOfKey.end() && item < numItems_) {
      nc = std::max(0.0, static_cast<double>(s.counts[it->second * numItems_ + item]) - ownItem);
      tc = std::max(0.0, s.total[it->second] - ownAll);
    }
    const double denom = tc + smoothing_;
    const double share = denom > 0 ? (nc + smoothing_ * g) / denom : g;
    const auto f = offset + static_cast<std::uint32_t>(2 * k);
    out.push_back({f, static_cast<float>(std::log1p(kShareScale * share))});
    out.push_back({f + 1, static_cast<float>(g > 0 && share > 0 ? std::log(share / g) : 0.0)});
  }
}

void CellPopularity::save(BinaryWriter& w) const {
  w.put<double>(smoothing_);
  w.put<std::uint64_t>(specs_.size());
  for (const auto& s : specs_) {
    w.putString(s.name);
    w.putVector(s.start);
    w.putVector(s.width);
    std::vector<std::uint64_t> keys(s.total.size());
    for (const auto& [key, c] : s.cellOfKey) keys[c] = key;
    w.putVector(keys);
    w.putVector(s.counts);
    w.putVector(s.total);
  }
  w.putVector(global_);
  w.putVector(posOffsets_);
  w.putVector(posItems_);
}

CellPopularity CellPopularity::load(BinaryReader& r, const BehaviourConfig& config,
                                    std::size_t numUsers, std::size_t numItems,
                                    std::size_t userDim) {
  const auto scope = r.scope("cell_popularity");
  CellPopularity cp;
  cp.numItems_ = numItems;
  cp.smoothing_ = r.get<double>("smoothing");
  r.check(cp.smoothing_ >= 0.0, "negative smoothing");
  const auto ns = r.get<std::uint64_t>("cells.size");
  r.check(ns == config.cellPopularity.size(), "cell lists differ from the configuration");
  for (std::uint64_t k = 0; k < ns; ++k) {
    Spec s;
    s.name = r.getString("name");
    s.start = r.getVector<std::uint32_t>("start");
    s.width = r.getVector<std::uint32_t>("width");
    r.check(s.start.size() == s.width.size() && !s.start.empty() &&
                s.start.size() == config.cellPopularity[k].size(),
            "cell columns are inconsistent");
    for (std::size_t c = 0; c < s.start.size(); ++c) {
      r.check(static_cast<std::uint64_t>(s.start[c]) + s.width[c] <= userDim,
              "cell column slice out of range");
    }
    const auto keys = r.getVector<std::uint64_t>("keys");
    for (std::size_t c = 0; c < keys.size(); ++c) {
      r.check(s.cellOfKey.emplace(keys[c], static_cast<std::uint32_t>(c)).second,
              "a cell is listed twice");
    }
    s.counts = r.getVector<float>("counts");
    r.check(s.counts.size() == keys.size() * numItems, "cell counts have the wrong length");
    s.total = r.getVector<double>("totals");
    r.check(s.total.size() == keys.size(), "cell totals have the wrong length");
    cp.specs_.push_back(std::move(s));
  }
  cp.global_ = r.getVector<double>("global");
  r.check(cp.global_.size() == numItems, "global counts have the wrong length");
  cp.posOffsets_ = r.getVector<std::uint64_t>("positive_offsets");
  r.check(cp.posOffsets_.size() == numUsers + 1 && cp.posOffsets_.front() == 0,
          "positive offsets are inconsistent");
  for (std::size_t u = 0; u < numUsers; ++u) {
    r.check(cp.posOffsets_[u] <= cp.posOffsets_[u + 1], "positive offsets not monotone");
  }
  cp.posItems_ = r.getVector<Index>("positive_items");
  r.check(cp.posOffsets_.back() == cp.posItems_.size(), "positive items are inconsistent");
  for (Index i : cp.posItems_) r.check(i < numItems, "positive item out of range");
  return cp;
}

}  // namespace rwb
