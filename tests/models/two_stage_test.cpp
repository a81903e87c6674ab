#include "core/models/two_stage.h"

#include <algorithm>
#include <cmath>
#include <limits>
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
      for (const auto& f : e.features) sum += f.contribution;
      CHECK(sum == Approx(e.output).margin(1e-5));
      // The generator's score is one of the re-ranker's features.
      const auto names = ts.featurePipeline()->featureNames();
      CHECK(std::find(names.begin(), names.end(), "score:candidate") != names.end());
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

namespace {
/// The planted data plus an in-map user without interactions ("cold", group B, age 33).
float referenceGap(float top, float s) {
  if (!std::isfinite(top) || !std::isfinite(s)) return 1.0f;
  const float d = std::abs(top) > 1e-12f ? (top - s) / std::abs(top) : top - s;
  return std::isfinite(d) ? d : 1.0f;
}

/// The re-ranker rows as two_stage built them before this change: the pipeline calls the
/// generator itself for block 5, and the context (rank, score gap) comes from a full sort of
/// the generator's scores of the catalogue (seen / history items masked).
SparseMatrix referenceRows(const TwoStage& ts, const PairUser& user, std::span<const Index> items,
                           std::vector<ScoredItem>* ranking = nullptr) {
  const FeaturePipeline& p = *ts.featurePipeline();
  const std::size_t n = ts.numItems();
  std::vector<Index> all(n);
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<float> gen(n);
  SparseMatrix pairs;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  if (user.isNew()) {
    ts.candidateModel().scoreNewUser(*user.newUser(), all, gen);
    for (Index h : user.newUser()->history) gen[h] = kNegInf;
    pairs = p.newUserPairMatrix(*user.newUser(), items);
  } else {
    ts.candidateModel().score(user.index(), all, gen);
    for (Index h : ts.seenItems(user.index())) gen[h] = kNegInf;
    const std::vector<Index> users(items.size(), user.index());
    pairs = p.pairMatrix(users, items);
  }
  const auto ranked = topK(gen, n);
  if (ranking) *ranking = ranked;
  std::vector<float> rankOf(n, static_cast<float>(n + 1)), gapOf(n, 1.0f);
  for (std::size_t k = 0; k < ranked.size(); ++k) {
    rankOf[ranked[k].item] = static_cast<float>(k + 1);
    gapOf[ranked[k].item] = referenceGap(ranked.front().score, ranked[k].score);
  }
  SparseMatrix out;
  out.cols = pairs.cols + 2;
  const auto c = static_cast<std::uint32_t>(pairs.cols);
  for (std::size_t r = 0; r < pairs.rows(); ++r) {
    SparseVector row(pairs.row(r).begin(), pairs.row(r).end());
    row.push_back({c, rankOf[items[r]]});
    if (gapOf[items[r]] != 0.0f) row.push_back({c + 1, gapOf[items[r]]});
    out.appendRow(row);
  }
  return out;
}

}  // namespace

