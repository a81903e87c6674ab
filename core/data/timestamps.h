#pragma once
/// \file
/// The plausible range of interaction timestamps, shared by the loaders (which warn) and the
/// models that use time (which refuse): one definition, so both sides agree.
///
/// Timestamps are Unix seconds (UTC). A value outside [kPlausibleTimestampBegin,
/// kPlausibleTimestampEnd) is almost always a unit or data-entry error: milliseconds (13 digits,
/// year ~55,000), microseconds, a year typed as 3024, or a negative / zero placeholder. One such
/// value stretches a time span (and, for time-decayed models such as SAR, the decay reference)
/// for every user, so loaders count them and name the first (LoadResult::implausibleTimestamps)
/// and models that use time refuse them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/data/dataset.h"

namespace rwb {

/// 1970-01-01T00:00:00Z in Unix seconds: the first plausible timestamp (inclusive).
inline constexpr std::int64_t kPlausibleTimestampBegin = 0;
/// 2100-01-01T00:00:00Z in Unix seconds: the end of the plausible range (exclusive).
inline constexpr std::int64_t kPlausibleTimestampEnd = 4102444800;

/// True when t (Unix seconds) lies in [1970-01-01T00:00:00Z, 2100-01-01T00:00:00Z). kNoTimestamp
/// ("no timestamp") is not plausible either: callers that allow missing timestamps test for it
/// first. Pure, thread-safe.
constexpr bool timestampPlausible(std::int64_t t) noexcept {
  return t >= kPlausibleTimestampBegin && t < kPlausibleTimestampEnd;
}

/// Why t is implausible, for messages: its ISO date-time, and when t is too large, the unit it
/// looks like, e.g. "1700000000000 = beyond the year 9999, after 2099; looks like milliseconds
/// (as milliseconds: 2023-11-14T22:13:20Z); convert to seconds". Empty for a plausible t.
std::string describeImplausibleTimestamp(std::int64_t t);

/// The refusal of a model that uses time (SAR's decay, popularity decay, recency features):
/// empty when every set timestamp of `data` is plausible (rows without a timestamp are fine),
/// else a message naming `who`, the first offending row's user, item and value (as
/// describeImplausibleTimestamp), how many rows are affected, and `remedy` (e.g. "or set
/// time_decay to false"). The caller throws it (ModelError).
std::string implausibleTimestampRefusal(const Dataset& data, std::string_view who,
                                        std::string_view remedy);

}  // namespace rwb
