#include "core/experiment/runner.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <latch>
#include <set>
#include <thread>

#include "core/models/blend.h"
#include "core/util/error.h"
#include "experiment_test_support.h"

using namespace rwb;
using nlohmann::json;

namespace {

// A spec over a synthetic log written into dir.
json syntheticSpec(const test::TempDir& dir) {
  test::writeSyntheticLog(dir / "log.tsv", 120, 60, 15);
  return json{{"version", 1},
              {"dataset", {{"path", "log.tsv"}}},
              {"split", {{"method", "recommenders"}, {"ratio", 0.75}, {"by", "user"}, {"seed", 5}}},
              {"models", json::array()},
              {"metrics", {{"k", 5}, {"names", {"precision", "recall", "ndcg", "map"}}}},
              {"threads", 2}};
}

std::set<std::tuple<Index, Index, std::int64_t>> rowKeys(const Dataset& d) {
  std::set<std::tuple<Index, Index, std::int64_t>> keys;
  for (std::size_t r = 0; r < d.interactions.size(); ++r) {
    keys.emplace(d.interactions.user[r], d.interactions.item[r], d.interactions.timestamp[r]);
  }
  return keys;
}

}  // namespace

TEST_CASE("same spec, seed and threads give the same numbers", "[experiment][runner]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["models"] = {{{"name", "most_popular"}},
                   {{"name", "most_popular"},
                    {"run_name", "pop-searched"},
                    {"search", {{"method", "grid"}, {"space", {{"weighted", {false, true}}}}}}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext c1, c2;
  const ExperimentResult a = runExperiment(spec, {}, c1);
  const ExperimentResult b = runExperiment(spec, {}, c2);
  REQUIRE(a.runs.size() == 2);
  REQUIRE(b.runs.size() == 2);
  CHECK_FALSE(a.cancelled);
  CHECK(a.threads == 2);
  CHECK(a.data.splitHash == b.data.splitHash);
  CHECK(a.data.datasetFingerprint == b.data.datasetFingerprint);
  for (std::size_t i = 0; i < 2; ++i) {
    INFO(a.runs[i].name << " " << a.runs[i].error);
    REQUIRE(a.runs[i].status == RunStatus::kOk);
    CHECK(a.runs[i].metrics == b.runs[i].metrics);
    CHECK(a.runs[i].perUser == b.runs[i].perUser);
    CHECK(a.runs[i].params == b.runs[i].params);
    CHECK(a.runs[i].metrics.at("ndcg@5") > 0.0);
    CHECK(a.runs[i].evaluatedUsers.size() == 120);
    CHECK(a.runs[i].splitHash == a.data.splitHash);
    CHECK_FALSE(a.runs[i].codeVersion.empty());
  }
  REQUIRE(a.runs[1].search.has_value());
  CHECK(a.runs[1].search->trials.size() == 2);
  const auto& sa = *a.runs[1].search;
  const auto& sb = *b.runs[1].search;
  CHECK(sa.best == sb.best);
  CHECK(sa.bestScore == sb.bestScore);
  CHECK(sa.validationSplitHash == sb.validationSplitHash);
  for (std::size_t t = 0; t < sa.trials.size(); ++t) {
    CHECK(sa.trials[t].params == sb.trials[t].params);
    CHECK(sa.trials[t].score == sb.trials[t].score);
  }
  // A different split seed changes the split hash.
  doc["split"]["seed"] = 6;
  TaskContext c3;
  const auto other = runExperiment(parseExperimentSpec(doc, dir.path()), {}, c3);
  CHECK(other.data.splitHash != a.data.splitHash);
}

TEST_CASE("a running experiment stops within 200 ms of requestStop and is recorded as cancelled",
          "[experiment][runner][cancel]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["models"] = {{{"name", "most_popular"}},
                   {{"name", "test_iterative"}, {"params", {{"block", true}}}}};
  std::latch fitting(1);
  const ModelInfo blocking = test::testIterativeInfo(nullptr, [&fitting] { fitting.count_down(); });
  RunnerOptions opt;
  opt.lookup = test::lookupWith(&blocking);
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path(), opt.lookup);
  TaskContext ctx;
  auto future = std::async(std::launch::async, [&] { return runExperiment(spec, opt, ctx); });
  fitting.wait();  // the blocking model is inside fit(): the experiment is running
  const auto t0 = std::chrono::steady_clock::now();
  ctx.requestStop();
  REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  const ExperimentResult r = future.get();
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() < 200);
  CHECK(r.cancelled);
  REQUIRE(r.runs.size() == 2);
  CHECK(r.runs[1].status == RunStatus::kCancelled);
  CHECK(r.runs[1].error.empty());
  CHECK(r.runs[1].metrics.empty());  // nothing partial is kept
  CHECK(r.runs[1].modelBlob.empty());
  // The other run either finished before the stop or was cancelled; it never failed.
  CHECK(r.runs[0].status != RunStatus::kFailed);
}

