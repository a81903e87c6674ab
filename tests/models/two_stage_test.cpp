#include "core/models/two_stage.h"

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
  "user": [{"column": "group", "kind": "onehot"}],
  "item": [{"column": "genres", "kind": "multihot"}, {"column": "year", "kind": "numeric"}],
  "behaviour": {"affinity": ["genres"]},
  "labels": {"mode": "threshold", "threshold": 4}
})";

// Share of each user's top-5 recommendations whose genre matches the user's planted taste.
double matchRate(const Model& m, const test::Planted& p) {
  double hits = 0, total = 0;
  for (Index u = 0; u < p.data.numUsers(); ++u) {
    for (const auto& r : m.recommend(u, 5).items) {
      hits += p.itemIsAction[r.item] == static_cast<bool>(p.userIsA[u]);
      total += 1;
    }
  }
  return total ? hits / total : 0.0;
}
}  // namespace

TEST_CASE("two_stage re-ranks its generator's candidates towards planted tastes",
          "[models][two_stage]") {
  const auto p = plantedData(80, 120, 0);
  TaskContext ctx;
  auto pop = createModel("most_popular");
  pop->fit({p.data}, ctx);
  for (const char* reranker : {"gbdt", "logistic_regression"}) {
    DYNAMIC_SECTION(reranker) {
      auto m = createModel(
          "two_stage",
          {{"features", kFeatures}, {"candidates", 40}, {"reranker", reranker}, {"rounds", 40}});
      m->fit({p.data, nullptr, 1, 1}, ctx);
      const double base = matchRate(*pop, p), reranked = matchRate(*m, p);
      CHECK(base < 0.75);
      CHECK(reranked > 0.95);
      // Only candidates are recommended.
      const auto& ts = dynamic_cast<const TwoStage&>(*m);
      for (Index u = 0; u < 5; ++u) {
        const auto cand = ts.candidateModel().recommend(u, 40, true).items;
        for (const auto& r : m->recommend(u, 10).items) {
          CHECK(std::any_of(cand.begin(), cand.end(),
                            [&](const ScoredItem& c) { return c.item == r.item; }));
        }
      }
      const auto e = ts.explain(0, 1);
      double sum = e.bias;
      bool hasCandidateScore = false;
      for (const auto& f : e.features) {
        sum += f.contribution;
        hasCandidateScore = hasCandidateScore || f.feature == "score:candidate";
      }
      CHECK(sum == Approx(e.output).margin(1e-5));
      (void)hasCandidateScore;
      CHECK_FALSE(ts.globalImportance().empty());

      auto back = loadModelFromBytes(saveModelToBytes(*m));
      for (Index u = 0; u < p.data.numUsers(); u += 7) {
        const auto a = m->recommend(u, 10), b = back->recommend(u, 10);
        REQUIRE(a.items == b.items);
      }
    }
  }
}

TEST_CASE("two_stage validates its generator", "[models][two_stage]") {
  const auto p = plantedData(20, 30, 0);
  TaskContext ctx;
  CHECK_THROWS_AS(createModel("two_stage", {{"candidate_model", "nope"}})->fit({p.data}, ctx),
                  SpecError);
  CHECK_THROWS_AS(createModel("two_stage", {{"candidate_params", "{bad"}})->fit({p.data}, ctx),
                  SpecError);
  CHECK_THROWS_AS(createModel("two_stage", {{"candidate_model", "two_stage"}})->fit({p.data}, ctx),
                  SpecError);
}
