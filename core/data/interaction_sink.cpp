#include "core/data/interaction_sink.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_map>

#include "core/data/text_parse.h"
#include "core/data/timestamps.h"
#include "core/util/error.h"
#include "core/util/memory.h"

namespace rwb {

namespace {

// Well-known header names per role, already normalised, in order of preference.
const std::vector<std::string_view> kUserNames{"user",      "userid",   "customerid", "customer",
                                               "visitorid", "visitor",  "uid",        "clientid",
                                               "memberid",  "accountid"};
const std::vector<std::string_view> kItemNames{
    "item",      "itemid",  "movieid", "movie", "productid", "product", "iid",  "sku",
    "articleid", "article", "trackid", "track", "bookid",    "book",    "isbn", "contentid"};
const std::vector<std::string_view> kValueNames{"rating", "value",    "score",     "weight",
                                                "count",  "quantity", "playcount", "plays"};
const std::vector<std::string_view> kTimeNames{"timestamp", "time",      "ts",        "datetime",
                                               "date",      "eventtime", "createdat", "unixtime"};
const std::vector<std::string_view> kEventNames{
    "event", "eventtype", "action", "interaction", "interactiontype", "behavior", "behaviour"};

/// trimSpaces without the call when the field has no surrounding blanks (nearly always).
inline std::string_view trimmed(std::string_view s) noexcept {
  if (s.empty() || (s.front() != ' ' && s.front() != '\t' && s.back() != ' ' && s.back() != '\t')) {
    return s;
  }
  return trimSpaces(s);
}

/// The value of a field of 1 to 15 decimal digits (nothing else), or -1. Such a number is an
/// exact double and int64, so parseNumber and parseTimestamp would return the same value; this
/// only spares them the general path on the common case.
inline std::int64_t plainDigits(std::string_view s) noexcept {
  if (s.empty() || s.size() > 15) return -1;
  std::int64_t v = 0;
  for (char c : s) {
    const auto d = static_cast<unsigned>(c - '0');
    if (d > 9) return -1;
    v = v * 10 + static_cast<std::int64_t>(d);
  }
  return v;
}

/// The value of 8 digit values (0..9, one a byte, the first in the lowest byte): pairs, then
/// quadruples, then the whole, by three multiplications.
inline std::uint64_t eightDigits(std::uint64_t x) noexcept {
  x = x * 10 + (x >> 8);
  x = (((x & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((x >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  return x;
}

/// Reads the decimal digits at the start of the 8 bytes at p (all readable) at once: sets v to
/// their value (0 when there are none) and returns the position after them (p + 8 when all 8
/// are digits). The lowest byte flagged as a non-digit is exact: a carry out of a byte only
/// reaches the bytes after it.
inline const unsigned char* leadingDigits(const unsigned char* p, std::uint64_t& v) noexcept {
  if constexpr (std::endian::native != std::endian::little) return p;
  constexpr std::uint64_t kZeros = 0x3030303030303030ULL, kHigh = 0x8080808080808080ULL;
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  const std::uint64_t x = w ^ kZeros;  // a digit becomes 0..9
  const std::uint64_t nonDigit = ((x + 0x7676767676767676ULL) | x) & kHigh;
  if (nonDigit == 0) {
    v = eightDigits(x);
    return p + 8;
  }
  const auto n = static_cast<unsigned>(std::countr_zero(nonDigit)) >> 3;
  if (n > 0) v = eightDigits(x << (64 - 8 * n));
  return p + n;
}

/// IdMap::directId(id, value) for an id whose plainDigits() value is `digits` (-1: not 1 to 15
/// digits, which directId refuses too): canonical (no leading zero) and below the limit.
inline bool directFromDigits(std::string_view id, std::int64_t digits,
                             std::uint32_t& value) noexcept {
  if (digits < 0 || digits >= static_cast<std::int64_t>(IdMap::kDirectLimit) ||
      (id.size() > 1 && id[0] == '0')) {
    return false;
  }
  value = static_cast<std::uint32_t>(digits);
  return true;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

std::string normalizeColumnName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : trimSpaces(name)) {
    if (c == '_' || c == '-' || c == ' ' || c == '.') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(c);
  }
  return out;
}

bool looksLikeInteractionHeader(std::span<const std::string_view> fields,
                                const DelimitedOptions& options) {
  for (auto f : fields) {
    const auto n = normalizeColumnName(f);
    for (const auto* list : {&kUserNames, &kItemNames, &kValueNames, &kTimeNames, &kEventNames}) {
      if (std::find(list->begin(), list->end(), n) != list->end()) return true;
    }
    for (const auto* ref :
         {&options.user, &options.item, &options.value, &options.timestamp, &options.event}) {
      if (!ref->name.empty() && normalizeColumnName(ref->name) == n) return true;
    }
  }
  return false;
}

void refuseUnsupportedText(std::string_view sample, const std::string& path) {
  const auto starts = [&](std::string_view bom) { return sample.substr(0, bom.size()) == bom; };
  if (starts("\xFF\xFE") || starts("\xFE\xFF") || starts(std::string_view("\0\0\xFE\xFF", 4))) {
    throw ParseError(path, 1, 0,
                     "the file is UTF-16 or UTF-32 (it starts with that byte order mark); save "
                     "it as UTF-8 (or Latin-1)");
  }
  // A CR followed by something other than LF, and no LF at all in the sample: CR line ends.
  const auto cr = sample.find('\r');
  if (cr != std::string_view::npos && cr + 1 < sample.size() &&
      sample.find('\n') == std::string_view::npos) {
    throw ParseError(path, 1, 0,
                     "the lines end with a lone CR (classic Mac OS line ends), which would read "
                     "as one single row; convert the line ends to LF or CRLF");
  }
}

void refuseDuplicateColumns(const std::vector<std::string>& names, const std::string& where,
                            std::uint64_t line) {
  std::unordered_map<std::string_view, std::size_t> first;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto name = trimSpaces(names[i]);
    if (name.empty()) continue;
    const auto [it, fresh] = first.try_emplace(name, i);
    if (!fresh) {
      throw ParseError(where, line, i + 1,
                       "duplicate column name " + quoteForMessage(name) + " (columns " +
                           std::to_string(it->second + 1) + " and " + std::to_string(i + 1) +
                           "); rename one of them");
    }
  }
}

ColumnPlan resolveColumns(const std::vector<std::string>& names, std::size_t fieldCount,
                          const DelimitedOptions& options, const std::string& where,
                          std::uint64_t line) {
  auto fail = [&](const std::string& reason) -> ParseError {
    return ParseError(where, line, 0, reason);
  };
  refuseDuplicateColumns(names, where, line);
  // The one column whose normalised name is `want`, or -1; two such columns are ambiguous.
  auto findNormalized = [&](std::string_view want, const char* role) -> int {
    int found = -1;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (normalizeColumnName(names[i]) != want) continue;
      if (found >= 0) {
        throw ParseError(where, line, i + 1,
                         std::string("columns ") + std::to_string(found + 1) + " (" +
                             quoteForMessage(names[static_cast<std::size_t>(found)]) + ") and " +
                             std::to_string(i + 1) + " (" + quoteForMessage(names[i]) +
                             ") both look like the " + role + " column; name it explicitly");
      }
      found = static_cast<int>(i);
    }
    return found;
  };
  auto resolve = [&](const ColumnRef& ref, const std::vector<std::string_view>& known, int fallback,
                     const char* role) -> int {
    if (ref.position >= 0) {
      if (static_cast<std::size_t>(ref.position) >= fieldCount) {
        throw fail(std::string("the ") + role + " column position " + std::to_string(ref.position) +
                   " is out of range (the data has " + std::to_string(fieldCount) +
                   " columns, numbered from 0)");
      }
      return ref.position;
    }
    if (!ref.name.empty()) {
      if (names.empty()) {
        throw fail(std::string("the ") + role + " column is given by name ('" + ref.name +
                   "') but the data has no header row");
      }
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == ref.name) return static_cast<int>(i);
      }
      if (const int i = findNormalized(normalizeColumnName(ref.name), role); i >= 0) return i;
      throw fail(std::string("no column named '") + ref.name + "' for the " + role +
                 " (columns: " + joinNames(names) + ")");
    }
    if (!names.empty()) {
      for (auto k : known) {
        if (const int i = findNormalized(k, role); i >= 0) return i;
      }
      return -1;
    }
    return fallback >= 0 && static_cast<std::size_t>(fallback) < fieldCount ? fallback : -1;
  };
  ColumnPlan plan;
  plan.expectedFields = fieldCount;
  plan.user = resolve(options.user, kUserNames, 0, "user");
  plan.item = resolve(options.item, kItemNames, 1, "item");
  plan.value = resolve(options.value, kValueNames, 2, "value");
  plan.timestamp = resolve(options.timestamp, kTimeNames, 3, "timestamp");
  plan.event = resolve(options.event, kEventNames, -1, "event");
  if (plan.user < 0) {
    throw fail(names.empty() ? "no user column: the data has fewer than 2 columns"
                             : "no user column found (expected a header such as user_id, userId "
                               "or user; columns: " +
                                   joinNames(names) + "); name it explicitly");
  }
  if (plan.item < 0) {
    throw fail(names.empty() ? "no item column: the data has fewer than 2 columns (is the "
                               "delimiter right?)"
                             : "no item column found (expected a header such as item_id, "
                               "itemId, movieId or item; columns: " +
                                   joinNames(names) + "); name it explicitly");
  }
  const std::pair<int, const char*> roles[] = {{plan.user, "user"},
                                               {plan.item, "item"},
                                               {plan.value, "value"},
                                               {plan.timestamp, "timestamp"},
                                               {plan.event, "event"}};
  for (std::size_t a = 0; a < 5; ++a) {
    for (std::size_t b = a + 1; b < 5; ++b) {
      if (roles[a].first >= 0 && roles[a].first == roles[b].first) {
        throw fail("column " + std::to_string(roles[a].first) + " is mapped to both the " +
                   roles[a].second + " and the " + roles[b].second);
      }
    }
  }
  return plan;
}

InteractionSink::InteractionSink(LoadResult& result, LoadCounts& counts, const ColumnPlan& plan,
                                 const DelimitedOptions& options, std::string where)
    : result_(result),
      counts_(counts),
      plan_(plan),
      options_(options),
      where_(std::move(where)),
      ds_(result.dataset) {}

void InteractionSink::reject(std::uint64_t line, std::uint64_t column, const std::string& reason,
                             const std::string& detail) {
  if (retryable_) {
    retried_ = true;
    return;
  }
  ++counts_.rowsRead;
  if (options_.strict) {
    throw ParseError(where_, line, column, detail.empty() ? reason : reason + ": " + detail);
  }
  ++counts_.rowsSkipped;
  result_.addIssue(where_, line, column, reason, detail);
}

bool InteractionSink::row(std::span<const std::string_view> fields, std::uint64_t line,
                          bool retryable) {
  retryable_ = retryable;
  retried_ = false;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{retryable_};
  addRow(fields, line);
  return !retried_;
}

void InteractionSink::addRow(std::span<const std::string_view> fields, std::uint64_t line) {
  auto bad = [&](int col, const char* reason, std::string detail = {}) {
    // reject() counts the row as read.
    reject(line, static_cast<std::uint64_t>(col + 1), reason, detail);
  };
  if (fields.size() != plan_.expectedFields) {
    reject(line, 0, "wrong number of fields",
           "expected " + std::to_string(plan_.expectedFields) + ", found " +
               std::to_string(fields.size()));
    return;
  }
  const auto user = trimmed(fields[static_cast<std::size_t>(plan_.user)]);
  if (user.empty()) return bad(plan_.user, "user id is empty");
  const auto item = trimmed(fields[static_cast<std::size_t>(plan_.item)]);
  if (item.empty()) return bad(plan_.item, "item id is empty");

  double value = options_.implicitValue;
  if (plan_.value >= 0) {
    const auto f = fields[static_cast<std::size_t>(plan_.value)];
    if (const auto d = plainDigits(f); d >= 0) {
      value = static_cast<double>(d);
    } else if (!parseNumber(f, value)) {
      return bad(plan_.value, "value is not a number", quoteForMessage(f));
    }
    if (!std::isfinite(value)) return bad(plan_.value, "value is not finite", quoteForMessage(f));
    if (std::fabs(value) > std::numeric_limits<float>::max()) {
      return bad(plan_.value, "value is out of range", quoteForMessage(f));
    }
  }
  std::int64_t time = kNoTimestamp;
  if (plan_.timestamp >= 0) {
    const auto f = fields[static_cast<std::size_t>(plan_.timestamp)];
    if (const auto d = plainDigits(f); d >= 0) {
      time = d;
    } else {
      const auto t = parseTimestamp(f);
      if (t.error != nullptr) return bad(plan_.timestamp, t.error, quoteForMessage(f));
      if (t.seconds == kNoTimestamp) return bad(plan_.timestamp, "timestamp is out of range");
      time = t.seconds;
    }
  }
  std::uint8_t event = 0;
  if (plan_.event >= 0) {
    const auto name = trimSpaces(fields[static_cast<std::size_t>(plan_.event)]);
    if (name.empty()) return bad(plan_.event, "event type is empty");
    const int e = eventIndex(name);
    if (e < 0) {
      return bad(plan_.event, "more than 256 distinct event types", quoteForMessage(name));
    }
    event = static_cast<std::uint8_t>(e);
  }
  commit(user, item, value, time, event, line);
}

int InteractionSink::eventIndex(std::string_view name) {
  auto& names = ds_.interactions.eventNames;
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) {
    if (names.size() >= 256) return -1;
    names.emplace_back(name);
    it = names.end() - 1;
  }
  return static_cast<int>(it - names.begin());
}

void InteractionSink::commit(std::string_view user, std::string_view item, double value,
                             std::int64_t time, std::uint8_t event, std::uint64_t line) {
  if (time != kNoTimestamp && !timestampPlausible(time)) {
    // Loaded as it is (the value is well-formed), but counted and located for a warning.
    auto& w = result_.implausibleTimestamps;
    if (w.count++ == 0) {
      w.file = where_;
      w.line = line;
      w.user = std::string(user);
      w.item = std::string(item);
      w.value = time;
    }
  }
  // Validate before mutating: interning comes last, so a rejected row adds no ids.
  auto& log = ds_.interactions;
  ++counts_.rowsRead;
  log.user.push_back(userIndex(user));
  log.item.push_back(itemIndex(item));
  log.value.push_back(static_cast<float>(value));
  log.timestamp.push_back(time);
  if (plan_.event >= 0) log.event.push_back(event);
  ++counts_.rowsLoaded;
}

bool InteractionSink::plainRowsSupported(std::string_view delimiter, char quote) {
  if (delimiter.empty() || delimiter.size() > 8) return false;
  for (const char ch : delimiter) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n' || c == '\r' || c == 0 || c >= 0x80 || ch == quote) return false;
  }
  if (plan_.expectedFields == 0 || plan_.expectedFields > kMaxPlainFields) return false;
  for (unsigned c = 0; c < 256; ++c) plainClass_[c] = c == 0 || c >= 0x80 ? 3 : 0;
  plainClass_[static_cast<unsigned char>('\r')] = 3;
  if (quote != 0) plainClass_[static_cast<unsigned char>(quote)] = 3;
  plainClass_[static_cast<unsigned char>(delimiter[0])] = 1;
  plainClass_[static_cast<unsigned char>('\n')] = 2;
  plainDelimiterRest_.assign(delimiter.substr(1));
  return true;
}