TEST_CASE("a stop before the models start cancels data preparation",
          "[experiment][runner][cancel]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["models"] = {{{"name", "most_popular"}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext ctx;
  ctx.requestStop();
  CHECK_THROWS_AS(runExperiment(spec, {}, ctx), Cancelled);
}

TEST_CASE("hyperparameter search never sees the test split", "[experiment][search]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["models"] = {
      {{"name", "test_iterative"},
       {"search", {{"method", "random"}, {"trials", 4}, {"space", {{"alpha", json::object()}}}}}}};
  test::FitLog log;
  const ModelInfo spy = test::testIterativeInfo(&log);
  RunnerOptions opt;
  opt.lookup = test::lookupWith(&spy);
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path(), opt.lookup);
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, opt, ctx);
  REQUIRE(r.runs.size() == 1);
  REQUIRE(r.runs[0].status == RunStatus::kOk);
  REQUIRE(r.runs[0].search.has_value());
  CHECK(r.runs[0].search->trials.size() == 4);
  // 4 candidate fits + 1 final refit.
  REQUIRE(log.trains.size() == 5);
  REQUIRE(log.validations.size() == 4);  // the final refit has no validation set
  const auto testRows = rowKeys(*r.data.test);
  const auto trainRows = rowKeys(*r.data.train);
  REQUIRE_FALSE(testRows.empty());
  std::size_t finalFits = 0;
  for (std::size_t f = 0; f < log.trains.size(); ++f) {
    const auto seen = rowKeys(*log.trains[f]);
    for (const auto& row : seen) {
      REQUIRE(testRows.count(row) == 0);
      REQUIRE(trainRows.count(row) == 1);
    }
    finalFits += seen == trainRows;
  }
  for (const auto& v : log.validations) {
    for (const auto& row : rowKeys(*v)) {
      REQUIRE(testRows.count(row) == 0);
      REQUIRE(trainRows.count(row) == 1);
    }
  }
  CHECK(finalFits == 1);  // only the refit sees the whole training split
  // The selected candidate is one that ranks well (alpha >= 0.5) if any was sampled.
  bool anyGood = false;
  for (const auto& t : r.runs[0].search->trials) anyGood = anyGood || t.params["alpha"] >= 0.5;
  if (anyGood) CHECK(r.runs[0].params["alpha"].get<double>() >= 0.5);
}

TEST_CASE("successive halving narrows the field and refits the winner with the full budget",
          "[experiment][search]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["models"] = {{{"name", "test_iterative"},
                    {"params", {{"epochs", 9}}},
                    {"search",
                     {{"method", "halving"},
                      {"eta", 3},
                      {"min_budget", 1},
                      {"space", {{"alpha", {0.0, 0.1, 0.2, 0.3, 0.4, 0.45, 0.55, 0.6, 0.9}}}}}}}};
  const ModelInfo info = test::testIterativeInfo();
  RunnerOptions opt;
  opt.lookup = test::lookupWith(&info);
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path(), opt.lookup);
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, opt, ctx);
  REQUIRE(r.runs[0].status == RunStatus::kOk);
  const auto& trials = r.runs[0].search->trials;
  // Rungs of 9, 3 and 1 candidates at budgets 1, 3 and 9 epochs.
  REQUIRE(trials.size() == 13);
  for (std::size_t t = 0; t < trials.size(); ++t) {
    const int rung = t < 9 ? 0 : t < 12 ? 1 : 2;
    CHECK(trials[t].rung == rung);
    CHECK(trials[t].budget == (rung == 0 ? 1 : rung == 1 ? 3 : 9));
    CHECK(trials[t].params["epochs"] == trials[t].budget);
  }
  for (std::size_t t = 9; t < 13; ++t) CHECK(trials[t].params["alpha"].get<double>() >= 0.5);
  CHECK(r.runs[0].params["alpha"].get<double>() >= 0.5);
  CHECK(r.runs[0].params["epochs"] == 9);
  // The learning curve of the final fit: one entry per epoch.
  REQUIRE(r.runs[0].learningCurve.size() == 9);
  CHECK(r.runs[0].learningCurve.back().first == 9);
  CHECK(r.runs[0].learningCurve.back().second[0].second == Approx(1.0 / 9.0));
}

