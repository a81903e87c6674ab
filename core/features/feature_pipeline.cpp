#include "core/features/feature_pipeline.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "core/data/timestamps.h"
#include "core/util/error.h"
#include "core/util/json.h"
#include "core/util/random.h"

namespace rwb {

namespace {
constexpr double kDay = 86400.0;

// Start of each encoder's slice inside its block.
std::vector<std::uint32_t> encoderStarts(const std::vector<ColumnEncoder>& encs) {
  std::vector<std::uint32_t> s;
  std::uint32_t off = 0;
  for (const auto& e : encs) {
    s.push_back(off);
    off += static_cast<std::uint32_t>(e.dim());
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Behavioural statistics

struct FeaturePipeline::Behaviour {
  std::int64_t tMax = 0;
  double totalInteractions = 0;
  std::vector<float> itemCount;        ///< training interactions per item
  std::vector<std::int64_t> itemLast;  ///< last training timestamp per item (kNoTimestamp)
  std::vector<float> userCount;        ///< training interactions per user
  // Engagements per user: (item, weight), sorted by item; CSR.
  std::vector<std::uint64_t> engOffsets{0};
  std::vector<Index> engItems;
  std::vector<float> engWeights;
  std::vector<float> engCounts;  ///< training interactions of (user, item), for LOO
  // Profiles: numUsers x itemDim dense sums, and squared norms.
  std::vector<float> profile;
  std::vector<double> profileNorm2;
  std::vector<double> itemNorm2;
  // Affinity per configured column: item category lists (CSR) and user x category weights.
  struct Affinity {
    std::size_t numCats = 0;
    std::vector<std::uint64_t> itemOffsets{0};
    std::vector<std::uint32_t> itemCats;
    std::vector<float> userCat;    ///< numUsers x numCats
    std::vector<float> userTotal;  ///< numUsers
  };
  std::vector<Affinity> affinity;

  void save(BinaryWriter& w) const {
    w.put(tMax);
    w.put(totalInteractions);
    w.putVector(itemCount);
    w.putVector(itemLast);
    w.putVector(userCount);
    w.putVector(engOffsets);
    w.putVector(engItems);
    w.putVector(engWeights);
    w.putVector(engCounts);
    w.putVector(profile);
    w.putVector(profileNorm2);
    w.putVector(itemNorm2);
    w.put<std::uint64_t>(affinity.size());
    for (const auto& a : affinity) {
      w.put<std::uint64_t>(a.numCats);
      w.putVector(a.itemOffsets);
      w.putVector(a.itemCats);
      w.putVector(a.userCat);
      w.putVector(a.userTotal);
    }
  }
  void load(BinaryReader& r, std::size_t nu, std::size_t ni, std::size_t dim) {
    tMax = r.get<std::int64_t>();
    totalInteractions = r.get<double>();
    itemCount = r.getVector<float>();
    itemLast = r.getVector<std::int64_t>();
    userCount = r.getVector<float>();
    engOffsets = r.getVector<std::uint64_t>();
    engItems = r.getVector<Index>();
    engWeights = r.getVector<float>();
    engCounts = r.getVector<float>();
    profile = r.getVector<float>();
    profileNorm2 = r.getVector<double>();
    itemNorm2 = r.getVector<double>();
    r.check(itemCount.size() == ni && itemLast.size() == ni && userCount.size() == nu &&
                itemNorm2.size() == ni,
            "behaviour statistics have the wrong length");
    r.check(engOffsets.size() == nu + 1 && engOffsets.front() == 0 &&
                engOffsets.back() == engItems.size() && engWeights.size() == engItems.size() &&
                engCounts.size() == engItems.size(),
            "engagement lists are inconsistent");
    for (std::size_t u = 0; u < nu; ++u)
      r.check(engOffsets[u] <= engOffsets[u + 1], "engagement offsets not monotone");
    for (auto i : engItems) r.check(i < ni, "engaged item out of range");
    r.check(profile.empty() || (profile.size() == nu * dim && profileNorm2.size() == nu),
            "profile matrix has the wrong size");
    const auto na = r.get<std::uint64_t>();
    r.check(na < 1000, "too many affinity columns");
    affinity.assign(na, {});
    for (auto& a : affinity) {
      a.numCats = r.get<std::uint64_t>();
      a.itemOffsets = r.getVector<std::uint64_t>();
      a.itemCats = r.getVector<std::uint32_t>();
      a.userCat = r.getVector<float>();
      a.userTotal = r.getVector<float>();
      r.check(a.itemOffsets.size() == ni + 1 && a.itemOffsets.back() == a.itemCats.size() &&
                  a.userCat.size() == nu * a.numCats && a.userTotal.size() == nu,
              "affinity table has the wrong size");
      for (std::size_t i = 0; i < ni; ++i)
        r.check(a.itemOffsets[i] <= a.itemOffsets[i + 1], "affinity offsets not monotone");
      for (auto c : a.itemCats) r.check(c < a.numCats, "affinity category out of range");
    }
  }
};

// ---------------------------------------------------------------------------------------------
// FeaturePipeline

FeaturePipeline::FeaturePipeline(FeatureConfig config)
    : config_(std::move(config)), beh_(std::make_unique<Behaviour>()) {}
FeaturePipeline::~FeaturePipeline() = default;
FeaturePipeline::FeaturePipeline(FeaturePipeline&&) noexcept = default;
FeaturePipeline& FeaturePipeline::operator=(FeaturePipeline&&) noexcept = default;

bool FeaturePipeline::isPositive(const Interactions& log, std::size_t r) const {
  return config_.labels.isPositive(log, r);
}

void FeaturePipeline::checkTimestamps(const Dataset& data) const {
  // Recency and profile decay measure time from the newest training event: one implausible
  // value would make every item look equally old (docs/data.md, timestamps).
  const bool usesTime = config_.behaviour.itemRecency || config_.behaviour.halfLifeDays > 0;
  if (!usesTime) return;
  if (const auto why = implausibleTimestampRefusal(
          data, "the feature pipeline (behaviour.item_recency or behaviour.half_life_days)",
          "or set behaviour.item_recency to false and behaviour.half_life_days to 0");
      !why.empty()) {
    throw ModelError(why);
  }
}

void FeaturePipeline::fit(const Dataset& train, TaskContext& ctx) {
  if (train.numInteractions() == 0) throw ModelError("feature pipeline: the training set is empty");
  checkTimestamps(train);
  FeaturePipeline next(config_);
  next.numUsers_ = train.numUsers();
  next.numItems_ = train.numItems();
  const auto& log = train.interactions;

  // Entities present in the training split: the only rows encoders may learn from.
  std::vector<char> userIn(next.numUsers_, 0), itemIn(next.numItems_, 0);
  for (std::size_t r = 0; r < log.size(); ++r) {
    userIn[log.user[r]] = 1;
    itemIn[log.item[r]] = 1;
  }
  std::vector<Index> trainUsers, trainItems;
  for (Index u = 0; u < next.numUsers_; ++u)
    if (userIn[u]) trainUsers.push_back(u);
  for (Index i = 0; i < next.numItems_; ++i)
    if (itemIn[i]) trainItems.push_back(i);

  std::int64_t tMax = 0;
  for (auto t : log.timestamp)
    if (t != kNoTimestamp) tMax = std::max(tMax, t);

  auto encoderList = [&](const std::vector<EncoderConfig>& given, const AttributeTable& table,
                         const char* side) {
    std::vector<EncoderConfig> list = given;
    if (config_.autoEncoders && given.empty()) {
      for (const auto& col : table.columns) list.push_back(defaultEncoderFor(col));
    }
    std::vector<ColumnEncoder> out;
    for (std::size_t k = 0; k < list.size(); ++k) {
      const std::string path = std::string("$.features.") + side + "[" + std::to_string(k) + "]";
      const auto& col = requireColumn(table, list[k].column, path + ".column", side);
      out.emplace_back(list[k], std::string(side) + "." + list[k].column);
      out.back().fit(col,
                     std::string(side) == "user" ? std::span<const Index>(trainUsers)
                                                 : std::span<const Index>(trainItems),
                     tMax, path);
    }
    return out;
  };
  next.userEncoders_ = encoderList(config_.user, train.userAttributes, "user");
  next.itemEncoders_ = encoderList(config_.item, train.itemAttributes, "item");
  ctx.throwIfStopped();
  ctx.progress(0.2, "encoders");

  next.computeContentVectors(train);

  // Crosses: user encoder x item encoder of the named columns.
  for (std::size_t c = 0; c < config_.crosses.size(); ++c) {
    const auto& cc = config_.crosses[c];
    const std::string path = "$.features.crosses[" + std::to_string(c) + "]";
    auto findEnc = [&](const std::vector<ColumnEncoder>& encs, const std::string& col,
                       const char* side) {
      for (std::size_t e = 0; e < encs.size(); ++e) {
        if (encs[e].config().column == col) return e;
      }
      throw SpecError(path + "." + side, std::string("column '") + col + "' has no " + side +
                                             " encoder in this pipeline");
    };
    next.crossEncoders_.emplace_back(findEnc(next.userEncoders_, cc.userColumn, "user"),
                                     findEnc(next.itemEncoders_, cc.itemColumn, "item"));
  }

  next.computeBehaviour(train, tMax, ctx);
  next.buildNames();
  next.fitted_ = true;
  ctx.throwIfStopped();
  // Score models are tied to the previous fit's data; they are not carried over.
  *this = std::move(next);
  ctx.progress(1.0, "features fitted");
}

void FeaturePipeline::computeBehaviour(const Dataset& train, std::int64_t tMax, TaskContext& ctx) {
  const auto& log = train.interactions;
  // Behaviour statistics from training interactions only.
  Behaviour& b = *beh_;
  b = Behaviour{};
  b.tMax = tMax;
  b.totalInteractions = static_cast<double>(log.size());
  b.itemCount.assign(numItems_, 0.0f);
  b.itemLast.assign(numItems_, kNoTimestamp);
  b.userCount.assign(numUsers_, 0.0f);
  const double halfLife = config_.behaviour.halfLifeDays * kDay;
  std::vector<std::vector<std::pair<Index, std::pair<float, float>>>> eng(numUsers_);
  for (std::size_t r = 0; r < log.size(); ++r) {
    const Index u = log.user[r], i = log.item[r];
    b.itemCount[i] += 1.0f;
    b.userCount[u] += 1.0f;
    if (log.timestamp[r] != kNoTimestamp) b.itemLast[i] = std::max(b.itemLast[i], log.timestamp[r]);
    if (!isPositive(log, r)) continue;
    double w = config_.behaviour.valueWeighted ? std::max(0.0f, log.value[r]) : 1.0;
    if (halfLife > 0 && log.timestamp[r] != kNoTimestamp) {
      w *= std::exp2(-static_cast<double>(tMax - log.timestamp[r]) / halfLife);
    }
    eng[u].push_back({i, {static_cast<float>(w), 1.0f}});
  }
  // Interaction counts per (user, item) for LOO of popularity: count all interactions of the pair.
  {
    const Csr ui = train.userItemMatrix(true);  // duplicates summed: values = counts
    b.engOffsets.assign(1, 0);
    for (Index u = 0; u < numUsers_; ++u) {
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
        b.engItems.push_back(item);
        b.engWeights.push_back(w);
        b.engCounts.push_back(ui.rowValues(u)[static_cast<std::size_t>(pos)]);
        k = m;
      }
      b.engOffsets.push_back(b.engItems.size());
    }
  }
  ctx.throwIfStopped();
  ctx.progress(0.5, "profiles");

  const std::size_t dimI = itemDim_;
  b.itemNorm2.assign(numItems_, 0.0);
  for (Index i = 0; i < numItems_; ++i) b.itemNorm2[i] = squaredNorm(itemContent_[i]);
  if (config_.behaviour.profileCosine) {
    if (static_cast<double>(numUsers_) * static_cast<double>(dimI) > 4e8) {
      throw ModelError("feature pipeline: user profiles would need " + std::to_string(numUsers_) +
                       " x " + std::to_string(dimI) +
                       " floats; reduce the item vocabulary (max_features, min_df, hashing)");
    }
    b.profile.assign(numUsers_ * dimI, 0.0f);
    b.profileNorm2.assign(numUsers_, 0.0);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, numUsers_, 64),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t u = range.begin(); u != range.end(); ++u) {
                          float* p = b.profile.data() + u * dimI;
                          for (auto k = b.engOffsets[u]; k < b.engOffsets[u + 1]; ++k) {
                            for (const auto& f : itemContent_[b.engItems[k]]) {
                              p[f.index] += b.engWeights[k] * f.value;
                            }
                          }
                          double n2 = 0.0;
                          for (std::size_t d = 0; d < dimI; ++d)
                            n2 += static_cast<double>(p[d]) * p[d];
                          b.profileNorm2[u] = n2;
                        }
                      });
  }
  for (std::size_t a = 0; a < config_.behaviour.affinityColumns.size(); ++a) {
    const std::string path = "$.features.behaviour.affinity[" + std::to_string(a) + "]";
    const auto& col =
        requireColumn(train.itemAttributes, config_.behaviour.affinityColumns[a], path, "item");
    if (col.type != ColumnType::kCategorical && col.type != ColumnType::kMultiCategorical) {
      throw SpecError(path, "affinity needs a categorical or multi-valued item column, '" +
                                col.name + "' is " + std::string(columnTypeName(col.type)));
    }
    Behaviour::Affinity af;
    af.numCats = col.categories.size();
    for (Index i = 0; i < numItems_; ++i) {
      if (i < col.rows()) {
        if (col.type == ColumnType::kCategorical) {
          if (col.codes[i] >= 0) af.itemCats.push_back(static_cast<std::uint32_t>(col.codes[i]));
        } else {
          for (auto k = col.offsets[i]; k < col.offsets[i + 1]; ++k) {
            af.itemCats.push_back(static_cast<std::uint32_t>(col.codes[k]));
          }
        }
      }
      af.itemOffsets.push_back(af.itemCats.size());
    }
    af.userCat.assign(numUsers_ * af.numCats, 0.0f);
    af.userTotal.assign(numUsers_, 0.0f);
    for (Index u = 0; u < numUsers_; ++u) {
      for (auto k = b.engOffsets[u]; k < b.engOffsets[u + 1]; ++k) {
        const Index i = b.engItems[k];
        af.userTotal[u] += b.engWeights[k];
        for (auto c = af.itemOffsets[i]; c < af.itemOffsets[i + 1]; ++c) {
          af.userCat[u * af.numCats + af.itemCats[c]] += b.engWeights[k];
        }
      }
    }
    b.affinity.push_back(std::move(af));
  }
}

