#include "core/data/timestamps.h"

#include "core/data/text_parse.h"

namespace rwb {

std::string describeImplausibleTimestamp(std::int64_t t) {
  if (timestampPlausible(t)) return {};
  // Years beyond 9999 do not fit an ISO date; very large values are shown as a year only.
  constexpr std::int64_t kYear10000 = 253402300800;
  std::string s = std::to_string(t) + " = ";
  if (t >= kYear10000) {
    s += "beyond the year 9999";
  } else if (t < -62135596800) {  // before 0001-01-01
    s += "before the year 1";
  } else {
    s += formatIsoDateTime(t);
  }
  if (t < kPlausibleTimestampBegin) return s + ", before 1970";
  s += ", after 2099";
  struct Unit {
    std::int64_t perSecond;
    const char* name;
  };
  for (const Unit u : {Unit{1000, "milliseconds"}, Unit{1000000, "microseconds"},
                       Unit{1000000000, "nanoseconds"}}) {
    // Only a conversion that lands after 1980 is a convincing explanation.
    if (timestampPlausible(t / u.perSecond) && t / u.perSecond >= 315532800) {
      return s + "; looks like " + u.name + " (as " + u.name + ": " +
             formatIsoDateTime(t / u.perSecond) + "); convert to seconds";
    }
  }
  return s + "; timestamps are Unix seconds (not milliseconds or microseconds)";
}

std::string implausibleTimestampRefusal(const Dataset& data, std::string_view who,
                                        std::string_view remedy) {
  const auto& log = data.interactions;
  std::size_t first = log.size(), count = 0;
  for (std::size_t r = 0; r < log.size(); ++r) {
    const std::int64_t t = log.timestamp[r];
    if (t == kNoTimestamp || timestampPlausible(t)) continue;
    if (count++ == 0) first = r;
  }
  if (count == 0) return {};
  const auto name = [](const IdMap& ids, Index i) {
    return i < ids.size() ? "'" + ids.external(i) + "'" : "#" + std::to_string(i);
  };
  return std::string(who) + " uses time, and " + std::to_string(count) + " of " +
         std::to_string(log.size()) +
         " training rows have a timestamp outside 1970..2099 (first: user " +
         name(data.users, log.user[first]) + ", item " + name(data.items, log.item[first]) + ", " +
         describeImplausibleTimestamp(log.timestamp[first]) +
         "); one such value shifts the time reference of every user. Fix the timestamps" +
         (remedy.empty() ? std::string() : ", " + std::string(remedy));
}

}  // namespace rwb
