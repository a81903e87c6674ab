#include "core/experiment/evaluation_protocol.h"

#include <cmath>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "eval/eval_test_support.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::makeDataset;

namespace {
// Item popularity in train: p1 (4 users) > p2 (3) > p3 (2) > p4 (1) > p5..p8 (1 each).
Dataset trainSet() {
  return makeDataset({{"u1", "p1"},
                      {"u2", "p1"},
                      {"u3", "p1"},
                      {"u4", "p1"},
                      {"u2", "p2"},
                      {"u3", "p2"},
                      {"u4", "p2"},
                      {"u3", "p3"},
                      {"u4", "p3"},
                      {"u4", "p4"},
                      {"u1", "p5"},
                      {"u2", "p6"},
                      {"u3", "p7"},
                      {"u4", "p8"}});
}
}  // namespace

TEST_CASE("evaluateModel ranks all unseen items by default", "[eval]") {
  const Dataset train = trainSet();
  // u1 has seen p1 and p5; most_popular recommends p2, p3, p4 ... to it.
  const Dataset test = makeDataset({{"u1", "p3"}, {"u1", "p8"}, {"newcomer", "p1"}}, &train);
  auto model = createModel("most_popular");
  TaskContext ctx;
  model->fit({train}, ctx);
  EvalOptions opt;
  opt.k = 2;
  opt.metrics = {"precision@k", "recall@k", "auc"};
  const EvalResult r = evaluateModel(*model, train, test, opt, {}, ctx);
  REQUIRE(r.users.size() == 1);
  CHECK(r.testUsersWithoutList == 1);            // "newcomer" is unknown to the model
  CHECK(r.value("precision@2") == Approx(0.5));  // p2, p3 -> one hit
  CHECK(r.value("recall@2") == Approx(0.5));
  // Full ranking of u1's 6 unseen items: p2 p3 p4 p6 p7 p8 (ties by index). Positives p3 (rank
  // 2) and p8 (rank 6): p3 beats p4, p6, p7; p8 beats none -> 3 / (2 * 4).
  CHECK(r.value("auc") == Approx(0.375));
}

TEST_CASE("sampled negatives are deterministic and sized per test item", "[eval]") {
  const Dataset train = trainSet();
  const Dataset test = makeDataset({{"u1", "p3"}}, &train);
  auto model = createModel("most_popular");
  TaskContext ctx;
  model->fit({train}, ctx);
  EvalOptions opt;
  opt.k = 3;
  opt.metrics = {"hit_rate@k", "auc"};
  ProtocolOptions prot;
  prot.mode = CandidateMode::kSampledNegatives;
  prot.negatives = 3;
  const EvalResult a = evaluateModel(*model, train, test, opt, prot, ctx);
  const EvalResult b = evaluateModel(*model, train, test, opt, prot, ctx);
  CHECK(a.value("auc") == b.value("auc"));
  // p3 is the most popular of u1's candidates (p2 can be drawn too): it is ranked 1st or 2nd.
  CHECK(a.value("hit_rate@3") == 1.0);
  CHECK(a.value("auc") >= 2.0 / 3.0);
  // Asking for more negatives than exist caps at the 5 available items.
  prot.negatives = 50;
  const EvalResult c = evaluateModel(*model, train, test, opt, prot, ctx);
  // All 5 negatives (p2 p4 p6 p7 p8) are drawn: p3 is beaten only by p2.
  CHECK(c.value("auc") == Approx(4.0 / 5.0));
  prot.negatives = 0;
  CHECK_THROWS_AS(evaluateModel(*model, train, test, opt, prot, ctx), SpecError);
}

TEST_CASE("held-out items are the test items without training rows", "[eval][candidates]") {
  const Dataset train = trainSet();
  // p9 and p10 are new; p2 has training rows; p11 is in the id map but in no test row.
  Dataset test = makeDataset({{"u1", "p9"}, {"u2", "p10"}, {"u3", "p2"}, {"u1", "p10"}}, &train);
  test.items.intern("p11");
  CHECK(heldOutItems(train, test) == std::vector<Index>{8, 9});
  const Dataset relevant = restrictToItems(test, heldOutItems(train, test));
  CHECK(relevant.numInteractions() == 3);
  CHECK(relevant.numItems() == test.numItems());
}

TEST_CASE("a candidate set ranks only its items, minus each user's training items",
          "[eval][candidates]") {
  const Dataset train = trainSet();
  // Candidates p1 (seen by u1..u4), p3 (seen by u3, u4), p6 (seen by u2), p8 (seen by u4).
  const Dataset test =
      makeDataset({{"u1", "p6"}, {"u2", "p8"}, {"u3", "p4"}, {"u4", "p5"}, {"u1", "p2"}}, &train);
  auto model = createModel("most_popular");
  TaskContext ctx;
  model->fit({train}, ctx);
  const std::vector<Index> items = {0, 2, 5, 7};
  const std::vector<Index> users = {0, 1, 3};
  const CandidateLists c = recommendAmong(*model, users, items, 2, ctx);
  REQUIRE(c.lists.size() == 3);
  // u1 (seen p1): p3 (2), p6 (1), p8 (1) -> p3, p6 by score then index.
  CHECK(c.candidates == std::vector<std::size_t>{3, 2, 1});
  REQUIRE(c.lists[0].items.size() == 2);
  CHECK(c.lists[0].items[0].item == 2);
  CHECK(c.lists[0].items[1].item == 5);
  // u2 (seen p1, p2, p6): p3, p8.
  CHECK(c.lists[1].items[0].item == 2);
  CHECK(c.lists[1].items[1].item == 7);
  // u4 has seen all candidates but p6.
  REQUIRE(c.lists[2].items.size() == 1);
  CHECK(c.lists[2].items[0].item == 5);

  EvalOptions opt;
  opt.k = 2;
  opt.metrics = {"precision@k", "recall@k"};
  ProtocolOptions prot;
  prot.mode = CandidateMode::kItemSet;
  prot.items = items;
  const EvalResult r = evaluateModel(*model, train, test, opt, prot, ctx);
  // Relevant among the candidates: u1 p6 (hit at rank 2), u2 p8 (hit at rank 2). u3's p4 and
  // u4's p5 are outside the set: those users are not evaluated, with a warning.
  CHECK(r.users == std::vector<Index>{0, 1});
  CHECK(r.value("precision@2") == Approx(0.5));
  CHECK(r.value("recall@2") == Approx(1.0));  // u1's p2 is outside the set, so not relevant
  bool warned = false;
  for (const auto& w : r.warnings) warned |= w.find("2 test users have no test item") == 0;
  CHECK(warned);

  prot.items.clear();
  CHECK_THROWS_AS(evaluateModel(*model, train, test, opt, prot, ctx), SpecError);
  const std::vector<Index> outside = {0, 99};
  CHECK_THROWS_AS(recommendAmong(*model, users, outside, 2, ctx), ModelError);
}
