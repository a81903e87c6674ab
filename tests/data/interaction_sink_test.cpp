// countDuplicatePairs against a brute-force count, on both item-index widths.
#include "core/data/interaction_sink.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <utility>

#include "core/data/dataset.h"

using namespace rwb;

namespace {
std::uint64_t bruteForce(const Dataset& d) {
  std::set<std::pair<Index, Index>> seen;
  std::uint64_t dups = 0;
  for (std::size_t k = 0; k < d.numInteractions(); ++k) {
    dups += !seen.insert({d.interactions.user[k], d.interactions.item[k]}).second;
  }
  return dups;
}

Dataset randomLog(std::size_t users, std::size_t items, std::size_t rows, std::uint64_t seed) {
  Dataset d;
  for (std::size_t i = 0; i < items; ++i) d.items.intern("i" + std::to_string(i));
  for (std::size_t u = 0; u < users; ++u) d.users.intern("u" + std::to_string(u));
  std::uint64_t s = seed;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 33;
  };
  for (std::size_t k = 0; k < rows; ++k) {
    // Few items per user on purpose, so that repeats are frequent.
    const auto u = static_cast<Index>(next() % users);
    const auto i = static_cast<Index>((u * 7919 + next() % 5) % items);
    d.interactions.push(u, i, 1.0f, kNoTimestamp);
  }
  return d;
}
}  // namespace

TEST_CASE("countDuplicatePairs counts repeats beyond the first occurrence", "[data][sink]") {
  for (const std::size_t items : {std::size_t{100}, std::size_t{65536}, std::size_t{70000}}) {
    DYNAMIC_SECTION("items " << items) {
      const auto d = randomLog(300, items, 5000, items);
      const auto want = bruteForce(d);
      CHECK(want > 0);
      CHECK(countDuplicatePairs(d) == want);
    }
  }
  CHECK(countDuplicatePairs(Dataset{}) == 0);
}
