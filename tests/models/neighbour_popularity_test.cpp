// neighbour_popularity: the kernel formula by hand, kernel tuning on planted data, new users,
// persistence and the parameter errors.
#include "core/models/neighbour_popularity.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "core/util/random.h"
#include "eval/eval_test_support.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::makeDataset;

TEST_CASE("neighbour_popularity scores by the attribute kernel", "[models][baseline][coldstart]") {
  // u1 (M, 20): a, b; u2 (M, 30): a; u3 (F, 20): b, c.
  Dataset d = makeDataset({{"u1", "a"}, {"u1", "b"}, {"u2", "a"}, {"u3", "b"}, {"u3", "c"}});
  AttributeColumn gender{"gender", ColumnType::kCategorical};
  AttributeColumn age{"age", ColumnType::kNumeric};
  for (const char* g : {"M", "M", "F"}) gender.codes.push_back(gender.internCategory(g));
  age.numeric = {20, 30, 20};
  d.userAttributes.columns = {gender, age};
  TaskContext ctx;
  const std::vector<Index> abc = {0, 1, 2};
  std::vector<float> s(3);
  // sd(age) over the three users = sqrt(200/9) = 4.714; with h = 1, u1 vs u2 = exp(-10/4.714).
  auto m = createModel("neighbour_popularity",
                       {{"columns", "gender,age"}, {"kernel", R"({"gender": 0.5, "age": 1})"}});
  m->fit({d}, ctx);
  const double sd = std::sqrt(200.0 / 9.0);
  const double k12 = std::exp(-10.0 / sd);
  {
    // u1: weights u1 1, u2 k12, u3 0.5; a = 1 + k12, b = 1 + 0.5, c = 0.5.
    m->score(0, abc, s);
    const double mass = (1 + k12) + 1.5 + 0.5;
    CHECK(s[0] == Approx((1 + k12) / mass));
    CHECK(s[1] == Approx(1.5 / mass));
    CHECK(s[2] == Approx(0.5 / mass));
  }
  // A new user (F, 30) by their own table, whose codes differ from training's.
  AttributeTable fresh;
  AttributeColumn g2{"gender", ColumnType::kCategorical};
  AttributeColumn a2{"age", ColumnType::kNumeric};
  g2.codes = {g2.internCategory("F")};  // code 0 here, 1 in training
  a2.numeric = {30};
  fresh.columns = {g2, a2};
  const NewUser nu{&fresh, 0, {}};
  REQUIRE(m->canScoreNewUser(nu));
  m->scoreNewUser(nu, abc, s);
  {
    // weights: u1 0.5 k12, u2 0.5, u3 k12; a = 0.5 k12 + 0.5, b = 0.5 k12 + k12, c = k12.
    const double a = 0.5 * k12 + 0.5, b = 1.5 * k12, c = k12;
    CHECK(s[0] == Approx(a / (a + b + c)));
    CHECK(s[1] == Approx(b / (a + b + c)));
    CHECK(s[2] == Approx(c / (a + b + c)));
  }
  // Saved and loaded, it scores the same; every column ignored = overall popularity.
  auto back = loadModelFromBytes(saveModelToBytes(*m));
  std::vector<float> s2(3);
  back->scoreNewUser(nu, abc, s2);
  CHECK(s2 == s);
  auto flat = createModel("neighbour_popularity", {{"kernel", R"({"gender": 1, "age": 0})"}});
  flat->fit({d}, ctx);
  flat->scoreNewUser(nu, abc, s);
  CHECK(s[0] == Approx(0.4));
  CHECK(s[1] == Approx(0.4));
  CHECK(s[2] == Approx(0.2));
  // beta 0 and a value no training user has: overall popularity, not zeros.
  AttributeTable other;
  AttributeColumn g3{"gender", ColumnType::kCategorical};
  g3.codes = {g3.internCategory("X")};
  other.columns = {g3};
  auto hard = createModel("neighbour_popularity", {{"kernel", R"({"gender": 0})"}});
  hard->fit({d}, ctx);
  hard->scoreNewUser(NewUser{&other, 0, {}}, abc, s);
  CHECK(s[0] == Approx(0.4));
  CHECK(s[2] == Approx(0.2));

  auto bad = createModel("neighbour_popularity", {{"columns", "gender,income"}});
  CHECK_THROWS_WITH(bad->fit({d}, ctx), Catch::Contains("no attribute 'income'"));
  auto badKernel = createModel("neighbour_popularity", {{"kernel", R"({"height": 1})"}});
  CHECK_THROWS_WITH(badKernel->fit({d}, ctx), Catch::Contains("not one of the model's columns"));
  auto badBeta = createModel("neighbour_popularity", {{"kernel", R"({"gender": 2})"}});
  CHECK_THROWS_WITH(badBeta->fit({d}, ctx), Catch::Contains("[0, 1]"));
}

TEST_CASE("neighbour_popularity tunes the kernel to the attribute that carries the taste",
          "[models][baseline][coldstart]") {
  // 400 users: a planted "group" (A/B) decides which half of 40 items they interact with
  // (probability 0.5 in their half, 0.1 in the other); "noise" is an unrelated categorical
  // column and "age" an unrelated number.
  Dataset d;
  std::int64_t t = 0;
  Rng rng(11);
  AttributeColumn group{"group", ColumnType::kCategorical};
  AttributeColumn noise{"noise", ColumnType::kCategorical};
  AttributeColumn age{"age", ColumnType::kNumeric};
  for (int u = 0; u < 400; ++u) {
    const bool a = u % 2 == 0;
    group.codes.push_back(group.internCategory(a ? "A" : "B"));
    noise.codes.push_back(noise.internCategory(rng.chance(0.5) ? "x" : "y"));
    age.numeric.push_back(18 + static_cast<double>(rng.below(50)));
    const Index user = d.users.intern("u" + std::to_string(u));
    bool any = false;
    for (int i = 0; i < 40; ++i) {
      // Item popularity falls with i inside each half, so overall popularity alone ranks well
      // too, but worse than the group's own.
      const bool mine = (i < 20) == a;
      const double p = (mine ? 0.6 : 0.15) * (1.0 - 0.02 * (i % 20));
      if (rng.chance(p) || (!any && i == 39)) {
        d.interactions.push(user, d.items.intern("i" + std::to_string(i)), 1.0f, ++t);
        any = true;
      }
    }
  }
  d.userAttributes.columns = {group, noise, age};
  TaskContext ctx;
  auto m = createModel("neighbour_popularity");
  m->fit({d, nullptr, 3, 1}, ctx);
  const auto& np = dynamic_cast<const NeighbourPopularity&>(*m);
  REQUIRE(np.columns() == std::vector<std::string>{"group", "noise", "age"});
  CHECK(np.kernel()[0] <= 0.35);  // group matters
  CHECK(np.tunedNdcg() > np.untunedNdcg() + 0.05);
  // A new user of group B gets group B's items first.
  AttributeTable fresh;
  AttributeColumn g{"group", ColumnType::kCategorical};
  g.codes = {g.internCategory("B")};
  fresh.columns = {g};
  const auto top = m->recommendNewUser(NewUser{&fresh, 0, {}}, 10).items;
  REQUIRE(top.size() == 10);
  for (const auto& r : top) CHECK(std::stoi(d.items.external(r.item).substr(1)) >= 20);
  // The tuning is seeded: the same seed gives the same kernel.
  auto again = createModel("neighbour_popularity");
  again->fit({d, nullptr, 3, 1}, ctx);
  CHECK(dynamic_cast<const NeighbourPopularity&>(*again).kernel() == np.kernel());
}
