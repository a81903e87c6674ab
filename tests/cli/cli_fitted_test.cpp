// What tuned models learned during fit, through recwb run, metrics.json and recwb runs show.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_fixtures.h"
#include "cli_runner.h"
#include "core/models/fitted_summary.h"

using namespace rwb::test;

TEST_CASE("recwb run and runs show print what a blend and neighbour_popularity tuned",
          "[cli][fitted]") {
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json", R"({"version": 1, "dataset": {"path": "gen"},
    "split": {"method": "random", "ratio": 0.8, "seed": 2},
    "models": [
      {"name": "blend", "params": {"members": {"itemknn": {"k": 10}, "most_popular": {}}}},
      {"name": "neighbour_popularity"},
      {"name": "most_popular"}],
    "metrics": {"k": 5, "names": ["ndcg"]}, "threads": 1})");
  const auto project = (dir / "p.rwbp").string();
  const CliResult run = runRecwb({"run", (dir / "spec.json").string(), "--project", project,
                                  "--out", (dir / "o").string(), "-q"});
  RWB_REQUIRE_SUCCESS(run);

  // metrics.json: "fitted" in the two tuned runs' records, none in most_popular's.
  const auto metrics = nlohmann::json::parse(readFile(dir / "o" / "metrics.json"));
  REQUIRE(metrics.at("runs").size() == 3);
  const auto& blend = metrics["runs"][0];
  const auto& neighbour = metrics["runs"][1];
  REQUIRE(blend.at("model") == "blend");
  REQUIRE(blend.contains("fitted"));
  REQUIRE(blend["fitted"]["weights"].size() == 2);
  CHECK(blend["fitted"]["tuned"] == true);
  REQUIRE(neighbour.at("model") == "neighbour_popularity");
  REQUIRE(neighbour.contains("fitted"));
  CHECK(neighbour["fitted"].contains("kernel"));
  CHECK_FALSE(metrics["runs"][2].contains("fitted"));

  // One line per tuned run after the table, the same text metrics.json's summary reads as.
  const std::string blendLine = "blend: " + rwb::fittedSummaryText(blend["fitted"]) + "\n";
  const std::string neighbourLine =
      "neighbour_popularity: " + rwb::fittedSummaryText(neighbour["fitted"]) + "\n";
  INFO(run.out);
  CHECK(blendLine.rfind("blend: weights itemknn ", 0) == 0);
  CHECK(run.out.find(blendLine) != std::string::npos);
  CHECK(run.out.find(neighbourLine) != std::string::npos);
  CHECK(run.out.find("most_popular: ") == std::string::npos);

  // The project keeps it: runs show prints it, --json carries the same object.
  const auto listed = stdoutJson(runRecwb({"runs", "list", "--project", project, "--json"}));
  REQUIRE(listed.size() == 3);
  for (const auto& r : listed) {
    const std::string id = std::to_string(r.at("id").get<std::int64_t>());
    const auto shown = stdoutJson(runRecwb({"runs", "show", id, "--project", project, "--json"}));
    const CliResult text = runRecwb({"runs", "show", id, "--project", project});
    RWB_REQUIRE_SUCCESS(text);
    if (r.at("model") == "most_popular") {
      CHECK_FALSE(shown.contains("fitted"));
      CHECK(text.out.find("fitted ") == std::string::npos);
      continue;
    }
    const auto& expected = r.at("model") == "blend" ? blend["fitted"] : neighbour["fitted"];
    CHECK(shown.at("fitted") == expected);
    CHECK(text.out.find("fitted        " + rwb::fittedSummaryText(expected) + "\n") !=
          std::string::npos);
  }
}
