// The cold-start baselines: attribute_popularity (hand-computed) and random (reproducible).
#include <cmath>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "eval/eval_test_support.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::makeDataset;

namespace {

// Training counts: i1 3, i2 1, i3 2, i4 1; i5 is a new item (attributes, no rows).
// genres: i1 A, i2 A|B, i3 B, i4 C, i5 A|B; year: 1991, 1995, 1982, 1983, 1999.
Dataset baselineData() {
  Dataset d = makeDataset({{"u1", "i1"},
                           {"u2", "i1"},
                           {"u3", "i1"},
                           {"u1", "i2"},
                           {"u2", "i3"},
                           {"u3", "i3"},
                           {"u3", "i4"}});
  d.items.intern("i5");
  AttributeColumn genres;
  genres.name = "genres";
  genres.type = ColumnType::kMultiCategorical;
  genres.offsets = {0};
  for (const char* g : {"A", "A|B", "B", "C", "A|B"}) {
    for (const char* p = g; *p != 0; ++p) {
      if (*p != '|') genres.codes.push_back(genres.internCategory(std::string(1, *p)));
    }
    genres.offsets.push_back(genres.codes.size());
  }
  AttributeColumn year;
  year.name = "year";
  year.type = ColumnType::kNumeric;
  year.numeric = {1991, 1995, 1982, 1983, 1999};
  AttributeColumn title;
  title.name = "title";
  title.type = ColumnType::kText;
  title.text = {"a", "b", "c", "d", "e"};
  d.itemAttributes.columns = {genres, year, title};
  return d;
}

std::vector<float> scoresOf(const Model& m, Index user, std::size_t n) {
  std::vector<Index> items(n);
  for (std::size_t i = 0; i < n; ++i) items[i] = static_cast<Index>(i);
  std::vector<float> out(n);
  m.score(user, items, out);
  return out;
}

}  // namespace

TEST_CASE("attribute_popularity scores items by the mean popularity of their values",
          "[models][baseline]") {
  const Dataset d = baselineData();
  TaskContext ctx;
  // genres: A = (3+1)/2 = 2, B = (1+2)/2 = 1.5, C = 1; year buckets of 10: 1990s = (3+1)/2 = 2,
  // 1980s = (2+1)/2 = 1.5. Item = mean over columns of the mean over its values.
  auto m = createModel("attribute_popularity");
  m->fit({d}, ctx);
  const auto s = scoresOf(*m, 0, 5);
  CHECK(s[0] == Approx(2.0));
  CHECK(s[1] == Approx((1.75 + 2.0) / 2));
  CHECK(s[2] == Approx(1.5));
  CHECK(s[3] == Approx(1.25));
  CHECK(s[4] == Approx((1.75 + 2.0) / 2));  // the new item, from its attributes alone
  // u1 has seen i1 and i2: the new item i5 leads its list (ties with nothing it has not seen).
  const RecList l = m->recommend(0, 2);
  REQUIRE(l.items.size() == 2);
  CHECK(l.items[0].item == 4);
  CHECK(l.items[1].item == 2);

  auto g = createModel("attribute_popularity", {{"columns", "genres"}, {"bucket_width", 5.0}});
  g->fit({d}, ctx);
  const auto sg = scoresOf(*g, 1, 5);
  CHECK(sg[0] == Approx(2.0));
  CHECK(sg[4] == Approx(1.75));
  CHECK(sg[3] == Approx(1.0));
  // A new user gets the same item scores.
  NewUser nu;
  std::vector<Index> items = {0, 4};
  std::vector<float> out(2);
  g->scoreNewUser(nu, items, out);
  CHECK(out[0] == Approx(2.0));
  CHECK(out[1] == Approx(1.75));

  // Product of the columns; a genre never seen in training counts as the average item
  // (7 interactions / 4 training items).
  Dataset d2 = baselineData();
  d2.itemAttributes.columns[0].codes.back() = d2.itemAttributes.columns[0].internCategory("Z");
  auto p =
      createModel("attribute_popularity", {{"combine", "product"}, {"columns", "genres,year"}});
  p->fit({d2}, ctx);
  const auto sp = scoresOf(*p, 0, 5);
  CHECK(sp[1] == Approx(1.75 * 2.0));
  CHECK(sp[4] == Approx((2.0 + 1.75) / 2 * 2.0));  // i5: A and the unseen Z, 1990s

  // Save and load keep the scores exactly.
  auto back = loadModelFromBytes(saveModelToBytes(*m));
  CHECK(back->type() == "attribute_popularity");
  CHECK(scoresOf(*back, 2, 5) == s);
}

TEST_CASE("attribute_popularity names a missing or text column", "[models][baseline]") {
  const Dataset d = baselineData();
  TaskContext ctx;
  auto m = createModel("attribute_popularity", {{"columns", "genres, colour"}});
  CHECK_THROWS_WITH(m->fit({d}, ctx), Catch::Contains("no attribute 'colour'") &&
                                          Catch::Contains("genres, year, title"));
  auto t = createModel("attribute_popularity", {{"columns", "title"}});
  CHECK_THROWS_WITH(t->fit({d}, ctx), Catch::Contains("'title' is a text column"));
}

