#include "core/features/behaviour_stats.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/data/timestamps.h"
#include "core/util/error.h"

namespace rwb {

namespace {
constexpr double kDay = 86400.0;
}  // namespace

void BehaviourStats::checkTimestamps(const BehaviourConfig& config, const Dataset& data) {
  // Recency and profile decay measure time from the newest training event: one implausible
  // value would make every item look equally old (docs/data.md, timestamps).
  const bool usesTime =
      config.itemRecency || config.halfLifeDays > 0 || !config.dateVsActivity.empty();
  if (!usesTime) return;
  if (const auto why = implausibleTimestampRefusal(
          data,
          "the feature pipeline (behaviour.item_recency, behaviour.half_life_days or "
          "behaviour.date_vs_activity)",
          "or set behaviour.item_recency to false, behaviour.half_life_days to 0 and "
          "behaviour.date_vs_activity to []");
      !why.empty()) {
    throw ModelError(why);
  }
}

BehaviourStats BehaviourStats::compute(const Dataset& train, const LabelConfig& labels,
                                       const BehaviourConfig& config,
                                       std::span<const SparseVector> itemContent,
                                       std::size_t itemDim, std::int64_t tMax, TaskContext& ctx) {
  const auto& log = train.interactions;
  const std::size_t numUsers = train.numUsers(), numItems = train.numItems();
  BehaviourStats b;
  b.config_ = config;
  b.numUsers_ = numUsers;
  b.itemDim_ = itemDim;
  b.tMax_ = tMax;
  b.totalInteractions_ = static_cast<double>(log.size());
  b.itemCount_.assign(numItems, 0.0f);
  b.itemLast_.assign(numItems, kNoTimestamp);
  b.userCount_.assign(numUsers, 0.0f);
  const double halfLife = config.halfLifeDays * kDay;
  std::vector<std::vector<std::pair<Index, std::pair<float, float>>>> eng(numUsers);
  for (std::size_t r = 0; r < log.size(); ++r) {
    const Index u = log.user[r], i = log.item[r];
    b.itemCount_[i] += 1.0f;
    b.userCount_[u] += 1.0f;
    if (log.timestamp[r] != kNoTimestamp) {
      b.itemLast_[i] = std::max(b.itemLast_[i], log.timestamp[r]);
    }
    if (!labels.isPositive(log, r)) continue;
    double w = config.valueWeighted ? std::max(0.0f, log.value[r]) : 1.0;
    if (halfLife > 0 && log.timestamp[r] != kNoTimestamp) {
      w *= std::exp2(-static_cast<double>(tMax - log.timestamp[r]) / halfLife);
    }
    eng[u].push_back({i, {static_cast<float>(w), 1.0f}});
  }
  // Engagements merged per (user, item), with the pair's count of all its interactions.
  {
    const Csr ui = train.userItemMatrix(true);  // duplicates summed: values = counts
    b.engOffsets_.assign(1, 0);
    for (Index u = 0; u < numUsers; ++u) {
      auto& list = eng[u];
      std::sort(list.begin(), list.end(),
                [](const auto& x, const auto& y) { return x.first < y.first; });
      for (std::size_t k = 0; k < list.size();) {
        Index item = list[k].first;
        float w = 0.0f;
        std::size_t m = k;
        for (; m < list.size() && list[m].first == item; ++m) w += list[m].second.first;
        const auto idx = ui.rowIndices(u);
        const auto pos = std::lower_bound(idx.begin(), idx.end(), item) - idx.begin();
        b.engItems_.push_back(item);
        b.engWeights_.push_back(w);
        b.engCounts_.push_back(ui.rowValues(u)[static_cast<std::size_t>(pos)]);
        k = m;
      }
      b.engOffsets_.push_back(b.engItems_.size());
    }
  }
  ctx.throwIfStopped();
  ctx.progress(0.5, "profiles");

  b.itemNorm2_.assign(numItems, 0.0);
  for (Index i = 0; i < numItems; ++i) b.itemNorm2_[i] = squaredNorm(itemContent[i]);
  if (config.profileCosine) {
    if (static_cast<double>(numUsers) * static_cast<double>(itemDim) > 4e8) {
      throw ModelError("feature pipeline: user profiles would need " + std::to_string(numUsers) +
                       " x " + std::to_string(itemDim) +
                       " floats; reduce the item vocabulary (max_features, min_df, hashing)");
    }
    b.profile_.assign(numUsers * itemDim, 0.0f);
    b.profileNorm2_.assign(numUsers, 0.0);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, numUsers, 64),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t u = range.begin(); u != range.end(); ++u) {
                          float* p = b.profile_.data() + u * itemDim;
                          for (auto k = b.engOffsets_[u]; k < b.engOffsets_[u + 1]; ++k) {
                            for (const auto& f : itemContent[b.engItems_[k]]) {
                              p[f.index] += b.engWeights_[k] * f.value;
                            }
                          }
                          double n2 = 0.0;
                          for (std::size_t d = 0; d < itemDim; ++d)
                            n2 += static_cast<double>(p[d]) * p[d];
                          b.profileNorm2_[u] = n2;
                        }
                      });
  }
  auto categorical = [&](const std::string& name, const std::string& path) -> const auto& {
    const auto& col = requireColumn(train.itemAttributes, name, path, "item");
    if (col.type != ColumnType::kCategorical && col.type != ColumnType::kMultiCategorical) {
      throw SpecError(path, "affinity needs a categorical or multi-valued item column, '" +
                                col.name + "' is " + std::string(columnTypeName(col.type)));
    }
    return col;
  };
  for (std::size_t a = 0; a < config.affinityColumns.size(); ++a) {
    const std::string path = "$.features.behaviour.affinity[" + std::to_string(a) + "]";
    b.affinity_.push_back(
        buildAffinity(categorical(config.affinityColumns[a], path), numItems, numUsers, b));
  }
  for (std::size_t a = 0; a < config.affinityValues.size(); ++a) {
    const std::string path = "$.features.behaviour.affinity_values[" + std::to_string(a) + "]";
    const auto& col = categorical(config.affinityValues[a], path);
    b.affinityValues_.push_back({buildAffinity(col, numItems, numUsers, b), col.categories});
  }
  for (std::size_t a = 0; a < config.numericProfile.size(); ++a) {
    const std::string path = "$.features.behaviour.numeric_profile[" + std::to_string(a) + "]";
    const auto& col = requireColumn(train.itemAttributes, config.numericProfile[a], path, "item");
    if (col.type != ColumnType::kNumeric) {
      throw SpecError(path, "numeric_profile needs a numeric item column, '" + col.name + "' is " +
                                std::string(columnTypeName(col.type)));
    }
    NumericProfile np;
    np.itemValue.assign(numItems, std::numeric_limits<float>::quiet_NaN());
    for (Index i = 0; i < numItems && i < col.rows(); ++i) {
      if (std::isfinite(col.numeric[i])) np.itemValue[i] = static_cast<float>(col.numeric[i]);
    }
    // Spread of the column over the items with training interactions: the prior of every
    // user's spread (one pseudo-observation), so a short history does not give a zero spread.
    double n = 0, m1 = 0, m2 = 0;
    for (Index i = 0; i < numItems; ++i) {
      if (b.itemCount_[i] == 0 || std::isnan(np.itemValue[i])) continue;
      n += 1;
      m1 += np.itemValue[i];
      m2 += static_cast<double>(np.itemValue[i]) * np.itemValue[i];
    }
    np.globalVar = n > 1 ? std::max(0.0, (m2 - m1 * m1 / n) / (n - 1)) : 0.0;
    np.w.assign(numUsers, 0.0);
    np.s1.assign(numUsers, 0.0);
    np.s2.assign(numUsers, 0.0);
    for (Index u = 0; u < numUsers; ++u) {
      for (auto k = b.engOffsets_[u]; k < b.engOffsets_[u + 1]; ++k) {
        const double x = np.itemValue[b.engItems_[k]];
        if (std::isnan(x)) continue;
        const double w = b.engWeights_[k];
        np.w[u] += w;
        np.s1[u] += w * x;
        np.s2[u] += w * x * x;
      }
    }
    b.numericProfile_.push_back(std::move(np));
  }
  for (std::size_t a = 0; a < config.dateVsActivity.size(); ++a) {
    const std::string path = "$.features.behaviour.date_vs_activity[" + std::to_string(a) + "]";
    const auto& col = requireColumn(train.itemAttributes, config.dateVsActivity[a], path, "item");
    if (col.type != ColumnType::kNumeric) {
      throw SpecError(path, "date_vs_activity needs a numeric item column of Unix seconds, '" +
                                col.name + "' is " + std::string(columnTypeName(col.type)));
    }
    DateColumn dc;
    dc.itemDate.assign(numItems, std::numeric_limits<double>::quiet_NaN());
    for (Index i = 0; i < numItems && i < col.rows(); ++i) dc.itemDate[i] = col.numeric[i];
    b.dateVsActivity_.push_back(std::move(dc));
  }
  if (!config.dateVsActivity.empty()) {
    b.userFirst_.assign(numUsers, kNoTimestamp);
    b.userLast_.assign(numUsers, kNoTimestamp);
    for (std::size_t r = 0; r < log.size(); ++r) {
      const auto t = log.timestamp[r];
      if (t == kNoTimestamp) continue;
      auto& f = b.userFirst_[log.user[r]];
      auto& l = b.userLast_[log.user[r]];
      f = f == kNoTimestamp ? t : std::min(f, t);
      l = l == kNoTimestamp ? t : std::max(l, t);
    }
  }
  return b;
}