void FeaturePipeline::refitBehaviour(const Dataset& data, TaskContext& ctx) {
  if (!fitted_) throw ModelError("feature pipeline: refitBehaviour before fit");
  if (data.numUsers() != numUsers_ || data.numItems() != numItems_) {
    throw ModelError(
        "feature pipeline: refitBehaviour data has other id maps than the fitted data");
  }
  if (data.numInteractions() == 0) throw ModelError("feature pipeline: the data set is empty");
  checkTimestamps(data);
  std::int64_t tMax = 0;
  for (auto t : data.interactions.timestamp)
    if (t != kNoTimestamp) tMax = std::max(tMax, t);
  auto fresh = std::make_unique<Behaviour>();
  std::swap(fresh, beh_);
  try {
    computeBehaviour(data, tMax, ctx);
    ctx.throwIfStopped();
  } catch (...) {
    std::swap(fresh, beh_);  // validate-before-mutate: the old statistics stay on failure
    throw;
  }
  scoreSources_.clear();
  savedSources_.clear();
  scoreNames_.clear();
}

void FeaturePipeline::computeContentVectors(const Dataset& data) {
  userDim_ = 0;
  for (const auto& e : userEncoders_) userDim_ += e.dim();
  itemDim_ = 0;
  for (const auto& e : itemEncoders_) itemDim_ += e.dim();
  auto encodeAll = [](const std::vector<ColumnEncoder>& encs, const AttributeTable& table,
                      std::size_t n, std::vector<SparseVector>& out) {
    out.assign(n, {});
    std::vector<const AttributeColumn*> cols;
    for (const auto& e : encs) cols.push_back(table.find(e.config().column));
    for (Index r = 0; r < n; ++r) {
      std::uint32_t offset = 0;
      for (std::size_t e = 0; e < encs.size(); ++e) {
        encs[e].encode(*cols[e], r, offset, out[r]);
        offset += static_cast<std::uint32_t>(encs[e].dim());
      }
    }
  };
  encodeAll(userEncoders_, data.userAttributes, numUsers_, userAttr_);
  encodeAll(itemEncoders_, data.itemAttributes, numItems_, itemContent_);
}

