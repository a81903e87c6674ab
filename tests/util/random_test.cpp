#include "core/util/random.h"

#include <catch2/catch.hpp>
#include <set>
#include <vector>

using namespace rwb;

TEST_CASE("splitmix64 gives the published sequence", "[util][random]") {
  // SplitMix64 from state 0 (Steele, Lea and Flood 2014; the reference C code's first outputs).
  std::uint64_t state = 0;
  CHECK(splitmixNext(state) == 0xE220A8397B1DCDAFull);
  CHECK(splitmixNext(state) == 0x6E789E6AA1B965F4ull);
  CHECK(splitmixNext(state) == 0x06C45D188009454Full);
  CHECK(splitmix64(0) == 0xE220A8397B1DCDAFull);
}

TEST_CASE("deriveSeed separates streams and is a pure function", "[util][random]") {
  std::set<std::uint64_t> seen;
  for (std::uint64_t a = 0; a < 50; ++a) {
    for (std::uint64_t b = 0; b < 20; ++b) seen.insert(deriveSeed(42, a, b));
  }
  CHECK(seen.size() == 1000);
  CHECK(deriveSeed(42, 3, 4, 5) == deriveSeed(42, 3, 4, 5));
  CHECK(deriveSeed(42, 3) != deriveSeed(43, 3));
}

TEST_CASE("both engines repeat for a seed, and below() stays in range", "[util][random]") {
  Rng a(7), b(7);
  FastRng fa(7), fb(7);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(a.next() == b.next());
    REQUIRE(fa.next() == fb.next());
    const auto x = a.below(13);
    const auto y = fa.below(13);
    b.below(13);
    fb.below(13);
    REQUIRE(x < 13);
    REQUIRE(y < 13);
  }
  // Every value of a small range is reached (a stuck or biased generator would miss some).
  std::vector<int> hits(10, 0);
  for (int i = 0; i < 5000; ++i) ++hits[static_cast<std::size_t>(a.below(10))];
  for (int h : hits) CHECK(h > 350);
}
