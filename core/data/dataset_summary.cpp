#include "core/data/dataset_summary.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <unordered_set>

namespace rwb {

CountQuantiles countQuantiles(std::vector<std::uint32_t> counts) {
  CountQuantiles q;
  if (counts.empty()) return q;
  std::sort(counts.begin(), counts.end());
  const std::size_t n = counts.size();
  auto at = [&](double p) {
    const double h = static_cast<double>(n - 1) * p;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, n - 1);
    return counts[lo] +
           (h - static_cast<double>(lo)) * (static_cast<double>(counts[hi]) - counts[lo]);
  };
  q.min = counts.front();
  q.max = counts.back();
  q.p25 = at(0.25);
  q.median = at(0.5);
  q.p75 = at(0.75);
  q.p90 = at(0.9);
  q.p99 = at(0.99);
  double sum = 0;
  for (auto c : counts) sum += c;
  q.mean = sum / static_cast<double>(n);
  return q;
}

namespace {

void summarizeTable(const AttributeTable& table, const char* entity, std::size_t rows,
                    std::vector<AttributeColumnSummary>& out) {
  for (const auto& c : table.columns) {
    AttributeColumnSummary s;
    s.entity = entity;
    s.name = c.name;
    s.type = c.type;
    s.rows = rows;
    const std::size_t stored = std::min(c.rows(), rows);
    s.missing = rows - stored;
    switch (c.type) {
      case ColumnType::kNumeric: {
        std::unordered_set<double> seen;
        for (std::size_t r = 0; r < stored; ++r) {
          if (std::isnan(c.numeric[r])) {
            ++s.missing;
          } else {
            seen.insert(c.numeric[r]);
          }
        }
        s.distinct = seen.size();
        break;
      }
      case ColumnType::kCategorical: {
        std::vector<bool> used(c.categories.size());
        for (std::size_t r = 0; r < stored; ++r) {
          if (c.codes[r] < 0) {
            ++s.missing;
          } else {
            used[static_cast<std::size_t>(c.codes[r])] = true;
          }
        }
        s.distinct = static_cast<std::uint64_t>(std::count(used.begin(), used.end(), true));
        break;
      }
      case ColumnType::kMultiCategorical: {
        std::vector<bool> used(c.categories.size());
        for (std::size_t r = 0; r < stored; ++r) {
          if (c.offsets[r] == c.offsets[r + 1]) ++s.missing;
          for (auto k = c.offsets[r]; k < c.offsets[r + 1]; ++k) {
            used[static_cast<std::size_t>(c.codes[k])] = true;
          }
        }
        s.distinct = static_cast<std::uint64_t>(std::count(used.begin(), used.end(), true));
        break;
      }
      case ColumnType::kText: {
        std::unordered_set<std::string_view> seen;
        for (std::size_t r = 0; r < stored; ++r) {
          if (c.text[r].empty()) {
            ++s.missing;
          } else {
            seen.insert(c.text[r]);
          }
        }
        s.distinct = seen.size();
        break;
      }
    }
    out.push_back(std::move(s));
  }
}

}  // namespace

DatasetSummary summarizeDataset(const Dataset& d) {
  DatasetSummary s;
  const auto& log = d.interactions;
  s.users = d.numUsers();
  s.items = d.numItems();
  s.interactions = log.size();
  if (s.users > 0 && s.items > 0) {
    s.density = static_cast<double>(s.interactions) /
                (static_cast<double>(s.users) * static_cast<double>(s.items));
  }
  auto active = [](std::vector<std::uint32_t> counts, std::uint64_t& zero) {
    const auto end = std::remove(counts.begin(), counts.end(), 0u);
    zero = static_cast<std::uint64_t>(counts.end() - end);
    counts.erase(end, counts.end());
    return counts;
  };
  s.perUser = countQuantiles(active(d.userCounts(), s.usersWithoutInteractions));
  std::vector<std::uint32_t> itemCounts = d.itemCounts();
  if (!itemCounts.empty() && s.interactions > 0) {
    const std::size_t top = std::max<std::size_t>(1, itemCounts.size() / 5);
    std::nth_element(itemCounts.begin(), itemCounts.begin() + static_cast<std::ptrdiff_t>(top - 1),
                     itemCounts.end(), std::greater<>());
    double head = 0;
    for (std::size_t i = 0; i < top; ++i) head += itemCounts[i];
    s.top20ItemShare = head / static_cast<double>(s.interactions);
  }
  s.perItem = countQuantiles(active(std::move(itemCounts), s.itemsWithoutInteractions));

  if (!log.empty()) {
    const auto [lo, hi] = std::minmax_element(log.value.begin(), log.value.end());
    s.valueMin = *lo;
    s.valueMax = *hi;
    double sum = 0;
    std::map<float, std::uint64_t> distinct;
    for (float v : log.value) {
      sum += v;
      if (distinct.size() <= 20) ++distinct[v];
    }
    s.valueMean = sum / static_cast<double>(log.size());
    if (distinct.size() <= 20) {
      s.discreteValues = true;
      for (const auto& [v, n] : distinct) s.valueHistogram.push_back({v, v, n});
    } else {
      const int bins = 10;
      const double width = (s.valueMax - s.valueMin) / bins;
      for (int b = 0; b < bins; ++b) {
        s.valueHistogram.push_back({s.valueMin + b * width, s.valueMin + (b + 1) * width, 0});
      }
      s.valueHistogram.back().upper = s.valueMax;
      for (float v : log.value) {
        auto b = width > 0 ? static_cast<int>((v - s.valueMin) / width) : 0;
        b = std::clamp(b, 0, bins - 1);
        ++s.valueHistogram[static_cast<std::size_t>(b)].count;
      }
    }
  }
  bool first = true;
  for (auto t : log.timestamp) {
    if (t == kNoTimestamp) continue;
    ++s.withTimestamp;
    if (first) {
      s.timeMin = s.timeMax = t;
      first = false;
    } else {
      s.timeMin = std::min(s.timeMin, t);
      s.timeMax = std::max(s.timeMax, t);
    }
  }
  if (log.hasEvents()) {
    std::vector<std::uint64_t> counts(log.eventNames.size(), 0);
    for (auto e : log.event) {
      if (e < counts.size()) ++counts[e];
    }
    for (std::size_t i = 0; i < counts.size(); ++i)
      s.eventCounts.emplace_back(log.eventNames[i], counts[i]);
  }
  summarizeTable(d.userAttributes, "user", d.numUsers(), s.attributes);
  summarizeTable(d.itemAttributes, "item", d.numItems(), s.attributes);
  return s;
}

}  // namespace rwb