void FeaturePipeline::buildNames() {
  userStarts_ = encoderStarts(userEncoders_);
  itemStarts_ = encoderStarts(itemEncoders_);
  names_.clear();
  for (const auto& e : userEncoders_)
    names_.insert(names_.end(), e.names().begin(), e.names().end());
  for (const auto& e : itemEncoders_)
    names_.insert(names_.end(), e.names().begin(), e.names().end());
  crossOffsets_.clear();
  crossDim_ = 0;
  for (auto [ue, ie] : crossEncoders_) {
    crossOffsets_.push_back(names_.size());
    for (const auto& un : userEncoders_[ue].names()) {
      for (const auto& in : itemEncoders_[ie].names()) names_.push_back(un + " x " + in);
    }
    crossDim_ += userEncoders_[ue].dim() * itemEncoders_[ie].dim();
  }
  const std::size_t before = names_.size();
  const auto& bc = config_.behaviour;
  if (bc.profileCosine) names_.push_back("behaviour.profile_cosine");
  for (const auto& a : bc.affinityColumns) names_.push_back("behaviour.affinity:" + a);
  if (bc.itemPopularity) {
    names_.push_back("behaviour.item_popularity");
    names_.push_back("behaviour.item_is_new");
  }
  if (bc.itemRecency) names_.push_back("behaviour.item_recency");
  if (bc.userActivity) names_.push_back("behaviour.user_activity");
  behaviourDim_ = names_.size() - before;
}

