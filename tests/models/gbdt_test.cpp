#include "core/models/gbdt.h"

#include <cmath>
#include <numeric>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "features/synthetic_data.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::plantedData;

namespace {
const char* kFeatures = R"({
  "user": [{"column": "group", "kind": "onehot"}, {"column": "age", "kind": "numeric"}],
  "item": [{"column": "genres", "kind": "multihot"}, {"column": "title", "kind": "tfidf"},
           {"column": "year", "kind": "numeric"}],
  "behaviour": {"affinity": ["genres"], "item_popularity": false, "item_recency": false},
  "labels": {"mode": "threshold", "threshold": 4}
})";

double coldMatchRate(const Model& m, const test::Planted& p) {
  const std::size_t first = p.data.numItems() - p.numCold;
  std::vector<Index> cold(p.numCold);
  std::iota(cold.begin(), cold.end(), static_cast<Index>(first));
  double hits = 0, total = 0;
  std::vector<float> s(cold.size());
  for (Index u = 0; u < p.data.numUsers(); ++u) {
    m.score(u, cold, s);
    std::vector<std::size_t> order(cold.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return s[a] > s[b]; });
    for (std::size_t k = 0; k < 3; ++k) {
      hits += p.itemIsAction[cold[order[k]]] == static_cast<bool>(p.userIsA[u]);
      total += 1;
    }
  }
  return hits / total;
}
}  // namespace

TEST_CASE("gbdt recovers planted structure; SHAP contributions sum to the margin",
          "[models][gbdt]") {
  const auto p = plantedData();
  auto m = createModel("gbdt", {{"features", kFeatures}, {"rounds", 60}, {"max_depth", 4}});
  TaskContext ctx;
  m->fit({p.data, nullptr, 1, 1}, ctx);
  CHECK(coldMatchRate(*m, p) > 0.95);
  const auto& ex = dynamic_cast<const Explainable&>(*m);
  for (Index u = 0; u < p.data.numUsers(); u += 9) {
    for (Index i = 0; i < p.data.numItems(); i += 13) {
      const Explanation e = ex.explain(u, i);
      CHECK(e.outputKind == "logit");
      double sum = e.bias;
      for (const auto& f : e.features) sum += f.contribution;
      CHECK(sum == Approx(e.output).margin(1e-5));
      float s = 0;
      m->score(u, std::span<const Index>(&i, 1), std::span<float>(&s, 1));
      CHECK(e.output == Approx(s).margin(1e-6));
    }
  }
  const auto imp = ex.globalImportance();
  REQUIRE_FALSE(imp.empty());
  double gain = 0;
  for (const auto& f : imp) gain += f.gain;
  CHECK(gain > 0);
}