TEST_CASE("two_stage rows with one generator call equal the two-call, full-sort rows",
          "[models][two_stage]") {
  const Dataset d = test::withColdUser(plantedData(60, 80, 10).data);
  const Index cold = static_cast<Index>(d.numUsers() - 1);
  const AttributeTable attrs = test::coldUserAttributes();
  TaskContext ctx;
  std::vector<Index> all(d.numItems());
  std::iota(all.begin(), all.end(), Index{0});
  // Arbitrary requests: duplicates, a seen-or-not mix, never-interacted (cold) items.
  const std::vector<Index> some = {3, 77, 3, 0, 41, 72, 19, 19, 60};
  for (const char* gen : {"most_popular", "sar", "content_similarity", "bpr", "ease"}) {
    DYNAMIC_SECTION("generator " << gen) {
      auto m = createModel("two_stage", {{"features", kFeatures},
                                         {"candidate_model", gen},
                                         {"candidates", 25},
                                         {"reranker", "logistic_regression"}});
      m->fit({d, nullptr, 3, 1}, ctx);
      const auto& ts = dynamic_cast<const TwoStage&>(*m);
      const NewUser fresh{&attrs, 0, {}}, withHistory{&attrs, 0, {4, 9, 40}};
      std::vector<std::pair<std::string, PairUser>> cases = {
          {"warm", PairUser::known(0)},
          {"warm", PairUser::known(13)},
          {"cold", PairUser::known(cold)},
          {"new", PairUser::fresh(fresh)},
          {"new with history", PairUser::fresh(withHistory)}};
      for (const auto& [what, user] : cases) {
        INFO(what << " user " << user.index());
        std::vector<ScoredItem> ranking;
        const SparseMatrix expectAll = referenceRows(ts, user, all, &ranking);
        CHECK(ts.rerankRows(user, all) == expectAll);
        CHECK(ts.rerankRows(user, some) == referenceRows(ts, user, some));
        // The candidate path: the top N of the same ranking, scored like score() scores them.
        const auto cand = ts.candidates(user);
        REQUIRE(cand.size() == std::min<std::size_t>(25, ranking.size()));
        CHECK(std::equal(cand.begin(), cand.end(), ranking.begin()));
        std::vector<Index> candItems;
        for (const auto& c : cand) candItems.push_back(c.item);
        std::vector<float> direct(candItems.size());
        const RecList rec = user.isNew() ? m->recommendNewUser(*user.newUser(), cand.size())
                                         : m->recommend(user.index(), cand.size());
        if (user.isNew()) {
          m->scoreNewUser(*user.newUser(), candItems, direct);
        } else {
          m->score(user.index(), candItems, direct);
        }
        REQUIRE(rec.items.size() == cand.size());
        for (const auto& r : rec.items) {
          const auto k = static_cast<std::size_t>(
              std::find(candItems.begin(), candItems.end(), r.item) - candItems.begin());
          REQUIRE(k < candItems.size());
          CHECK(r.score == direct[k]);  // exactly: the same rows
        }
      }
    }
  }
}

