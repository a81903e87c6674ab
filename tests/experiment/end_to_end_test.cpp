#include <catch2/catch.hpp>

#include "core/experiment/runner.h"
#include "test_support.h"

using namespace rwb;
using nlohmann::json;

// Issue 4's spec, verbatim, run on ../shared/data from the source root.
TEST_CASE("issue 4's spec runs end to end on ml-100k", "[experiment][e2e][shared]") {
  RWB_REQUIRE_SHARED_DATA(data);
  const json doc = json::parse(R"({
    "version": 1,
    "dataset": {"path": "../shared/data/ml-100k"},
    "split": {"method": "recommenders", "ratio": 0.75, "by": "item", "seed": 42},
    "models": [{"name": "most_popular"}],
    "metrics": {"k": 10},
    "output": {"recommendations": "out/"}
  })");
  // The test runs from the source root, where ../shared/data resolves.
  const ExperimentSpec spec = parseExperimentSpec(doc, data.parent_path().parent_path() / "wt");
  RunnerOptions opt;
  opt.threads = 2;
  opt.keepRecommendations = true;
  opt.keepModels = true;
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, opt, ctx);
  CHECK(r.data.summary["train"]["interactions"] == 75066);
  CHECK(r.data.summary["test"]["interactions"] == 24934);
  REQUIRE(r.runs.size() == 1);
  const RunRecord& run = r.runs[0];
  INFO(run.error);
  REQUIRE(run.status == RunStatus::kOk);
  CHECK(run.name == "most_popular");
  CHECK(run.recUsers.size() == run.recommendations.size());
  CHECK(run.recommendations.front().items.size() == 10);
  CHECK_FALSE(run.modelBlob.empty());
  CHECK(run.peakRssBytes > 0);
  // Popularity is a weak but real baseline on this split: well above random (P@10 ~ 0.06).
  CHECK(run.metrics.at("precision@10") > 0.1);
  CHECK(run.metrics.at("precision@10") < run.metrics.at("ndcg@10") + 1.0);
  CHECK(run.metrics.count("recall@10") == 1);
  CHECK(run.metrics.count("map") == 1);

  // The same split given as files (the Recommenders files) gives the same train and test sets
  // and, up to ties, the same numbers: items with equal popularity rank by dense index, which
  // follows the order of the file they were first read from (u.data vs train.tsv).
  const json files = {{"version", 1},
                      {"dataset", {{"path", "train.tsv"}, {"options", {{"header", "no"}}}}},
                      {"split", {{"train", "train.tsv"}, {"test", "test.tsv"}}},
                      {"models", {{{"name", "most_popular"}}}},
                      {"metrics", {{"k", 10}}}};
  TaskContext ctx2;
  const auto viaFiles =
      runExperiment(parseExperimentSpec(files, data / "ml-100k-recsplit"), opt, ctx2);
  REQUIRE(viaFiles.runs[0].status == RunStatus::kOk);
  CHECK(viaFiles.data.summary["train"] == r.data.summary["train"]);
  CHECK(viaFiles.data.summary["test"] == r.data.summary["test"]);
  CHECK(viaFiles.runs[0].evaluatedUsers.size() == run.evaluatedUsers.size());
  for (const auto& [key, value] : run.metrics) {
    INFO(key);
    CHECK(viaFiles.runs[0].metrics.at(key) == Approx(value).margin(1e-3));
  }
}