TEST_CASE("gbdt early-stops on validation and saves/loads through the XGBoost buffer",
          "[models][gbdt]") {
  const auto p = plantedData();
  // Validation: a slice of the interactions (carved from train).
  std::vector<std::uint32_t> trainRows, validRows;
  for (std::uint32_t r = 0; r < p.data.numInteractions(); ++r)
    (r % 5 == 0 ? validRows : trainRows).push_back(r);
  const Dataset train = p.data.withRows(trainRows), valid = p.data.withRows(validRows);
  auto m = createModel(
      "gbdt", {{"features", kFeatures}, {"rounds", 400}, {"eta", 0.3}, {"early_stopping", 5}});
  TaskContext ctx;
  int epochs = 0;
  ctx.setEpochCallback([&](int, const EpochMetrics& metrics) {
    ++epochs;
    CHECK(metrics.at(0).first == "valid_logloss");
    return false;
  });
  m->fit({train, &valid, 3, 1}, ctx);
  CHECK(epochs < 400);
  const auto& scorer =
      dynamic_cast<const XgbScorer&>(dynamic_cast<const EngagementModel&>(*m).scorer());
  CHECK(scorer.rounds() <= epochs);

  const std::string blob = saveModelToBytes(*m);
  auto back = loadModelFromBytes(blob);
  std::vector<Index> all(p.data.numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<float> a(all.size()), b(all.size());
  for (Index u = 0; u < p.data.numUsers(); u += 4) {
    m->score(u, all, a);
    back->score(u, all, b);
    REQUIRE(a == b);
  }
  // A truncated blob (inside the booster bytes) fails cleanly.
  CHECK_THROWS_AS(loadModelFromBytes(std::string_view(blob).substr(0, blob.size() - 40)),
                  ModelError);
}

TEST_CASE("gbdt learning to rank (rank:ndcg, rank:pairwise) recovers planted tastes",
          "[models][gbdt]") {
  const auto p = plantedData();
  for (const char* obj : {"rank:ndcg", "rank:pairwise"}) {
    DYNAMIC_SECTION(obj) {
      auto m = createModel("gbdt", {{"features", kFeatures}, {"objective", obj}, {"rounds", 40}});
      TaskContext ctx;
      m->fit({p.data, nullptr, 1, 1}, ctx);
      CHECK(coldMatchRate(*m, p) > 0.9);
      const auto e = dynamic_cast<const Explainable&>(*m).explain(0, 1);
      CHECK(e.outputKind == "score");
      double sum = e.bias;
      for (const auto& f : e.features) sum += f.contribution;
      CHECK(sum == Approx(e.output).margin(1e-5));
    }
  }
}

TEST_CASE("gbdt fit is cancellable", "[models][gbdt]") {
  const auto p = plantedData();
  auto m = createModel("gbdt", {{"features", kFeatures}});
  TaskContext ctx;
  ctx.setEpochCallback([&](int epoch, const EpochMetrics&) {
    if (epoch == 2) ctx.requestStop();
    return false;
  });
  CHECK_THROWS_AS(m->fit({p.data}, ctx), Cancelled);
  CHECK_FALSE(m->isFitted());
}

TEST_CASE("gbdt with cold-user dropout ranks for users without history by their attributes",
          "[models][gbdt][coldstart]") {
  // 200 planted users; every fifth keeps its attributes but loses its interactions: an in-map
  // user without history, scored exactly like a new user with these attributes.
  auto p = plantedData(200, 80, 0, 11);
  std::vector<std::uint32_t> rows;
  for (std::uint32_t r = 0; r < p.data.numInteractions(); ++r) {
    if (p.data.interactions.user[r] % 5 != 0) rows.push_back(r);
  }
  const Dataset train = p.data.withRows(rows);
  auto shareMatching = [&](double dropout) {
    const std::string features =
        R"({"user": [{"column": "group", "kind": "onehot"}],
            "item": [{"column": "genres", "kind": "multihot"}],
            "crosses": [{"user": "group", "item": "genres"}],
            "behaviour": {"cold_user_dropout": )" +
        std::to_string(dropout) + R"(}, "labels": {"mode": "threshold", "threshold": 4}})";
    auto m = createModel("gbdt", {{"features", features}, {"rounds", 60}, {"eta", 0.3}});
    TaskContext ctx;
    m->fit({train, nullptr, 3, 1}, ctx);
    double hits = 0, total = 0;
    for (Index u = 0; u < p.data.numUsers(); u += 5) {
      for (const auto& s : m->recommend(u, 10).items) {
        hits += p.itemIsAction[s.item] == static_cast<bool>(p.userIsA[u]);
        total += 1;
      }
    }
    return hits / total;
  };
  const double without = shareMatching(0.0), with = shareMatching(0.3);
  INFO("top-10 share of the user's planted genre: without dropout " << without << ", with "
                                                                    << with);
  CHECK(with >= 0.95);
  CHECK(with > without + 0.1);
}

TEST_CASE("cold_user_dropout is validated and saved with the pipeline", "[models][gbdt]") {
  CHECK_THROWS_AS(FeatureConfig::parse(R"({"behaviour": {"cold_user_dropout": 1.0}})"), SpecError);
  CHECK_THROWS_AS(FeatureConfig::parse(R"({"behaviour": {"cold_user_dropout": -0.1}})"), SpecError);
  const auto c = FeatureConfig::parse(R"({"behaviour": {"cold_user_dropout": 0.25}})");
  CHECK(c.behaviour.coldUserDropout == 0.25);
  CHECK(FeatureConfig::parse(c.toJson().dump()).behaviour.coldUserDropout == 0.25);
}
