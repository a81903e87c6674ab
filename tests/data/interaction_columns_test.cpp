// Compact interaction columns: representations, fallbacks, and fingerprints identical to those
// of the former plain-vector columns.
#include "core/data/interaction_columns.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/delimited_loader.h"

using namespace rwb;

namespace {

// Deterministic datasets that exercise every representation of the compact columns.
inline std::uint64_t nextRandom(std::uint64_t& s) {
  s = s * 6364136223846793005ull + 1442695040888963407ull;
  return s >> 33;
}

/// kind 0: ratings 1..5, timestamps over ~3 years, 10% without timestamp.
/// kind 1: ~1000 distinct values, timestamps over the whole int64 range (huge, negative,
///         near both ends) and missing ones.
/// kind 2: implicit (all values 1) without timestamps.
/// kind 3: few values then > 256 distinct ones (and -0.0 beside 0.0) late; descending
///         timestamps whose span leaves 32 bits late.
inline rwb::Dataset makeColumnData(int kind, std::size_t n) {
  rwb::Dataset d;
  std::uint64_t s = 12345u + static_cast<std::uint64_t>(kind);
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  for (std::size_t k = 0; k < n; ++k) {
    const auto u = d.users.intern("u" + std::to_string(nextRandom(s) % 300));
    const auto i = d.items.intern(std::to_string(nextRandom(s) % 700));
    float v = 1.0f;
    std::int64_t t = rwb::kNoTimestamp;
    const auto r = static_cast<std::int64_t>(nextRandom(s));
    switch (kind) {
      case 0:
        v = static_cast<float>(1 + r % 5);
        t = r % 10 == 0 ? rwb::kNoTimestamp : 1500000000 + (r * 7919) % 100000000;
        break;
      case 1:
        v = static_cast<float>(r % 1000) * 0.37f - 50.0f;
        switch (r % 8) {
          case 0:
            t = rwb::kNoTimestamp;
            break;
          case 1:
            t = kMax - r;
            break;
          case 2:
            t = kMin + 1 + r;
            break;
          case 3:
            t = -r * 1000;
            break;
          default:
            t = r * 100000;
            break;
        }
        break;
      case 2:
        break;
      case 3:
        v = k < n / 2 ? static_cast<float>(r % 3) : static_cast<float>(k);
        if (k % 7 == 0) v = -0.0f;
        t = 2000000000 - static_cast<std::int64_t>(k) * 1000000;
        break;
      default:
        break;
    }
    d.interactions.push(u, i, v, t);
  }
  return d;
}

/// Every third row, in reverse order.
inline std::vector<std::uint32_t> someRows(std::size_t n) {
  std::vector<std::uint32_t> rows;
  for (std::size_t k = n; k-- > 0;) {
    if (k % 3 == 0) rows.push_back(static_cast<std::uint32_t>(k));
  }
  return rows;
}

std::uint32_t bits(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

}  // namespace

TEST_CASE("TimestampColumn is constant until two values differ", "[data][columns]") {
  TimestampColumn c;
  for (int k = 0; k < 10; ++k) c.push_back(kNoTimestamp);
  CHECK(c.size() == 10);
  CHECK(c.bytesPerRow() == 0);
  CHECK(c[9] == kNoTimestamp);
  c.push_back(1700000000);
  CHECK(c.bytesPerRow() == 4);
  CHECK(c[0] == kNoTimestamp);
  CHECK(c[10] == 1700000000);
  TimestampColumn same;
  for (int k = 0; k < 5; ++k) same.push_back(42);
  CHECK(same.bytesPerRow() == 0);
  CHECK(same.toVector() == std::vector<std::int64_t>(5, 42));
  same.push_back(kNoTimestamp);
  CHECK(same.bytesPerRow() == 4);
  CHECK(same.toVector() == std::vector<std::int64_t>{42, 42, 42, 42, 42, kNoTimestamp});
}

TEST_CASE("TimestampColumn keeps 32-bit offsets while the span fits and widens after",
          "[data][columns]") {
  TimestampColumn c;
  std::vector<std::int64_t> want;
  auto add = [&](std::int64_t t) {
    c.push_back(t);
    want.push_back(t);
  };
  add(1000);
  add(kNoTimestamp);
  add(-2000000000);  // earlier than the first: the base moves, offsets stay 32 bits
  add(2000000000);
  add(4294967294 - 2000000000);  // span exactly 4,294,967,294
  CHECK(c.bytesPerRow() == 4);
  CHECK(c == want);
  add(4294967295 - 2000000000);  // one more second: no longer fits
  CHECK(c.bytesPerRow() == 8);
  CHECK(c == want);
  add(std::numeric_limits<std::int64_t>::max());
  add(std::numeric_limits<std::int64_t>::min() + 1);
  add(kNoTimestamp);
  CHECK(c == want);
  CHECK(c.toVector() == want);
}

TEST_CASE("TimestampColumn holds huge and negative timestamps exactly", "[data][columns]") {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  for (const std::int64_t first : {kMax, kMin + 1, std::int64_t{-5}, std::int64_t{0}}) {
    DYNAMIC_SECTION("first " << first) {
      TimestampColumn c;
      std::vector<std::int64_t> want;
      for (std::int64_t d = 0; d < 100; ++d) {
        // Values near `first` on its side of the range: they all fit 32-bit offsets.
        const std::int64_t t = first >= 0 ? first - d * 1000 : first + d * 1000;
        c.push_back(t);
        want.push_back(t);
        if (d % 10 == 0) {
          c.push_back(kNoTimestamp);
          want.push_back(kNoTimestamp);
        }
      }
      CHECK(c.bytesPerRow() == 4);
      CHECK(c == want);
    }
  }
}

TEST_CASE("TimestampColumn re-bases a bounded number of times on descending data",
          "[data][columns]") {
  TimestampColumn c;
  std::vector<std::int64_t> want;
  // Steps that double: each value lies outside the free room left by the last re-base.
  std::int64_t t = 0, step = 1;
  while (step < (std::int64_t{1} << 40)) {
    c.push_back(t);
    want.push_back(t);
    t -= step;
    step *= 2;
  }
  CHECK(c == want);
  CHECK(c.bytesPerRow() == 8);  // the span exceeds 32 bits in the end
}

TEST_CASE("TimestampColumn set and select keep values", "[data][columns]") {
  TimestampColumn c;
  for (std::int64_t k = 0; k < 20; ++k) c.push_back(7);
  c.set(3, kNoTimestamp);
  c.set(4, -100);
  CHECK(c[3] == kNoTimestamp);
  CHECK(c[4] == -100);
  CHECK(c[5] == 7);
  const std::vector<std::uint32_t> rows{4, 3, 0, 4};
  const auto s = c.select(rows);
  CHECK(s == std::vector<std::int64_t>{-100, kNoTimestamp, 7, -100});
  c.set(0, std::int64_t{1} << 50);
  CHECK(c.bytesPerRow() == 8);
  CHECK(c[0] == std::int64_t{1} << 50);
  CHECK(c[4] == -100);
  CHECK(c[3] == kNoTimestamp);
  CHECK(c.select({}).empty());
}

TEST_CASE("ValueColumn is constant then one byte a row then float", "[data][columns]") {
  ValueColumn c;
  std::vector<float> want;
  auto add = [&](float v) {
    c.push_back(v);
    want.push_back(v);
  };
  for (int k = 0; k < 10; ++k) add(1.0f);
  CHECK(c.bytesPerRow() == 0);
  add(2.5f);
  CHECK(c.bytesPerRow() == 1);
  for (int k = 0; k < 254; ++k) add(static_cast<float>(k) + 0.25f);
  CHECK(c.bytesPerRow() == 1);  // 256 distinct values
  CHECK(c == want);
  add(1e30f);  // the 257th
  CHECK(c.bytesPerRow() == 4);
  CHECK(c == want);
  add(1.0f);
  CHECK(c.toVector() == want);
}

TEST_CASE("ValueColumn keeps bit patterns: -0.0 apart from 0.0", "[data][columns]") {
  ValueColumn c;
  c.push_back(0.0f);
  c.push_back(-0.0f);
  c.push_back(0.0f);
  CHECK(c.bytesPerRow() == 1);
  CHECK(bits(c[0]) == bits(0.0f));
  CHECK(bits(c[1]) == bits(-0.0f));
  CHECK(bits(c[2]) == bits(0.0f));
  CHECK(std::isfinite(c[1]));
}

TEST_CASE("ValueColumn set and select", "[data][columns]") {
  ValueColumn c;
  for (int k = 0; k < 300; ++k) c.push_back(3.0f);
  c.set(7, 4.0f);
  CHECK(c.bytesPerRow() == 1);
  CHECK(c[7] == 4.0f);
  CHECK(c[8] == 3.0f);
  const std::vector<std::uint32_t> rows{7, 8, 7};
  CHECK(c.select(rows) == std::vector<float>{4.0f, 3.0f, 4.0f});
  for (int k = 0; k < 300; ++k) c.set(static_cast<std::size_t>(k), static_cast<float>(k));
  CHECK(c.bytesPerRow() == 4);
  for (int k = 0; k < 300; ++k) CHECK(c[static_cast<std::size_t>(k)] == static_cast<float>(k));
}

TEST_CASE("Column iteration and algorithms see the values", "[data][columns]") {
  ValueColumn v;
  TimestampColumn t;
  for (int k = 0; k < 50; ++k) {
    v.push_back(static_cast<float>(k % 7));
    t.push_back(k == 20 ? kNoTimestamp : 1000 - k);
  }
  CHECK(*std::max_element(v.begin(), v.end()) == 6.0f);
  CHECK(*std::min_element(t.begin(), t.end()) == kNoTimestamp);
  CHECK(std::count(v.begin(), v.end(), 0.0f) == 8);
  double sum = 0;
  for (float x : v) sum += x;
  CHECK(sum == Approx(147.0));  // k % 7 over k = 0..49
}

// The fingerprints below were computed with the plain-vector columns (std::vector<float> and
// std::vector<int64_t>, commit e1321b2) on the same data; projects store fingerprints, so the
// compact columns must give exactly these.
TEST_CASE("Fingerprints equal those of the former plain-vector columns", "[data][columns]") {
  const std::uint64_t whole[4] = {0x8606af0a656bac7aull, 0xb4fae47458e8a0e4ull,
                                  0xaf8514c20ae43ec0ull, 0xedfccb0307b0c9e6ull};
  const std::uint64_t subset[4] = {0xadb24d104e935041ull, 0x6aee72cfb99895bdull,
                                   0x34b400fe01f926e3ull, 0x78d7b72538a4f66aull};
  for (int kind = 0; kind < 4; ++kind) {
    DYNAMIC_SECTION("kind " << kind) {
      const auto d = makeColumnData(kind, 5000);
      CHECK(d.fingerprint() == whole[kind]);
      CHECK(d.withRows(someRows(d.numInteractions())).fingerprint() == subset[kind]);
    }
  }
  const auto d1 = makeColumnData(1, 5000);
  CHECK(d1.interactions.value.bytesPerRow() == 4);
  CHECK(d1.interactions.timestamp.bytesPerRow() == 8);
  const auto d2 = makeColumnData(2, 5000);
  CHECK(d2.interactions.value.bytesPerRow() == 0);
  CHECK(d2.interactions.timestamp.bytesPerRow() == 0);
  const auto d0 = makeColumnData(0, 5000);
  CHECK(d0.interactions.value.bytesPerRow() == 1);
  CHECK(d0.interactions.timestamp.bytesPerRow() == 4);
}

TEST_CASE("Sample data fingerprint equals that of the plain-vector columns", "[data][columns]") {
  const std::string path = std::string(RWB_SOURCE_DIR) + "/sample-data/interactions.csv";
  if (!std::filesystem::exists(path)) {
    WARN("skipped: " << path << " not found");
    return;
  }
  TaskContext ctx;
  const auto r = loadDelimited(path, DelimitedOptions{}, ctx, nullptr);
  CHECK(r.dataset.numInteractions() == 100000);
  CHECK(r.dataset.fingerprint() == 0xc689edad7a2023a3ull);
}
