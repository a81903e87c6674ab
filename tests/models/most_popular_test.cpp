#include <cmath>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
Dataset tiny() {
  Dataset d;
  // user a: items 1,2; user b: items 2,3; user c: item 2. Item 2 is the most popular.
  const char* rows[][2] = {{"a", "1"}, {"a", "2"}, {"b", "2"}, {"b", "3"}, {"c", "2"}};
  std::int64_t t = 100;
  for (auto& r : rows) d.interactions.push(d.users.intern(r[0]), d.items.intern(r[1]), 1.0f, t++);
  d.users.intern("newbie");  // a user with no training data
  return d;
}
}  // namespace

TEST_CASE("most_popular ranks by count, excludes seen items, ties by index", "[models]") {
  const Dataset d = tiny();
  auto m = createModel("most_popular");
  TaskContext ctx;
  m->fit({d}, ctx);
  const Index a = *d.users.find("a");
  auto recs = m->recommend(a, 5, true);
  REQUIRE(recs.items.size() == 1);
  CHECK(d.items.external(recs.items[0].item) == "3");
  auto all = m->recommend(a, 5, false);
  REQUIRE(all.items.size() == 3);
  CHECK(d.items.external(all.items[0].item) == "2");
  // items 1 and 3 tie with one interaction each: lower index (item "1") first.
  CHECK(d.items.external(all.items[1].item) == "1");
  CHECK(d.items.external(all.items[2].item) == "3");
}

TEST_CASE("users without training data get the flagged popularity fallback", "[models]") {
  const Dataset d = tiny();
  auto m = createModel("most_popular", {{"weighted", true}});
  TaskContext ctx;
  m->fit({d}, ctx);
  const Index newbie = *d.users.find("newbie");
  auto recs = m->recommend(newbie, 2, true);
  REQUIRE(recs.items.size() == 2);
  CHECK(d.items.external(recs.items[0].item) == "2");
}

TEST_CASE("model save/load gives identical scores; corrupt blobs are rejected", "[models]") {
  const Dataset d = tiny();
  auto m = createModel("most_popular", {{"half_life_days", 1.0}});
  TaskContext ctx;
  m->fit({d}, ctx);
  const std::string blob = saveModelToBytes(*m);
  auto loaded = loadModelFromBytes(blob);
  CHECK(loaded->type() == "most_popular");
  for (Index u = 0; u < d.numUsers(); ++u) {
    const auto x = m->recommend(u, 3, true);
    const auto y = loaded->recommend(u, 3, true);
    CHECK(x.items == y.items);
    CHECK(x.fallback == y.fallback);
  }
  for (std::size_t cut = 0; cut < blob.size(); cut += 3) {
    CHECK_THROWS_AS(loadModelFromBytes(std::string_view(blob).substr(0, cut)), ModelError);
  }
}

TEST_CASE("createModel validates names and parameters with JSON paths", "[models]") {
  CHECK_THROWS_WITH(createModel("nope"), Catch::Contains("$.models[0].name"));
  CHECK_THROWS_WITH(createModel("most_popular", {{"weighted", 3}}),
                    Catch::Contains("$.models[0].params.weighted"));
  CHECK_THROWS_WITH(createModel("most_popular", {{"half_life_days", -1.0}}),
                    Catch::Contains("out of range"));
  CHECK_THROWS_WITH(createModel("most_popular", {{"colour", 1}}),
                    Catch::Contains("unknown parameter"));
}

TEST_CASE("a stopped context cancels fit and leaves the model unfitted", "[models]") {
  const Dataset d = tiny();
  auto m = createModel("most_popular");
  TaskContext ctx;
  ctx.requestStop();
  CHECK_THROWS_AS(m->fit({d}, ctx), Cancelled);
  CHECK_FALSE(m->isFitted());
  CHECK_THROWS_AS(m->recommend(0, 3), ModelError);
}

TEST_CASE("default similarItems is training co-occurrence cosine", "[models]") {
  const Dataset d = tiny();
  auto m = createModel("most_popular");
  TaskContext ctx;
  m->fit({d}, ctx);
  const Index i2 = *d.items.find("2");
  // item 2: users a, b, c; item 1: a; item 3: b. cos(2,1) = cos(2,3) = 1/sqrt(3).
  const auto sim = m->similarItems(i2, 5);
  REQUIRE(sim.size() == 2);
  CHECK(d.items.external(sim[0].item) == "1");
  CHECK(sim[0].score == Approx(1.0 / std::sqrt(3.0)));
  CHECK(d.items.external(sim[1].item) == "3");
  CHECK_THROWS_AS(m->similarItems(99, 3), ModelError);
}
