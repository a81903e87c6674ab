// Acceptance runs of issue 6 on MovieLens-100K ([.slow]: minutes on 2 cores). Figures and the
// protocol are in docs/features.md; bench_features prints the same numbers with timings.

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/data/dataset_loader.h"
#include "core/experiment/evaluation_protocol.h"
#include "core/experiment/pipeline_stages.h"
#include "core/experiment/runner.h"
#include "core/models/registry.h"
#include "core/prep/generator.h"
#include "features/engagement_eval.h"
#include "features/movielens_fixture.h"
#include "test_support.h"

using namespace rwb;

namespace {
// MovieLens-100K as `recwb run` reads it: with test::coldItemSplit (core's splitter) the splits
// are those of resources/specs/ml100k-coldstart.json with split seeds 1..5.
Dataset coreMovieLens100k(const std::filesystem::path& dir) {
  TaskContext ctx;
  return loadDataset((dir / "ml-100k").string(), DatasetOptions{}, ctx).dataset;
}

// The cold-start hybrid: features chosen on validation splits carved from the training items
// (docs/features.md, "Cold start on MovieLens-100K"); the tree parameters are the earlier ones.
Params coldGbdt() {
  return {{"features", test::kMovieLensColdHybridFeatures},
          {"objective", "rank:pairwise"},
          {"rounds", 150},
          {"eta", 0.1},
          {"max_depth", 4},
          {"min_child_weight", 5.0}};
}
}  // namespace

TEST_CASE(
    "cold-start items on MovieLens-100K: gbdt >= 0.30 nDCG@10 and beats genre+year popularity",
    "[models][.slow][shared]") {
  RWB_REQUIRE_SHARED_DATA(dir);
  const Dataset d = coreMovieLens100k(dir);
  std::vector<double> means;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto s = test::coldItemSplit(d, 0.2, seed);
    const test::AttributePopularity base(s.train);
    const auto baseN = test::coldNdcgFn([&](Index, Index i) { return base.score[i]; }, s);
    auto m = createModel("gbdt", coldGbdt());
    TaskContext ctx;
    m->fit({s.train, nullptr, seed, 0}, ctx);
    const auto n = test::coldNdcg(*m, s);
    const auto pt = test::pairedTTest(n, baseN);
    INFO("seed " << seed << ": gbdt " << test::mean(n) << ", baseline " << test::mean(baseN)
                 << ", p " << pt.p);
    CHECK(pt.meanDiff > 0);
    CHECK(pt.p < 0.01);
    means.push_back(test::mean(n));
  }
  // Tree settings chosen on validation (docs/features.md). The splits and figures are those of
  // `recwb run resources/specs/ml100k-coldstart.json` with split seeds 1..5: 0.3239 / 0.3152 /
  // 0.3608 / 0.3397 / 0.4067, mean 0.3493 (seeds 1..20: mean in docs/features.md).
  CHECK(test::mean(means) >= 0.30);
}

TEST_CASE("cold-start items on MovieLens-100K: factorization_machine (WARP, 50 epochs) >= 0.255",
          "[models][.slow][shared]") {
  // 50 epochs and the features without title words were chosen on validation splits
  // (docs/features.md). Measured on the spec's splits (core's loader and cold_items draw):
  // 0.2747 / 0.2964 / 0.2996 / 0.2933 / 0.3371, mean 0.3002 (0.2642 on the bench's former
  // draws).
  RWB_REQUIRE_SHARED_DATA(dir);
  const Dataset d = coreMovieLens100k(dir);
  std::vector<double> means;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto s = test::coldItemSplit(d, 0.2, seed);
    auto m = createModel("factorization_machine",
                         {{"features", test::kMovieLensColdFmFeatures}, {"epochs", 50}});
    TaskContext ctx;
    m->fit({s.train, nullptr, seed, 0}, ctx);
    means.push_back(test::mean(test::coldNdcg(*m, s)));
    INFO("seed " << seed << ": " << means.back());
  }
  CHECK(test::mean(means) >= 0.255);
}

