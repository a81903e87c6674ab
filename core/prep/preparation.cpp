#include "core/prep/preparation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "core/util/error.h"

namespace rwb {

namespace {

std::string commas(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

void checkStop(TaskContext& ctx, std::size_t i) {
  if ((i & 0xFFFF) == 0) ctx.throwIfStopped();
}

constexpr std::array<std::pair<DuplicatePolicy, std::string_view>, 5> kPolicyNames{{
    {DuplicatePolicy::kKeepFirst, "first"},
    {DuplicatePolicy::kKeepLast, "last"},
    {DuplicatePolicy::kMax, "max"},
    {DuplicatePolicy::kMean, "mean"},
    {DuplicatePolicy::kSum, "sum"},
}};

PrepReport startReport(std::string step, const Dataset& data) {
  PrepReport r;
  r.step = std::move(step);
  r.rowsIn = data.numInteractions();
  return r;
}

}  // namespace

std::uint64_t PrepReport::rowsRemoved() const {
  std::uint64_t n = 0;
  for (const auto& [reason, count] : removed) n += count;
  return n;
}

std::string PrepReport::summary() const {
  std::string s = step + ": " + commas(rowsIn) + " -> " + commas(rowsOut) + " rows";
  if (rowsRemoved() > 0) {
    s += " (" + commas(rowsRemoved()) + " removed:";
    bool first = true;
    for (const auto& [reason, count] : removed) {
      s += first ? " " : "; ";
      s += reason + " " + commas(count);
      first = false;
    }
    s += ")";
  }
  for (const auto& n : notes) s += "; " + n;
  return s;
}

std::string_view duplicatePolicyName(DuplicatePolicy policy) {
  for (const auto& [p, name] : kPolicyNames) {
    if (p == policy) return name;
  }
  return "unknown";
}

std::optional<DuplicatePolicy> duplicatePolicyFromName(std::string_view name) {
  for (const auto& [p, n] : kPolicyNames) {
    if (n == name) return p;
  }
  return std::nullopt;
}

DuplicateResult removeDuplicates(const Dataset& data, const DuplicateOptions& options,
                                 TaskContext& ctx) {
  const auto& log = data.interactions;
  const std::size_t n = log.size();
  if (n > UINT32_MAX) throw Error("too many interactions for the duplicate filter");
  ctx.progress(0.0, "finding duplicates");
  // Group by (user, item); within a group, time order with file order breaking ties. A counting
  // sort by user first keeps the comparison sorts small and cache-friendly.
  std::vector<std::uint32_t> order(n);
  {
    std::vector<std::uint64_t> offsets(data.numUsers() + 1, 0);
    for (auto u : log.user) ++offsets[u + 1];
    for (std::size_t u = 0; u < data.numUsers(); ++u) offsets[u + 1] += offsets[u];
    std::vector<std::uint64_t> next(offsets.begin(), offsets.end() - 1);
    for (std::uint32_t r = 0; r < n; ++r) order[next[log.user[r]]++] = r;
    for (std::size_t u = 0; u < data.numUsers(); ++u) {
      checkStop(ctx, u);
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(offsets[u]),
                order.begin() + static_cast<std::ptrdiff_t>(offsets[u + 1]),
                [&](std::uint32_t a, std::uint32_t b) {
                  if (log.item[a] != log.item[b]) return log.item[a] < log.item[b];
                  if (log.timestamp[a] != log.timestamp[b]) {
                    return log.timestamp[a] < log.timestamp[b];
                  }
                  return a < b;
                });
    }
  }
  ctx.throwIfStopped();
  std::vector<std::uint8_t> keep(n, 0);
  std::vector<float> value = log.value.toVector();
  DuplicateResult result;
  std::size_t i = 0;
  while (i < n) {
    checkStop(ctx, i);
    std::size_t j = i + 1;
    while (j < n && log.user[order[j]] == log.user[order[i]] &&
           log.item[order[j]] == log.item[order[i]]) {
      ++j;
    }
    std::uint32_t kept = order[j - 1];  // the latest row
    if (j - i > 1) {
      ++result.pairsMerged;
      switch (options.policy) {
        case DuplicatePolicy::kKeepFirst:
          kept = order[i];
          break;
        case DuplicatePolicy::kKeepLast:
          break;
        case DuplicatePolicy::kMax:
          for (std::size_t k = i; k < j; ++k) {
            if (log.value[order[k]] >= log.value[kept]) kept = order[k];
          }
          break;
        case DuplicatePolicy::kMean:
        case DuplicatePolicy::kSum: {
          double sum = 0.0;
          for (std::size_t k = i; k < j; ++k) sum += log.value[order[k]];
          if (options.policy == DuplicatePolicy::kMean) sum /= static_cast<double>(j - i);
          value[kept] = static_cast<float>(sum);
          break;
        }
      }
    }
    keep[kept] = 1;
    i = j;
  }
  std::vector<std::uint32_t> rows;
  rows.reserve(n - result.pairsMerged);
  for (std::uint32_t r = 0; r < n; ++r) {
    if (keep[r]) rows.push_back(r);
  }
  result.dataset = data.withRows(rows);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    result.dataset.interactions.value.set(k, value[rows[k]]);
  }
  result.report = startReport("duplicates", data);
  result.report.rowsOut = rows.size();
  if (n > rows.size()) {
    result.report.removed["duplicate (user, item) rows"] = n - rows.size();
  }
  result.report.notes.push_back(commas(result.pairsMerged) + " pairs merged, policy " +
                                std::string(duplicatePolicyName(options.policy)));
  ctx.progress(1.0, "duplicates done");
  return result;
}