BehaviourStats::Affinity BehaviourStats::buildAffinity(const AttributeColumn& col,
                                                       std::size_t numItems, std::size_t numUsers,
                                                       const BehaviourStats& b) {
  Affinity af;
  af.numCats = col.categories.size();
  for (Index i = 0; i < numItems; ++i) {
    const auto first = af.itemCats.size();
    if (i < col.rows()) {
      if (col.type == ColumnType::kCategorical) {
        if (col.codes[i] >= 0) af.itemCats.push_back(static_cast<std::uint32_t>(col.codes[i]));
      } else {
        for (auto k = col.offsets[i]; k < col.offsets[i + 1]; ++k) {
          af.itemCats.push_back(static_cast<std::uint32_t>(col.codes[k]));
        }
      }
    }
    // Sorted, so per-value features of a row come in index order.
    std::sort(af.itemCats.begin() + static_cast<std::ptrdiff_t>(first), af.itemCats.end());
    af.itemOffsets.push_back(af.itemCats.size());
  }
  af.userCat.assign(numUsers * af.numCats, 0.0f);
  af.userTotal.assign(numUsers, 0.0f);
  for (Index u = 0; u < numUsers; ++u) {
    for (auto k = b.engOffsets_[u]; k < b.engOffsets_[u + 1]; ++k) {
      const Index i = b.engItems_[k];
      af.userTotal[u] += b.engWeights_[k];
      for (auto c = af.itemOffsets[i]; c < af.itemOffsets[i + 1]; ++c) {
        af.userCat[u * af.numCats + af.itemCats[c]] += b.engWeights_[k];
      }
    }
  }
  return af;
}

