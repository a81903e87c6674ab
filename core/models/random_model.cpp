#include "core/models/random_model.h"

#include "core/util/random.h"

namespace rwb {

ModelInfo RandomModel::info() {
  ModelInfo m;
  m.name = "random";
  m.displayName = "Random";
  m.family = "baseline";
  m.description =
      "A seeded random ranking (deterministic per run seed, user and item): the floor to beat.";
  return m;
}

void RandomModel::fitModel(const TrainingData& data, TaskContext& ctx) {
  seed_ = data.seed;
  ctx.progress(1.0, "fitted");
}

void RandomModel::scoreKey(std::uint64_t userKey, std::span<const Index> items,
                           std::span<float> out) const {
  const std::uint64_t u = splitmix64(userKey);
  for (std::size_t j = 0; j < items.size(); ++j) {
    const std::uint64_t h = splitmix64(seed_ ^ splitmix64(u ^ splitmix64(items[j])));
    // 24 bits fit a float exactly: distinct hashes stay distinct scores.
    out[j] = static_cast<float>(h >> 40) * (1.0f / 16777216.0f);
  }
}

void RandomModel::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  scoreKey(user, items, out);
}

void RandomModel::scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                    std::span<float> out) const {
  scoreKey((std::uint64_t{1} << 32) + user.row, items, out);
}

void RandomModel::saveState(BinaryWriter& out) const { out.put(seed_); }

void RandomModel::loadModelState(BinaryReader& in) { seed_ = in.get<std::uint64_t>("seed"); }

}  // namespace rwb
