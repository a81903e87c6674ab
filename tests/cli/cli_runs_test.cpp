// recwb runs rename/tag/untag/note/archive/champion/diff on a project written by `recwb run`.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli_fixtures.h"
#include "cli_runner.h"

using namespace rwb::test;
namespace fs = std::filesystem;

namespace {

/// A project with two runs on the same split (most_popular, itemknn with 20 neighbours).
std::string twoRunProject(const TempDir& dir, std::int64_t& pop, std::int64_t& knn) {
  splitSample(dir);
  writeFile(dir / "spec.json", R"({
  "version": 1,
  "name": "runs-test",
  "split": {"train": "split/train.tsv", "test": "split/test.tsv"},
  "models": [{"name": "most_popular"}, {"name": "itemknn", "params": {"k": 20}}],
  "metrics": {"k": 5, "names": ["precision", "ndcg"]},
  "threads": 1
})");
  const auto project = (dir / "p.rwbp").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"run", (dir / "spec.json").string(), "--project", project, "--out",
                                (dir / "out").string(), "-q", "--json"}));
  const auto listed = stdoutJson(runRecwb({"runs", "list", "--project", project, "--json"}));
  REQUIRE(listed.size() == 2);
  for (const auto& r : listed) (r.at("model") == "most_popular" ? pop : knn) = r.at("id");
  return project;
}

}  // namespace

TEST_CASE("runs rename, tag, untag, note, archive change a run's annotations", "[cli]") {
  TempDir dir;
  std::int64_t pop = 0, knn = 0;
  const auto project = twoRunProject(dir, pop, knn);
  const auto id = std::to_string(pop);
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "rename", id, "baseline", "--project", project}));
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "tag", id, "reference", "--project", project}));
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "tag", id, "old", "--project", project}));
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "untag", id, "old", "--project", project}));
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "note", id, "the bar to beat", "--project", project}));
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "archive", std::to_string(knn), "--project", project}));
  const auto shown = stdoutJson(runRecwb({"runs", "show", id, "--project", project, "--json"}));
  CHECK(shown.at("name") == "baseline");
  CHECK(shown.at("tags") == nlohmann::json::array({"reference"}));
  CHECK(shown.at("note") == "the bar to beat");
  CHECK(shown.at("archived") == false);
  const auto listed = stdoutJson(runRecwb({"runs", "list", "--project", project, "--json"}));
  for (const auto& r : listed) CHECK(r.at("archived") == (r.at("id") == knn));
  const CliResult text = runRecwb({"runs", "list", "--project", project});
  CHECK(text.out.find("[reference]") != std::string::npos);
  CHECK(text.out.find("[archived]") != std::string::npos);

  RWB_REQUIRE_FAILURE(runRecwb({"runs", "untag", id, "old", "--project", project}), 1, "no tag");
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "tag", "999", "x", "--project", project}), 1,
                      "no run with id 999");
}

TEST_CASE("runs champion records the champion and its history", "[cli]") {
  TempDir dir;
  std::int64_t pop = 0, knn = 0;
  const auto project = twoRunProject(dir, pop, knn);
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "champion", std::to_string(pop), "--project", project}));
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "champion", std::to_string(knn), "--project", project}));
  const auto history = stdoutJson(runRecwb({"runs", "champion", "--project", project, "--json"}));
  REQUIRE(history.size() == 2);
  CHECK(history[0].at("id") == pop);
  CHECK(history[0].at("current") == false);
  CHECK(history[1].at("id") == knn);
  CHECK(history[1].at("current") == true);
  CHECK(history[0].at("split_hash") == history[1].at("split_hash"));
}

TEST_CASE("runs diff shows only the configuration keys that differ", "[cli]") {
  TempDir dir;
  std::int64_t pop = 0, knn = 0;
  const auto project = twoRunProject(dir, pop, knn);
  const auto d = stdoutJson(runRecwb(
      {"runs", "diff", std::to_string(pop), std::to_string(knn), "--project", project, "--json"}));
  std::map<std::string, nlohmann::json> rows;
  for (const auto& r : d.at("differences")) rows[r.at("key")] = r.at("values");
  REQUIRE(rows.count("model") == 1);
  CHECK(rows["model"][0] == "most_popular");
  CHECK(rows["model"][1] == "itemknn");
  REQUIRE(rows.count("params.k") == 1);
  CHECK(rows["params.k"][1] == 20);
  // Same data, split and metrics: not in the diff.
  CHECK(rows.count("split hash") == 0);
  CHECK(rows.count("dataset.fingerprint") == 0);
  CHECK(rows.count("spec.metrics.k") == 0);
  const CliResult text =
      runRecwb({"runs", "diff", std::to_string(pop), std::to_string(knn), "--project", project});
  RWB_REQUIRE_SUCCESS(text);
  CHECK(text.out.find("params.k") != std::string::npos);
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "diff", std::to_string(pop), "--project", project}), 2);
}

TEST_CASE("report writes one self-contained HTML file with the chosen runs' numbers", "[cli]") {
  TempDir dir;
  std::int64_t pop = 0, knn = 0;
  const auto project = twoRunProject(dir, pop, knn);
  const auto out = dir / "report.html";
  RWB_REQUIRE_SUCCESS(
      runRecwb({"report", "--project", project, "--runs",
                std::to_string(pop) + "," + std::to_string(knn), "--out", out.string(), "-q"}));
  const std::string html = readFile(out);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  const auto listed = stdoutJson(runRecwb({"runs", "list", "--project", project, "--json"}));
  for (const auto& r : listed) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", r.at("metrics").at("ndcg@5").get<double>());
    INFO(r.at("name"));
    CHECK(html.find(buf) != std::string::npos);
  }
  RWB_REQUIRE_FAILURE(
      runRecwb({"report", "--project", project, "--runs", "999", "--out", out.string()}), 1,
      "no run");
}
