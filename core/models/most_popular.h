#pragma once
/// \file
/// MostPopular: recommends the items with the most training interactions (optionally weighted
/// by value and decayed by age). The baseline every other model must beat.

#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// score(u, i) = sum over training interactions of i of w * 2^(-(t_max - t) / half_life),
/// where w = value if `weighted` else 1, and the decay factor is 1 when half_life_days = 0.
/// The same score for every user; seen items are excluded by recommend().
class MostPopular final : public Model {
 public:
  explicit MostPopular(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "most_popular"; }
  bool canScoreUser(Index) const override { return true; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  std::vector<float> scores_;
};

}  // namespace rwb
