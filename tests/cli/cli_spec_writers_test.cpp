// Regression tests for issue 13 section 2 (specs and writers): located spec errors for duplicate
// keys and number overflow, the spec's features reaching the models, ids that survive the
// written lists, safe run names, and write failures found before the fits or failing the run.
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_fixtures.h"
#include "core/data/csv_reader.h"
#include "core/util/delimited_text.h"

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

TEST_CASE(
    "regression: the spec's features reach the feature models and a wrong column fails "
    "before any fit (was: ignored, exit 0)",
    "[cli]") {
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json",
            specWith(R"("features": {"item": [{"column": "categroy", "kind": "onehot"}]},
                        "models": [{"name": "most_popular"}, {"name": "content_similarity"}])"));
  const auto bad = runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()});
  RWB_REQUIRE_FAILURE(bad, 2, "$.features.item[0].column", "'categroy'", "category");
  CHECK_FALSE(fs::exists(dir / "o" / "metrics.json"));

  // The same column given in the model's own parameters, as an object: its own path.
  writeFile(dir / "spec.json", specWith(R"("models": [{"name": "content_similarity", "params":
      {"features": {"item": [{"column": "categroy", "kind": "onehot"}]}}}])"));
  RWB_REQUIRE_FAILURE(
      runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()}), 2,
      "$.models[0].params.features.item[0].column", "'categroy'");

  // Spelt right: the spec's features are what the model was fitted with.
  writeFile(dir / "spec.json",
            specWith(R"("features": {"item": [{"column": "category", "kind": "onehot"}]},
                        "models": [{"name": "content_similarity"}])"));
  const auto ok = runRecwb(
      {"run", (dir / "spec.json").string(), "--out", (dir / "o").string(), "--json", "-q"});
  RWB_REQUIRE_SUCCESS(ok);
  const auto doc = stdoutJson(ok);
  const auto features =
      nlohmann::json::parse(doc["runs"][0]["params"]["features"].get<std::string>());
  CHECK(features["item"][0]["column"] == "category");
  CHECK(doc["runs"][0]["status"] == "ok");
}

TEST_CASE(
    "regression: ids with tabs, quotes and line breaks are quoted in run's lists (was: "
    "written raw, wrong field counts)",
    "[cli]") {
  TempDir dir;
  const std::vector<std::string> users = {"tab\tuser", "comma,user", "quote\"user", "new\nline",
                                          "\xc3\xbcnic\xc3\xb6"
                                          "de"};
  const std::vector<std::string> items = {"i\t1", "i,2", "i\"3", "i\n4", "i5", "\xe2\x9c\x93"};
  std::string train = "user_id,item_id,value\n", test = train;
  const auto row = [](const std::string& u, const std::string& i) {
    return rwb::delimitedField(u, ',') + "," + rwb::delimitedField(i, ',') + ",1\n";
  };
  for (std::size_t k = 0; k < users.size(); ++k) {
    train += row(users[k], items[k]) + row(users[k], items[(k + 1) % items.size()]);
    test += row(users[k], items[(k + 2) % items.size()]);
  }
  writeFile(dir / "train.csv", train);
  writeFile(dir / "test.csv", test);
  writeFile(dir / "spec.json", R"({"version": 1, "split": {"train": "train.csv", "test":
      "test.csv"}, "models": [{"name": "most_popular"}], "metrics": {"k": 3},
      "output": {"recommendations": "recs"}})");
  RWB_REQUIRE_SUCCESS(
      runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string(), "-q"}));

  // Read back with the project's own reader: every row has four fields and the ids as given.
  rwb::CsvFormat format;
  format.delimiter = "\t";
  rwb::CsvReader reader((dir / "o" / "recs" / "most_popular.tsv").string(), format);
  rwb::CsvRecord rec;
  std::set<std::string> seenUsers;
  std::size_t rows = 0;
  while (reader.next(rec)) {
    INFO("line " << rec.line);
    REQUIRE(rec.error == nullptr);
    REQUIRE(rec.fields.size() == 4);
    const std::string user(rec.fields[0]), item(rec.fields[1]);
    CHECK(std::find(users.begin(), users.end(), user) != users.end());
    CHECK(std::find(items.begin(), items.end(), item) != items.end());
    seenUsers.insert(user);
    ++rows;
  }
  CHECK(rows == users.size() * 3);
  CHECK(seenUsers == std::set<std::string>(users.begin(), users.end()));

  // recwb evaluate reads the quoted list back: the metric equals the run's own figure.
  const CliResult ev = runRecwb(
      {"evaluate", "--train", (dir / "train.csv").string(), "--test", (dir / "test.csv").string(),
       "--recs", (dir / "o" / "recs" / "most_popular.tsv").string(), "-k", "3", "--json"});
  RWB_REQUIRE_SUCCESS(ev);
  const auto evaluated = nlohmann::json::parse(ev.out);
  std::ifstream mj(dir / "o" / "metrics.json");
  const auto run = nlohmann::json::parse(mj);
  INFO(ev.out);
  CHECK(evaluated["test_users_without_recommendations"] == 0);
  CHECK(evaluated["recommended_users"] == users.size());
  const double fromRun = run["runs"][0]["metrics"]["ndcg@3"].get<double>();
  CHECK(evaluated["metrics"]["ndcg@3"]["value"].get<double>() == Approx(fromRun).epsilon(1e-12));
}

