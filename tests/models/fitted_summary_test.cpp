// Fitted summaries: what blend and neighbour_popularity tuned during fit, as JSON equal to their
// accessors (also after a load), and the one-line text the CLI and the GUI show.
#include "core/models/fitted_summary.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/models/blend.h"
#include "core/models/neighbour_popularity.h"
#include "core/models/registry.h"
#include "planted_data.h"

using namespace rwb;

namespace {

nlohmann::json summaryOf(const Model& m) {
  const std::string text = fittedSummaryOf(m);
  REQUIRE_FALSE(text.empty());
  return nlohmann::json::parse(text);
}

// 60 users in two groups (A, B) of 20 items each: a user takes five items of their group's half
// and one of the other half; "shade" is a categorical column unrelated to taste, "age" a
// numeric one.
Dataset groupedUsers() {
  Dataset d;
  std::int64_t t = 0;
  AttributeColumn group{"group", ColumnType::kCategorical};
  AttributeColumn shade{"shade", ColumnType::kCategorical};
  AttributeColumn age{"age", ColumnType::kNumeric};
  for (int u = 0; u < 60; ++u) {
    const int half = u % 2;
    group.codes.push_back(group.internCategory(half == 0 ? "A" : "B"));
    shade.codes.push_back(shade.internCategory(u % 3 == 0 ? "x" : "y"));
    age.numeric.push_back(20.0 + (u * 7) % 40);
    const Index user = d.users.intern("u" + std::to_string(u));
    for (int j = 0; j < 5; ++j) {
      const int item = half * 10 + (u + j * 2) % 10;
      d.interactions.push(user, d.items.intern("i" + std::to_string(item)), 1.0f, ++t);
    }
    const int other = (1 - half) * 10 + u % 10;
    d.interactions.push(user, d.items.intern("i" + std::to_string(other)), 1.0f, ++t);
  }
  d.userAttributes.columns = {group, shade, age};
  return d;
}

}  // namespace

TEST_CASE("fitted summary: a tuned blend reports the weights it uses", "[models][blend][fitted]") {
  const auto p = test::plantedCommunities(80, 60, 12);
  auto m = createModel(
      "blend",
      {{"members", {{"itemknn", {{"k", 20}}}, {"most_popular", nlohmann::json::object()}}}}, "$");
  TaskContext ctx;
  m->fit({p.data, nullptr, 3, 2}, ctx);
  const auto& b = dynamic_cast<const Blend&>(*m);
  const nlohmann::json s = summaryOf(*m);
  REQUIRE(s["weights"].size() == 2);
  CHECK(s["weights"]["itemknn"].get<double>() == b.weights()[0]);
  CHECK(s["weights"]["most_popular"].get<double>() == b.weights()[1]);
  CHECK(s["tuned"] == true);
  CHECK_FALSE(s.contains("untuned_reason"));
  CHECK(s == b.fittedSummary());
  // The text names every member with its weight.
  const std::string text = fittedSummaryText(s);
  CHECK(text.rfind("weights itemknn ", 0) == 0);
  CHECK(text.find(", most_popular ") != std::string::npos);
  CHECK(text.find("not tuned") == std::string::npos);

  SECTION("a blend loaded from bytes has the same summary") {
    auto loaded = loadModelFromBytes(saveModelToBytes(*m));
    CHECK(summaryOf(*loaded) == s);
    CHECK(fittedSummaryOf(*loaded) == fittedSummaryOf(*m));
  }
  SECTION("given weights and a single member are reported as not tuned") {
    auto given = createModel(
        "blend",
        {{"members", {{"itemknn", {{"k", 20}}}, {"most_popular", nlohmann::json::object()}}},
         {"weights", {{"itemknn", 0.25}, {"most_popular", 0.75}}}},
        "$");
    given->fit({p.data, nullptr, 3, 2}, ctx);
    const nlohmann::json g = summaryOf(*given);
    CHECK(g["weights"]["itemknn"].get<double>() == 0.25);
    CHECK(g["weights"]["most_popular"].get<double>() == 0.75);
    CHECK(g["tuned"] == false);
    CHECK(g["untuned_reason"] == "weights given");
    CHECK(fittedSummaryText(g) ==
          "weights itemknn 0.25, most_popular 0.75; not tuned: weights given");
    auto one =
        createModel("blend", {{"members", {{"most_popular", nlohmann::json::object()}}}}, "$");
    one->fit({p.data, nullptr, 3, 2}, ctx);
    const nlohmann::json o = summaryOf(*one);
    CHECK(o["weights"]["most_popular"].get<double>() == 1.0);
    CHECK(o["untuned_reason"] == "one member");
  }
}

