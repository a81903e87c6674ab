// Evaluation candidate sets in specs and runs (evaluation.candidates).
#include <nlohmann/json.hpp>

#include "core/experiment/evaluation_protocol.h"
#include "core/experiment/pipeline_stages.h"
#include "core/experiment/runner.h"
#include "core/models/registry.h"
#include "core/prep/generator.h"
#include "core/util/error.h"
#include "experiment_test_support.h"

using namespace rwb;
using json = nlohmann::json;

namespace {

json coldSpec(const test::TempDir& dir) {
  test::writeSyntheticLog(dir / "log.tsv", 120, 60, 15);
  return json{{"version", 1},
              {"dataset", {{"path", "log.tsv"}}},
              {"split", {{"method", "cold_items"}, {"ratio", 0.75}, {"seed", 3}}},
              {"models", {{{"name", "random"}}, {{"name", "most_popular"}}}},
              {"metrics", {{"k", 5}, {"names", {"precision", "ndcg"}}}},
              {"threads", 2}};
}

}  // namespace

TEST_CASE("evaluation.candidates defaults by split kind and is validated",
          "[experiment][candidates]") {
  test::TempDir dir;
  json doc = coldSpec(dir);
  CHECK(parseExperimentSpec(doc, dir.path()).evaluation.candidates == "held_out");
  doc["split"] = {{"method", "recommenders"}, {"ratio", 0.75}};
  CHECK(parseExperimentSpec(doc, dir.path()).evaluation.candidates == "catalogue");
  doc["evaluation"] = {{"candidates", {{"file", "cands.txt"}}}};
  const ExperimentSpec f = parseExperimentSpec(doc, dir.path());
  CHECK(f.evaluation.candidates == "file");
  CHECK(f.evaluation.candidatesFile == (dir / "cands.txt").lexically_normal().string());
  doc["evaluation"] = {{"candidates", "all"}};
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.evaluation.candidates"));
  doc["evaluation"] = {{"candidates", {{"path", "x"}}}};
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.evaluation.candidates"));
  doc["evaluation"] = {{"candidates", "held_out"}, {"extra", 1}};
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()), Catch::Contains("$.evaluation"));
}

TEST_CASE("a cold_items run ranks the held-out items and says how many",
          "[experiment][candidates]") {
  test::TempDir dir;
  const ExperimentSpec spec = parseExperimentSpec(coldSpec(dir), dir.path());
  TaskContext ctx;
  const ExperimentResult res = runExperiment(spec, {}, ctx);
  const auto held = heldOutItems(*res.data.train, *res.data.test);
  REQUIRE(held.size() > 5);
  REQUIRE(res.runs.size() == 2);
  for (const auto& r : res.runs) {
    INFO(r.name << " " << r.error);
    REQUIRE(r.status == RunStatus::kOk);
    CHECK(r.candidates == "held_out");
    CHECK(r.candidateItems == held.size());
    // Held-out items have no training rows, so nobody has seen one: every user gets them all.
    CHECK(r.candidatesMin == held.size());
    CHECK(r.candidatesMax == held.size());
    CHECK(r.evaluatedUsers.size() == usersWithInteractions(*res.data.test).size());
    const json j = toJson(r);
    CHECK(j.at("evaluation").at("candidates") == "held_out");
    CHECK(j.at("evaluation").at("candidate_items") == held.size());
  }
  // Over the catalogue the warm items crowd out every held-out one; over the held-out items
  // random finds some.
  CHECK(res.runs[0].metrics.at("ndcg@5") > 0.0);

  json doc = coldSpec(dir);
  doc["evaluation"] = {{"candidates", "catalogue"}};
  TaskContext c2;
  const ExperimentResult cat = runExperiment(parseExperimentSpec(doc, dir.path()), {}, c2);
  CHECK(cat.runs[1].metrics.at("ndcg@5") == 0.0);  // most_popular lists warm items only
  CHECK_FALSE(toJson(cat.runs[1]).contains("evaluation"));
}

