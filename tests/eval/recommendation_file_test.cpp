#include "core/eval/recommendation_file.h"

#include <catch2/catch.hpp>

#include "core/util/error.h"
#include "eval_test_support.h"
#include "test_support.h"

using namespace rwb;

TEST_CASE("recommendation files: duplicate header names are refused (issue 13)", "[eval]") {
  // Regression: user,user,item,score was resolved silently to the first 'user' column.
  const Dataset base = test::makeDataset({{"a", "i1"}, {"b", "i2"}});
  test::TempDir dir;
  TaskContext ctx;
  test::writeFile(dir / "r.csv", "user,User,item,score\na,b,i1,0.5\n");
  try {
    loadRecommendations((dir / "r.csv").string(), base, {}, ctx);
    FAIL("expected a ParseError");
  } catch (const ParseError& e) {
    CHECK(e.line() == 1);
    CHECK(e.column() == 2);
    CHECK_THAT(e.reason(), Catch::Contains("duplicate column name 'User' (columns 1 and 2)"));
  }
  test::writeFile(dir / "ok.csv", "user,item,score\na,i1,0.5\n");
  CHECK(loadRecommendations((dir / "ok.csv").string(), base, {}, ctx).lists.size() == 1);
}