std::vector<std::string> BehaviourStats::featureNames() const {
  const auto& config = config_;
  std::vector<std::string> names;
  if (config.profileCosine) names.push_back("behaviour.profile_cosine");
  for (const auto& a : config.affinityColumns) names.push_back("behaviour.affinity:" + a);
  for (std::size_t a = 0; a < affinityValues_.size(); ++a) {
    for (const auto& v : affinityValues_[a].names)
      names.push_back("behaviour.affinity:" + config.affinityValues[a] + "=" + v);
  }
  for (const auto& c : config.numericProfile) {
    for (const char* f : {".user_mean", ".user_spread", ".difference", ".z"})
      names.push_back("behaviour.numeric:" + c + f);
  }
  for (const auto& c : config.dateVsActivity) {
    names.push_back("behaviour.date_vs_activity:" + c + ".days_after_first");
    names.push_back("behaviour.date_vs_activity:" + c + ".days_after_last");
  }
  if (config.itemPopularity) {
    names.push_back("behaviour.item_popularity");
    names.push_back("behaviour.item_is_new");
  }
  if (config.itemRecency) names.push_back("behaviour.item_recency");
  if (config.userActivity) names.push_back("behaviour.user_activity");
  return names;
}

bool BehaviourStats::hasProfile(Index user) const {
  return user < numUsers_ && engOffsets_[user + 1] > engOffsets_[user];
}