TEST_CASE("a cold_items hybrid never sees the held-out items' rows at fit or score time",
          "[experiment][candidates]") {
  // Two datasets that differ only in the held-out items' rows (other users, times and values;
  // every item keeps at least one row, so the split draws the same items): a run that fits on
  // the training rows alone scores every (user, held-out item) pair identically on both. The
  // features include everything computed from interactions (popularity, recency, profiles,
  // affinities, activity), so any test row reaching fit or score would show.
  GeneratorOptions g;
  g.users = 120;
  g.items = 96;
  g.interactions = 3000;
  g.seed = 11;
  TaskContext gctx;
  const Dataset a = generateRetailDataset(g, gctx).dataset;
  const json features = {
      {"user", {{{"column", "segment"}, {"kind", "onehot"}}}},
      {"item",
       {{{"column", "category"}, {"kind", "onehot"}}, {{"column", "brand"}, {"kind", "onehot"}}}},
      {"behaviour",
       {{"profile_cosine", true},
        {"affinity", {"category"}},
        {"item_popularity", true},
        {"item_recency", true},
        {"user_activity", true}}},
      {"labels", {{"mode", "implicit"}}},
      {"negatives", {{"ratio", 2}, {"sampling", "uniform"}}}};
  const json doc = {
      {"version", 1},
      {"dataset", {{"path", "in-memory"}}},
      {"split", {{"method", "cold_items"}, {"ratio", 0.8}, {"seed", 5}}},
      {"features", features},
      {"models", {{{"name", "gbdt"}, {"params", {{"rounds", 10}, {"max_depth", 3}}}}}},
      {"metrics", {{"k", 5}, {"names", {"ndcg"}}}},
      {"threads", 1}};
  const ExperimentSpec spec = parseExperimentSpec(doc, ".");
  RunnerOptions opt;
  opt.keepFitted = true;
  TaskContext c1;
  const ExperimentResult ra =
      runExperiment(spec, InMemoryData{std::make_shared<const Dataset>(a), {}, {}, "a"}, opt, c1);
  const std::vector<Index> held = heldOutItems(*ra.data.train, *ra.data.test);
  REQUIRE(held.size() > 5);
  std::vector<char> isHeld(a.numItems(), 0);
  for (const Index i : held) isHeld[i] = 1;
  Dataset b = a;
  std::size_t rewritten = 0;
  for (std::size_t r = 0; r < b.numInteractions(); ++r) {
    if (!isHeld[b.interactions.item[r]]) continue;
    b.interactions.user[r] = static_cast<Index>((b.interactions.user[r] + 7) % b.numUsers());
    b.interactions.timestamp.set(r, b.interactions.timestamp[r] + 86400 * 30);
    ++rewritten;
  }
  REQUIRE(rewritten > 0);
  TaskContext c2;
  const ExperimentResult rb =
      runExperiment(spec, InMemoryData{std::make_shared<const Dataset>(b), {}, {}, "b"}, opt, c2);
  REQUIRE(heldOutItems(*rb.data.train, *rb.data.test) == held);
  REQUIRE(ra.runs.at(0).status == RunStatus::kOk);
  REQUIRE(rb.runs.at(0).status == RunStatus::kOk);
  const Model& ma = *ra.runs[0].fitted;
  const Model& mb = *rb.runs[0].fitted;
  std::vector<float> sa(held.size()), sb(held.size());
  for (Index u = 0; u < a.numUsers(); ++u) {
    ma.score(u, held, sa);
    mb.score(u, held, sb);
    REQUIRE(sa == sb);
  }
  // The comparison can fail: the same model fitted with the held-out rows differs.
  auto leaked = createModel("gbdt", ma.params());
  TaskContext c3;
  leaked->fit({a, nullptr, ra.runs[0].seed, 1}, c3);
  std::size_t differ = 0;
  for (Index u = 0; u < a.numUsers(); ++u) {
    ma.score(u, held, sa);
    leaked->score(u, held, sb);
    differ += sa != sb;
  }
  CHECK(differ > 0);
}

TEST_CASE("a candidate file restricts the ranking; a bad id fails with its line",
          "[experiment][candidates]") {
  test::TempDir dir;
  json doc = coldSpec(dir);
  doc["split"] = {{"method", "recommenders"}, {"ratio", 0.75}, {"by", "user"}, {"seed", 5}};
  test::writeFile(dir / "cands.txt", "i0\ni1\ni2\ni3\n");
  doc["evaluation"] = {{"candidates", {{"file", "cands.txt"}}}};
  TaskContext ctx;
  const ExperimentResult res = runExperiment(parseExperimentSpec(doc, dir.path()), {}, ctx);
  const RunRecord& r = res.runs[1];
  INFO(r.error);
  REQUIRE(r.status == RunStatus::kOk);
  CHECK(r.candidates == "file");
  CHECK(r.candidateItems == 4);
  CHECK(r.candidatesMax <= 4);
  CHECK(r.candidatesMin < r.candidatesMax);  // users who saw some of them rank fewer
  // Users whose test items are all outside the four are not evaluated, and counted.
  CHECK(r.usersWithoutRelevantCandidate > 0);
  CHECK(r.evaluatedUsers.size() + r.usersWithoutRelevantCandidate ==
        usersWithInteractions(*res.data.test).size());

  test::writeFile(dir / "cands.txt", "i0\nnot-an-item\n");
  TaskContext c2;
  CHECK_THROWS_WITH(runExperiment(parseExperimentSpec(doc, dir.path()), {}, c2),
                    Catch::Contains("cands.txt:2:1") && Catch::Contains("'not-an-item'"));
}