std::vector<std::string> FeaturePipeline::featureNames() const {
  std::vector<std::string> all = names_;
  all.insert(all.end(), scoreNames_.begin(), scoreNames_.end());
  return all;
}

std::string FeaturePipeline::featureName(std::uint32_t index) const {
  if (index < names_.size()) return names_[index];
  if (index - names_.size() < scoreNames_.size()) return scoreNames_[index - names_.size()];
  return "feature#" + std::to_string(index);
}

namespace {
void checkSourceMaps(const std::string& name, const ScoreSource& source, std::size_t users,
                     std::size_t items) {
  if (source.numUsers() != users || source.numItems() != items) {
    throw ModelError("feature pipeline: score source '" + name + "' was fitted on other id maps (" +
                     std::to_string(source.numUsers()) + " users, " +
                     std::to_string(source.numItems()) + " items; expected " +
                     std::to_string(users) + ", " + std::to_string(items) + ")");
  }
}
}  // namespace

void FeaturePipeline::addScoreSource(std::string name, std::shared_ptr<const ScoreSource> source) {
  if (!fitted_) throw ModelError("feature pipeline: addScoreSource before fit");
  if (!source) throw ModelError("feature pipeline: score source '" + name + "' is missing");
  checkSourceMaps(name, *source, numUsers_, numItems_);
  scoreNames_.push_back("score:" + name);
  scoreSources_.push_back(std::move(source));
  savedSources_.emplace_back();
}

const ScoreSource& FeaturePipeline::scoreSource(std::size_t i) const {
  if (i >= scoreSources_.size()) {
    throw ModelError("feature pipeline: score source " + std::to_string(i) + " out of range");
  }
  if (!scoreSources_[i]) {
    throw ModelError("feature pipeline: score source '" + scoreNames_[i].substr(6) +
                     "' was loaded but not bound to its scorer");
  }
  return *scoreSources_[i];
}

const std::string& FeaturePipeline::savedScoreSource(std::size_t i) const {
  if (i >= savedSources_.size()) {
    throw ModelError("feature pipeline: score source " + std::to_string(i) + " out of range");
  }
  return savedSources_[i];
}

void FeaturePipeline::bindScoreSource(std::size_t i, std::shared_ptr<const ScoreSource> source) {
  if (i >= scoreSources_.size() || !source) {
    throw ModelError("feature pipeline: cannot bind score source " + std::to_string(i));
  }
  checkSourceMaps(scoreNames_[i].substr(6), *source, numUsers_, numItems_);
  scoreSources_[i] = std::move(source);
  savedSources_[i].clear();
  savedSources_[i].shrink_to_fit();
}

std::span<const float> FeaturePipeline::userProfile(Index user) const {
  if (beh_->profile.empty() || user >= numUsers_ || !hasProfile(user)) return {};
  return {beh_->profile.data() + static_cast<std::size_t>(user) * itemDim_, itemDim_};
}

bool FeaturePipeline::hasProfile(Index user) const {
  return user < numUsers_ && beh_->engOffsets[user + 1] > beh_->engOffsets[user];
}

std::vector<std::pair<Index, float>> FeaturePipeline::profileItems(Index user) const {
  std::vector<std::pair<Index, float>> out;
  if (user >= numUsers_) return out;
  for (auto k = beh_->engOffsets[user]; k < beh_->engOffsets[user + 1]; ++k) {
    out.emplace_back(beh_->engItems[k], beh_->engWeights[k]);
  }
  return out;
}

double FeaturePipeline::profileCosine(Index user, Index item) const {
  const auto p = userProfile(user);
  if (p.empty() || item >= numItems_) return 0.0;
  const double n2 = beh_->profileNorm2[user] * beh_->itemNorm2[item];
  return n2 > 0 ? dot(itemContent_[item], p) / std::sqrt(n2) : 0.0;
}

void FeaturePipeline::behaviourFeatures(Index u, Index i, bool loo, float looWeight, float looCount,
                                        SparseVector& out) const {
  const Behaviour& b = *beh_;
  const auto& bc = config_.behaviour;
  auto idx = static_cast<std::uint32_t>(userDim_ + itemDim_ + crossDim_);
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
    if (!p.empty() && b.itemNorm2[i] > 0) {
      double pd = dot(itemContent_[i], p);
      double pn2 = b.profileNorm2[u];
      if (loo) {
        // Remove the row's own engagement: P' = P - w x_i.
        const double w = looWeight;
        pn2 = pn2 - 2.0 * w * pd + w * w * b.itemNorm2[i];
        pd = pd - w * b.itemNorm2[i];
      }
      if (pn2 > 1e-12) cosv = pd / std::sqrt(pn2 * b.itemNorm2[i]);
    }
    push(cosv);
  }
  const bool newUser = u >= numUsers_;  // kNoIndex: no training interactions
  for (const auto& af : b.affinity) {
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
  if (bc.itemPopularity) {
    // Not leave-one-out: negatives are drawn from items with training interactions (count >= 1),
    // so a positive whose only interaction is its own would be the only "new" (count 0) rows
    // in training, and the model would learn "new item => engaged" and rank never-seen items
    // first at serving (gbdt scored nDCG 0 on the sample data that way).
    (void)looCount;
    const double count = b.itemCount[i];
    pushExplicit(std::log1p(1e5 * count / std::max(1.0, b.totalInteractions)));
    pushExplicit(count == 0.0 ? 1.0 : 0.0);
  }
  if (bc.itemRecency) {
    const double days =
        b.itemLast[i] == kNoTimestamp ? 0.0 : static_cast<double>(b.tMax - b.itemLast[i]) / kDay;
    pushExplicit(b.itemLast[i] == kNoTimestamp ? 0.0 : std::log1p(std::max(0.0, days)) + 1.0);
  }
  if (bc.userActivity) pushExplicit(newUser ? 0.0 : std::log1p(b.userCount[u]));
}