TEST_CASE("warm ml-100k-recsplit: two_stage improves nDCG@10 over its own generator",
          "[models][.slow][shared]") {
  RWB_REQUIRE_SHARED_DATA(dir);
  const Dataset full = test::loadMovieLens100k(dir / "ml-100k");
  const Dataset train = test::loadRecsplitPart(full, dir / "ml-100k-recsplit" / "train.tsv");
  const Dataset testPart = test::loadRecsplitPart(full, dir / "ml-100k-recsplit" / "test.tsv");
  const Csr truth = testPart.userItemMatrix(true);
  auto ndcgs = [&](const Model& m) { return test::warmNdcg(m, truth); };
  TaskContext ctx;
  auto gen = createModel("sar");
  gen->fit({train, nullptr, 42, 0}, ctx);
  auto two = createModel("two_stage", {{"candidate_model", "sar"}, {"candidates", 100}});
  two->fit({train, nullptr, 42, 0}, ctx);
  const auto a = ndcgs(*gen), b = ndcgs(*two);
  const auto pt = test::pairedTTest(b, a);
  INFO("sar " << test::mean(a) << ", two_stage " << test::mean(b) << ", p " << pt.p);
  // Measured: sar 0.3938, two_stage 0.4199, paired t 6.08, p 1.7e-9 (docs/features.md).
  CHECK(test::mean(a) == Approx(0.3938).margin(0.0005));  // the generator is SAR's parity run
  CHECK(test::mean(b) > test::mean(a) + 0.01);
  CHECK(pt.p < 0.01);
}

TEST_CASE("cold-start items on the sample data: content_similarity >= 2x category+brand popularity",
          "[models][content]") {
  // The sample data (recwb generate defaults, generated here rather than read, so the test needs
  // no files). Its planted tastes are categories, brands and description terms per user, so a
  // content profile over those attributes must rank held-out items far better than their
  // category/brand popularity. Measured on core's cold_items draws: 0.0764 / 0.0705 / 0.0840 /
  // 0.0739 / 0.0698 vs 0.0210 / 0.0202 / 0.0115 / 0.0365 / 0.0083 (2.0-8.4x; docs/features.md).
  TaskContext ctx;
  const Dataset d = generateRetailDataset(GeneratorOptions{}, ctx).dataset;
  std::vector<double> ratios;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto s = test::coldItemSplit(d, 0.2, seed);
    const test::CategoryPopularity base(s.train, {"category", "brand"});
    const auto baseN = test::coldNdcgFn([&](Index, Index i) { return base.score[i]; }, s);
    auto m = createModel("content_similarity", {{"features", test::kSampleColdFeatures}});
    m->fit({s.train, nullptr, seed, 0}, ctx);
    const auto n = test::coldNdcg(*m, s);
    const auto pt = test::pairedTTest(n, baseN);
    INFO("seed " << seed << ": content_similarity " << test::mean(n) << ", baseline "
                 << test::mean(baseN) << ", p " << pt.p);
    CHECK(test::mean(n) >= 2.0 * test::mean(baseN));
    CHECK(pt.p < 0.01);
    ratios.push_back(test::mean(n) / test::mean(baseN));
  }
  CHECK(test::mean(ratios) >= 2.0);
}