TEST_CASE("two_stage score() ranks tied generator scores by item index, like recommend()",
          "[models][two_stage]") {
  // most_popular on planted data: many items share a popularity count.
  const auto p = plantedData(40, 60, 8);
  TaskContext ctx;
  auto m = createModel(
      "two_stage",
      {{"features", kFeatures}, {"candidates", 60}, {"reranker", "logistic_regression"}});
  m->fit({p.data, nullptr, 5, 1}, ctx);
  const auto& ts = dynamic_cast<const TwoStage&>(*m);
  const std::size_t dim = ts.featurePipeline()->dim();
  const auto& pop = ts.candidateModel().itemPopularity();
  std::vector<Index> all(p.data.numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::size_t tiedPairs = 0;
  for (Index u = 0; u < 6; ++u) {
    const SparseMatrix rows = ts.rerankRows(PairUser::known(u), all);
    const auto seen = ts.seenItems(u);
    auto isSeen = [&](Index i) { return std::binary_search(seen.begin(), seen.end(), i); };
    auto rankOf = [&](Index i) {
      for (const auto& f : rows.row(i)) {
        if (f.index == dim) return f.value;
      }
      return -1.0f;
    };
    // Ranks of unseen items are 1..m without gaps; seen items rank after all of them.
    std::vector<float> ranks;
    for (Index i : all) {
      if (isSeen(i)) {
        CHECK(rankOf(i) == static_cast<float>(all.size() + 1));
      } else {
        ranks.push_back(rankOf(i));
      }
    }
    std::sort(ranks.begin(), ranks.end());
    for (std::size_t k = 0; k < ranks.size(); ++k) REQUIRE(ranks[k] == static_cast<float>(k + 1));
    // Equal generator scores: the lower item index ranks first; higher scores rank first.
    for (Index a : all) {
      for (Index b = a + 1; b < all.size(); ++b) {
        if (isSeen(a) || isSeen(b)) continue;
        if (pop[a] == pop[b]) {
          ++tiedPairs;
          CHECK(rankOf(a) < rankOf(b));
        } else {
          CHECK((rankOf(a) < rankOf(b)) == (pop[a] > pop[b]));
        }
      }
    }
    // One item at a time (explain's path) gives the same rank as the whole request.
    for (Index i : {Index{0}, Index{17}, Index{59}}) {
      const Index one[1] = {i};
      const auto single = ts.rerankRows(PairUser::known(u), one);
      CHECK(std::equal(single.row(0).begin(), single.row(0).end(), rows.row(i).begin(),
                       rows.row(i).end()));
    }
  }
  CHECK(tiedPairs > 50);  // the fixture really has ties
}

TEST_CASE("two_stage stacks more models' scores as re-ranker features", "[models][two_stage]") {
  const auto p = plantedData(80, 120, 0);
  TaskContext ctx;
  // Popularity candidates, re-ranked with the stacked models' scores beside the default
  // behavioural features.
  const Params base{{"candidates", 60}, {"rounds", 40}};
  auto plain = createModel("two_stage", base);
  plain->fit({p.data, nullptr, 1, 1}, ctx);
  Params stackedParams = base;
  stackedParams["score_models"] = R"({"ease": {"lambda": 10}, "sar": {}})";
  auto stacked = createModel("two_stage", stackedParams);
  stacked->fit({p.data, nullptr, 1, 1}, ctx);
  const auto& ts = dynamic_cast<const TwoStage&>(*stacked);
  const auto names = ts.featurePipeline()->featureNames();
  for (const char* n : {"score:candidate", "score:ease", "score:sar"}) {
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  }
  CHECK(matchRate(*stacked, p) > 0.9);
  CHECK(plain->featurePipeline()->featureNames().size() + 2 == names.size());
  bool used = false;
  for (const auto& f : ts.globalImportance()) {
    used = used ||
           ((f.feature == "score:ease" || f.feature == "score:sar") && f.meanAbsContribution > 0.0);
  }
  CHECK(used);
  // The stacked sources are saved with the model and scored again after loading.
  auto back = loadModelFromBytes(saveModelToBytes(*stacked));
  std::vector<Index> all(p.data.numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<float> a(all.size()), b(all.size());
  for (Index u = 0; u < p.data.numUsers(); u += 7) {
    stacked->score(u, all, a);
    back->score(u, all, b);
    REQUIRE(a == b);
  }
  CHECK(back->memoryBytes() > plain->memoryBytes());
}

TEST_CASE("two_stage takes its generator's parameters from the score model of the same name",
          "[models][two_stage]") {
  const auto p = plantedData(40, 60, 0);
  TaskContext ctx;
  auto m = createModel("two_stage", {{"candidate_model", "ease"},
                                     {"candidates", 30},
                                     {"rounds", 10},
                                     {"score_models", R"({"ease": {"lambda": 7}, "sar": {}})"}});
  m->fit({p.data, nullptr, 1, 1}, ctx);
  const auto& ts = dynamic_cast<const TwoStage&>(*m);
  CHECK(ts.candidateModel().params().at("lambda").get<double>() == 7.0);
  const auto names = ts.featurePipeline()->featureNames();
  CHECK(std::find(names.begin(), names.end(), "score:ease") == names.end());
  CHECK(std::find(names.begin(), names.end(), "score:sar") != names.end());

  auto bad = createModel("two_stage", {{"score_models", R"({"sar": 3})"}});
  CHECK_THROWS_WITH(bad->fit({p.data, nullptr, 1, 1}, ctx),
                    Catch::Contains("$.params.score_models.sar"));
  CHECK_FALSE(bad->isFitted());
}

TEST_CASE("two_stage learning curve is the re-ranker's: inner models fitted twice do not repeat it",
          "[models][two_stage]") {
  // Regression: an iterative generator or score model fitted on A and again on all of train
  // reported every epoch twice, which the project store refuses (one row per run and epoch).
  const auto p = plantedData(40, 60, 0);
  TaskContext ctx;
  auto m = createModel("two_stage", {{"candidate_model", "ials"},
                                     {"candidate_params", R"({"iterations": 3, "factors": 4})"},
                                     {"candidates", 30},
                                     {"rounds", 5},
                                     {"score_models", R"({"bpr": {"epochs": 2}})"}});
  m->fit({p.data, nullptr, 1, 1}, ctx);
  const auto h = ctx.history();
  for (std::size_t e = 1; e < h.size(); ++e) CHECK(h[e].first > h[e - 1].first);
}