namespace {
void appendCross(const SparseVector& userAttr, const SparseVector& item, std::uint32_t uStart,
                 std::uint32_t uDim, std::uint32_t iStart, std::uint32_t iDim, std::uint32_t offset,
                 SparseVector& out) {
  for (const auto& uf : userAttr) {
    if (uf.index < uStart || uf.index >= uStart + uDim) continue;
    for (const auto& itf : item) {
      if (itf.index < iStart || itf.index >= iStart + iDim) continue;
      out.push_back(
          {offset + (uf.index - uStart) * iDim + (itf.index - iStart), uf.value * itf.value});
    }
  }
}
}  // namespace

void FeaturePipeline::rowInto(Index u, const SparseVector& userAttr, Index i, bool loo,
                              float looWeight, float looCount, const float* scores,
                              SparseVector& out) const {
  out.clear();
  for (const auto& f : userAttr) out.push_back(f);
  const auto io = static_cast<std::uint32_t>(userDim_);
  for (const auto& f : itemContent_[i]) out.push_back({io + f.index, f.value});
  if (!crossEncoders_.empty()) {
    const auto& us = userStarts_;
    const auto& is = itemStarts_;
    for (std::size_t c = 0; c < crossEncoders_.size(); ++c) {
      const auto [ue, ie] = crossEncoders_[c];
      appendCross(userAttr, itemContent_[i], us[ue],
                  static_cast<std::uint32_t>(userEncoders_[ue].dim()), is[ie],
                  static_cast<std::uint32_t>(itemEncoders_[ie].dim()),
                  static_cast<std::uint32_t>(crossOffsets_[c]), out);
    }
  }
  behaviourFeatures(u, i, loo, looWeight, looCount, out);
  const auto so = static_cast<std::uint32_t>(names_.size());
  for (std::size_t m = 0; m < scoreSources_.size(); ++m) {
    const float s = scores[m];
    if (s != 0.0f && std::isfinite(s)) out.push_back({so + static_cast<std::uint32_t>(m), s});
  }
}

namespace {
// The type every encoder of a column accepts, preferring the column's own type.
ColumnType conformType(const std::vector<const ColumnEncoder*>& encs, ColumnType own) {
  auto all = [&](ColumnType t) {
    return std::all_of(encs.begin(), encs.end(), [t](const auto* e) { return e->accepts(t); });
  };
  if (all(own)) return own;
  for (auto t : {ColumnType::kCategorical, ColumnType::kMultiCategorical, ColumnType::kNumeric,
                 ColumnType::kText}) {
    if (all(t)) return t;
  }
  return own;  // no single type suits every encoder: encodeUserAttributes reports it
}

AttributeColumn convertColumn(const AttributeColumn& src, ColumnType target) {
  AttributeColumn out;
  out.name = src.name;
  out.type = target;
  const std::size_t n = src.rows();
  if (target == ColumnType::kMultiCategorical) out.offsets.push_back(0);
  for (std::size_t r = 0; r < n; ++r) {
    const std::string text = src.display(r);
    switch (target) {
      case ColumnType::kNumeric: {
        double v = std::nan("");
        if (!text.empty()) {
          const char* end = text.data() + text.size();
          const auto res = std::from_chars(text.data(), end, v);
          if (res.ec != std::errc() || res.ptr != end || !std::isfinite(v)) {
            throw SpecError("user attribute '" + src.name + "'",
                            "row " + std::to_string(r + 1) + ": '" + text +
                                "' is not a number (the model encodes this column as numeric)");
          }
        }
        out.numeric.push_back(v);
        break;
      }
      case ColumnType::kCategorical:
        out.codes.push_back(text.empty() ? -1 : out.internCategory(text));
        break;
      case ColumnType::kMultiCategorical: {
        std::size_t start = 0;
        while (start < text.size()) {
          const auto bar = std::min(text.find('|', start), text.size());
          if (bar > start) {
            const auto code = out.internCategory(std::string_view(text).substr(start, bar - start));
            out.codes.push_back(code);
          }
          start = bar + 1;
        }
        out.offsets.push_back(out.codes.size());
        break;
      }
      case ColumnType::kText:
        out.text.push_back(text);
        break;
    }
  }
  return out;
}
}  // namespace

AttributeTable FeaturePipeline::conformUserAttributes(const AttributeTable& table) const {
  AttributeTable out;
  for (std::size_t e = 0; e < userEncoders_.size(); ++e) {
    const std::string& name = userEncoders_[e].config().column;
    if (out.find(name) != nullptr) continue;
    const AttributeColumn* src = table.find(name);
    if (src == nullptr) continue;
    std::vector<const ColumnEncoder*> encs;
    for (const auto& enc : userEncoders_) {
      if (enc.config().column == name) encs.push_back(&enc);
    }
    const ColumnType t = conformType(encs, src->type);
    out.columns.push_back(t == src->type ? *src : convertColumn(*src, t));
  }
  return out;
}

SparseVector FeaturePipeline::encodeUserAttributes(const AttributeTable* table, Index row) const {
  if (!fitted_) throw ModelError("feature pipeline: not fitted");
  SparseVector out;
  std::uint32_t offset = 0;
  for (const auto& enc : userEncoders_) {
    const AttributeColumn* col = table ? table->find(enc.config().column) : nullptr;
    if (col != nullptr && !enc.accepts(col->type)) {
      throw SpecError("user attribute '" + col->name + "'",
                      "the model's '" + enc.config().kind + "' encoder cannot take a " +
                          std::string(columnTypeName(col->type)) + " value");
    }
    if (col != nullptr) {
      enc.encode(*col, row, offset, out);
    } else {
      // Absent column: an empty column of an accepted type reads as missing in every row.
      AttributeColumn missing;
      for (auto t : {ColumnType::kCategorical, ColumnType::kNumeric, ColumnType::kText}) {
        if (enc.accepts(t)) {
          missing.type = t;
          break;
        }
      }
      enc.encode(missing, row, offset, out);
    }
    offset += static_cast<std::uint32_t>(enc.dim());
  }
  return out;
}

