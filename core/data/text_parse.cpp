#include "core/data/text_parse.h"

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace rwb {

std::size_t firstInvalidUtf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Skip ASCII eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const unsigned cc = p[i + k];
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

bool isValidUtf8(std::string_view s) noexcept {
  return firstInvalidUtf8(s) == std::string_view::npos;
}

bool isAscii(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  std::uint64_t acc = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  for (; i < s.size(); ++i) acc |= p[i];
  return (acc & 0x8080808080808080ULL) == 0;
}

void appendLatin1AsUtf8(std::string_view s, std::string& out) {
  for (unsigned char c : s) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

std::string_view trimSpaces(std::string_view s) noexcept {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string toLowerAscii(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool parseNumber(std::string_view s, double& out) noexcept {
  if (!s.empty() &&
      (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t')) {
    s = trimSpaces(s);
  }
  if (s.empty()) return false;
  const char* b = s.data();
  // fast_float rejects a leading '+', which some writers emit.
  if (*b == '+' && s.size() > 1 && *(b + 1) != '-') ++b;
  const auto res = fast_float::from_chars(b, s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool parseInt64(std::string_view s, std::int64_t& out) noexcept {
  s = trimSpaces(s);
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+' && s.size() > 1) ++b;
  const auto res = std::from_chars(b, s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

bool isLeap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned daysInMonth(unsigned y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

void civilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

TimestampParse parseIso(std::string_view s) {
  TimestampParse r;
  unsigned y, mo, d;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d)) {
    r.error = "not a timestamp (expected Unix seconds or an ISO 8601 date YYYY-MM-DD[THH:MM[:SS]])";
    return r;
  }
  if (mo < 1 || mo > 12) {
    r.error = "timestamp has an invalid month";
    return r;
  }
  if (d < 1 || d > daysInMonth(y, mo)) {
    r.error = "timestamp has an invalid day of month";
    return r;
  }
  std::int64_t secs = daysFromCivil(y, mo, d) * 86400;
  std::size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') {
      r.error = "unexpected text after the date in timestamp";
      return r;
    }
    ++pos;
    unsigned hh, mm, ss = 0;
    if (!digits(s, pos, 2, hh) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
        !digits(s, pos + 3, 2, mm)) {
      r.error = "timestamp time of day is not HH:MM[:SS]";
      return r;
    }
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, ss)) {
        r.error = "timestamp seconds are not two digits";
        return r;
      }
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        const std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) {
          r.error = "timestamp has an empty fraction of a second";
          return r;
        }
      }
    }
    if (hh > 23 || mm > 59 || ss > 60) {
      r.error = "timestamp time of day is out of range";
      return r;
    }
    secs += hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss);
    if (pos < s.size()) {
      if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        const int sign = s[pos] == '+' ? 1 : -1;
        unsigned zh, zm = 0;
        if (!digits(s, pos + 1, 2, zh)) {
          r.error = "timestamp time zone is not +HH:MM";
          return r;
        }
        pos += 3;
        if (pos < s.size() && s[pos] == ':') ++pos;
        if (pos < s.size()) {
          if (!digits(s, pos, 2, zm)) {
            r.error = "timestamp time zone is not +HH:MM";
            return r;
          }
          pos += 2;
        }
        if (zh > 23 || zm > 59) {
          r.error = "timestamp time zone is out of range";
          return r;
        }
        // Local time = UTC + offset, so UTC = local - offset.
        secs -= sign * static_cast<std::int64_t>(zh * 3600 + zm * 60);
      }
      if (pos != s.size()) {
        r.error = "unexpected text at the end of timestamp";
        return r;
      }
    }
  }
  r.seconds = secs;
  return r;
}

}  // namespace

TimestampParse parseTimestamp(std::string_view s) noexcept {
  s = trimSpaces(s);
  TimestampParse r;
  if (s.empty()) {
    r.error = "timestamp is empty";
    return r;
  }
  std::int64_t iv;
  {
    const char* b = s.data();
    if (*b == '+' && s.size() > 1) ++b;
    const auto res = std::from_chars(b, s.data() + s.size(), iv);
    if (res.ec == std::errc() && res.ptr == s.data() + s.size()) {
      r.seconds = iv;
      return r;
    }
    if (res.ec == std::errc::result_out_of_range) {
      r.error = "timestamp is out of range";
      return r;
    }
  }
  // Dates start with four digits and a '-'; anything else numeric is fractional seconds.
  if (s.size() >= 5 && s[4] == '-') return parseIso(s);
  double dv;
  if (parseNumber(s, dv)) {
    if (!std::isfinite(dv)) {
      r.error = "timestamp is not finite";
    } else if (dv < -9.2e18 || dv > 9.2e18) {
      r.error = "timestamp is out of range";
    } else {
      r.seconds = static_cast<std::int64_t>(std::floor(dv));
    }
    return r;
  }
  return parseIso(s);
}

std::string formatIsoDate(std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  if (seconds % 86400 < 0) --days;
  std::int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string formatIsoDateTime(std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    --days;
    rem += 86400;
  }
  std::int64_t y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                d, static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60));
  return buf;
}

std::string quoteForMessage(std::string_view s, std::size_t maxLen) {
  std::string out = "'";
  const bool cut = s.size() > maxLen;
  for (unsigned char c : s.substr(0, maxLen)) {
    if (c < 0x20 || c >= 0x7F || c == '\'') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += cut ? "'..." : "'";
  return out;
}

}  // namespace rwb
