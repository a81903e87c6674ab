#include "core/data/item_set.h"

#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
IdMap catalogue() {
  IdMap m;
  for (const char* id : {"10", "20", "abc", "x y"}) m.intern(id);
  return m;
}
}  // namespace

TEST_CASE("an item list file gives sorted indices and names bad lines", "[data][items]") {
  test::TempDir dir;
  const IdMap items = catalogue();
  test::writeFile(dir / "ok.txt", "abc\r\n\n  20 \nx y\n");
  CHECK(readItemSetFile((dir / "ok.txt").string(), items) == std::vector<Index>{1, 2, 3});

  test::writeFile(dir / "unknown.txt", "10\n\n30\n");
  try {
    readItemSetFile((dir / "unknown.txt").string(), items);
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(e.line() == 3);
    CHECK(std::string(e.what()).find("item '30' is not in the catalogue") != std::string::npos);
  }
  test::writeFile(dir / "twice.txt", "10\n20\n10\n");
  CHECK_THROWS_WITH(readItemSetFile((dir / "twice.txt").string(), items),
                    Catch::Contains("twice.txt:3:1") && Catch::Contains("first on line 1"));
  test::writeFile(dir / "empty.txt", "\n \n");
  CHECK_THROWS_WITH(readItemSetFile((dir / "empty.txt").string(), items),
                    Catch::Contains("names no item"));
  CHECK_THROWS_AS(readItemSetFile((dir / "absent.txt").string(), items), IoError);
}

TEST_CASE("a comma-separated item list names the first bad id", "[data][items]") {
  const IdMap items = catalogue();
  CHECK(parseItemSetList("abc, 10", items) == std::vector<Index>{0, 2});
  CHECK_THROWS_WITH(parseItemSetList("10,nope", items), Catch::Contains("item 'nope'"));
  CHECK_THROWS_WITH(parseItemSetList("10,,20", items), Catch::Contains("empty id"));
  CHECK_THROWS_WITH(parseItemSetList("", items), Catch::Contains("empty id"));
  CHECK_THROWS_WITH(parseItemSetList("20,20", items), Catch::Contains("listed twice"));
}
