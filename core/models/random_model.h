#pragma once
/// \file
/// RandomModel ("random"): a seeded random ranking, the reproducible floor every model must
/// clear, on warm and cold items and for new users alike.

#include <cstdint>

#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// score(u, i) = the top 24 bits of splitmix64(s ^ splitmix64(u ^ splitmix64(i))) / 2^24, a value
/// in [0, 1) that depends only on the fitting seed s (TrainingData::seed), the user and the item:
/// the same run seed gives the same lists on every machine, whatever the thread count or the
/// order in which items are scored. A new user is keyed by 2^32 + its attribute row. Every
/// candidate ranking is a uniformly random permutation up to ties (broken by item index), so on
/// a user with R relevant items among N candidates E[hit rate@k] = 1 - C(N-R, k)/C(N, k) and
/// E[DCG@k] = (R/N) * sum_{r=1..k} 1/log2(r+1).
class RandomModel final : public Model {
 public:
  explicit RandomModel(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "random"; }
  bool canScoreUser(Index) const override { return true; }
  bool canScoreNewUser(const NewUser&) const override { return true; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  void scoreKey(std::uint64_t userKey, std::span<const Index> items, std::span<float> out) const;
  std::uint64_t seed_ = 0;
};

}  // namespace rwb
