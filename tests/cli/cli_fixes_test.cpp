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

TEST_CASE(
    "regression: an empty or header-only recommendations file is an error (was: exit 0, "
    "every metric undefined)",
    "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  RWB_REQUIRE_SUCCESS(runRecwb(
      {"split", (gen / "interactions.csv").string(), "--out", (dir / "s").string(), "-q"}));
  const auto train = (dir / "s" / "train.tsv").string(), test = (dir / "s" / "test.tsv").string();
  writeFile(dir / "empty.tsv", "");
  writeFile(dir / "header.tsv", "user\titem\tscore\trank\tfallback\n");
  writeFile(dir / "blank.tsv", "\n\n");
  for (const char* name : {"empty.tsv", "header.tsv", "blank.tsv"}) {
    const auto file = (dir / name).string();
    const std::string reason =
        std::string(name) == "header.tsv" ? "no recommendation rows" : "the file is empty";
    RWB_REQUIRE_FAILURE(runRecwb({"evaluate", "--train", train, "--test", test, "--recs", file}), 2,
                        file, reason);
    RWB_REQUIRE_FAILURE(runRecwb({"compare", file, file, "--train", train, "--test", test}), 2,
                        file, reason);
  }
}

TEST_CASE("regression: runs delete of an unknown id says so on stderr (was: on stdout only)",
          "[cli]") {
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json",
            R"({"version": 1, "dataset": {"path": "gen"}, "split": {"method": "chronological",
                "ratio": 0.8}, "models": [{"name": "most_popular"}]})");
  const auto project = (dir / "p.rwbp").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"run", (dir / "spec.json").string(), "--project", project, "--out",
                                (dir / "o").string(), "-q"}));
  const CliResult text = runRecwb({"runs", "delete", "42", "--project", project});
  RWB_REQUIRE_FAILURE(text, 1, "no run with id 42 in " + project);
  CHECK(text.out.empty());
  const CliResult json = runRecwb({"runs", "delete", "42", "--project", project, "--json"});
  RWB_REQUIRE_FAILURE(json, 1, "no run with id 42");
  CHECK(stdoutJson(json).at("deleted") == false);
  const CliResult list = runRecwb({"runs", "list", "--project", project, "--json"});
  RWB_REQUIRE_SUCCESS(list);
  CHECK(stdoutJson(list).size() == 1);
}
