#pragma once
/// \file
/// Small, allocation-free parsers shared by the loaders: UTF-8 validation, Latin-1 to UTF-8,
/// numbers (fast_float) and timestamps (Unix seconds or ISO 8601). All are pure functions,
/// safe to call from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rwb {

/// True if s is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool isValidUtf8(std::string_view s) noexcept;

/// Byte offset of the first invalid UTF-8 sequence in s, or npos when s is valid.
std::size_t firstInvalidUtf8(std::string_view s) noexcept;

/// True if every byte of s is < 0x80.
bool isAscii(std::string_view s) noexcept;

/// Appends s, read as Latin-1 (ISO 8859-1), to out as UTF-8.
void appendLatin1AsUtf8(std::string_view s, std::string& out);

/// s without leading and trailing spaces and tabs.
std::string_view trimSpaces(std::string_view s) noexcept;

/// ASCII case-insensitive equality.
bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept;

/// ASCII lower-case copy.
std::string toLowerAscii(std::string_view s);

/// Parses a whole decimal number (fast_float: "3", "-2.5", "1e3", also "nan"/"inf"; the caller
/// decides whether non-finite values are acceptable). Leading and trailing spaces are ignored.
/// Returns false when s is empty or not entirely a number.
bool parseNumber(std::string_view s, double& out) noexcept;

/// Parses a whole 64-bit signed integer (spaces around it ignored).
bool parseInt64(std::string_view s, std::int64_t& out) noexcept;

/// Why a timestamp could not be parsed (empty when it could).
struct TimestampParse {
  std::int64_t seconds = 0;  ///< Unix seconds, UTC
  const char* error = nullptr;
};

/// Parses a timestamp: an integer or decimal number of Unix seconds (fraction dropped, floor),
/// or an ISO 8601 date / date-time: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM", "YYYY-MM-DD HH:MM:SS",
/// optional fraction ".fff", optional zone "Z", "+HH:MM", "-HHMM" (no zone = UTC).
/// Calendar fields are range-checked (month 1-12, day within the month, 24:00 rejected).
TimestampParse parseTimestamp(std::string_view s) noexcept;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) noexcept;

/// Formats Unix seconds as "YYYY-MM-DD" (UTC).
std::string formatIsoDate(std::int64_t seconds);

/// Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC).
std::string formatIsoDateTime(std::int64_t seconds);

/// A printable rendering of a short piece of input for error messages: at most maxLen bytes,
/// control and non-ASCII bytes as \xHH, in single quotes.
std::string quoteForMessage(std::string_view s, std::size_t maxLen = 40);

}  // namespace rwb