std::span<const float> BehaviourStats::userProfile(Index user) const {
  if (profile_.empty() || user >= numUsers_ || !hasProfile(user)) return {};
  return {profile_.data() + static_cast<std::size_t>(user) * itemDim_, itemDim_};
}

std::vector<std::pair<Index, float>> BehaviourStats::profileItems(Index user) const {
  std::vector<std::pair<Index, float>> out;
  if (user >= numUsers_) return out;
  for (auto k = engOffsets_[user]; k < engOffsets_[user + 1]; ++k) {
    out.emplace_back(engItems_[k], engWeights_[k]);
  }
  return out;
}

double BehaviourStats::profileCosine(Index user, Index item, const SparseVector& content) const {
  const auto p = userProfile(user);
  if (p.empty() || item >= itemNorm2_.size()) return 0.0;
  const double n2 = profileNorm2_[user] * itemNorm2_[item];
  return n2 > 0 ? dot(content, p) / std::sqrt(n2) : 0.0;
}

std::vector<float> BehaviourStats::historyCosine(std::span<const Index> history,
                                                 std::span<const Index> items,
                                                 std::span<const SparseVector> itemContent) const {
  std::vector<float> profile(itemDim_, 0.0f);
  for (auto h : history) {
    for (const auto& f : itemContent[h]) profile[f.index] += f.value;
  }
  double pn2 = 0.0;
  for (float v : profile) pn2 += static_cast<double>(v) * v;
  std::vector<float> out(items.size(), 0.0f);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const Index i = items[k];
    const double n2 = i < itemNorm2_.size() ? pn2 * itemNorm2_[i] : 0.0;
    if (n2 > 0) out[k] = static_cast<float>(dot(itemContent[i], profile) / std::sqrt(n2));
  }
  return out;
}

float BehaviourStats::engagementWeight(Index user, Index item) const {
  const auto b0 = engItems_.begin() + static_cast<std::ptrdiff_t>(engOffsets_[user]);
  const auto b1 = engItems_.begin() + static_cast<std::ptrdiff_t>(engOffsets_[user + 1]);
  const auto it = std::lower_bound(b0, b1, item);
  if (it == b1 || *it != item) return 0.0f;
  return engWeights_[static_cast<std::size_t>(it - engItems_.begin())];
}