SparseMatrix FeaturePipeline::newUserPairMatrix(const NewUser& user,
                                                std::span<const Index> items) const {
  return userPairMatrix(PairUser::fresh(user), items);
}

void FeaturePipeline::scoreSourceValues(const PairUser& user, std::span<const Index> items,
                                        std::span<const KnownScores> known,
                                        std::span<float> scores) const {
  const std::size_t ns = scoreSources_.size();
  std::vector<float> buf;
  for (std::size_t m = 0; m < ns; ++m) {
    std::span<const float> values;
    const auto given = std::find_if(known.begin(), known.end(),
                                    [m](const KnownScores& k) { return k.model == m; });
    if (given != known.end()) {
      values = given->values;
    } else {
      // With one score model the layout is the model's own: score straight into `scores`.
      std::span<float> out = scores.first(items.size());
      if (ns > 1) {
        buf.resize(items.size());
        out = buf;
      }
      const ScoreSource& source = scoreSource(m);
      if (user.isNew()) {
        source.scoreNew(*user.newUser(), items, out);
      } else {
        source.scoreKnown(user.index(), items, out);
      }
      if (ns == 1) continue;
      values = out;
    }
    for (std::size_t k = 0; k < items.size(); ++k) scores[k * ns + m] = values[k];
  }
}

void FeaturePipeline::appendRows(Index u, const SparseVector& attr, std::span<const Index> items,
                                 std::span<const float> scores, SparseMatrix& m) const {
  const std::size_t ns = scoreSources_.size();
  SparseVector row;
  for (std::size_t k = 0; k < items.size(); ++k) {
    rowInto(u, attr, items[k], false, 0.0f, 0.0f, scores.data() + k * ns, row);
    m.appendRow(row);
  }
}

SparseMatrix FeaturePipeline::userPairMatrix(const PairUser& user, std::span<const Index> items,
                                             std::span<const KnownScores> known) const {
  if (!fitted_) throw ModelError("feature pipeline: not fitted");
  if (!user.isNew() && user.index() >= numUsers_) {
    throw ModelError("feature pipeline: user " + std::to_string(user.index()) + " out of range");
  }
  for (auto i : items) {
    if (i >= numItems_)
      throw ModelError("feature pipeline: item " + std::to_string(i) + " out of range");
  }
  for (const auto& k : known) {
    if (k.model >= scoreSources_.size() || k.values.size() != items.size()) {
      throw ModelError("feature pipeline: known scores for score source " +
                       std::to_string(k.model) + " (" + std::to_string(scoreSources_.size()) +
                       " sources) have " + std::to_string(k.values.size()) + " values for " +
                       std::to_string(items.size()) + " items");
    }
  }
  // Serving-time rows use the full training statistics (leave-one-out is only for the training
  // rows built by buildTrainingMatrix).
  const SparseVector fresh =
      user.isNew() ? encodeUserAttributes(user.newUser()->attributes, user.newUser()->row)
                   : SparseVector{};
  const SparseVector& attr = user.isNew() ? fresh : userAttr_[user.index()];
  std::vector<float> scores(items.size() * scoreSources_.size(), 0.0f);
  scoreSourceValues(user, items, known, scores);
  SparseMatrix mat;
  mat.cols = dim();
  mat.offsets.reserve(items.size() + 1);
  appendRows(user.isNew() ? kNoIndex : user.index(), attr, items, scores, mat);
  return mat;
}

std::vector<float> FeaturePipeline::historyCosine(std::span<const Index> history,
                                                  std::span<const Index> items) const {
  if (!fitted_) throw ModelError("feature pipeline: not fitted");
  std::vector<float> profile(itemDim_, 0.0f);
  for (auto h : history) {
    if (h >= numItems_)
      throw ModelError("feature pipeline: item " + std::to_string(h) + " out of range");
    for (const auto& f : itemContent_[h]) profile[f.index] += f.value;
  }
  double pn2 = 0.0;
  for (float v : profile) pn2 += static_cast<double>(v) * v;
  std::vector<float> out(items.size(), 0.0f);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const Index i = items[k];
    if (i >= numItems_)
      throw ModelError("feature pipeline: item " + std::to_string(i) + " out of range");
    const double n2 = i < beh_->itemNorm2.size() ? pn2 * beh_->itemNorm2[i] : 0.0;
    if (n2 > 0) out[k] = static_cast<float>(dot(itemContent_[i], profile) / std::sqrt(n2));
  }
  return out;
}

void FeaturePipeline::checkPair(Index user, Index item) const {
  if (!fitted_) throw ModelError("feature pipeline: not fitted");
  if (user >= numUsers_ || item >= numItems_) {
    throw ModelError("feature pipeline: pair (" + std::to_string(user) + ", " +
                     std::to_string(item) + ") out of range");
  }
}

void FeaturePipeline::pairFeatures(Index user, Index item, SparseVector& out) const {
  checkPair(user, item);
  // Serving-time features use the full training statistics (leave-one-out is only for the
  // training rows built by buildTrainingMatrix).
  std::vector<float> scores(scoreSources_.size(), 0.0f);
  scoreSourceValues(PairUser::known(user), std::span<const Index>(&item, 1), {}, scores);
  rowInto(user, userAttr_[user], item, false, 0.0f, 0.0f, scores.data(), out);
}

