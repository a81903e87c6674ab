#include "core/models/biased_mf.h"

#include <cmath>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "planted_data.h"
#include "test_support.h"

using namespace rwb;

TEST_CASE("biased_mf recovers planted biases and taste on held-out cells", "[models][biased_mf]") {
  const auto p = test::plantedRatings();
  auto m = createModel(
      "biased_mf",
      {{"factors", 4}, {"epochs", 60}, {"learning_rate", 0.02}, {"regularization", 0.02}});
  TaskContext ctx;
  m->fit({p.train, &p.test, 1, 2}, ctx);
  auto& mf = dynamic_cast<BiasedMf&>(*m);
  const auto r = mf.evaluateRatings(p.test);
  CHECK(r.count == p.test.numInteractions());
  CHECK(r.unknownUsers == 0);
  CHECK(r.unknownItems == 0);
  // The planted signal has standard deviation ~1.6; predicting it well leaves little error.
  CHECK(r.rmse < 0.3);
  CHECK(r.mae < r.rmse);
  CHECK(r.r2 > 0.95);
  const auto h = ctx.history();
  REQUIRE(h.size() == 60);
  CHECK(h.back().second.at(1).first == "valid_rmse");
  CHECK(h.back().second.at(1).second == Approx(r.rmse).epsilon(1e-4));
  CHECK(h.back().second.at(0).second < h.front().second.at(0).second);
}

TEST_CASE("biased_mf: predictions are clipped and unknown users/items use the biases",
          "[models][biased_mf]") {
  Dataset d;
  const Index a = d.users.intern("a"), b = d.users.intern("b");
  const Index x = d.items.intern("x"), y = d.items.intern("y");
  d.interactions.push(a, x, 5.0f, 0);
  d.interactions.push(a, y, 4.0f, 0);
  d.interactions.push(b, x, 1.0f, 0);
  const Index ghostItem = d.items.intern("never-rated");
  auto m = createModel("biased_mf", {{"factors", 2}, {"epochs", 200}, {"learning_rate", 0.05}});
  TaskContext ctx;
  m->fit({d, nullptr, 1, 1}, ctx);
  auto& mf = dynamic_cast<BiasedMf&>(*m);
  CHECK(mf.globalMean() == Approx(10.0 / 3.0));
  for (Index u : {a, b}) {
    for (Index i : {x, y, ghostItem}) {
      CHECK(mf.predict(u, i) >= 1.0f);
      CHECK(mf.predict(u, i) <= 5.0f);
    }
  }
  CHECK(mf.predict(a, x) > mf.predict(b, x));
  // Never-rated item: mu + b_u; unknown user index (appended by a test loader): mu + b_i; both
  // unknown: mu.
  const Index unknownUser = 17;
  CHECK(mf.predict(unknownUser, 99) == Approx(mf.globalMean()));
  CHECK(mf.predict(a, ghostItem) > mf.predict(b, ghostItem));
  CHECK(mf.predict(unknownUser, x) != Approx(mf.globalMean()));
  Dataset test = d.emptyLike();
  test.interactions.push(unknownUser, x, 3.0f, 0);
  test.interactions.push(a, ghostItem, 3.0f, 0);
  const auto r = mf.evaluateRatings(test);
  CHECK(r.unknownUsers == 1);
  CHECK(r.unknownItems == 1);
  CHECK_THROWS_AS(mf.evaluateRatings(d.emptyLike()), ModelError);
}