TEST_CASE("random is reproducible per seed, user and item, and differs across seeds",
          "[models][baseline]") {
  const Dataset d = baselineData();
  TaskContext ctx;
  auto a = createModel("random");
  auto b = createModel("random");
  auto c = createModel("random");
  a->fit({d, nullptr, 7}, ctx);
  b->fit({d, nullptr, 7, 1}, ctx);
  c->fit({d, nullptr, 8}, ctx);
  const auto sa = scoresOf(*a, 1, 5);
  CHECK(sa == scoresOf(*b, 1, 5));
  CHECK(sa != scoresOf(*c, 1, 5));
  CHECK(sa != scoresOf(*a, 2, 5));
  for (const float x : sa) {
    CHECK(x >= 0.0f);
    CHECK(x < 1.0f);
  }
  // Scoring one item alone gives the value it has in the full vector.
  std::vector<Index> one = {3};
  std::vector<float> out(1);
  a->score(1, one, out);
  CHECK(out[0] == sa[3]);
  auto back = loadModelFromBytes(saveModelToBytes(*a));
  CHECK(scoresOf(*back, 1, 5) == sa);
  // A new user is scored by the model, not by the popularity fallback.
  NewUser nu;
  nu.row = 3;
  CHECK(a->canScoreNewUser(nu));
  CHECK_FALSE(a->recommendNewUser(nu, 3).fallback);
}

TEST_CASE("random ranks uniformly: each item is first about equally often", "[models][baseline]") {
  // 4000 users over 5 items: each item should lead about 800 lists.
  Dataset d;
  for (int u = 0; u < 4000; ++u) {
    d.interactions.push(d.users.intern("u" + std::to_string(u)), d.items.intern("x"), 1.0f, 1);
  }
  for (const char* i : {"a", "b", "c", "d"}) d.items.intern(i);
  TaskContext ctx;
  auto m = createModel("random");
  m->fit({d, nullptr, 3}, ctx);
  std::vector<int> first(5, 0);
  for (Index u = 0; u < 4000; ++u) first[m->recommend(u, 1).items.at(0).item] += 1;
  CHECK(first[0] == 0);  // seen by every user
  for (int i = 1; i < 5; ++i) {
    CHECK(first[static_cast<std::size_t>(i)] > 900);
    CHECK(first[static_cast<std::size_t>(i)] < 1100);
  }
}

TEST_CASE("demographic_popularity ranks by the user's cell, shrunk to global popularity",
          "[models][baseline]") {
  Dataset d = makeDataset({{"u1", "a"}, {"u2", "a"}, {"u2", "b"}, {"u3", "b"}, {"u4", "b"}});
  AttributeColumn gender{"gender", ColumnType::kCategorical};
  AttributeColumn age{"age", ColumnType::kNumeric};
  for (const char* g : {"M", "M", "F", "F"}) gender.codes.push_back(gender.internCategory(g));
  age.numeric = {25, 28, 30, 35};
  d.userAttributes.columns = {gender, age};
  TaskContext ctx;
  // Cells (gender, age decade): M2 = {u1, u2}: a 2, b 1 of 3; F3 = {u3, u4}: b 2 of 2.
  // Global shares: a 2/5, b 3/5. With m = 2: M2 a = (2 + 0.8) / 5, b = (1 + 1.2) / 5.
  auto m = createModel("demographic_popularity", {{"columns", "gender, age"}, {"smoothing", 2.0}});
  m->fit({d}, ctx);
  std::vector<float> s(2);
  const std::vector<Index> ab = {0, 1};
  m->score(0, ab, s);
  CHECK(s[0] == Approx(0.56));
  CHECK(s[1] == Approx(0.44));
  m->score(3, ab, s);
  CHECK(s[0] == Approx((0 + 0.8) / 4));
  CHECK(s[1] == Approx((2 + 1.2) / 4));
  // New users, by their own attribute table (its category codes differ from training's).
  AttributeTable fresh;
  AttributeColumn g2{"gender", ColumnType::kCategorical};
  AttributeColumn a2{"age", ColumnType::kNumeric};
  g2.internCategory("F");  // code 0 here, 1 in training
  g2.codes = {g2.internCategory("M"), g2.internCategory("F")};
  a2.numeric = {21, 55};
  fresh.columns = {g2, a2};
  NewUser young;
  young.attributes = &fresh;
  young.row = 0;
  REQUIRE(m->canScoreNewUser(young));
  m->scoreNewUser(young, ab, s);
  CHECK(s[0] == Approx(0.56));  // the M2 cell
  NewUser old = young;
  old.row = 1;
  m->scoreNewUser(old, ab, s);
  CHECK(s[0] == Approx(0.4));  // F5 was never seen: global shares
  CHECK(s[1] == Approx(0.6));
  CHECK_FALSE(m->recommendNewUser(young, 1).fallback);
  // Saved and loaded, it scores new users the same.
  auto back = loadModelFromBytes(saveModelToBytes(*m));
  back->scoreNewUser(young, ab, s);
  CHECK(s[0] == Approx(0.56));
  auto bad = createModel("demographic_popularity", {{"columns", "gender,income"}});
  CHECK_THROWS_WITH(bad->fit({d}, ctx),
                    Catch::Equals("demographic_popularity: params.columns: the users have no "
                                  "attribute 'income' (columns: gender, age)"));
  // neighbour_popularity reads the same parameter; it also refuses multi-valued columns.
  AttributeColumn hobbies{"hobbies", ColumnType::kMultiCategorical};
  hobbies.offsets = {0, 0, 0, 0, 0};
  d.userAttributes.columns.push_back(hobbies);
  auto multi = createModel("neighbour_popularity", {{"columns", " age , hobbies"}});
  CHECK_THROWS_WITH(multi->fit({d}, ctx),
                    Catch::Equals("neighbour_popularity: params.columns: 'hobbies' is neither "
                                  "categorical nor numeric"));
  auto spaced = createModel("neighbour_popularity", {{"columns", " age , gender "}});
  CHECK_NOTHROW(spaced->fit({d}, ctx));
}
