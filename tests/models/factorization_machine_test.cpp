#include "core/models/factorization_machine.h"

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
  "item": [{"column": "genres", "kind": "multihot"}, {"column": "title", "kind": "tfidf"}],
  "labels": {"mode": "threshold", "threshold": 4}
})";

double coldMatchRate(const Model& m, const test::Planted& p, std::span<const Index> users) {
  const std::size_t first = p.data.numItems() - p.numCold;
  std::vector<Index> cold(p.numCold);
  std::iota(cold.begin(), cold.end(), static_cast<Index>(first));
  double hits = 0, total = 0;
  std::vector<float> s(cold.size());
  for (Index u : users) {
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

TEST_CASE("factorization_machine recovers planted tastes for new items and new users",
          "[models][fm]") {
  auto p = plantedData();
  // Two brand-new users (attributes only): one in each group.
  for (const char* g : {"A", "B"}) {
    const Index u = p.data.users.intern(std::string("new") + g);
    p.data.userAttributes.ensureRows(p.data.numUsers());
    auto* col = p.data.userAttributes.find("group");
    col->codes[u] = col->internCategory(g);
    p.userIsA.push_back(std::string(g) == "A");
  }
  std::vector<Index> warmUsers(p.data.numUsers() - 2),
      newUsers = {static_cast<Index>(p.data.numUsers() - 2),
                  static_cast<Index>(p.data.numUsers() - 1)};
  std::iota(warmUsers.begin(), warmUsers.end(), Index{0});
  for (const char* loss : {"warp", "bpr", "logistic"}) {
    DYNAMIC_SECTION(loss) {
      auto m =
          createModel("factorization_machine",
                      {{"features", kFeatures}, {"loss", loss}, {"factors", 8}, {"epochs", 15}});
      TaskContext ctx;
      m->fit({p.data, nullptr, 5, 1}, ctx);
      CHECK(coldMatchRate(*m, p, warmUsers) > 0.9);
      CHECK(m->canScoreUser(newUsers[0]));
      CHECK(coldMatchRate(*m, p, newUsers) > 0.99);
      CHECK_FALSE(m->recommend(newUsers[0], 3).fallback);
      // Exact term contributions.
      const auto& ex = dynamic_cast<const Explainable&>(*m);
      for (Index u = 0; u < p.data.numUsers(); u += 11) {
        for (Index i = 0; i < p.data.numItems(); i += 9) {
          const Explanation e = ex.explain(u, i);
          double sum = e.bias;
          for (const auto& f : e.features) sum += f.contribution;
          CHECK(sum == Approx(e.output).margin(1e-5));
          float s = 0;
          m->score(u, std::span<const Index>(&i, 1), std::span<float>(&s, 1));
          CHECK(e.output == Approx(s).margin(1e-4));
        }
      }
      CHECK_FALSE(ex.globalImportance().empty());
    }
  }
}

TEST_CASE("factorization_machine save/load gives identical scores", "[models][fm]") {
  const auto p = plantedData();
  auto m = createModel("factorization_machine",
                       {{"features", kFeatures}, {"factors", 6}, {"epochs", 3}});
  TaskContext ctx;
  m->fit({p.data, nullptr, 2, 1}, ctx);
  const std::string blob = saveModelToBytes(*m);
  auto back = loadModelFromBytes(blob);
  std::vector<Index> all(p.data.numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<float> a(all.size()), b(all.size());
  for (Index u = 0; u < p.data.numUsers(); u += 3) {
    m->score(u, all, a);
    back->score(u, all, b);
    REQUIRE(a == b);
  }
  CHECK_THROWS_AS(loadModelFromBytes(std::string_view(blob).substr(0, blob.size() - 9)),
                  ModelError);
  // Same seed => same model.
  auto again = createModel("factorization_machine",
                           {{"features", kFeatures}, {"factors", 6}, {"epochs", 3}});
  again->fit({p.data, nullptr, 2, 1}, ctx);
  CHECK(saveModelToBytes(*again) == blob);
}

TEST_CASE("factorization_machine without item or user ids scores by features alone",
          "[models][fm]") {
  // Genres only: with item_ids false a warm item is scored exactly as a brand-new item with
  // the same genres (what cold items get at serving); with ids the warm item differs.
  const auto p = plantedData();
  const char* genresOnly = R"({"user": [{"column": "group", "kind": "onehot"}],
    "item": [{"column": "genres", "kind": "multihot"}], "labels": {"mode": "implicit"}})";
  const auto* genres = p.data.itemAttributes.find("genres");
  auto genreSet = [&](Index i) {
    return std::vector<std::int32_t>(genres->codes.begin() + genres->offsets[i],
                                     genres->codes.begin() + genres->offsets[i + 1]);
  };
  const Index cold = static_cast<Index>(p.data.numItems() - 1);
  Index twin = 0;
  while (genreSet(twin) != genreSet(cold)) ++twin;
  const Index items[2] = {twin, cold};
  TaskContext ctx;
  for (const bool itemIds : {false, true}) {
    auto m = createModel("factorization_machine", {{"features", genresOnly},
                                                   {"factors", 6},
                                                   {"epochs", 3},
                                                   {"item_ids", itemIds},
                                                   {"user_ids", false}});
    m->fit({p.data, nullptr, 2, 1}, ctx);
    float s[2], t[2];
    m->score(0, items, s);
    CHECK((s[0] == s[1]) == !itemIds);
    // user_ids false: users 0 and 2 (both group A) are the same user to the model.
    m->score(2, items, t);
    CHECK(s[0] == t[0]);
    CHECK(s[1] == t[1]);
  }
}

namespace {
// nDCG@k of the model's own top-k lists (seen items excluded) on `valid`, for the users with
// training and validation rows: what the trainer's "valid_ndcg@k" measures.
double ndcgOf(const Model& m, const Dataset& train, const Dataset& valid, std::size_t k) {
  const Csr rel = valid.userItemMatrix(true);
  const Csr seen = train.userItemMatrix(true);
  double total = 0.0;
  std::size_t users = 0;
  for (std::size_t u = 0; u < rel.rows; ++u) {
    const auto relevant = rel.rowIndices(u);
    if (relevant.empty() || seen.rowSize(u) == 0) continue;
    const RecList list = m.recommend(static_cast<Index>(u), k, true);
    double dcg = 0.0, idcg = 0.0;
    for (std::size_t r = 0; r < list.items.size(); ++r) {
      if (std::binary_search(relevant.begin(), relevant.end(), list.items[r].item)) {
        dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
      }
    }
    for (std::size_t r = 0; r < std::min(k, relevant.size()); ++r) {
      idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    }
    total += dcg / idcg;
    ++users;
  }
  return total / static_cast<double>(users);
}
}  // namespace

TEST_CASE("factorization_machine: patience stops on the validation nDCG and keeps the best epoch",
          "[models][fm]") {
  const auto p = plantedData(80, 120, 0);
  std::vector<std::uint32_t> tr, va;
  for (std::uint32_t r = 0; r < p.data.numInteractions(); ++r) (r % 8 >= 6 ? va : tr).push_back(r);
  const Dataset train = p.data.withRows(tr), valid = p.data.withRows(va);
  const Params params{{"factors", 8}, {"epochs", 60}, {"learning_rate", 0.2}, {"loss", "bpr"}};

  // Without patience: every epoch runs and reports its validation nDCG.
  auto plain = createModel("factorization_machine", params);
  TaskContext c0;
  plain->fit({train, &valid, 3, 1}, c0);
  const auto h0 = c0.history();
  REQUIRE(h0.size() == 60);
  REQUIRE(h0.front().second.size() == 2);
  CHECK(h0.front().second[1].first == "valid_ndcg@10");

  // With patience 2: stops two epochs after the best one and keeps the best epoch's model.
  Params withPatience = params;
  withPatience["patience"] = 2;
  auto m = createModel("factorization_machine", withPatience);
  TaskContext ctx;
  m->fit({train, &valid, 3, 1}, ctx);
  const auto h = ctx.history();
  REQUIRE(h.size() < 60);
  std::size_t bestAt = 0;
  for (std::size_t e = 0; e < h.size(); ++e) {
    if (h[e].second[1].second > h[bestAt].second[1].second) bestAt = e;
  }
  CHECK(h.size() == bestAt + 3);
  CHECK(h[bestAt].second[1].second > 0.2);
  CHECK(ndcgOf(*m, train, valid, 10) == Approx(h[bestAt].second[1].second).epsilon(1e-9));
  // The same epochs as the run without patience (same seed): early stopping only truncates.
  for (std::size_t e = 0; e < h.size(); ++e) CHECK(h[e].second == h0[e].second);
}
