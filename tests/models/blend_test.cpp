#include "core/models/blend.h"

#include <catch2/catch.hpp>
#include <numeric>

#include "core/util/error.h"
#include "planted_data.h"

using namespace rwb;

namespace {

std::unique_ptr<Model> blendOf(const nlohmann::json& params) {
  return createModel("blend", params, "$");
}

}  // namespace

TEST_CASE("blend: tuned weights favour the member that ranks held-out rows well",
          "[models][blend]") {
  const auto p = test::plantedCommunities(80, 60, 12);
  auto m = blendOf(
      {{"members", {{"itemknn", {{"k", 20}}}, {"most_popular", nlohmann::json::object()}}}});
  TaskContext ctx;
  m->fit({p.data, nullptr, 3, 2}, ctx);
  const auto& b = dynamic_cast<const Blend&>(*m);
  REQUIRE(b.memberNames() == std::vector<std::string>{"itemknn", "most_popular"});
  REQUIRE(b.weights().size() == 2);
  CHECK(std::accumulate(b.weights().begin(), b.weights().end(), 0.0) == Approx(1.0));
  // ItemKNN sees the two communities, popularity does not.
  CHECK(b.weights()[0] > b.weights()[1]);
  // Regression: members' epochs (iALS here, fitted twice) are not reported as the blend's.
  auto withIals = blendOf({{"members",
                            {{"ials", {{"factors", 4}, {"iterations", 2}}},
                             {"most_popular", nlohmann::json::object()}}}});
  TaskContext curve;
  withIals->fit({p.data, nullptr, 3, 2}, curve);
  CHECK(curve.history().empty());
  // Its lists stay within the user's community.
  const RecList r = m->recommend(0, 5);
  REQUIRE(r.items.size() == 5);
  for (const auto& s : r.items) CHECK(p.groupOfItem(s.item) == 0);
}

TEST_CASE("blend: coordinate-ascent weights (five members) also sum to 1", "[models][blend]") {
  // Regression: with more than four members the weights were searched by coordinate ascent and
  // kept unnormalised, unlike the documented sum of 1 (here 0.8, 0.2, 0.1, 0.2, 0.2: 1.5).
  const auto p = test::plantedCommunities(80, 60, 12);
  auto m = blendOf({{"members",
                     {{"itemknn", {{"k", 3}}},
                      {"most_popular", nlohmann::json::object()},
                      {"rp3beta", nlohmann::json::object()},
                      {"sar", nlohmann::json::object()},
                      {"random", nlohmann::json::object()}}}});
  TaskContext ctx;
  m->fit({p.data, nullptr, 3, 2}, ctx);
  const auto& b = dynamic_cast<const Blend&>(*m);
  REQUIRE(b.weights().size() == 5);
  CHECK(std::accumulate(b.weights().begin(), b.weights().end(), 0.0) == Approx(1.0));
  for (double w : b.weights()) CHECK(w >= 0.0);
}

TEST_CASE("blend: fixed weights, normalisation and save/load", "[models][blend]") {
  const auto p = test::plantedCommunities(40, 30, 8);
  TaskContext ctx;
  SECTION("weight 1 on one member ranks as that member") {
    auto m = blendOf(
        {{"members", {{"itemknn", {{"k", 10}}}, {"most_popular", nlohmann::json::object()}}},
         {"weights", {{"itemknn", 0.0}, {"most_popular", 1.0}}},
         {"normalization", "minmax"}});
    m->fit({p.data, nullptr, 3, 2}, ctx);
    auto pop = createModel("most_popular", nlohmann::json::object(), "$");
    pop->fit({p.data, nullptr, 3, 2}, ctx);
    for (Index u : {0u, 7u, 33u}) {
      const auto a = m->recommend(u, 8), e = pop->recommend(u, 8);
      REQUIRE(a.items.size() == e.items.size());
      for (std::size_t j = 0; j < a.items.size(); ++j) CHECK(a.items[j].item == e.items[j].item);
      // Min-max normalised scores of one member lie in [0, 1].
      for (const auto& s : a.items) {
        CHECK(s.score >= 0.0f);
        CHECK(s.score <= 1.0f);
      }
    }
  }
  SECTION("a saved blend loads with the same weights and scores") {
    auto m =
        blendOf({{"members", {{"itemknn", {{"k", 10}}}, {"rp3beta", nlohmann::json::object()}}}});
    m->fit({p.data, nullptr, 3, 2}, ctx);
    const std::string bytes = saveModelToBytes(*m);
    auto loaded = loadModelFromBytes(bytes);
    REQUIRE(loaded->type() == "blend");
    CHECK(dynamic_cast<const Blend&>(*loaded).weights() ==
          dynamic_cast<const Blend&>(*m).weights());
    std::vector<Index> items(p.items);
    std::iota(items.begin(), items.end(), Index{0});
    std::vector<float> a(items.size()), b(items.size());
    for (Index u = 0; u < 40; u += 3) {
      m->score(u, items, a);
      loaded->score(u, items, b);
      CHECK(a == b);
    }
    // A corrupted member count is refused.
    std::string bad = bytes;
    CHECK_THROWS(loadModelFromBytes(bad.substr(0, bad.size() / 2)));
  }
}