std::size_t InteractionSink::plainRows(std::string_view lines, std::uint64_t firstLine,
                                       std::uint64_t& taken) {
  const auto* const base = reinterpret_cast<const unsigned char*>(lines.data());
  const unsigned char* p = base;
  const unsigned char* const end = base + lines.size();
  const std::size_t nf = plan_.expectedFields;
  const auto userCol = static_cast<std::size_t>(plan_.user);
  const auto itemCol = static_cast<std::size_t>(plan_.item);
  std::string_view field[kMaxPlainFields];
  std::int64_t number[kMaxPlainFields];  // the value of a field of 1 to 15 digits, else -1
  std::uint64_t line = firstLine;
  const unsigned char* lineStart = p;
  // A delimiter of several bytes: the bytes after its first. A first byte not followed by them
  // is field text (as in CsvReader). Comparing stops at the first difference, and no delimiter
  // byte is '\n', so the comparison never reads past the text's final '\n'.
  const std::string_view rest = plainDelimiterRest_;
  auto restFollows = [&](const unsigned char* at) {
    for (std::size_t i = 0; i < rest.size(); ++i) {
      if (at[1 + i] != static_cast<unsigned char>(rest[i])) return false;
    }
    return true;
  };
  while (p < end) {
    lineStart = p;
    // Tokenise and read digits in one pass. The text ends with '\n', which stops every scan.
    std::size_t k = 0;
    bool ok = true;
    while (true) {
      const unsigned char* const start = p;
      std::uint64_t v = 0;
      bool digits = true;
      if (end - p >= 8) p = leadingDigits(p, v);
      unsigned char c;
      unsigned cls;
      while (true) {
        while ((cls = plainClass_[c = *p]) == 0) {
          const auto d = static_cast<unsigned>(c - '0');
          digits &= d <= 9;
          v = v * 10 + d;
          ++p;
        }
        if (cls != 1 || rest.empty() || restFollows(p)) break;
        digits = false;  // the first byte of the delimiter alone: field text
        ++p;
      }
      const auto len = static_cast<std::size_t>(p - start);
      field[k] = {reinterpret_cast<const char*>(start), len};
      number[k] = digits && len > 0 && len <= 15 ? static_cast<std::int64_t>(v) : -1;
      ++k;
      if (cls == 1) {
        if (k == nf) {
          ok = false;  // too many fields
          break;
        }
        p += 1 + rest.size();
        continue;
      }
      if (cls == 2) {
        ++p;
        break;
      }
      if (c == '\r' && p[1] == '\n') {  // p[1] exists: the text ends with '\n', c is not it
        p += 2;
        break;
      }
      ok = false;
      break;
    }
    if (!ok || k != nf) break;
    // The checks of addRow(), in its order; a row that would be rejected goes to the general path.
    const auto user = trimmed(field[userCol]);
    const auto item = trimmed(field[itemCol]);
    if (user.empty() || item.empty()) break;
    double value = options_.implicitValue;
    if (plan_.value >= 0) {
      const auto at = static_cast<std::size_t>(plan_.value);
      if (number[at] >= 0) {
        value = static_cast<double>(number[at]);
      } else if (!parseNumber(field[at], value) || !std::isfinite(value) ||
                 std::fabs(value) > std::numeric_limits<float>::max()) {
        break;
      }
    }
    std::int64_t time = kNoTimestamp;
    if (plan_.timestamp >= 0) {
      const auto at = static_cast<std::size_t>(plan_.timestamp);
      if (number[at] >= 0) {
        time = number[at];
      } else {
        const auto t = parseTimestamp(field[at]);
        if (t.error != nullptr || t.seconds == kNoTimestamp) break;
        time = t.seconds;
      }
    }
    std::uint8_t event = 0;
    if (plan_.event >= 0) {
      const auto name = trimSpaces(field[static_cast<std::size_t>(plan_.event)]);
      if (name.empty()) break;
      const int e = eventIndex(name);
      if (e < 0) break;
      event = static_cast<std::uint8_t>(e);
    }
    if (time != kNoTimestamp && !timestampPlausible(time)) {
      commit(user, item, value, time, event, line);
    } else {
      // commit() without the warning, with the ids' digits already read.
      auto& log = ds_.interactions;
      ++counts_.rowsRead;
      // A trimmed id is read again (the digits above included the blanks).
      log.user.push_back(userIndex(
          user, user.size() == field[userCol].size() ? number[userCol] : plainDigits(user)));
      log.item.push_back(itemIndex(
          item, item.size() == field[itemCol].size() ? number[itemCol] : plainDigits(item)));
      log.value.push_back(static_cast<float>(value));
      log.timestamp.push_back(time);
      if (plan_.event >= 0) log.event.push_back(event);
      ++counts_.rowsLoaded;
    }
    ++line;
    lineStart = p;
  }
  taken = line - firstLine;
  return static_cast<std::size_t>(lineStart - base);
}

