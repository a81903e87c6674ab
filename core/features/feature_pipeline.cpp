// FeaturePipeline: construction, fit, refitBehaviour, feature names, score-source slots and the
// behavioural queries it forwards to BehaviourStats. Rows, the training matrix, attribute
// conformance and persistence are defined in pair_rows.cpp, training_matrix.cpp,
// attribute_conformance.cpp and pipeline_persistence.cpp.
#include "core/features/feature_pipeline.h"

#include <algorithm>

#include "core/features/behaviour_stats.h"
#include "core/features/cell_popularity.h"
#include "core/util/error.h"

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

FeaturePipeline::FeaturePipeline(FeatureConfig config)
    : config_(std::move(config)),
      beh_(std::make_unique<BehaviourStats>()),
      cells_(std::make_unique<CellPopularity>()) {}
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
  // The cells are read from block 1, whose encoder slices buildNames() lays out.
  next.userStarts_ = encoderStarts(next.userEncoders_);
  *next.cells_ = CellPopularity::compute(train, config_.labels, config_.behaviour,
                                         next.userEncoders_, next.userStarts_, next.userAttr_);
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
  auto freshCells = std::make_unique<CellPopularity>(CellPopularity::compute(
      data, config_.labels, config_.behaviour, userEncoders_, userStarts_, userAttr_));
  // Validate before mutate: the old statistics stay on failure or Cancelled.
  ctx.throwIfStopped();
  beh_ = std::move(fresh);
  cells_ = std::move(freshCells);
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
  const auto behaviourNames = beh_->featureNames();
  names_.insert(names_.end(), behaviourNames.begin(), behaviourNames.end());
  const auto cellNames = cells_->featureNames();
  names_.insert(names_.end(), cellNames.begin(), cellNames.end());
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

}  // namespace rwb
