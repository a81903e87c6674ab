// FeaturePipeline::save and FeaturePipeline::load: the "rwb.features.v1" byte layout.
#include "core/features/behaviour_stats.h"
#include "core/features/cell_popularity.h"
#include "core/features/feature_pipeline.h"
#include "core/util/error.h"

namespace rwb {

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
  // Only pipelines with cells write them: files without cells keep the earlier layout.
  if (!config_.behaviour.cellPopularity.empty()) cells_->save(out);
  out.put<std::uint64_t>(scoreSources_.size());
  for (std::size_t m = 0; m < scoreSources_.size(); ++m) {
    out.putString(scoreNames_[m].substr(6));
    out.putString(scoreSources_[m] ? scoreSources_[m]->saveToBytes() : savedSources_[m]);
  }
}

FeaturePipeline FeaturePipeline::load(BinaryReader& in) {
  const auto scope = in.scope("pipeline");
  if (in.getString("tag") != "rwb.features.v1") in.fail("not a feature pipeline (bad tag)");
  FeaturePipeline p;
  try {
    p.config_ = FeatureConfig::parse(in.getString("config"));
  } catch (const SpecError& e) {
    in.fail(std::string("invalid feature config: ") + e.what());
  }
  p.numUsers_ = in.get<std::uint64_t>("num_users");
  in.check(p.numUsers_ < kNoIndex, "entity count out of range");
  p.numItems_ = in.get<std::uint64_t>("num_items");
  in.check(p.numItems_ < kNoIndex, "entity count out of range");
  auto encs = [&](std::vector<ColumnEncoder>& list, const std::string& field) {
    const auto n = in.get<std::uint64_t>(field + ".size");
    in.check(n < 100000, "too many encoders");
    for (std::uint64_t k = 0; k < n; ++k) {
      const auto encoder = in.scope(field + "[" + std::to_string(k) + "]");
      list.push_back(ColumnEncoder::load(in));
    }
  };
  encs(p.userEncoders_, "user_encoders");
  encs(p.itemEncoders_, "item_encoders");
  const auto cross = in.getVector<std::uint64_t>("cross_encoders");
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
  auto getRows = [&](std::vector<SparseVector>& rows, const char* field, std::size_t n,
                     std::size_t dim) {
    const auto rowsScope = in.scope(field);
    const auto off = in.getVector<std::uint64_t>("offsets");
    in.check(off.size() == n + 1 && off.front() == 0, "feature rows are inconsistent");
    // Every end checked before a row is used: a runaway offset followed by a smaller one
    // passes a front/back test (found by tests/fuzz, package target).
    for (std::size_t r = 0; r < n; ++r) {
      in.check(off[r] <= off[r + 1], "feature row offsets not monotone");
    }
    const auto all = in.getVector<FeatureValue>("values");
    in.check(off.back() == all.size(), "feature rows are inconsistent");
    rows.assign(n, {});
    for (std::size_t r = 0; r < n; ++r) {
      rows[r].assign(all.begin() + static_cast<std::ptrdiff_t>(off[r]),
                     all.begin() + static_cast<std::ptrdiff_t>(off[r + 1]));
      for (const auto& f : rows[r]) in.check(f.index < dim, "feature index out of range");
    }
  };
  getRows(p.userAttr_, "user_attributes", p.numUsers_, p.userDim_);
  getRows(p.itemContent_, "item_content", p.numItems_, p.itemDim_);
  {
    const auto behaviour = in.scope("behaviour");
    *p.beh_ = BehaviourStats::load(in, p.config_.behaviour, p.numUsers_, p.numItems_, p.itemDim_);
  }
  if (!p.config_.behaviour.cellPopularity.empty()) {
    *p.cells_ = CellPopularity::load(in, p.config_.behaviour, p.numUsers_, p.numItems_, p.userDim_);
  }
  p.buildNames();
  p.fitted_ = true;
  const auto ns = in.get<std::uint64_t>("score_models.size");
  in.check(ns < 1000, "too many score models");
  for (std::uint64_t m = 0; m < ns; ++m) {
    const auto source = in.scope("score_models[" + std::to_string(m) + "]");
    p.scoreNames_.push_back("score:" + in.getString("name"));
    p.savedSources_.push_back(in.getString("model"));
    p.scoreSources_.emplace_back();
  }
  return p;
}

}  // namespace rwb