TEST_CASE("with given split files, held_out means the test items absent from train",
          "[experiment][candidates]") {
  test::TempDir dir;
  test::writeFile(dir / "train.tsv", "u1\ta\t1\nu1\tb\t1\nu2\ta\t1\nu3\tb\t1\n");
  test::writeFile(dir / "test.tsv", "u1\tc\t1\nu2\tb\t1\nu2\td\t1\nu3\ta\t1\n");
  json doc = {{"version", 1},
              {"split", {{"train", "train.tsv"}, {"test", "test.tsv"}}},
              {"models", {{{"name", "random"}}}},
              {"metrics", {{"k", 2}, {"names", {"recall"}}}},
              {"evaluation", {{"candidates", "held_out"}}},
              {"threads", 1}};
  TaskContext ctx;
  const ExperimentResult res = runExperiment(parseExperimentSpec(doc, dir.path()), {}, ctx);
  const RunRecord& r = res.runs.at(0);
  INFO(r.error);
  REQUIRE(r.status == RunStatus::kOk);
  CHECK(r.candidateItems == 2);  // c and d
  // u1 (c) and u2 (d) are evaluated; two candidates with k = 2: recall 1 for both.
  CHECK(r.evaluatedUsers.size() == 2);
  CHECK(r.usersWithoutRelevantCandidate == 1);  // u3's a is a warm item
  CHECK(r.metrics.at("recall@2") == Approx(1.0));

  test::writeFile(dir / "test.tsv", "u1\tb\t1\nu2\tb\t1\n");
  TaskContext c2;
  CHECK_THROWS_WITH(runExperiment(parseExperimentSpec(doc, dir.path()), {}, c2),
                    Catch::Contains("finds no test item without training rows"));
}

TEST_CASE("cold_users runs score test users as new users, optionally with their first events",
          "[experiment][candidates]") {
  test::TempDir dir;
  test::writeSyntheticLog(dir / "log.tsv", 120, 60, 15);
  std::string users = "user_id,group\n";
  for (int u = 0; u < 120; ++u) users += "u" + std::to_string(u) + (u % 2 ? ",a\n" : ",b\n");
  test::writeFile(dir / "users.csv", users);
  json doc = {{"version", 1},
              {"dataset", {{"path", "log.tsv"}, {"users", "users.csv"}}},
              {"split", {{"method", "cold_users"}, {"ratio", 0.75}, {"seed", 2}}},
              {"evaluation", {{"cold_user_history", 2}}},
              {"models",
               {{{"name", "random"}},
                {{"name", "demographic_popularity"}, {"params", {{"columns", "group"}}}},
                {{"name", "most_popular"}}}},
              {"metrics", {{"k", 5}, {"names", {"ndcg", "recall"}}}},
              {"threads", 2}};
  TaskContext ctx;
  const ExperimentResult res = runExperiment(parseExperimentSpec(doc, dir.path()), {}, ctx);
  REQUIRE(res.runs.size() == 3);
  for (int i = 0; i < 2; ++i) {
    const RunRecord& r = res.runs[static_cast<std::size_t>(i)];
    INFO(r.name << " " << r.error);
    REQUIRE(r.status == RunStatus::kOk);
    CHECK(r.newUsers);
    CHECK(r.newUserHistory == 2);
    CHECK(r.candidatesMax == res.data.train->numItems() - 2);  // minus the two given as history
    CHECK(toJson(r).at("evaluation").at("new_users").at("history_events") == 2);
  }
  // The two history events left the truth: 13 of each user's 15 rows remain relevant.
  const HistorySplit h = takeFirstEvents(*res.data.test, 2);
  CHECK(h.truth.numInteractions() == res.data.test->numInteractions() - 2 * 30);
  for (const auto& hist : h.history) CHECK((hist.empty() || hist.size() == 2));
  // A model without a new-user path fails its run with a clear message, not zeros.
  CHECK(res.runs[2].status == RunStatus::kFailed);
  CHECK_THAT(res.runs[2].error, Catch::Contains("'most_popular' cannot score new users"));

  doc["split"]["method"] = "cold_items";
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.evaluation.cold_user_history"));
}
