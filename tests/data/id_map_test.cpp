// GCC 12 reports false -Wrestrict / -Wmaybe-uninitialized warnings inside libstdc++ when short
// string literals are assigned to std::string at -O2 (GCC bug 105651); they are not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "core/data/id_map.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <unordered_map>

using rwb::IdMap;
using rwb::Index;

TEST_CASE("IdMap interns ids in order of first appearance and keeps their text", "[data][idmap]") {
  IdMap m;
  CHECK(m.intern("42") == 0);
  CHECK(m.intern("alice") == 1);
  CHECK(m.intern("042") == 2);  // not the same id as "42"
  CHECK(m.intern("+42") == 3);
  CHECK(m.intern("42") == 0);
  CHECK(m.intern("alice") == 1);
  CHECK(m.intern("0") == 4);
  CHECK(m.intern("") == 5);
  CHECK(m.size() == 6);
  CHECK(m.external(2) == "042");
  CHECK(m.external(3) == "+42");
  CHECK(m.find("042") == Index{2});
  CHECK(m.find("43") == std::nullopt);
  CHECK(m.find("bob") == std::nullopt);
  CHECK(m.find("99999999999999999999") == std::nullopt);
}

TEST_CASE("IdMap matches a reference map on a random mix of integer and string ids",
          "[data][idmap]") {
  std::mt19937 rng(7);
  IdMap m;
  std::unordered_map<std::string, Index> ref;
  for (int i = 0; i < 200000; ++i) {
    std::string id;
    switch (rng() % 4) {
      case 0:
        id = std::to_string(rng() % 5000);
        break;  // direct path
      case 1:
        id = std::to_string(rng() % 100 + 4194300);
        break;  // around the direct limit
      case 2:
        id = "u" + std::to_string(rng() % 3000);
        break;  // hashed path
      default:
        id = "0" + std::to_string(rng() % 500);
        break;  // leading zero: hashed
    }
    const auto it = ref.find(id);
    const Index got = m.intern(id);
    if (it == ref.end()) {
      REQUIRE(got == ref.size());
      ref.emplace(id, got);
    } else {
      REQUIRE(got == it->second);
    }
  }
  REQUIRE(m.size() == ref.size());
  for (const auto& [id, idx] : ref) {
    REQUIRE(m.external(idx) == id);
    REQUIRE(m.find(id) == idx);
  }
  IdMap copy = m;  // copies stay consistent (datasets copy their maps for splits)
  CHECK(copy.intern("u1") == m.intern("u1"));
  CHECK(copy.intern("brand-new") == m.size());
}

TEST_CASE("IdMap reserve does not change behaviour", "[data][idmap]") {
  IdMap m;
  m.reserve(1000);
  for (int i = 0; i < 1000; ++i) REQUIRE(m.intern("id" + std::to_string(i)) == Index(i));
  for (int i = 0; i < 1000; ++i) REQUIRE(m.find("id" + std::to_string(i)) == Index(i));
}