TEST_CASE("gbdt with default parameters beats popularity on a chronological split of sample data",
          "[models][gbdt][.slow]") {
  // Regression: default gbdt scored nDCG 0 on the sample data (leave-one-out popularity made
  // "new item" a positive signal; absent zero counts read as missing by XGBoost). A smaller
  // generated set keeps the test fast; each user's latest 20% of events are the test part.
  TaskContext ctx;
  GeneratorOptions g;
  g.users = 400;
  g.items = 600;
  g.interactions = 20000;
  const Dataset d = generateRetailDataset(g, ctx).dataset;
  std::vector<std::vector<std::uint32_t>> byUser(d.numUsers());
  for (std::uint32_t r = 0; r < d.numInteractions(); ++r)
    byUser[d.interactions.user[r]].push_back(r);
  std::vector<std::uint32_t> trainRows, testRows;
  for (auto& rows : byUser) {  // rows are already in time order (the generator sorts by time)
    const auto nTest = rows.size() / 5;
    trainRows.insert(trainRows.end(), rows.begin(),
                     rows.end() - static_cast<std::ptrdiff_t>(nTest));
    testRows.insert(testRows.end(), rows.end() - static_cast<std::ptrdiff_t>(nTest), rows.end());
  }
  const Dataset train = d.withRows(trainRows), testPart = d.withRows(testRows);
  const Csr truth = testPart.userItemMatrix(true);
  auto ndcg = [&](const Model& m) { return test::warmNdcg(m, truth); };
  auto pop = createModel("most_popular");
  pop->fit({train}, ctx);
  auto gbdt = createModel("gbdt", {{"rounds", 60}});
  gbdt->fit({train, nullptr, 1, 0}, ctx);
  const auto a = ndcg(*pop), b = ndcg(*gbdt);
  INFO("most_popular " << test::mean(a) << ", gbdt " << test::mean(b));
  // Measured: most_popular 0.0719, gbdt 0.1026 (19.5 s CPU, hence [.slow]).
  CHECK(test::mean(b) > test::mean(a));
}

TEST_CASE("cold-start splits: validation is carved from training items only; cold users",
          "[models][content]") {
  TaskContext ctx;
  GeneratorOptions g;
  g.users = 200;
  g.items = 300;
  g.interactions = 6000;
  const Dataset d = generateRetailDataset(g, ctx).dataset;
  const auto s = test::coldItemSplit(d, 0.2, 3);
  const auto v = test::coldValidationSplit(s, 0.2, 3);
  const auto trainCounts = s.train.itemCounts();
  std::size_t trainItems = 0;
  for (auto c : trainCounts) trainItems += c > 0;
  // 20% of the items with training rows; none of them a test item; the validation train part
  // has no row of a test or validation item.
  CHECK(v.heldItems.size() ==
        static_cast<std::size_t>(std::llround(0.2 * static_cast<double>(trainItems))));
  for (Index i : v.heldItems) {
    CHECK(trainCounts[i] > 0);
    CHECK_FALSE(std::binary_search(s.heldItems.begin(), s.heldItems.end(), i));
  }
  const auto vCounts = v.train.itemCounts();
  for (Index i : v.heldItems) CHECK(vCounts[i] == 0);
  for (Index i : s.heldItems) CHECK(vCounts[i] == 0);
  CHECK(v.train.numInteractions() + [&] {
    std::size_t n = 0;
    for (Index i : v.heldItems) n += trainCounts[i];
    return n;
  }() == s.train.numInteractions());
  // Cold users: every interaction of a held-out user is in its relevant set, none in train.
  const auto u = test::coldUserSplit(d, 0.2, 3);
  const auto userCounts = u.train.userCounts();
  std::size_t heldRows = 0;
  for (std::size_t t = 0; t < u.testUsers.size(); ++t) {
    CHECK(userCounts[u.testUsers[t]] == 0);
    CHECK_FALSE(u.relevant[t].empty());
  }
  for (std::uint32_t r = 0; r < d.numInteractions(); ++r)
    heldRows += userCounts[d.interactions.user[r]] == 0;
  CHECK(heldRows + u.train.numInteractions() == d.numInteractions());
  const auto uv = test::coldUserValidationSplit(u, 0.2, 3);
  REQUIRE_FALSE(uv.testUsers.empty());
  for (std::size_t t = 0; t < uv.testUsers.size(); ++t) {
    CHECK(userCounts[uv.testUsers[t]] > 0);
    CHECK(uv.train.userCounts()[uv.testUsers[t]] == 0);
    CHECK(uv.relevant[t].size() > 0);
  }
}

