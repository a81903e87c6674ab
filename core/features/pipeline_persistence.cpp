// FeaturePipeline::save and FeaturePipeline::load: the "rwb.features.v1" byte layout.
#include "core/features/behaviour_stats.h"
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
      // Each end checked before it is used: a runaway offset followed by a smaller one passes
      // the front/back test above (found by tests/fuzz, package target).
      in.check(off[r] <= off[r + 1] && off[r + 1] <= all.size(),
               "feature row offsets not monotone");
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