TEST_CASE("a failing model is recorded as failed and the others still run",
          "[experiment][runner]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  // The search's validation split leaves nothing to hold out: the run fails with a message.
  doc["models"] = {{{"name", "most_popular"}},
                   {{"name", "most_popular"},
                    {"run_name", "bad"},
                    {"search", {{"validation_ratio", 0.01}, {"space", {{"weighted", {true}}}}}}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext ctx;
  const auto r = runExperiment(spec, {}, ctx);
  CHECK(r.runs[0].status == RunStatus::kOk);
  CHECK(r.runs[1].status == RunStatus::kFailed);
  CHECK_FALSE(r.runs[1].error.empty());
  CHECK(r.runs[1].metrics.empty());
}

TEST_CASE("a run record carries what its model tuned during fit", "[experiment][runner][fitted]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["models"] = {
      {{"name", "blend"},
       {"params", {{"members", {{"itemknn", {{"k", 10}}}, {"most_popular", json::object()}}}}}},
      {{"name", "most_popular"}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  RunnerOptions opt;
  opt.keepFitted = true;
  TaskContext ctx;
  const auto r = runExperiment(spec, opt, ctx);
  REQUIRE(r.runs.size() == 2);
  const RunRecord& blend = r.runs[0];
  INFO(blend.error);
  REQUIRE(blend.status == RunStatus::kOk);
  REQUIRE(blend.fitted != nullptr);
  const auto& fitted = dynamic_cast<const Blend&>(*blend.fitted);
  REQUIRE_FALSE(blend.fittedSummary.empty());
  const json summary = json::parse(blend.fittedSummary);
  CHECK(summary["weights"]["itemknn"].get<double>() == fitted.weights()[0]);
  CHECK(summary["weights"]["most_popular"].get<double>() == fitted.weights()[1]);
  CHECK(summary["tuned"] == true);
  // metrics.json and `runs show --json` write the record with toJson: "fitted" is the object.
  CHECK(toJson(blend)["fitted"] == summary);
  // A model that tunes nothing has no summary, and its record no "fitted" key.
  CHECK(r.runs[1].status == RunStatus::kOk);
  CHECK(r.runs[1].fittedSummary.empty());
  CHECK_FALSE(toJson(r.runs[1]).contains("fitted"));
}

TEST_CASE("metric@k curves come from the same pass and leave the metrics at k unchanged",
          "[experiment][runner]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["metrics"]["names"] = {"precision", "recall", "ndcg", "map", "map_at_k", "hit_rate"};
  // Issue 18: models whose top-k could depend on the list length (neighbourhoods, candidate
  // stages) as well as the simple ones.
  doc["models"] = {{{"name", "most_popular"}},
                   {{"name", "itemknn"}},
                   {{"name", "ease"}},
                   {{"name", "two_stage"}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext c1, c2;
  RunnerOptions plain;
  plain.keepRecommendations = true;
  RunnerOptions curves = plain;
  curves.curveCutoffs = {1, 5, 10, 20, 50, 100};
  const ExperimentResult a = runExperiment(spec, plain, c1);
  const ExperimentResult b = runExperiment(spec, curves, c2);
  REQUIRE(a.runs.size() == b.runs.size());
  for (std::size_t i = 0; i < a.runs.size(); ++i) {
    const RunRecord& x = a.runs[i];
    const RunRecord& y = b.runs[i];
    INFO(x.name << " " << x.error << " " << y.error);
    REQUIRE(x.status == RunStatus::kOk);
    REQUIRE(y.status == RunStatus::kOk);
    // The numbers at the spec's k are those of a run without curves, to the last digit.
    CHECK(x.metrics == y.metrics);
    CHECK(x.perUser == y.perUser);
    CHECK(x.metricsAtK.empty());
    // The kept lists are still k long.
    for (const RecList& l : y.recommendations) CHECK(l.items.size() <= 5);
    // Every metric with a cut-off at every other cut-off; "map" has none, k = 5 is in metrics.
    CHECK(y.metricsAtK.size() == 5 * 5);
    CHECK(y.metricsAtK.count("ndcg@5") == 0);
    CHECK(y.metricsAtK.count("map") == 0);
    for (const char* m : {"precision", "recall", "ndcg", "map", "hit_rate"}) {
      for (const int k : {1, 10, 20, 50, 100}) {
        CHECK(y.metricsAtK.count(std::string(m) + "@" + std::to_string(k)) == 1);
      }
    }
    // Recall and hit rate can only grow with k; 100 items cover the 60-item catalogue.
    CHECK(y.metricsAtK.at("recall@1") <= y.metrics.at("recall@5"));
    CHECK(y.metrics.at("recall@5") <= y.metricsAtK.at("recall@10"));
    CHECK(y.metricsAtK.at("recall@10") <= y.metricsAtK.at("recall@100"));
    CHECK(y.metricsAtK.at("hit_rate@20") <= y.metricsAtK.at("hit_rate@50"));
    CHECK(toJson(y).contains("metrics_at_k"));
    CHECK_FALSE(toJson(x).contains("metrics_at_k"));
  }
}

TEST_CASE("in-memory data gives the same runs as reading the spec's files",
          "[experiment][runner]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["models"] = {{{"name", "most_popular"}}, {{"name", "itemknn"}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext c1, c2, c3;
  const ExperimentResult fromFiles = runExperiment(spec, {}, c1);

  InMemoryData mem;
  mem.data = std::make_shared<const Dataset>(loadDatasetSource(spec.dataset, c2).dataset);
  RunnerOptions opt;
  opt.keepFitted = true;
  const ExperimentResult inMemory = runExperiment(spec, mem, opt, c3);
  CHECK(inMemory.data.datasetFingerprint == fromFiles.data.datasetFingerprint);
  CHECK(inMemory.data.splitHash == fromFiles.data.splitHash);
  CHECK(inMemory.data.datasetSource == spec.dataset.path);
  REQUIRE(inMemory.runs.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    INFO(inMemory.runs[i].name << " " << inMemory.runs[i].error);
    REQUIRE(inMemory.runs[i].status == RunStatus::kOk);
    CHECK(inMemory.runs[i].metrics == fromFiles.runs[i].metrics);
    CHECK(inMemory.runs[i].perUser == fromFiles.runs[i].perUser);
    CHECK(inMemory.runs[i].evaluatedUsers == fromFiles.runs[i].evaluatedUsers);
    REQUIRE(inMemory.runs[i].fitted != nullptr);
    CHECK(fromFiles.runs[i].fitted == nullptr);
  }
  // The fitted model kept in memory is the one that produced the metrics.
  const auto users = usersWithInteractions(*inMemory.data.test);
  TaskContext c4;
  auto lists = inMemory.runs[0].fitted->recommendBatch(users, 5, true, c4);
  CHECK(lists.size() == users.size());
}

TEST_CASE("in-memory given files match the files; missing pieces are spec errors",
          "[experiment][runner]") {
  test::TempDir dir;
  test::writeSyntheticLog(dir / "train.tsv", 80, 40, 10, 3);
  test::writeSyntheticLog(dir / "test.tsv", 90, 45, 3, 4);
  json doc{{"version", 1},
           {"dataset", {{"path", "train.tsv"}}},
           {"split", {{"train", "train.tsv"}, {"test", "test.tsv"}}},
           {"models", {{{"name", "most_popular"}}}},
           {"metrics", {{"k", 5}, {"names", {"ndcg", "recall"}}}},
           {"threads", 1}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext c1, c2, c3, c4;
  const ExperimentResult fromFiles = runExperiment(spec, {}, c1);
  DatasetSource src = spec.dataset;
  src.path = spec.split.trainPath;
  InMemoryData mem;
  mem.data = std::make_shared<const Dataset>(loadDatasetSource(src, c2).dataset);
  TaskContext c5;
  CHECK_THROWS_AS(runExperiment(spec, mem, {}, c5), SpecError);
  mem.test = std::make_shared<const Dataset>(
      loadTestSource(spec.dataset, spec.split.testPath, *mem.data, c3).dataset);
  const ExperimentResult inMemory = runExperiment(spec, mem, {}, c4);
  CHECK(inMemory.data.datasetFingerprint == fromFiles.data.datasetFingerprint);
  CHECK(inMemory.data.splitHash == fromFiles.data.splitHash);
  REQUIRE(inMemory.runs.size() == 1);
  REQUIRE(inMemory.runs[0].status == RunStatus::kOk);
  CHECK(inMemory.runs[0].metrics == fromFiles.runs[0].metrics);
  TaskContext c6;
  CHECK_THROWS_AS(runExperiment(spec, InMemoryData{}, {}, c6), SpecError);
}