Index InteractionSink::userIndex(std::string_view id, std::int64_t digits) {
  if (deferUsers_) {
    std::uint32_t v;
    if (directFromDigits(id, digits, v)) return v;
    ds_.users.internDirect(ds_.interactions.user);
    deferUsers_ = false;
  }
  return ds_.users.intern(id);
}

Index InteractionSink::itemIndex(std::string_view id, std::int64_t digits) {
  if (deferItems_) {
    std::uint32_t v;
    if (directFromDigits(id, digits, v)) return v;
    ds_.items.internDirect(ds_.interactions.item);
    deferItems_ = false;
  }
  return ds_.items.intern(id);
}

Index InteractionSink::userIndex(std::string_view id) {
  if (deferUsers_) {
    std::uint32_t v;
    if (IdMap::directId(id, v)) return v;
    ds_.users.internDirect(ds_.interactions.user);
    deferUsers_ = false;
  }
  return ds_.users.intern(id);
}

Index InteractionSink::itemIndex(std::string_view id) {
  if (deferItems_) {
    std::uint32_t v;
    if (IdMap::directId(id, v)) return v;
    ds_.items.internDirect(ds_.interactions.item);
    deferItems_ = false;
  }
  return ds_.items.intern(id);
}

void InteractionSink::finish() {
  if (deferUsers_) ds_.users.internDirect(ds_.interactions.user);
  if (deferItems_) ds_.items.internDirect(ds_.interactions.item);
  deferUsers_ = deferItems_ = false;
  if (result_.implausibleTimestamps.count > 0) {
    result_.notes.push_back(result_.implausibleTimestamps.toString());
  }
}