TEST_CASE(
    "regression: unsafe run names are refused (was: 'a.tsv\\u0000zz' overwrote run a's "
    "list)",
    "[cli]") {
  TempDir dir;
  generateSmall(dir);
  for (const std::string name : {"a.tsv\\u0000zz", "../escaped", "sub/dir", ".."}) {
    INFO(name);
    writeFile(dir / "spec.json", specWith(R"("models": [{"name": "most_popular", "run_name": "a"},
                  {"name": "ease", "run_name": ")" +
                                          name + R"("}], "output": {"recommendations": "recs"})"));
    RWB_REQUIRE_FAILURE(
        runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()}), 2,
        "$.models[1].run_name", "cannot be used as a file name");
    CHECK_FALSE(fs::exists(dir / "o"));
    CHECK_FALSE(fs::exists(dir / "escaped.tsv"));
  }
  writeFile(dir / "spec.json", specWith(R"("models": [{"name": "most_popular", "run_name": "Run"},
      {"name": "ease", "run_name": "run"}], "output": {"recommendations": "recs"})"));
  RWB_REQUIRE_FAILURE(
      runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()}), 2,
      "$.models[1].run_name", "letter case");
}

TEST_CASE(
    "regression: an output that cannot be written fails before any fit, with the reason "
    "(was: found after every fit)",
    "[cli]") {
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json", specWith(R"("models": [{"name": "most_popular"}],
      "output": {"recommendations": "recs"})"));
  fs::create_directories(dir / "o" / "recs" / "most_popular.tsv");
  const auto r = runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()});
  RWB_REQUIRE_FAILURE(r, 1, "most_popular.tsv", "Is a directory");
  CHECK(r.err.find("failed") == std::string::npos);  // not a run failure: nothing ran
  CHECK_FALSE(fs::exists(dir / "o" / "metrics.json"));

  fs::remove_all(dir / "o");
  fs::create_directories(dir / "o" / "metrics.json");
  RWB_REQUIRE_FAILURE(
      runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "o").string()}), 1,
      "metrics.json", "Is a directory");
  CHECK_FALSE(fs::exists(dir / "o" / "recs"));
}

TEST_CASE(
    "regression: a run whose list could not be written is recorded as failed (was: 'ok' "
    "in metrics.json and the project)",
    "[cli]") {
  if (!fs::exists("/dev/full")) {
    WARN("skipped: needs /dev/full");
    return;
  }
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json", specWith(R"("models": [{"name": "most_popular"},
      {"name": "ease"}], "output": {"recommendations": "recs"})"));
  // Opening succeeds, writing fails with ENOSPC: a failure only the write itself can find.
  fs::create_directories(dir / "o" / "recs");
  fs::create_symlink("/dev/full", dir / "o" / "recs" / "ease.tsv");
  const auto project = (dir / "p.rwbp").string();
  const auto r = runRecwb(
      {"run", (dir / "spec.json").string(), "--out", (dir / "o").string(), "--project", project});
  RWB_REQUIRE_FAILURE(r, 1, "run 'ease' failed", "ease.tsv", "No space left on device");
  const auto metrics = nlohmann::json::parse(readFile(dir / "o" / "metrics.json"));
  REQUIRE(metrics["runs"].size() == 2);
  CHECK(metrics["runs"][0]["status"] == "ok");
  CHECK(metrics["runs"][1]["status"] == "failed");
  CHECK(metrics["runs"][1]["metrics"].empty());
  CHECK(fs::file_size(dir / "o" / "recs" / "most_popular.tsv") > 0);
  const auto list = runRecwb({"runs", "list", "--project", project, "--json"});
  RWB_REQUIRE_SUCCESS(list);
  const auto runs = stdoutJson(list);
  REQUIRE(runs.size() == 2);
  for (const auto& run : runs) {
    INFO(run.dump());
    CHECK(run["status"] == (run["name"] == "ease" ? "failed" : "ok"));
  }
}
