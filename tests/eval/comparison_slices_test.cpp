#include <cmath>

#include "core/eval/comparison.h"
#include "core/eval/slices.h"
#include "core/util/error.h"
#include "eval_test_support.h"
#include "test_support.h"

using namespace rwb;

namespace {
// 40 users u0..u39, each with one test item t<u> and a list of two items; run A hits at rank 1
// for the first 30 users, run B for the first 10 only, run C never.
struct Runs {
  Dataset train, test;
  std::vector<Index> users;
  std::vector<RecList> a, b, c;
  Runs() {
    for (int u = 0; u < 40; ++u) {
      const std::string id = "u" + std::to_string(u);
      train.interactions.push(train.users.intern(id),
                              train.items.intern("x" + std::to_string(u % 3)), 1.0f, 0);
    }
    train.items.intern("miss");
    test = train.emptyLike();
    for (int u = 0; u < 40; ++u) {
      const Index ui = *test.users.find("u" + std::to_string(u));
      test.interactions.push(ui, test.items.intern("t" + std::to_string(u)), 1.0f, 0);
      users.push_back(ui);
    }
    const Index miss = *test.items.find("miss");
    for (int u = 0; u < 40; ++u) {
      const Index t = *test.items.find("t" + std::to_string(u));
      auto make = [&](bool hit) {
        RecList l;
        l.items = {{hit ? t : miss, 2.0f}, {hit ? miss : t + 0, 1.0f}};
        if (!hit) l.items.pop_back();
        return l;
      };
      a.push_back(make(u < 30));
      b.push_back(make(u < 10));
      c.push_back(make(false));
    }
  }
};
}  // namespace

TEST_CASE("compareRuns: CIs, paired tests, Holm across three runs", "[eval][stats]") {
  Runs r;
  TaskContext ctx;
  EvalOptions opt;
  opt.k = 1;
  opt.metrics = {"hit_rate@k", "catalog_coverage"};
  const EvalResult ea = evaluate(r.train, r.test, r.users, r.a, opt, ctx);
  const EvalResult eb = evaluate(r.train, r.test, r.users, r.b, opt, ctx);
  const EvalResult ec = evaluate(r.train, r.test, r.users, r.c, opt, ctx);
  CHECK(ea.value("hit_rate@1") == Approx(0.75));
  CHECK(eb.value("hit_rate@1") == Approx(0.25));
  const ComparisonResult two = compareRuns({&ea, &eb}, {"A", "B"}, {}, ctx);
  REQUIRE(two.metrics.size() == 2);
  const auto& hr = two.metrics[0];
  CHECK(hr.metric == "hit_rate@1");
  REQUIRE(hr.pairs.size() == 1);
  const auto& p = hr.pairs[0];
  CHECK(p.difference.estimate == Approx(-0.5));  // B - A
  CHECK(p.difference.upper < 0.0);
  CHECK(hr.runs[0].lower < 0.75);
  CHECK(hr.runs[0].upper > 0.75);
  // 20 users differ, all in A's favour: exact Wilcoxon p = 2 / 2^20 would need no ties; with
  // ties the normal approximation gives z = (0 - 105 + 0.5) / sqrt(717.5 - 7980/48).
  CHECK(p.wilcoxon.n == 20);
  CHECK(p.wilcoxon.pValue < 1e-4);
  CHECK(p.tTest.pValue < 1e-4);
  CHECK(p.cohensD < 0.0);
  CHECK(p.tTestHolm == p.tTest.pValue);  // two runs: no correction
  CHECK_FALSE(two.metrics[1].perUser);   // catalog coverage: values only
  CHECK(two.metrics[1].pairs.empty());

  const ComparisonResult three = compareRuns({&ea, &eb, &ec}, {"A", "B", "C"}, {}, ctx);
  const auto& h3 = three.metrics[0];
  REQUIRE(h3.pairs.size() == 3);
  for (const auto& pc : h3.pairs) {
    CHECK(pc.tTestHolm >= pc.tTest.pValue);
    CHECK(pc.wilcoxonHolm >= pc.wilcoxon.pValue);
  }
  // The smallest p-value is multiplied by 3 under Holm.
  double minP = 1, minAdj = 1;
  for (const auto& pc : h3.pairs) {
    if (pc.wilcoxon.pValue < minP) {
      minP = pc.wilcoxon.pValue;
      minAdj = pc.wilcoxonHolm;
    }
  }
  CHECK(minAdj == Approx(std::min(1.0, 3 * minP)));
  CHECK_THROWS_AS(compareRuns({&ea}, {"A"}, {}, ctx), Error);
}