BinarizeResult binarize(const Dataset& data, const BinarizeOptions& options, TaskContext& ctx) {
  if (!std::isfinite(options.threshold)) {
    throw SpecError("prep.binarize.threshold", "must be a finite number");
  }
  const auto& log = data.interactions;
  BinarizeResult result;
  std::vector<std::uint32_t> rows;
  rows.reserve(log.size());
  for (std::size_t k = 0; k < log.size(); ++k) {
    checkStop(ctx, k);
    const bool positive = static_cast<double>(log.value[k]) >= options.threshold;
    if (positive) {
      ++result.positives;
    } else {
      ++result.negatives;
    }
    if (positive || options.keepNegatives) rows.push_back(static_cast<std::uint32_t>(k));
  }
  result.dataset = data.withRows(rows);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const bool positive = static_cast<double>(log.value[rows[k]]) >= options.threshold;
    result.dataset.interactions.value.set(k, positive ? options.positiveValue : 0.0f);
  }
  result.report = startReport("binarize", data);
  result.report.rowsOut = rows.size();
  if (!options.keepNegatives && result.negatives > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "value below %g", options.threshold);
    result.report.removed[buf] = result.negatives;
  }
  result.report.notes.push_back(commas(result.positives) + " engagements, " +
                                commas(result.negatives) + " below threshold");
  return result;
}

KCoreResult kCore(const Dataset& data, const KCoreOptions& options, TaskContext& ctx) {
  const auto& log = data.interactions;
  const std::size_t n = log.size();
  std::vector<std::uint8_t> alive(n, 1);
  std::vector<std::uint32_t> userCount = data.userCounts();
  std::vector<std::uint32_t> itemCount = data.itemCounts();
  const std::vector<std::uint32_t> userBefore = userCount, itemBefore = itemCount;
  KCoreResult result;
  result.report = startReport("k_core", data);
  std::uint64_t byUser = 0, byItem = 0;
  result.stable = false;
  while (result.iterations < options.maxIterations) {
    ++result.iterations;
    ctx.progress(std::min(0.95, 0.1 * result.iterations),
                 "k-core pass " + std::to_string(result.iterations));
    // Decide on the counts at the start of the pass, then update them, so that the order of
    // rows does not matter.
    std::vector<std::uint32_t> removeRows;
    for (std::size_t k = 0; k < n; ++k) {
      checkStop(ctx, k);
      if (!alive[k]) continue;
      const bool userLow = userCount[log.user[k]] < options.minUserRows;
      const bool itemLow = itemCount[log.item[k]] < options.minItemRows;
      if (userLow || itemLow) {
        removeRows.push_back(static_cast<std::uint32_t>(k));
        ++(userLow ? byUser : byItem);
      }
    }
    if (removeRows.empty()) {
      result.stable = true;
      break;
    }
    for (auto r : removeRows) {
      alive[r] = 0;
      --userCount[log.user[r]];
      --itemCount[log.item[r]];
    }
  }
  std::vector<std::uint32_t> rows;
  for (std::uint32_t k = 0; k < n; ++k) {
    if (alive[k]) rows.push_back(k);
  }
  result.dataset = data.withRows(rows);
  for (std::size_t u = 0; u < userCount.size(); ++u) {
    result.usersRemoved += userBefore[u] > 0 && userCount[u] == 0;
  }
  for (std::size_t i = 0; i < itemCount.size(); ++i) {
    result.itemsRemoved += itemBefore[i] > 0 && itemCount[i] == 0;
  }
  result.report.rowsOut = rows.size();
  if (byUser > 0) {
    result.report.removed["user with fewer than " + std::to_string(options.minUserRows) + " rows"] =
        byUser;
  }
  if (byItem > 0) {
    result.report.removed["item with fewer than " + std::to_string(options.minItemRows) + " rows"] =
        byItem;
  }
  result.report.notes.push_back(std::to_string(result.iterations) + " passes" +
                                (result.stable ? "" : " (stopped at maxIterations, not stable)"));
  result.report.notes.push_back(commas(result.usersRemoved) + " users and " +
                                commas(result.itemsRemoved) + " items lost all rows");
  ctx.progress(1.0, "k-core done");
  return result;
}

TimeWindowResult timeWindow(const Dataset& data, const TimeWindowOptions& options,
                            TaskContext& ctx) {
  if (options.from && options.to && *options.from >= *options.to) {
    throw SpecError("prep.time_window", "'from' (" + std::to_string(*options.from) +
                                            ") must be before 'to' (" +
                                            std::to_string(*options.to) + ")");
  }
  const auto& ts = data.interactions.timestamp;
  std::vector<std::uint32_t> rows;
  rows.reserve(ts.size());
  std::uint64_t none = 0, before = 0, after = 0;
  const bool bounded = options.from || options.to;
  for (std::size_t k = 0; k < ts.size(); ++k) {
    checkStop(ctx, k);
    if (bounded && ts[k] == kNoTimestamp) {
      ++none;
    } else if (options.from && ts[k] < *options.from) {
      ++before;
    } else if (options.to && ts[k] >= *options.to) {
      ++after;
    } else {
      rows.push_back(static_cast<std::uint32_t>(k));
    }
  }
  TimeWindowResult result;
  result.dataset = data.withRows(rows);
  result.report = startReport("time_window", data);
  result.report.rowsOut = rows.size();
  if (none) result.report.removed["no timestamp"] = none;
  if (before) result.report.removed["before 'from'"] = before;
  if (after) result.report.removed["at or after 'to'"] = after;
  return result;
}

}  // namespace rwb
