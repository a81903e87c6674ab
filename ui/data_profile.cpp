#include "ui/data_profile.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace rwb::ui {

namespace {
void rankSeries(std::vector<std::uint32_t> counts, QVector<double>& rank, QVector<double>& count) {
  std::sort(counts.begin(), counts.end(), std::greater<>());
  // Log-log plot: keep every point of the head and thin out the tail geometrically, so millions
  // of entities draw as a few thousand points with the same shape.
  rank.clear();
  count.clear();
  double next = 1.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double r = static_cast<double>(i + 1);
    if (r + 1e-9 < next && i + 1 != counts.size()) continue;
    if (counts[i] == 0) break;  // zero counts cannot sit on a log axis
    rank << r;
    count << static_cast<double>(counts[i]);
    next = std::max(r + 1.0, r * 1.002);
  }
}
}  // namespace

DataProfile computeProfile(const Dataset& data, TaskContext& ctx) {
  DataProfile p;
  ctx.progress(0.0, "summary");
  p.summary = summarizeDataset(data);
  ctx.throwIfStopped();
  ctx.progress(0.5, "counting");
  rankSeries(data.userCounts(), p.userRank, p.userCount);
  rankSeries(data.itemCounts(), p.itemRank, p.itemCount);
  ctx.throwIfStopped();
  ctx.progress(0.7, "time");
  const auto& in = data.interactions;
  if (in.hasTimestamps()) {
    std::map<std::int64_t, double> perDay;
    for (std::int64_t t : in.timestamp) {
      if (t == kNoTimestamp) continue;
      const std::int64_t d = t >= 0 ? t / 86400 : (t - 86399) / 86400;
      perDay[d] += 1.0;
    }
    for (const auto& [d, n] : perDay) {
      p.day << static_cast<double>(d * 86400);
      p.dayCount << n;
    }
  }
  ctx.progress(1.0, "done");
  return p;
}

}  // namespace rwb::ui