TEST_CASE("compareRuns keeps only users evaluated in every run", "[eval][stats]") {
  Runs r;
  TaskContext ctx;
  EvalOptions opt;
  opt.k = 1;
  opt.metrics = {"hit_rate@k"};
  const EvalResult ea = evaluate(r.train, r.test, r.users, r.a, opt, ctx);
  std::vector<Index> half(r.users.begin(), r.users.begin() + 20);
  std::vector<RecList> bh(r.b.begin(), r.b.begin() + 20);
  const EvalResult eb = evaluate(r.train, r.test, half, bh, opt, ctx);
  const ComparisonResult c = compareRuns({&ea, &eb}, {"A", "B"}, {}, ctx);
  CHECK(c.users.size() == 20);
  CHECK(c.metrics[0].runs[0].estimate == Approx(1.0));  // A hits all of the first 20
  CHECK(c.metrics[0].runs[1].estimate == Approx(0.5));
  REQUIRE(c.warnings.size() == 1);
  CHECK_THAT(c.warnings[0], Catch::Contains("A: 20 users"));
}

TEST_CASE("item popularity buckets split by cumulative share", "[eval]") {
  // Counts: a 5, b 3, c 1, d 1; e unseen. Shares before: a 0, b 0.5, c 0.8, d 0.9.
  const Dataset train = rwb::test::makeDataset({{"1", "a"},
                                                {"2", "a"},
                                                {"3", "a"},
                                                {"4", "a"},
                                                {"5", "a"},
                                                {"1", "b"},
                                                {"2", "b"},
                                                {"3", "b"},
                                                {"1", "c"},
                                                {"1", "d"},
                                                {"1", "e", 1}});
  Dataset t = train;
  t.interactions = {};
  for (int r = 0; r < 10; ++r)
    t.interactions.push(0, static_cast<Index>(r < 5 ? 0 : r < 8 ? 1 : r < 9 ? 2 : 3), 1, 0);
  const auto b = itemPopularityBuckets(t, 5, 0.2, 0.2);
  CHECK(b[0] == 0);  // a: head
  CHECK(b[1] == 1);  // b: torso (0.5)
  CHECK(b[2] == 2);  // c: tail (0.8 >= 0.8)
  CHECK(b[3] == 2);  // d
  CHECK(b[4] == 3);  // e: unseen
}

TEST_CASE("slices by user activity and item popularity", "[eval]") {
  // Users: h (heavy, 3 training rows with heavyMin 3), l (light, 2), c (cold, 1), n (unseen).
  rwb::test::Row rows[] = {{"h", "p"}, {"h", "q"}, {"h", "r"}, {"l", "p"}, {"l", "q"}, {"c", "p"}};
  Dataset train;
  for (const auto& r : rows)
    train.interactions.push(train.users.intern(r.user), train.items.intern(r.item), 1, 0);
  const Dataset test =
      rwb::test::makeDataset({{"h", "s"}, {"l", "r"}, {"c", "q"}, {"n", "p"}, {"n", "z"}}, &train);
  auto u = [&](const char* id) { return *test.users.find(id); };
  auto i = [&](const char* id) { return *test.items.find(id); };
  std::vector<Index> users = {u("h"), u("l"), u("c"), u("n")};
  std::vector<RecList> lists(4);
  lists[0].items = {{i("s"), 1}};               // h: hit
  lists[1].items = {{i("s"), 1}};               // l: miss
  lists[2].items = {{i("q"), 1}};               // c: hit
  lists[3].items = {{i("p"), 2}, {i("z"), 1}};  // n: hits p (head) and z (unseen)
  EvalOptions opt;
  opt.k = 2;
  opt.metrics = {"recall@k"};
  SliceOptions so;
  so.coldMax = 1;
  so.heavyMin = 3;
  TaskContext ctx;
  const auto s = evaluateSlices(train, test, users, lists, opt, so, ctx);
  REQUIRE(s.size() == 8);
  CHECK(s[0].name == "unseen");
  CHECK(s[0].result.users == std::vector<Index>{u("n")});
  CHECK(s[0].result.value("recall@2") == Approx(1.0));
  CHECK(s[1].name == "cold");
  CHECK(s[1].result.value("recall@2") == Approx(1.0));
  CHECK(s[2].name == "light");
  CHECK(s[2].result.value("recall@2") == Approx(0.0));
  CHECK(s[3].name == "heavy");
  CHECK(s[3].members == 1);
  // Items: p 3 rows, q 2, r 1 (of 6): head p (share 0), torso q (0.5), tail r (0.833);
  // s and z are unseen in training.
  CHECK(s[4].name == "head");
  CHECK(s[4].result.users == std::vector<Index>{u("n")});  // only n has a head test item (p)
  CHECK(s[4].result.value("recall@2") == Approx(1.0));
  CHECK(s[5].name == "torso");
  CHECK(s[5].result.users == std::vector<Index>{u("c")});
  CHECK(s[6].name == "tail");
  CHECK(s[6].result.value("recall@2") == Approx(0.0));  // l's r is not recommended
  CHECK(s[7].name == "unseen");
  CHECK(s[7].result.users.size() == 2);  // h (s) and n (z)
  CHECK(s[7].result.value("recall@2") == Approx(1.0));
  so.heavyMin = 1;
  CHECK_THROWS_AS(evaluateSlices(train, test, users, lists, opt, so, ctx), Error);
}
