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
#include "core/features/behaviour_stats.h"
#include "core/util/error.h"
#include "core/util/json.h"
#include "core/util/random.h"

namespace rwb {

namespace {
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

// The newest timestamp of the log (0 without timestamps): "now" for recency and decay.
std::int64_t newestTimestamp(const Interactions& log) {
  std::int64_t tMax = 0;
  for (auto t : log.timestamp)
    if (t != kNoTimestamp) tMax = std::max(tMax, t);
  return tMax;
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// FeaturePipeline

FeaturePipeline::FeaturePipeline(FeatureConfig config)
    : config_(std::move(config)), beh_(std::make_unique<BehaviourStats>()) {}
FeaturePipeline::~FeaturePipeline() = default;
FeaturePipeline::FeaturePipeline(FeaturePipeline&&) noexcept = default;
FeaturePipeline& FeaturePipeline::operator=(FeaturePipeline&&) noexcept = default;

bool FeaturePipeline::isPositive(const Interactions& log, std::size_t r) const {
  return config_.labels.isPositive(log, r);
}

void FeaturePipeline::fit(const Dataset& train, TaskContext& ctx) {
  if (train.numInteractions() == 0) throw ModelError("feature pipeline: the training set is empty");
  BehaviourStats::checkTimestamps(config_.behaviour, train);
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

  const std::int64_t tMax = newestTimestamp(log);

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

  *next.beh_ = BehaviourStats::compute(train, config_.labels, config_.behaviour, next.itemContent_,
                                       next.itemDim_, tMax, ctx);
  next.buildNames();
  next.fitted_ = true;
  ctx.throwIfStopped();
  // Score models are tied to the previous fit's data; they are not carried over.
  *this = std::move(next);
  ctx.progress(1.0, "features fitted");
}

void FeaturePipeline::refitBehaviour(const Dataset& data, TaskContext& ctx) {
  if (!fitted_) throw ModelError("feature pipeline: refitBehaviour before fit");
  if (data.numUsers() != numUsers_ || data.numItems() != numItems_) {
    throw ModelError(
        "feature pipeline: refitBehaviour data has other id maps than the fitted data");
  }
  if (data.numInteractions() == 0) throw ModelError("feature pipeline: the data set is empty");
  BehaviourStats::checkTimestamps(config_.behaviour, data);
  const std::int64_t tMax = newestTimestamp(data.interactions);
  auto fresh = std::make_unique<BehaviourStats>(BehaviourStats::compute(
      data, config_.labels, config_.behaviour, itemContent_, itemDim_, tMax, ctx));
  // Validate before mutate: the old statistics stay on failure or Cancelled.
  ctx.throwIfStopped();
  beh_ = std::move(fresh);
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
  const auto behaviourNames = BehaviourStats::featureNames(config_.behaviour);
  names_.insert(names_.end(), behaviourNames.begin(), behaviourNames.end());
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
  return beh_->userProfile(user);
}

bool FeaturePipeline::hasProfile(Index user) const { return beh_->hasProfile(user); }

std::vector<std::pair<Index, float>> FeaturePipeline::profileItems(Index user) const {
  return beh_->profileItems(user);
}

double FeaturePipeline::profileCosine(Index user, Index item) const {
  if (item >= numItems_) return 0.0;
  return beh_->profileCosine(user, item, itemContent_[item]);
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
                              float looWeight, const float* scores, SparseVector& out) const {
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
  beh_->appendFeatures(u, i, itemContent_[i], loo, looWeight,
                       static_cast<std::uint32_t>(userDim_ + itemDim_ + crossDim_), out);
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
    rowInto(u, attr, items[k], false, 0.0f, scores.data() + k * ns, row);
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
  for (auto h : history) {
    if (h >= numItems_)
      throw ModelError("feature pipeline: item " + std::to_string(h) + " out of range");
  }
  for (auto i : items) {
    if (i >= numItems_)
      throw ModelError("feature pipeline: item " + std::to_string(i) + " out of range");
  }
  return beh_->historyCosine(history, items, itemContent_);
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
  rowInto(user, userAttr_[user], item, false, 0.0f, scores.data(), out);
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
    if (beh_->itemCount(i) > 0) {
      pool.push_back(i);
      const double w = config_.negatives.sampling == "popularity"
                           ? std::pow(beh_->itemCount(i), config_.negatives.popularityExponent)
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
            const float looW = loo ? beh_->engagement(u, i).first : 0.0f;
            sc.assign(scoreSources_.size(), 0.0f);
            scoreSourceValues(asNew ? PairUser::fresh(unknown) : PairUser::known(u),
                              std::span<const Index>(&i, 1), {}, sc);
            rowInto(asNew ? kNoIndex : u, userAttr_[u], i, loo, looW, sc.data(), row);
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
  *p.beh_ = BehaviourStats::load(in, p.config_.behaviour, p.numUsers_, p.numItems_, p.itemDim_);
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