void BehaviourStats::appendFeatures(Index u, Index i, const SparseVector& content, bool loo,
                                    float looWeight, std::uint32_t offset,
                                    SparseVector& out) const {
  const auto& bc = config_;
  auto idx = offset;
  auto push = [&](double v) {
    if (v != 0.0 && std::isfinite(v)) out.push_back({idx, static_cast<float>(v)});
    ++idx;
  };
  // Count-like features are stored even when 0: tree learners (XGBoost) read an absent entry as
  // "missing", not as 0, and send it down the branch learned for missing values. Training rows
  // always have counts >= 1, so a never-seen item (popularity 0) was routed like a popular one
  // and ranked first (gbdt defaults scored nDCG 0.008 on the sample data that way).
  auto pushExplicit = [&](double v) {
    out.push_back({idx, std::isfinite(v) ? static_cast<float>(v) : 0.0f});
    ++idx;
  };
  if (bc.profileCosine) {
    double cosv = 0.0;
    const auto p = userProfile(u);
    if (!p.empty() && itemNorm2_[i] > 0) {
      double pd = dot(content, p);
      double pn2 = profileNorm2_[u];
      if (loo) {
        // Remove the row's own engagement: P' = P - w x_i.
        const double w = looWeight;
        pn2 = pn2 - 2.0 * w * pd + w * w * itemNorm2_[i];
        pd = pd - w * itemNorm2_[i];
      }
      if (pn2 > 1e-12) cosv = pd / std::sqrt(pn2 * itemNorm2_[i]);
    }
    push(cosv);
  }
  const bool newUser = u >= numUsers_;  // kNoIndex: no training interactions
  for (const auto& af : affinity_) {
    if (newUser) {
      push(0.0);
      continue;
    }
    double total = af.userTotal[u] - (loo ? looWeight : 0.0f);
    double s = 0.0;
    const auto n = af.itemOffsets[i + 1] - af.itemOffsets[i];
    if (total > 1e-12 && n > 0) {
      for (auto c = af.itemOffsets[i]; c < af.itemOffsets[i + 1]; ++c) {
        s += af.userCat[static_cast<std::size_t>(u) * af.numCats + af.itemCats[c]] -
             (loo ? looWeight : 0.0f);
      }
      s /= static_cast<double>(n) * total;
    }
    push(s);
  }
  // Per-value affinities: one feature per category, present for the item's own categories.
  for (const auto& av : affinityValues_) {
    const auto& af = av.table;
    if (!newUser) {
      const double total = af.userTotal[u] - (loo ? looWeight : 0.0f);
      if (total > 1e-12) {
        for (auto c = af.itemOffsets[i]; c < af.itemOffsets[i + 1]; ++c) {
          const double s = af.userCat[static_cast<std::size_t>(u) * af.numCats + af.itemCats[c]] -
                           (loo ? looWeight : 0.0f);
          // Stored even when 0: "never engaged with c" differs from "no history" (absent).
          out.push_back({idx + af.itemCats[c], static_cast<float>(std::max(0.0, s) / total)});
        }
      }
    }
    idx += static_cast<std::uint32_t>(af.numCats);
  }
  // Numeric profiles: weighted mean m and spread s of the column over the user's engaged items
  // (s^2 = (W var + var_global) / (W + 1): the catalogue's spread as one pseudo-observation),
  // the item's difference x - m and z = (x - m) / s. Absent without history or item value.
  for (const auto& np : numericProfile_) {
    const double x = np.itemValue[i];
    double w = 0, s1 = 0, s2 = 0;
    if (!newUser) {
      w = np.w[u];
      s1 = np.s1[u];
      s2 = np.s2[u];
      if (loo && !std::isnan(x)) {
        w -= looWeight;
        s1 -= looWeight * x;
        s2 -= looWeight * x * x;
      }
    }
    if (w > 1e-9) {
      const double m = s1 / w;
      const double var = std::max(0.0, s2 / w - m * m);
      const double spread = std::sqrt((w * var + np.globalVar) / (w + 1.0));
      out.push_back({idx, static_cast<float>(m)});
      out.push_back({idx + 1, static_cast<float>(spread)});
      if (!std::isnan(x)) {
        out.push_back({idx + 2, static_cast<float>(x - m)});
        if (spread > 0) out.push_back({idx + 3, static_cast<float>((x - m) / spread)});
      }
    }
    idx += 4;
  }
  // Item date against the user's training activity, in days; absent without a timestamped
  // history or an item date.
  for (const auto& dc : dateVsActivity_) {
    const double date = dc.itemDate[i];
    if (!newUser && userFirst_[u] != kNoTimestamp && std::isfinite(date)) {
      out.push_back({idx, static_cast<float>((date - static_cast<double>(userFirst_[u])) / kDay)});
      out.push_back(
          {idx + 1, static_cast<float>((date - static_cast<double>(userLast_[u])) / kDay)});
    }
    idx += 2;
  }
  if (bc.itemPopularity) {
    // Not leave-one-out: negatives are drawn from items with training interactions (count >= 1),
    // so a positive whose only interaction is its own would be the only "new" (count 0) rows
    // in training, and the model would learn "new item => engaged" and rank never-seen items
    // first at serving (gbdt scored nDCG 0 on the sample data that way).
    const double count = itemCount_[i];
    pushExplicit(std::log1p(1e5 * count / std::max(1.0, totalInteractions_)));
    pushExplicit(count == 0.0 ? 1.0 : 0.0);
  }
  if (bc.itemRecency) {
    const double days =
        itemLast_[i] == kNoTimestamp ? 0.0 : static_cast<double>(tMax_ - itemLast_[i]) / kDay;
    pushExplicit(itemLast_[i] == kNoTimestamp ? 0.0 : std::log1p(std::max(0.0, days)) + 1.0);
  }
  if (bc.userActivity) pushExplicit(newUser ? 0.0 : std::log1p(userCount_[u]));
}

