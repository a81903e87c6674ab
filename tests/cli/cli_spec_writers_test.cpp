// Regression tests for issue 13 section 2 (specs and writers).
#include "cli_fixtures.h"

using namespace rwb::test;
namespace fs = std::filesystem;

namespace {

const std::string kSplit = R"("split": {"method": "chronological", "ratio": 0.8})";

std::string specWith(const std::string& body) {
  return R"({"version": 1, "dataset": {"path": "gen"}, )" + kSplit + ", " + body + "}";
}

}  // namespace

TEST_CASE(
    "regression: duplicate keys and 1e400 in a spec are located errors (was: a model "
    "silently dropped; 'internal error')",
    "[cli]") {
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json",
            specWith(R"("models": [{"name": "most_popular"}], "models": [{"name": "ease"}])"));
  RWB_REQUIRE_FAILURE(
      runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()}), 2, "$.models",
      "duplicate key");
  writeFile(dir / "spec.json", specWith(R"("models": [{"name": "most_popular"}], "seed": 1e400)"));
  RWB_REQUIRE_FAILURE(
      runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()}), 2, "$.seed",
      "out of range", "spec.json:1:");
  writeFile(dir / "spec.json",
            specWith(R"("models": [{"name": "ials", "params": {"alpha": -1e400}}])"));
  RWB_REQUIRE_FAILURE(
      runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()}), 2,
      "$.models[0].params.alpha", "out of range");
  CHECK_FALSE(fs::exists(dir / "o"));
}
