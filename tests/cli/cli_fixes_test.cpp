// Regression tests for places where recwb did not meet the bad-input rule (vague message, exit 0
// on an error, message on stdout); each names what it guards.
#include "cli_fixtures.h"

using namespace rwb::test;
namespace fs = std::filesystem;

TEST_CASE("regression: an unknown command word is named (was: 'A subcommand is required')",
          "[cli]") {
  RWB_REQUIRE_FAILURE(runRecwb({"inspekt", "data.csv"}), 2, "unknown command 'inspekt' for 'recwb'",
                      "inspect, models");
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "lst", "--project", "p.rwbp"}), 2,
                      "unknown command 'lst' for 'recwb runs'", "list, show, delete");
}