void BehaviourStats::save(BinaryWriter& w) const {
  w.put(tMax_);
  w.put(totalInteractions_);
  w.putVector(itemCount_);
  w.putVector(itemLast_);
  w.putVector(userCount_);
  w.putVector(engOffsets_);
  w.putVector(engItems_);
  w.putVector(engWeights_);
  w.putVector(engCounts_);
  w.putVector(profile_);
  w.putVector(profileNorm2_);
  w.putVector(itemNorm2_);
  w.put<std::uint64_t>(affinity_.size());
  for (const auto& a : affinity_) {
    w.put<std::uint64_t>(a.numCats);
    w.putVector(a.itemOffsets);
    w.putVector(a.itemCats);
    w.putVector(a.userCat);
    w.putVector(a.userTotal);
  }
  // Written only when configured, so files of configurations without them read as before.
  for (const auto& av : affinityValues_) {
    w.put<std::uint64_t>(av.table.numCats);
    w.putVector(av.table.itemOffsets);
    w.putVector(av.table.itemCats);
    w.putVector(av.table.userCat);
    w.putVector(av.table.userTotal);
    w.put<std::uint64_t>(av.names.size());
    for (const auto& n : av.names) w.putString(n);
  }
  for (const auto& np : numericProfile_) {
    w.putVector(np.itemValue);
    w.putVector(np.w);
    w.putVector(np.s1);
    w.putVector(np.s2);
    w.put(np.globalVar);
  }
  for (const auto& dc : dateVsActivity_) w.putVector(dc.itemDate);
  if (!dateVsActivity_.empty()) {
    w.putVector(userFirst_);
    w.putVector(userLast_);
  }
}