SparseMatrix FeaturePipeline::pairMatrix(std::span<const Index> users,
                                         std::span<const Index> items) const {
  if (users.size() != items.size()) throw ModelError("feature pipeline: pairMatrix size mismatch");
  for (std::size_t k = 0; k < users.size(); ++k) checkPair(users[k], items[k]);
  SparseMatrix m;
  m.cols = dim();
  m.offsets.reserve(users.size() + 1);
  // Score models are called once per run of equal users (the common case: one user's candidates).
  std::vector<float> scores;
  for (std::size_t s = 0; s < users.size();) {
    std::size_t e = s;
    while (e < users.size() && users[e] == users[s]) ++e;
    const auto run = items.subspan(s, e - s);
    scores.assign(run.size() * scoreSources_.size(), 0.0f);
    scoreSourceValues(PairUser::known(users[s]), run, {}, scores);
    appendRows(users[s], userAttr_[users[s]], run, scores, m);
    s = e;
  }
  return m;
}

TrainingMatrix FeaturePipeline::buildTrainingMatrix(const Dataset& train, std::uint64_t seed,
                                                    TaskContext& ctx) const {
  if (!fitted_) throw ModelError("feature pipeline: buildTrainingMatrix before fit");
  if (train.numUsers() != numUsers_ || train.numItems() != numItems_) {
    throw ModelError("feature pipeline: training data has other id maps than the fitted data");
  }
  const auto& log = train.interactions;
  // Per user: positive items (with LOO weight and count) and explicit negatives.
  const Csr counts = train.userItemMatrix(true);
  std::vector<std::vector<Index>> pos(numUsers_), expNeg(numUsers_);
  for (std::size_t r = 0; r < log.size(); ++r) {
    if (isPositive(log, r)) pos[log.user[r]].push_back(log.item[r]);
  }
  for (auto& p : pos) {
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
  }
  if (config_.labels.mode == "threshold" && config_.labels.explicitNegatives) {
    for (std::size_t r = 0; r < log.size(); ++r) {
      const Index u = log.user[r], i = log.item[r];
      if (!isPositive(log, r) && !std::binary_search(pos[u].begin(), pos[u].end(), i)) {
        expNeg[u].push_back(i);
      }
    }
    for (auto& p : expNeg) {
      std::sort(p.begin(), p.end());
      p.erase(std::unique(p.begin(), p.end()), p.end());
    }
  }
  // Negative candidates: items with training interactions (never items unseen in training,
  // which would teach "new item => negative" and touch held-out items).
  std::vector<Index> pool;
  std::vector<double> cdf;
  for (Index i = 0; i < numItems_; ++i) {
    if (beh_->itemCount[i] > 0) {
      pool.push_back(i);
      const double w = config_.negatives.sampling == "popularity"
                           ? std::pow(beh_->itemCount[i], config_.negatives.popularityExponent)
                           : 1.0;
      cdf.push_back((cdf.empty() ? 0.0 : cdf.back()) + w);
    }
  }
  const bool usePop = config_.negatives.sampling == "popularity";
  std::vector<SparseMatrix> parts(numUsers_);
  std::vector<std::vector<float>> labels(numUsers_);
  std::vector<std::vector<Index>> items(numUsers_);
  std::atomic<std::size_t> done{0};
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, numUsers_, 16),
      [&](const tbb::blocked_range<std::size_t>& range) {
        if (ctx.stopRequested()) return;
        SparseVector row;
        std::vector<float> sc;
        for (std::size_t uu = range.begin(); uu != range.end(); ++uu) {
          const auto u = static_cast<Index>(uu);
          auto& part = parts[u];
          part.cols = dim();
          std::mt19937_64 rng(splitmix64(seed ^ splitmix64(u)));
          const auto seen = counts.rowIndices(u);
          // A dropped-out user's rows are the rows a new user with these attributes gets.
          const double dropout = config_.behaviour.coldUserDropout;
          const bool asNew =
              dropout > 0.0 &&
              static_cast<double>(splitmix64(seed ^ 0xC01DC01DULL ^ splitmix64(u)) >> 11) *
                      0x1.0p-53 <
                  dropout;
          const NewUser unknown{&train.userAttributes, u, {}};
          auto addRow = [&](Index i, float label, bool loo) {
            loo = loo && !asNew;  // a history-less row has no own engagement to leave out
            float looW = 0.0f, looC = 0.0f;
            if (loo) {
              const auto b0 =
                  beh_->engItems.begin() + static_cast<std::ptrdiff_t>(beh_->engOffsets[u]);
              const auto b1 =
                  beh_->engItems.begin() + static_cast<std::ptrdiff_t>(beh_->engOffsets[u + 1]);
              const auto it = std::lower_bound(b0, b1, i);
              if (it != b1 && *it == i) {
                const auto k = static_cast<std::size_t>(it - beh_->engItems.begin());
                looW = beh_->engWeights[k];
                looC = beh_->engCounts[k];
              }
            }
            sc.assign(scoreSources_.size(), 0.0f);
            scoreSourceValues(asNew ? PairUser::fresh(unknown) : PairUser::known(u),
                              std::span<const Index>(&i, 1), {}, sc);
            rowInto(asNew ? kNoIndex : u, userAttr_[u], i, loo, looW, looC, sc.data(), row);
            part.appendRow(row);
            labels[u].push_back(label);
            items[u].push_back(i);
          };
          for (Index i : pos[u]) addRow(i, 1.0f, true);
          for (Index i : expNeg[u]) addRow(i, 0.0f, false);
          if (pos[u].empty() || pool.empty()) continue;
          const double want = config_.negatives.ratio * static_cast<double>(pos[u].size());
          auto n = static_cast<std::size_t>(want);
          if (std::uniform_real_distribution<double>(0, 1)(rng) < want - static_cast<double>(n))
            ++n;
          n = std::min(n, pool.size() > seen.size() ? pool.size() - seen.size() : std::size_t{0});
          std::unordered_set<Index> drawn;
          std::size_t tries = 0;
          while (drawn.size() < n && tries < 50 * n + 100) {
            ++tries;
            std::size_t k;
            if (usePop) {
              const double x = std::uniform_real_distribution<double>(0, cdf.back())(rng);
              k = static_cast<std::size_t>(std::upper_bound(cdf.begin(), cdf.end(), x) -
                                           cdf.begin());
              k = std::min(k, pool.size() - 1);
            } else {
              k = std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng);
            }
            const Index i = pool[k];
            if (std::binary_search(seen.begin(), seen.end(), i) || drawn.count(i)) continue;
            drawn.insert(i);
            addRow(i, 0.0f, false);
          }
        }
        const auto d = done.fetch_add(range.size()) + range.size();
        ctx.progress(static_cast<double>(d) / static_cast<double>(numUsers_), "training matrix");
      });
  ctx.throwIfStopped();
  TrainingMatrix tm;
  tm.x.cols = dim();
  std::size_t nnz = 0, nrows = 0;
  for (const auto& p : parts) {
    nnz += p.entries.size();
    nrows += p.rows();
  }
  tm.x.entries.reserve(nnz);
  tm.x.offsets.reserve(nrows + 1);
  tm.label.reserve(nrows);
  for (Index u = 0; u < numUsers_; ++u) {
    const auto& p = parts[u];
    for (std::size_t r = 0; r < p.rows(); ++r) tm.x.appendRow(p.row(r));
    tm.label.insert(tm.label.end(), labels[u].begin(), labels[u].end());
    tm.item.insert(tm.item.end(), items[u].begin(), items[u].end());
    tm.user.insert(tm.user.end(), labels[u].size(), u);
  }
  for (float l : tm.label) (l > 0.5f ? tm.positives : tm.negatives)++;
  return tm;
}

