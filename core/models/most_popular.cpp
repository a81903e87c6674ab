#include "core/models/most_popular.h"

#include <algorithm>
#include <cmath>

#include "core/data/timestamps.h"
#include "core/util/error.h"

namespace rwb {

ModelInfo MostPopular::info() {
  ModelInfo m;
  m.name = "most_popular";
  m.displayName = "Most popular";
  m.family = "baseline";
  m.description = "Ranks items by their number of training interactions; the same list for all.";
  m.schema.params =
      paramList(boolParam("weighted", false)
                    .searched()
                    .describe("Sum interaction values instead of counting interactions"),
                floatParam("half_life_days", 0.0)
                    .range(0, 3650)
                    .searchRange(0, 365)
                    .describe("Exponential time decay of old interactions in days (0 = no decay)"));
  return m;
}

void MostPopular::fitModel(const TrainingData& data, TaskContext& ctx) {
  const auto& log = data.train.interactions;
  const bool weighted = paramBool("weighted");
  const double halfLife = paramDouble("half_life_days") * 86400.0;
  if (halfLife > 0) {
    if (const auto why = implausibleTimestampRefusal(data.train, "most_popular with half_life_days",
                                                     "or set half_life_days to 0");
        !why.empty()) {
      throw ModelError(why);
    }
  }
  std::int64_t tMax = kNoTimestamp;
  for (auto t : log.timestamp) tMax = std::max(tMax, t);
  std::vector<double> acc(numItems(), 0.0);
  for (std::size_t r = 0; r < log.size(); ++r) {
    double w = weighted ? log.value[r] : 1.0;
    if (halfLife > 0 && log.timestamp[r] != kNoTimestamp) {
      w *= std::exp2(-static_cast<double>(tMax - log.timestamp[r]) / halfLife);
    }
    acc[log.item[r]] += w;
    if ((r & 0xFFFFF) == 0) ctx.throwIfStopped();
  }
  scores_.assign(acc.begin(), acc.end());
  ctx.progress(1.0, "fitted");
}

void MostPopular::scoreItems(Index, std::span<const Index> items, std::span<float> out) const {
  for (std::size_t j = 0; j < items.size(); ++j) out[j] = scores_[items[j]];
}

void MostPopular::scoreAllItems(Index, std::span<float> out) const {
  std::copy(scores_.begin(), scores_.end(), out.begin());
}

void MostPopular::saveState(BinaryWriter& out) const { out.putVector(scores_); }

void MostPopular::loadModelState(BinaryReader& in) {
  scores_ = in.getVector<float>("scores");
  in.check(scores_.size() == numItems(), "score vector has the wrong length");
}

}  // namespace rwb
