// recwb run --tune: the auto search of every model on tiny generated data, recorded in the
// project and listed by `recwb runs trials`.
#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace rwb::test;

TEST_CASE("recwb run --tune tunes every model, records and lists the trials", "[cli][auto]") {
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json",
            R"({"version": 1, "dataset": {"path": "gen"}, "split": {"method": "chronological",
                "ratio": 0.8}, "tuning": {"trials": 4},
                "models": [{"name": "rp3beta"}, {"name": "ials", "params": {"factors": 8}}]})");
  const auto project = (dir / "p.rwbp").string();
  const CliResult run = runRecwb({"run", (dir / "spec.json").string(), "--tune", "60", "--project",
                                  project, "--out", (dir / "o").string()});
  RWB_REQUIRE_SUCCESS(run);
  CHECK_THAT(run.out,
             Catch::Contains("rp3beta: auto search") && Catch::Contains("ials: auto search") &&
                 Catch::Contains("stopped by trials") && Catch::Contains("budget 60.0 s, used"));
  // The budget bounds the whole run; metrics.json says what it used.
  const auto metrics = nlohmann::json::parse(readFile(dir / "o" / "metrics.json"));
  REQUIRE(metrics.contains("budget"));
  CHECK(metrics["budget"]["seconds"] == 60.0);
  CHECK(metrics["budget"]["used_seconds"].get<double>() > 0.0);
  CHECK(metrics["budget"]["over_seconds"].get<double>() >= 0.0);
  CHECK(metrics["budget"]["final_fits_estimate_seconds"].get<double>() > 0.0);

  const nlohmann::json runs =
      stdoutJson(runRecwb({"runs", "--project", project, "list", "--json"}));
  REQUIRE(runs.size() == 2);
  for (const auto& r : runs) {
    const std::string id = std::to_string(r["id"].get<long long>());
    const CliResult trials = runRecwb({"runs", "--project", project, "trials", id});
    RWB_REQUIRE_SUCCESS(trials);
    CHECK_THAT(trials.out, Catch::Contains("auto search on ndcg@10") && Catch::Contains("*"));
    const nlohmann::json h =
        stdoutJson(runRecwb({"runs", "--project", project, "trials", id, "--json"}));
    CHECK(h["method"] == "auto");
    CHECK(h["stopped_by"] == "trials");
    CHECK(h["budget_seconds"].get<double>() > 0.0);
    CHECK(h["budget_seconds"].get<double>() <= 60.0);
    CHECK(h["refit_estimate_seconds"].get<double>() > 0.0);
    REQUIRE(h["trials"].size() >= 4);
    for (const auto& t : h["trials"]) {
      CHECK(t["score"].is_number());
      CHECK(t["fit_seconds"].is_number());
      CHECK(t["params"].is_object());
    }
  }
  // A run without a search has no trials: a located error, exit 1.
  const std::string spec2 = (dir / "plain.json").string();
  writeFile(dir / "plain.json",
            R"({"version": 1, "dataset": {"path": "gen"}, "split": {"method": "chronological",
                "ratio": 0.8}, "models": [{"name": "most_popular"}]})");
  RWB_REQUIRE_SUCCESS(
      runRecwb({"run", spec2, "--project", project, "--out", (dir / "o2").string(), "-q"}));
  const nlohmann::json all = stdoutJson(runRecwb({"runs", "--project", project, "list", "--json"}));
  const std::string plainId = std::to_string(all[0]["id"].get<long long>());
  const CliResult none = runRecwb({"runs", "--project", project, "trials", plainId});
  CHECK(none.exitCode != 0);
  CHECK_THAT(none.err, Catch::Contains("has no search"));
}

TEST_CASE("recwb run --tune reports a budget it cannot keep", "[cli][auto]") {
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json",
            R"({"version": 1, "dataset": {"path": "gen"}, "split": {"method": "chronological",
                "ratio": 0.8}, "models": [{"name": "rp3beta"}]})");
  // No run finishes in a millisecond: one trial, a warning, and the overshoot in both outputs.
  const CliResult run = runRecwb(
      {"run", (dir / "spec.json").string(), "--tune", "0.001", "--out", (dir / "o").string()});
  RWB_REQUIRE_SUCCESS(run);
  CHECK_THAT(run.out, Catch::Contains("budget 0.0 s, used") && Catch::Contains("OVER by"));
  CHECK_THAT(run.err, Catch::Contains("less than one search trial") &&
                          Catch::Contains("over its time budget"));
  const auto metrics = nlohmann::json::parse(readFile(dir / "o" / "metrics.json"));
  CHECK(metrics["budget"]["over_seconds"].get<double>() > 0.0);
  REQUIRE(metrics["runs"].size() == 1);
  CHECK(metrics["runs"][0]["search"]["trials"].size() == 1);
  CHECK(metrics["runs"][0]["warnings"].size() == 1);
}