void FeaturePipeline::save(BinaryWriter& out) const {
  if (!fitted_) throw ModelError("feature pipeline: cannot save before fit");
  out.putString("rwb.features.v1");
  out.putString(config_.toJson().dump());
  out.put<std::uint64_t>(numUsers_);
  out.put<std::uint64_t>(numItems_);
  out.put<std::uint64_t>(userEncoders_.size());
  for (const auto& e : userEncoders_) e.save(out);
  out.put<std::uint64_t>(itemEncoders_.size());
  for (const auto& e : itemEncoders_) e.save(out);
  std::vector<std::uint64_t> cross;
  for (auto [a, b] : crossEncoders_) {
    cross.push_back(a);
    cross.push_back(b);
  }
  out.putVector(cross);
  auto putRows = [&](const std::vector<SparseVector>& rows) {
    std::vector<std::uint64_t> off{0};
    std::vector<FeatureValue> all;
    for (const auto& r : rows) {
      all.insert(all.end(), r.begin(), r.end());
      off.push_back(all.size());
    }
    out.putVector(off);
    out.putVector(all);
  };
  putRows(userAttr_);
  putRows(itemContent_);
  beh_->save(out);
  out.put<std::uint64_t>(scoreSources_.size());
  for (std::size_t m = 0; m < scoreSources_.size(); ++m) {
    out.putString(scoreNames_[m].substr(6));
    out.putString(scoreSources_[m] ? scoreSources_[m]->saveToBytes() : savedSources_[m]);
  }
}

FeaturePipeline FeaturePipeline::load(BinaryReader& in) {
  if (in.getString() != "rwb.features.v1") in.fail("not a feature pipeline (bad tag)");
  FeaturePipeline p;
  try {
    p.config_ = FeatureConfig::parse(in.getString());
  } catch (const SpecError& e) {
    in.fail(std::string("invalid feature config: ") + e.what());
  }
  p.numUsers_ = in.get<std::uint64_t>();
  p.numItems_ = in.get<std::uint64_t>();
  in.check(p.numUsers_ < kNoIndex && p.numItems_ < kNoIndex, "entity counts out of range");
  auto encs = [&](std::vector<ColumnEncoder>& list) {
    const auto n = in.get<std::uint64_t>();
    in.check(n < 100000, "too many encoders");
    for (std::uint64_t k = 0; k < n; ++k) list.push_back(ColumnEncoder::load(in));
  };
  encs(p.userEncoders_);
  encs(p.itemEncoders_);
  const auto cross = in.getVector<std::uint64_t>();
  in.check(cross.size() % 2 == 0, "cross list is odd");
  for (std::size_t k = 0; k < cross.size(); k += 2) {
    in.check(cross[k] < p.userEncoders_.size() && cross[k + 1] < p.itemEncoders_.size(),
             "cross encoder out of range");
    p.crossEncoders_.emplace_back(cross[k], cross[k + 1]);
  }
  p.userDim_ = 0;
  for (const auto& e : p.userEncoders_) p.userDim_ += e.dim();
  p.itemDim_ = 0;
  for (const auto& e : p.itemEncoders_) p.itemDim_ += e.dim();
  auto getRows = [&](std::vector<SparseVector>& rows, std::size_t n, std::size_t dim) {
    const auto off = in.getVector<std::uint64_t>();
    const auto all = in.getVector<FeatureValue>();
    in.check(off.size() == n + 1 && off.front() == 0 && off.back() == all.size(),
             "feature rows are inconsistent");
    rows.assign(n, {});
    for (std::size_t r = 0; r < n; ++r) {
      in.check(off[r] <= off[r + 1], "feature row offsets not monotone");
      rows[r].assign(all.begin() + static_cast<std::ptrdiff_t>(off[r]),
                     all.begin() + static_cast<std::ptrdiff_t>(off[r + 1]));
      for (const auto& f : rows[r]) in.check(f.index < dim, "feature index out of range");
    }
  };
  getRows(p.userAttr_, p.numUsers_, p.userDim_);
  getRows(p.itemContent_, p.numItems_, p.itemDim_);
  p.beh_->load(in, p.numUsers_, p.numItems_, p.itemDim_);
  in.check(p.beh_->affinity.size() == p.config_.behaviour.affinityColumns.size(),
           "affinity columns do not match the config");
  p.buildNames();
  p.fitted_ = true;
  const auto ns = in.get<std::uint64_t>();
  in.check(ns < 1000, "too many score models");
  for (std::uint64_t m = 0; m < ns; ++m) {
    p.scoreNames_.push_back("score:" + in.getString());
    p.savedSources_.push_back(in.getString());
    p.scoreSources_.emplace_back();
  }
  return p;
}

}  // namespace rwb
