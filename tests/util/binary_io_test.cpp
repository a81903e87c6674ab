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
  CHECK(r.get<std::int32_t>() == -7);
  CHECK(r.getString() == "héllo");
  CHECK(r.getVector<float>() == std::vector<float>{1.5f, -2.0f});
  CHECK(r.getStrings() == std::vector<std::string>{"a", "", "ccc"});
  CHECK(r.atEnd());
}

TEST_CASE("binary reader rejects truncated and oversized input", "[util]") {
  BinaryWriter w;
  w.putVector(std::vector<double>{1, 2, 3});
  const std::string bytes = w.bytes();
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    BinaryReader r(std::string_view(bytes).substr(0, cut));
    CHECK_THROWS_AS(r.getVector<double>(), ModelError);
  }
  BinaryWriter huge;
  huge.put<std::uint64_t>(~0ull);
  BinaryReader r(huge.bytes());
  CHECK_THROWS_AS(r.getVector<float>(), ModelError);
}
