// The search's validation split follows the experiment split's kind (validation_split.h).
#include "core/experiment/validation_split.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/data/dataset_loader.h"
#include "core/experiment/pipeline_stages.h"
#include "core/experiment/runner.h"
#include "core/prep/splitter.h"
#include "experiment_test_support.h"

using namespace rwb;
using json = nlohmann::json;

namespace {
Dataset syntheticTrain(const test::TempDir& dir) {
  test::writeSyntheticLog(dir / "log.tsv", 80, 50, 12);
  TaskContext ctx;
  return loadDataset((dir / "log.tsv").string(), {}, ctx).dataset;
}

std::set<Index> itemsOf(const Dataset& d) {
  return {d.interactions.item.begin(), d.interactions.item.end()};
}
std::set<Index> usersOf(const Dataset& d) {
  return {d.interactions.user.begin(), d.interactions.user.end()};
}
}  // namespace

TEST_CASE("cold_items validation holds out training items and ranks over them",
          "[experiment][search][candidates]") {
  test::TempDir dir;
  const Dataset train = syntheticTrain(dir);
  TaskContext ctx;
  const ValidationSplit v = carveValidation(train, ValidationKind::kColdItems, 0.8, 7, ctx);
  REQUIRE_FALSE(v.candidates.empty());
  const auto fitItems = itemsOf(v.fit);
  for (const Index i : v.candidates) CHECK(fitItems.count(i) == 0);
  CHECK(itemsOf(v.valid) == std::set<Index>(v.candidates.begin(), v.candidates.end()));
  CHECK(v.fit.numInteractions() + v.valid.numInteractions() == train.numInteractions());
  CHECK(v.users == usersWithInteractions(v.valid));
  // Deterministic for a seed; another seed holds out other items.
  CHECK(carveValidation(train, ValidationKind::kColdItems, 0.8, 7, ctx).hash == v.hash);
  CHECK(carveValidation(train, ValidationKind::kColdItems, 0.8, 8, ctx).candidates != v.candidates);

  auto model = createModel("random");
  model->fit({v.fit, nullptr, 1}, ctx);
  const auto lists = validationLists(*model, v, 5, ctx);
  REQUIRE(lists.size() == v.users.size());
  for (const auto& l : lists) {
    for (const auto& s : l.items) {
      CHECK(std::binary_search(v.candidates.begin(), v.candidates.end(), s.item));
    }
  }
}

TEST_CASE("cold_users validation holds out users; the default keeps per-user rows",
          "[experiment][search]") {
  test::TempDir dir;
  const Dataset train = syntheticTrain(dir);
  TaskContext ctx;
  const ValidationSplit cu = carveValidation(train, ValidationKind::kColdUsers, 0.75, 3, ctx);
  const auto fitUsers = usersOf(cu.fit);
  for (const Index u : usersOf(cu.valid)) CHECK(fitUsers.count(u) == 0);
  CHECK(cu.candidates.empty());

  // kUserRows is the stratified per-user split the search always used (same hash).
  const ValidationSplit rows = carveValidation(train, ValidationKind::kUserRows, 0.8, 3, ctx);
  SplitOptions so;
  so.method = SplitMethod::kStratified;
  so.by = SplitBy::kUser;
  so.ratio = 0.8;
  so.seed = 3;
  CHECK(rows.hash == splitDataset(train, so, ctx).hash());
  CHECK(validationKindFor("cold_items") == ValidationKind::kColdItems);
  CHECK(validationKindFor("cold_users") == ValidationKind::kColdUsers);
  CHECK(validationKindFor("recommenders") == ValidationKind::kUserRows);
}

TEST_CASE("a search in a cold_items experiment selects on items carved from train",
          "[experiment][search][candidates]") {
  test::TempDir dir;
  test::writeSyntheticLog(dir / "log.tsv", 120, 60, 15);
  const json doc = {
      {"version", 1},
      {"dataset", {{"path", "log.tsv"}}},
      {"split", {{"method", "cold_items"}, {"ratio", 0.75}, {"seed", 3}}},
      {"models",
       {{{"name", "attribute_popularity"},
         {"search",
          {{"method", "grid"}, {"space", {{"bucket_width", {1.0, 10.0}}}}, {"seed", 11}}}}}},
      {"metrics", {{"k", 5}, {"names", {"ndcg"}}}},
      {"threads", 2}};
  TaskContext ctx;
  const ExperimentResult res = runExperiment(parseExperimentSpec(doc, dir.path()), {}, ctx);
  const RunRecord& r = res.runs.at(0);
  INFO(r.error);
  REQUIRE(r.status == RunStatus::kOk);
  REQUIRE(r.search.has_value());
  const ValidationSplit v =
      carveValidation(*res.data.train, ValidationKind::kColdItems, 0.8, 11, ctx);
  CHECK(r.search->validationSplitHash == hex64(v.hash));
  // The held-out validation items are training items: none of them is a test item.
  const auto testItems = itemsOf(*res.data.test);
  for (const Index i : v.candidates) CHECK(testItems.count(i) == 0);
}

TEST_CASE("per-item splits carve validation per item: each item keeps its share in fit",
          "[experiment][search]") {
  test::TempDir dir;
  const Dataset train = syntheticTrain(dir);
  TaskContext ctx;
  const ValidationSplit v = carveValidation(train, ValidationKind::kItemRows, 0.8, 3, ctx);
  CHECK(v.candidates.empty());
  CHECK(v.fit.numInteractions() + v.valid.numInteractions() == train.numInteractions());
  // Per item: round(0.8 c) of its c training rows stay for fitting (stratified by item).
  std::vector<std::size_t> all(train.numItems(), 0), fit(train.numItems(), 0);
  for (const Index i : train.interactions.item) ++all[i];
  for (const Index i : v.fit.interactions.item) ++fit[i];
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(fit[i] == static_cast<std::size_t>(std::nearbyint(0.8 * static_cast<double>(all[i]))));
  }
  SplitOptions so;
  so.method = SplitMethod::kStratified;
  so.by = SplitBy::kItem;
  so.ratio = 0.8;
  so.seed = 3;
  CHECK(v.hash == splitDataset(train, so, ctx).hash());
  CHECK(v.hash != carveValidation(train, ValidationKind::kUserRows, 0.8, 3, ctx).hash);

  // The kind mirrors the split's method and group; tuning.validation.by overrides the group.
  CHECK(validationKindFor("recommenders", "item") == ValidationKind::kItemRows);
  CHECK(validationKindFor("stratified", "item") == ValidationKind::kItemRows);
  CHECK(validationKindFor("recommenders", "user") == ValidationKind::kUserRows);
  CHECK(validationKindFor("chronological", "item") == ValidationKind::kUserRows);
  CHECK(validationKindFor("cold_items", "item") == ValidationKind::kColdItems);
  json doc{{"version", 1},
           {"dataset", {{"path", "log.tsv"}}},
           {"split", {{"method", "recommenders"}, {"by", "item"}}},
           {"tuning", {{"validation", {{"by", "user"}}}}},
           {"models", {{{"name", "most_popular"}}}}};
  CHECK(parseExperimentSpec(doc, dir.path()).tuning.validationBy == "user");
  doc["tuning"]["validation"]["by"] = "session";
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.tuning.validation.by"));
}
