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