TEST_CASE("fitted summary: neighbour_popularity reports its kernel and tuning scores",
          "[models][baseline][coldstart][fitted]") {
  const Dataset d = groupedUsers();
  TaskContext ctx;
  auto m = createModel("neighbour_popularity");
  m->fit({d, nullptr, 3, 1}, ctx);
  const auto& np = dynamic_cast<const NeighbourPopularity&>(*m);
  REQUIRE(np.columns() == std::vector<std::string>{"group", "shade", "age"});
  CHECK(np.kernelTuned());
  const nlohmann::json s = summaryOf(*m);
  REQUIRE(s["kernel"].size() == 3);
  for (std::size_t c = 0; c < 3; ++c) {
    INFO(np.columns()[c]);
    CHECK(s["kernel"][np.columns()[c]].get<double>() == np.kernel()[c]);
  }
  CHECK(s["kernel_kind"]["group"] == "beta");
  CHECK(s["kernel_kind"]["shade"] == "beta");
  CHECK(s["kernel_kind"]["age"] == "h");
  CHECK(s["tuned"] == true);
  CHECK(s["tuned_ndcg"].get<double>() == np.tunedNdcg());
  CHECK(s["untuned_ndcg"].get<double>() == np.untunedNdcg());
  // The group carries the taste: tuning gives it a beta below 1 and beats overall popularity.
  CHECK(np.kernel()[0] < 1.0);
  CHECK(np.tunedNdcg() > np.untunedNdcg());
  const std::string text = fittedSummaryText(s);
  CHECK(text.find("group beta=") != std::string::npos);
  CHECK(text.find("age h=") != std::string::npos);
  CHECK(text.find("; held-out nDCG@10 ") != std::string::npos);
  CHECK(text.find("(untuned ") != std::string::npos);

  SECTION("loaded from bytes it has the same summary") {
    auto loaded = loadModelFromBytes(saveModelToBytes(*m));
    CHECK(summaryOf(*loaded) == s);
  }
  SECTION("a given kernel has no tuning scores") {
    auto given = createModel("neighbour_popularity", {{"kernel", R"({"group": 0.2, "age": 0.5})"}});
    given->fit({d, nullptr, 3, 1}, ctx);
    const nlohmann::json g = summaryOf(*given);
    CHECK(g["kernel"]["group"].get<double>() == 0.2);
    CHECK(g["kernel"]["shade"].get<double>() == 1.0);
    CHECK(g["kernel"]["age"].get<double>() == 0.5);
    CHECK(g["tuned"] == false);
    CHECK(g["untuned_reason"] == "kernel given");
    CHECK_FALSE(g.contains("tuned_ndcg"));
    CHECK_FALSE(g.contains("untuned_ndcg"));
    CHECK(fittedSummaryText(g) ==
          "kernel age h=0.50, group beta=0.20, shade beta=1.00 (ignored); not tuned: kernel given");
    // The same after a load (the "given" state comes from the saved parameters).
    CHECK(summaryOf(*loadModelFromBytes(saveModelToBytes(*given))) == g);
  }
  SECTION("too few users to tune on") {
    Dataset few = d;
    few.interactions = Interactions{};
    std::int64_t t = 0;
    for (Index u = 0; u < 3; ++u) few.interactions.push(u, u, 1.0f, ++t);
    auto small = createModel("neighbour_popularity");
    small->fit({few, nullptr, 3, 1}, ctx);
    const nlohmann::json g = summaryOf(*small);
    CHECK(g["tuned"] == false);
    CHECK(g["untuned_reason"] == "fewer than 4 training users with interactions");
    CHECK_FALSE(g.contains("tuned_ndcg"));
  }
}

TEST_CASE("fitted summary: models without one and the text form", "[models][fitted]") {
  const auto p = test::plantedCommunities(20, 20, 4);
  TaskContext ctx;
  auto pop = createModel("most_popular");
  pop->fit({p.data, nullptr, 3, 1}, ctx);
  CHECK(fittedSummaryOf(*pop).empty());

  CHECK(fittedSummaryText(nlohmann::json::parse(
            R"({"weights": {"ease": 0.1, "ials": 0.8, "rp3beta": 0.1}, "tuned": true})")) ==
        "weights ease 0.10, ials 0.80, rp3beta 0.10");
  CHECK(fittedSummaryText(nlohmann::json::parse(
            R"({"kernel": {"age": 0.5, "gender": 0.35, "zip": 1},
                "kernel_kind": {"age": "h", "gender": "beta", "zip": "beta"},
                "tuned": true, "tuned_ndcg": 0.27123, "untuned_ndcg": 0.265})")) ==
        "kernel age h=0.50, gender beta=0.35, zip beta=1.00 (ignored); held-out nDCG@10 0.2712 "
        "(untuned 0.2650)");
  // Weights that two decimals would round are shown with four decimals, and so is the rest of
  // their line (before: "ease 0.2143, ials 0.7143, itemknn 0.00, rp3beta 0.07143").
  CHECK(fittedSummaryText(nlohmann::json::parse(R"({"weights": {"a": 0.142857}})")) ==
        "weights a 0.1429");
  CHECK(fittedSummaryText(nlohmann::json::parse(
            R"({"weights": {"ease": 0.2142857, "ials": 0.7142857, "itemknn": 0,
                            "rp3beta": 0.0714286}})")) ==
        "weights ease 0.2143, ials 0.7143, itemknn 0.0000, rp3beta 0.0714");
  // Keys a model adds later still show.
  CHECK(fittedSummaryText(nlohmann::json::parse(R"({"rounds": 3, "tuned": false})")) ==
        "rounds=3; not tuned");
  CHECK(fittedSummaryText(std::string()).empty());
  CHECK(fittedSummaryText(std::string("{not json")).empty());
  CHECK(fittedSummaryText(std::string("[1, 2]")).empty());
  CHECK(fittedSummaryText(std::string("{}")).empty());
}