TEST_CASE("the cold-item helper holds out what a cold_items spec run holds out",
          "[models][content]") {
  // One protocol: the bench and the [.slow] tests draw their cold-item splits with core's
  // splitter, so the held-out items, the evaluated users and their relevant items are those of
  // `recwb run` with split {"method": "cold_items", "ratio": 0.8, "seed": seed}.
  TaskContext ctx;
  GeneratorOptions g;
  g.users = 150;
  g.items = 200;
  g.interactions = 4000;
  const auto d = std::make_shared<const Dataset>(generateRetailDataset(g, ctx).dataset);
  for (const std::uint64_t seed : {1u, 7u}) {
    const nlohmann::json doc = {
        {"version", 1},
        {"dataset", {{"path", "in-memory"}}},
        {"split", {{"method", "cold_items"}, {"ratio", 0.8}, {"seed", seed}}},
        {"models", {{{"name", "random"}}}},
        {"metrics", {{"k", 10}, {"names", {"ndcg"}}}},
        {"threads", 1}};
    TaskContext rctx;
    const ExperimentResult res =
        runExperiment(parseExperimentSpec(doc, "."), InMemoryData{d, {}, {}, "d"}, {}, rctx);
    const auto s = test::coldItemSplit(*d, 0.2, seed);
    CHECK(s.heldItems == heldOutItems(*res.data.train, *res.data.test));
    CHECK(s.train.numInteractions() == res.data.train->numInteractions());
    REQUIRE(res.runs.at(0).status == RunStatus::kOk);
    CHECK(s.testUsers == res.runs[0].evaluatedUsers);
    CHECK(s.testUsers == usersWithInteractions(*res.data.test));
  }
}

TEST_CASE("the cold-user bench measures what recwb run of ml100k-coldusers measures",
          "[models][shared]") {
  // One cold-user protocol: bench_features cold-users reads ml-100k with core's loader, draws
  // the held-out users with test::coldUserSplit (core's cold_users splitter), fits the spec's
  // baseline (test::kColdUserBaseline) and neighbour_popularity with fit seed = split seed and
  // scores the held-out users with test::coldUserNdcg (the runner's new-user path). Per split
  // seed, its per-user nDCG@10 must be the runner's on resources/specs/ml100k-coldusers.json
  // with split and run seed = that seed.
  RWB_REQUIRE_SHARED_DATA(dir);
  const nlohmann::json original = nlohmann::json::parse(
      std::ifstream(test::sourceDir() / "resources/specs/ml100k-coldusers.json"));
  nlohmann::json models = nlohmann::json::array();
  for (const auto& m : original.at("models")) {
    if (m.at("name") == test::kColdUserBaseline) {
      // The bench's baseline is the spec's, parameters included.
      CHECK(Params(m.at("params")) == test::coldUserBaselineParams());
      models.push_back(m);
    } else if (m.at("name") == "neighbour_popularity") {
      models.push_back(m);
    }
  }
  REQUIRE(models.size() == 2);
  const Dataset d = coreMovieLens100k(dir);
  for (const std::uint64_t seed : {1u, 2u}) {
    nlohmann::json doc = original;
    doc["dataset"]["path"] = (dir / "ml-100k").string();
    doc["split"]["seed"] = seed;
    doc["seed"] = seed;
    doc["models"] = models;
    TaskContext rctx;
    const ExperimentResult res = runExperiment(parseExperimentSpec(doc, "."), {}, rctx);
    const auto s = test::coldUserSplit(d, 0.2, seed);
    CHECK(s.train.numInteractions() == res.data.train->numInteractions());
    REQUIRE(res.runs.size() == 2);
    for (const RunRecord& run : res.runs) {
      INFO("seed " << seed << ", " << run.model);
      REQUIRE(run.status == RunStatus::kOk);
      CHECK(run.newUsers);
      auto m = createModel(run.model, run.params);
      TaskContext ctx;
      m->fit({s.train, nullptr, seed, 0}, ctx);
      const auto bench = test::coldUserNdcg(*m, s);
      CHECK(s.testUsers == run.evaluatedUsers);
      const auto& runner = run.perUser.at("ndcg@10");
      REQUIRE(bench.size() == runner.size());
      std::size_t differing = 0;
      for (std::size_t t = 0; t < bench.size(); ++t)
        differing += std::abs(bench[t] - runner[t]) > 1e-9;
      CHECK(differing == 0);
      INFO("bench " << test::mean(bench) << ", recwb run " << run.metrics.at("ndcg@10"));
      CHECK(std::abs(test::mean(bench) - run.metrics.at("ndcg@10")) <= 1e-9);
    }
  }
}
