#include "core/models/bpr.h"

#include <cmath>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "planted_data.h"
#include "test_support.h"

using namespace rwb;

TEST_CASE("bpr: learning-rate schedules", "[models][bpr]") {
  CHECK(scheduledLearningRate("constant", 0.1, 0.5, 7, 10) == Approx(0.1));
  CHECK(scheduledLearningRate("exponential", 0.1, 0.5, 1, 10) == Approx(0.1));
  CHECK(scheduledLearningRate("exponential", 0.1, 0.5, 3, 10) == Approx(0.025));
  CHECK(scheduledLearningRate("linear", 0.1, 0.2, 1, 5) == Approx(0.1));
  CHECK(scheduledLearningRate("linear", 0.1, 0.2, 3, 5) == Approx(0.06));
  CHECK(scheduledLearningRate("linear", 0.1, 0.2, 5, 5) == Approx(0.02));
  CHECK(scheduledLearningRate("linear", 0.1, 0.2, 1, 1) == Approx(0.1));
}

TEST_CASE("bpr: pairwise accuracy rises and loss falls; both samplers learn", "[models][bpr]") {
  const auto p = test::plantedCommunities(60, 40, 8);
  for (const char* sampling : {"uniform", "popularity"}) {
    INFO(sampling);
    auto m = createModel("bpr", {{"factors", 8},
                                 {"epochs", 40},
                                 {"negative_sampling", sampling},
                                 {"lr_schedule", "exponential"},
                                 {"lr_decay", 0.98}});
    TaskContext ctx;
    m->fit({p.data, nullptr, 5, 2}, ctx);
    const auto h = ctx.history();
    REQUIRE(h.size() == 40);
    CHECK(h.back().second.at(0).second < h.front().second.at(0).second);
    CHECK(h.back().second.at(1).first == "auc");
    CHECK(h.back().second.at(1).second > 0.9);
    // Unseen own-group items outrank other-group items for almost every user.
    std::size_t good = 0;
    for (Index u = 0; u < p.users; ++u) {
      const auto top = m->recommend(u, 1).items;
      good += p.groupOfItem(top.at(0).item) == p.groupOfUser(u) ? 1 : 0;
    }
    CHECK(good >= p.users - 2);
  }
}

TEST_CASE("bpr: item bias can be switched off and then scores are pure dot products",
          "[models][bpr]") {
  const auto p = test::plantedCommunities(30, 20, 5);
  auto m = createModel("bpr", {{"factors", 4}, {"epochs", 5}, {"item_bias", false}});
  TaskContext ctx;
  m->fit({p.data, nullptr, 5, 1}, ctx);
  auto& fm = dynamic_cast<FactorModel&>(*m);
  const Index items[2] = {0, 13};
  float out[2];
  m->score(3, items, out);
  for (int j = 0; j < 2; ++j) {
    const auto x = fm.userFactors(3);
    const auto y = fm.itemFactors(items[j]);
    double dot = 0;
    for (int k = 0; k < 4; ++k) dot += x[k] * y[k];
    CHECK(out[j] == Approx(dot).margin(1e-6));
  }
}

TEST_CASE("bpr: a catalogue of one item is refused with a clear message", "[models][bpr]") {
  Dataset d;
  d.interactions.push(d.users.intern("a"), d.items.intern("x"), 1.0f, 0);
  auto m = createModel("bpr");
  TaskContext ctx;
  CHECK_THROWS_WITH(m->fit({d, nullptr, 1, 1}, ctx), Catch::Contains("at least two items"));
}