BehaviourStats BehaviourStats::load(BinaryReader& r, const BehaviourConfig& config, std::size_t nu,
                                    std::size_t ni, std::size_t dim) {
  BehaviourStats b;
  b.config_ = config;
  b.numUsers_ = nu;
  b.itemDim_ = dim;
  b.tMax_ = r.get<std::int64_t>("t_max");
  b.totalInteractions_ = r.get<double>("total_interactions");
  auto sized = [&](auto& v, const char* field, std::size_t n) {
    v = r.getVector<typename std::decay_t<decltype(v)>::value_type>(field);
    r.check(v.size() == n, "behaviour statistics have the wrong length");
  };
  sized(b.itemCount_, "item_counts", ni);
  sized(b.itemLast_, "item_last_times", ni);
  sized(b.userCount_, "user_counts", nu);
  b.engOffsets_ = r.getVector<std::uint64_t>("engagement_offsets");
  r.check(b.engOffsets_.size() == nu + 1 && b.engOffsets_.front() == 0,
          "engagement lists are inconsistent");
  for (std::size_t u = 0; u < nu; ++u)
    r.check(b.engOffsets_[u] <= b.engOffsets_[u + 1], "engagement offsets not monotone");
  b.engItems_ = r.getVector<Index>("engagement_items");
  r.check(b.engOffsets_.back() == b.engItems_.size(), "engagement lists are inconsistent");
  for (auto i : b.engItems_) r.check(i < ni, "engaged item out of range");
  sized(b.engWeights_, "engagement_weights", b.engItems_.size());
  sized(b.engCounts_, "engagement_counts", b.engItems_.size());
  b.profile_ = r.getVector<float>("profiles");
  r.check(b.profile_.empty() || b.profile_.size() == nu * dim, "profile matrix has the wrong size");
  b.profileNorm2_ = r.getVector<double>("profile_norms");
  r.check(b.profile_.empty() || b.profileNorm2_.size() == nu, "profile matrix has the wrong size");
  sized(b.itemNorm2_, "item_norms", ni);
  const auto na = r.get<std::uint64_t>("affinity.size");
  r.check(na < 1000, "too many affinity columns");
  r.check(na == config.affinityColumns.size(), "affinity columns do not match the config");
  // One affinity table (per column, or per value): read and checked against the sizes.
  auto readAffinityTable = [&](auto& a, const char* wrongSize) {
    a.numCats = r.get<std::uint64_t>("num_categories");
    a.itemOffsets = r.getVector<std::uint64_t>("item_offsets");
    r.check(a.itemOffsets.size() == ni + 1, wrongSize);
    for (std::size_t i = 0; i < ni; ++i)
      r.check(a.itemOffsets[i] <= a.itemOffsets[i + 1], "affinity offsets not monotone");
    a.itemCats = r.getVector<std::uint32_t>("item_categories");
    r.check(a.itemOffsets.back() == a.itemCats.size(), wrongSize);
    for (auto c : a.itemCats) r.check(c < a.numCats, "affinity category out of range");
    a.userCat = r.getVector<float>("user_categories");
    r.check(a.userCat.size() == nu * a.numCats, wrongSize);
    a.userTotal = r.getVector<float>("user_totals");
    r.check(a.userTotal.size() == nu, wrongSize);
  };
  b.affinity_.assign(na, {});
  for (std::size_t c = 0; c < na; ++c) {
    const auto scope = r.scope("affinity[" + std::to_string(c) + "]");
    readAffinityTable(b.affinity_[c], "affinity table has the wrong size");
  }
  b.affinityValues_.assign(config.affinityValues.size(), {});
  for (std::size_t c = 0; c < b.affinityValues_.size(); ++c) {
    const auto scope = r.scope("affinity_values[" + std::to_string(c) + "]");
    auto& av = b.affinityValues_[c];
    auto& a = av.table;
    readAffinityTable(a, "per-value affinity table has the wrong size");
    const auto nn = r.get<std::uint64_t>("names.size");
    r.check(nn == a.numCats, "per-value affinity names do not match its categories");
    for (std::uint64_t k = 0; k < nn; ++k) av.names.push_back(r.getString("names"));
  }
  b.numericProfile_.assign(config.numericProfile.size(), {});
  for (std::size_t c = 0; c < b.numericProfile_.size(); ++c) {
    const auto scope = r.scope("numeric_profiles[" + std::to_string(c) + "]");
    auto& np = b.numericProfile_[c];
    auto wrong = [&](auto& v, const char* field, std::size_t n) {
      v = r.getVector<typename std::decay_t<decltype(v)>::value_type>(field);
      r.check(v.size() == n, "numeric profile has the wrong size");
    };
    wrong(np.itemValue, "item_values", ni);
    wrong(np.w, "user_weights", nu);
    wrong(np.s1, "user_sums", nu);
    wrong(np.s2, "user_squares", nu);
    np.globalVar = r.get<double>("global_variance");
  }
  b.dateVsActivity_.assign(config.dateVsActivity.size(), {});
  for (std::size_t c = 0; c < b.dateVsActivity_.size(); ++c) {
    auto& dc = b.dateVsActivity_[c];
    dc.itemDate = r.getVector<double>("date_columns[" + std::to_string(c) + "]");
    r.check(dc.itemDate.size() == ni, "date column has the wrong size");
  }
  if (!b.dateVsActivity_.empty()) {
    b.userFirst_ = r.getVector<std::int64_t>("user_first_times");
    r.check(b.userFirst_.size() == nu, "user activity window has the wrong size");
    b.userLast_ = r.getVector<std::int64_t>("user_last_times");
    r.check(b.userLast_.size() == nu, "user activity window has the wrong size");
  }
  return b;
}

}  // namespace rwb