TEST_CASE("blend: invalid members are located errors", "[models][blend]") {
  const auto p = test::plantedCommunities(20, 20, 4);
  TaskContext ctx;
  auto fitWith = [&](const nlohmann::json& members) {
    auto m = blendOf({{"members", members}});
    m->fit({p.data, nullptr, 3, 1}, ctx);
  };
  CHECK_THROWS_WITH(fitWith({{"nosuch", nlohmann::json::object()}}),
                    Catch::Contains("$.params.members.nosuch"));
  CHECK_THROWS_WITH(fitWith({{"blend", nlohmann::json::object()}}),
                    Catch::Contains("cannot be a member"));
  CHECK_THROWS_WITH(fitWith({{"ease", "auto"}}), Catch::Contains("auto search of 'ease'"));
  CHECK_THROWS_WITH(fitWith({{"ease", {{"lambda", -1}}}}),
                    Catch::Contains("$.params.members.ease.lambda"));
  CHECK_THROWS_WITH(fitWith(nlohmann::json::object()), Catch::Contains("at least one model"));
}

TEST_CASE("blend: validation_by items tunes weights on held-out items ranked among themselves",
          "[models][blend][coldstart]") {
  // Two communities; items carry their community as an attribute; 10 new items (no rows), 5 per
  // community. ItemKNN cannot rank items without rows, content similarity can.
  auto p = test::plantedCommunities(80, 60, 12);
  for (int k = 0; k < 10; ++k) p.data.items.intern("n" + std::to_string(k));
  AttributeColumn community{"community", ColumnType::kCategorical};
  for (Index i = 0; i < p.data.numItems(); ++i) {
    const bool second = i < 60 ? p.groupOfItem(i) == 1 : (i - 60) % 2 == 1;
    community.codes.push_back(community.internCategory(second ? "B" : "A"));
  }
  p.data.itemAttributes.columns = {community};
  auto m = blendOf(
      {{"members", {{"itemknn", {{"k", 20}}}, {"content_similarity", nlohmann::json::object()}}},
       {"validation_by", "items"}});
  TaskContext ctx;
  m->fit({p.data, nullptr, 3, 2}, ctx);
  const auto& b = dynamic_cast<const Blend&>(*m);
  REQUIRE(b.memberNames() == std::vector<std::string>{"content_similarity", "itemknn"});
  // On held-out items only content similarity orders anything: it must get weight.
  CHECK(b.weights()[0] > 0.0);
  // Every user's best new item is of the user's community.
  std::vector<Index> fresh(10);
  std::iota(fresh.begin(), fresh.end(), Index{60});
  std::vector<float> s(10);
  for (Index u : {0u, 1u, 40u, 79u}) {
    m->score(u, fresh, s);
    const auto best = std::max_element(s.begin(), s.end()) - s.begin();
    CHECK((best % 2 == 1) == (p.groupOfUser(u) == 1));
  }
  // A bad choice is refused by the schema.
  CHECK_THROWS(blendOf({{"validation_by", "users"}}));
}
