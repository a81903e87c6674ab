#include "core/data/timestamps.h"

#include <catch2/catch.hpp>

#include "core/data/dataset.h"
#include "core/data/text_parse.h"

using namespace rwb;

TEST_CASE("timestampPlausible: [1970-01-01, 2100-01-01) in Unix seconds (issue 13)",
          "[data][time]") {
  CHECK(timestampPlausible(0));
  CHECK(timestampPlausible(1700000000));
  CHECK(timestampPlausible(4102444799));  // 2099-12-31T23:59:59Z
  CHECK_FALSE(timestampPlausible(4102444800));
  CHECK_FALSE(timestampPlausible(-1));
  CHECK_FALSE(timestampPlausible(kNoTimestamp));
  CHECK(kPlausibleTimestampEnd == daysFromCivil(2100, 1, 1) * 86400);
  CHECK(describeImplausibleTimestamp(1700000000).empty());
  CHECK_THAT(describeImplausibleTimestamp(1700000000000),
             Catch::Contains("looks like milliseconds (as milliseconds: 2023-11-14T22:13:20Z)"));
  CHECK_THAT(describeImplausibleTimestamp(1700000000000000), Catch::Contains("microseconds"));
  CHECK_THAT(describeImplausibleTimestamp(32503680000),
             Catch::Contains("3000-01-01T00:00:00Z, after 2099"));
  CHECK_THAT(describeImplausibleTimestamp(32503680000), Catch::Contains("Unix seconds"));
  CHECK_THAT(describeImplausibleTimestamp(-86400),
             Catch::Contains("1969-12-31T00:00:00Z, before 1970"));
}