namespace {
/// countDuplicatePairs with item indices stored as T (2 bytes when the items allow it: half the
/// fresh memory to fault in and to scatter into).
template <typename T>
std::uint64_t countDuplicatePairsAs(const Dataset& d) {
  const auto& log = d.interactions;
  const std::size_t n = log.size();
  // Counting sort of the items by user, then one pass per user that marks each item with the
  // user's number: an item already marked is a repeat. O(n), no comparison sort.
  std::vector<std::uint64_t> offsets(d.numUsers() + 1, 0);
  for (auto u : log.user) ++offsets[u + 1];
  for (std::size_t u = 0; u < d.numUsers(); ++u) offsets[u + 1] += offsets[u];
  // Every slot is written below: no zero fill; huge pages spare most page faults.
  const auto items = std::make_unique_for_overwrite<T[]>(n);
  adviseHugePages(items.get(), n * sizeof(T));
  {
    std::vector<std::uint64_t> next(offsets.begin(), offsets.end() - 1);
    for (std::size_t k = 0; k < n; ++k) items[next[log.user[k]]++] = static_cast<T>(log.item[k]);
  }
  std::vector<std::uint32_t> mark(d.numItems(), 0);  // 1 + last user that had the item
  std::uint64_t dups = 0;
  for (std::size_t u = 0; u < d.numUsers(); ++u) {
    const auto stamp = static_cast<std::uint32_t>(u + 1);
    for (std::uint64_t k = offsets[u]; k < offsets[u + 1]; ++k) {
      auto& m = mark[items[k]];
      dups += m == stamp;
      m = stamp;
    }
  }
  return dups;
}
}  // namespace

std::uint64_t countDuplicatePairs(const Dataset& d) {
  if (d.interactions.size() < 2) return 0;
  if (d.numItems() <= 65536) return countDuplicatePairsAs<std::uint16_t>(d);
  return countDuplicatePairsAs<Index>(d);
}

void trimInteractions(Interactions& log) {
  const std::size_t n = log.size();
  if (log.user.capacity() > n + n / 32 + 1024) {
    log.user.shrink_to_fit();
    log.item.shrink_to_fit();
    log.value.shrink_to_fit();
    log.timestamp.shrink_to_fit();
    log.event.shrink_to_fit();
  }
}

}  // namespace rwb
