#include "ui/data_profile.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace rwb::ui {

namespace {
void rankSeries(std::vector<std::uint32_t> counts, QVector<double>& rank, QVector<double>& count,
                std::uint32_t& median) {
  std::sort(counts.begin(), counts.end(), std::greater<>());
  median = counts.empty() ? 0 : counts[counts.size() / 2];
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
  p.users = data.numUsers();
  p.items = data.numItems();
  p.interactions = data.numInteractions();
  if (p.users > 0 && p.items > 0) {
    p.density = static_cast<double>(p.interactions) /
                (static_cast<double>(p.users) * static_cast<double>(p.items));
  }
  ctx.progress(0.1, "counting");
  const auto uc = data.userCounts();
  const auto ic = data.itemCounts();
  {
    std::vector<std::uint32_t> sorted = ic;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    const std::size_t top = std::max<std::size_t>(1, sorted.size() / 5);
    const double head =
        std::accumulate(sorted.begin(), sorted.begin() + std::min(top, sorted.size()), 0.0);
    p.top20ItemShare = p.interactions > 0 ? head / static_cast<double>(p.interactions) : 0.0;
  }
  rankSeries(uc, p.userRank, p.userCount, p.medianUserCount);
  rankSeries(ic, p.itemRank, p.itemCount, p.medianItemCount);
  ctx.throwIfStopped();
  ctx.progress(0.4, "values");

  const auto& in = data.interactions;
  if (!in.empty()) {
    const auto [mn, mx] = std::minmax_element(in.value.begin(), in.value.end());
    p.minValue = *mn;
    p.maxValue = *mx;
    p.meanValue =
        std::accumulate(in.value.begin(), in.value.end(), 0.0) / static_cast<double>(in.size());
    std::map<float, std::size_t> distinct;
    for (float v : in.value) {
      if (distinct.size() > 64) break;
      ++distinct[v];
    }
    if (distinct.size() <= 64) {
      p.distinctValues = distinct.size();
      for (const auto& [v, n] : distinct) {
        p.valueBin << v;
        p.valueFreq << static_cast<double>(n);
      }
      p.valueBinWidth = 0.8;
      if (distinct.size() > 1) {
        double gap = 1e300;
        for (auto it = std::next(distinct.begin()); it != distinct.end(); ++it) {
          gap = std::min(gap, static_cast<double>(it->first - std::prev(it)->first));
        }
        p.valueBinWidth = gap * 0.8;
      }
    } else {
      p.distinctValues = 65;  // "more than 64"
      constexpr int kBins = 40;
      const double lo = p.minValue, hi = p.maxValue;
      const double w = (hi - lo) / kBins;
      std::vector<double> freq(kBins, 0.0);
      for (float v : in.value) {
        int b = w > 0 ? static_cast<int>((v - lo) / w) : 0;
        freq[static_cast<std::size_t>(std::clamp(b, 0, kBins - 1))] += 1.0;
      }
      for (int b = 0; b < kBins; ++b) {
        p.valueBin << lo + (b + 0.5) * w;
        p.valueFreq << freq[static_cast<std::size_t>(b)];
      }
      p.valueBinWidth = w * 0.9;
    }
  }
  ctx.throwIfStopped();
  ctx.progress(0.7, "time");
  if (in.hasTimestamps()) {
    std::map<std::int64_t, double> perDay;
    for (std::int64_t t : in.timestamp) {
      if (t == kNoTimestamp) continue;
      const std::int64_t d = t >= 0 ? t / 86400 : (t - 86399) / 86400;
      perDay[d] += 1.0;
    }
    if (!perDay.empty()) {
      p.firstTime = perDay.begin()->first * 86400;
      p.lastTime = perDay.rbegin()->first * 86400 + 86399;
      p.firstTime = *std::min_element(in.timestamp.begin(), in.timestamp.end(), [](auto a, auto b) {
        return (a == kNoTimestamp ? INT64_MAX : a) < (b == kNoTimestamp ? INT64_MAX : b);
      });
      p.lastTime = *std::max_element(in.timestamp.begin(), in.timestamp.end());
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
