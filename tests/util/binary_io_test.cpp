#include "core/util/binary_io.h"

#include "test_support.h"

using namespace rwb;

TEST_CASE("binary writer and reader round trip", "[util]") {
  BinaryWriter w;
  w.put<std::int32_t>(-7);
  w.putString("héllo");
  w.putVector(std::vector<float>{1.5f, -2.0f});
  w.putStrings({"a", "", "ccc"});
  BinaryReader r(w.bytes());
  CHECK(r.get<std::int32_t>("a") == -7);
  CHECK(r.getString("b") == "héllo");
  CHECK(r.getVector<float>("c") == std::vector<float>{1.5f, -2.0f});
  CHECK(r.getStrings("d") == std::vector<std::string>{"a", "", "ccc"});
  CHECK(r.atEnd());
}

TEST_CASE("binary reader rejects truncated and oversized input", "[util]") {
  BinaryWriter w;
  w.putVector(std::vector<double>{1, 2, 3});
  const std::string bytes = w.bytes();
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    BinaryReader r(std::string_view(bytes).substr(0, cut));
    CHECK_THROWS_AS(r.getVector<double>("weights"), ModelError);
  }
  BinaryWriter huge;
  huge.put<std::uint64_t>(~0ull);
  BinaryReader r(huge.bytes());
  CHECK_THROWS_AS(r.getVector<float>("weights"), ModelError);
}

TEST_CASE("binary reader failures name the field being read or last read (issue 17)", "[util]") {
  BinaryWriter w;
  w.put<std::uint64_t>(3);
  w.putVector(std::vector<float>{1, 2});
  w.put<std::uint64_t>(7);
  const std::string bytes = w.take();

  SECTION("a truncated read names the field and the byte where it stopped") {
    BinaryReader r(std::string_view(bytes).substr(0, 12), "test state");
    CHECK(r.get<std::uint64_t>("count") == 3);
    CHECK_THROWS_WITH(r.getVector<float>("weights"),
                      "test state, field 'weights' (byte 8 of 12): truncated (needs 8 more bytes)");
  }
  SECTION("a check after a read names that field") {
    BinaryReader r(bytes);
    r.get<std::uint64_t>("count");
    const auto v = r.getVector<float>("weights");
    CHECK_THROWS_WITH(r.check(v.size() == 3, "has the wrong length"),
                      "model state, field 'weights' (byte 24 of 32): has the wrong length");
  }
  SECTION("fields inside a scope carry its name, and the scope's name stays after it") {
    BinaryReader r(bytes);
    r.get<std::uint64_t>("count");
    {
      const auto outer = r.scope("pipeline");
      const auto inner = r.scope("encoders[2]");
      r.getVector<float>("idf");
      CHECK_THROWS_WITH(
          r.fail("bad"),
          Catch::StartsWith("model state, field 'pipeline.encoders[2].idf' (byte 24"));
    }
    CHECK_THROWS_WITH(r.fail("bad"), Catch::StartsWith("model state, field 'pipeline' ("));
    CHECK_THROWS_WITH(r.getVector<double>("tail"),
                      Catch::StartsWith("model state, field 'tail' (byte 32 of 32)"));
  }
  SECTION("peek names the field without consuming it") {
    BinaryReader r(std::string_view(bytes).substr(0, 4));
    CHECK_THROWS_WITH(r.peek<std::uint64_t>("tag"), Catch::Contains("field 'tag' (byte 0 of 4)"));
  }
}
