#include "core/data/text_parse.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace rwb;

TEST_CASE("UTF-8 validation accepts valid and rejects malformed sequences", "[data][text]") {
  CHECK(isValidUtf8("plain ascii"));
  CHECK(isValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK_FALSE(isValidUtf8("caf\xE9"));           // Latin-1 e-acute
  CHECK_FALSE(isValidUtf8("\xC0\xAF"));          // overlong
  CHECK_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(isValidUtf8("abc\xE2\x82"));       // truncated
  CHECK(firstInvalidUtf8("abcdefghij\xFFz") == 10);
}

TEST_CASE("Latin-1 is transcoded to UTF-8", "[data][text]") {
  std::string out;
  appendLatin1AsUtf8("Caf\xE9 \xFC", out);
  CHECK(out == "Caf\xC3\xA9 \xC3\xBC");
  CHECK(isValidUtf8(out));
}

TEST_CASE("Numbers parse whole fields only", "[data][text]") {
  double v = 0;
  CHECK(parseNumber("3.5", v));
  CHECK(v == Approx(3.5));
  CHECK(parseNumber(" 4 ", v));
  CHECK(v == Approx(4));
  CHECK(parseNumber("+2", v));
  CHECK(parseNumber("1e3", v));
  CHECK(v == Approx(1000));
  CHECK_FALSE(parseNumber("", v));
  CHECK_FALSE(parseNumber("3.5x", v));
  CHECK_FALSE(parseNumber("abc", v));
  CHECK(parseNumber("nan", v));  // parsed; finiteness is the caller's check
  CHECK(std::isnan(v));
}

TEST_CASE("Timestamps: Unix seconds and ISO 8601", "[data][text]") {
  CHECK(parseTimestamp("881250949").seconds == 881250949);
  CHECK(parseTimestamp("-5").seconds == -5);
  CHECK(parseTimestamp("1.9").seconds == 1);
  CHECK(parseTimestamp("1970-01-01").seconds == 0);
  CHECK(parseTimestamp("2000-03-01").seconds == 951868800);
  CHECK(parseTimestamp("2024-02-29T12:30:15Z").seconds == 1709209815);
  CHECK(parseTimestamp("2024-02-29 12:30:15").seconds == 1709209815);
  CHECK(parseTimestamp("2024-02-29T12:30").seconds == 1709209800);
  CHECK(parseTimestamp("2024-02-29T14:30:15+02:00").seconds == 1709209815);
  CHECK(parseTimestamp("2024-02-29T07:30:15.250-0500").seconds == 1709209815);
  CHECK(parseTimestamp("2023-02-29").error != nullptr);  // not a leap year
  CHECK(parseTimestamp("2024-13-01").error != nullptr);
  CHECK(parseTimestamp("2024-01-01T24:00").error != nullptr);
  CHECK(parseTimestamp("yesterday").error != nullptr);
  CHECK(parseTimestamp("").error != nullptr);
  CHECK(parseTimestamp("2024-01-01Tnoon").error != nullptr);
  CHECK(parseTimestamp("99999999999999999999").error != nullptr);
  CHECK(parseTimestamp("inf").error != nullptr);
  CHECK(formatIsoDate(1709209815) == "2024-02-29");
  CHECK(formatIsoDateTime(1709209815) == "2024-02-29T12:30:15Z");
  CHECK(formatIsoDate(-1) == "1969-12-31");
}
