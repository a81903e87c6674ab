#include "core/eval/evaluator.h"

#include <cmath>

#include "core/eval/recommendation_file.h"
#include "core/util/error.h"
#include "eval_test_support.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::makeDataset;

namespace {
struct Fixture {
  Dataset train = makeDataset({{"a", "i1"},
                               {"a", "i2"},
                               {"b", "i2"},
                               {"b", "i3"},
                               {"c", "i1"},
                               {"c", "i2"},
                               {"c", "i3"},
                               {"d", "i4"},
                               {"e", "i5"}});
  // a: test i3, i4 (rated 4, 2); b: test i1 (5); c: no test items; d: test i1, i5.
  Dataset test = makeDataset(
      {{"a", "i3", 4}, {"a", "i4", 2}, {"b", "i1", 5}, {"d", "i1", 3}, {"d", "i5", 1}}, &train);
  Index u(const char* id) const { return *train.users.find(id); }
  Index i(const char* id) const { return *train.items.find(id); }
  RecList list(std::initializer_list<const char*> items) const {
    RecList l;
    float s = 10.0f;
    for (const char* it : items) l.items.push_back({i(it), s--});
    return l;
  }
};
}  // namespace

TEST_CASE("evaluate averages over users in both test and recommendations", "[eval]") {
  Fixture f;
  // a: hit at rank 2 of 2; b: empty list; c: not in test (ignored); d: not recommended.
  std::vector<Index> users = {f.u("c"), f.u("b"), f.u("a")};
  std::vector<RecList> lists = {f.list({"i4", "i5"}), RecList{}, f.list({"i5", "i3"})};
  EvalOptions opt;
  opt.k = 2;
  opt.metrics = {"precision@k", "recall@k", "map", "ndcg@k", "hit_rate@k", "mrr"};
  TaskContext ctx;
  const EvalResult r = evaluate(f.train, f.test, users, lists, opt, ctx);
  REQUIRE(r.users == std::vector<Index>{f.u("a"), f.u("b")});
  CHECK(r.testUsers == 3);
  CHECK(r.listedUsers == 3);
  CHECK(r.testUsersWithoutList == 1);
  CHECK(r.listedUsersWithoutTest == 1);
  // "1 test users have no recommendations" and b's empty list, shorter than k.
  REQUIRE(r.warnings.size() == 2);
  CHECK(r.warnings[1].rfind("1 of 2 evaluated users (50.0%) have fewer than k = 2 "
                            "recommendations (the shortest list: 0;",
                            0) == 0);
  const MetricValue* p = r.find("precision@2");
  REQUIRE(p);
  REQUIRE(p->perUserValues.size() == 2);
  CHECK(p->perUserValues[0] == Approx(0.5));  // a
  CHECK(p->perUserValues[1] == 0.0);          // b: empty list
  CHECK(r.value("precision@2") == Approx(0.25));
  CHECK(r.value("recall@2") == Approx(0.25));      // a: 1/2, b: 0
  CHECK(r.value("map") == Approx((0.5 / 2) / 2));  // a: (1/2)/2 relevant
  CHECK(r.value("mrr@2") == Approx(0.25));
  CHECK(r.value("hit_rate@2") == Approx(0.5));
  // nDCG of a: hit at rank 2 -> (1/log2 3) / (1 + 1/log2 3).
  const double na = (1.0 / std::log2(3.0)) / (1.0 + 1.0 / std::log2(3.0));
  CHECK(r.value("ndcg@2") == Approx(na / 2));
  // Oracle: the test items themselves, best rated first.
  CHECK(p->oracle == Approx((1.0 + 0.5) / 2));  // a: 2/2, b: 1/2 (one test item, k = 2)
  CHECK(r.find("recall@2")->oracle == Approx(1.0));
  CHECK(r.find("ndcg@2")->oracle == Approx(1.0));
  CHECK_THROWS_AS(r.value("rmse"), Error);
}

TEST_CASE(
    "r_precision averages over every evaluated user, zeros included, and a file's tie order "
    "decides at rank R",
    "[eval]") {
  Fixture f;
  rwb::test::TempDir dir;
  TaskContext ctx;
  // a (R = 2: i3, i4): i2, then i5 and i4 tied in file order: the first two hold no hit.
  // b (R = 1: i1): i1 and i2 tied, i1 first in the file: 1/1.
  // d (R = 2: i1, i5): i5, i2, i1: one hit in the first two: 1/2.
  rwb::test::writeFile(dir / "r.tsv",
                       "a\ti2\t0.9\na\ti5\t0.5\na\ti4\t0.5\nb\ti1\t0.3\nb\ti2\t0.3\n"
                       "d\ti5\t1\nd\ti2\t0.8\nd\ti1\t0.7\n");
  const auto recs = loadRecommendations((dir / "r.tsv").string(), f.test, {}, ctx);
  EvalOptions opt;
  opt.k = 3;
  opt.metrics = {"r_precision_at_k", "r_precision@1", "precision@3"};
  const EvalResult r = evaluate(f.train, f.test, recs.listUsers, recs.lists, opt, ctx);
  REQUIRE(r.users == std::vector<Index>{f.u("a"), f.u("b"), f.u("d")});
  const MetricValue* rp = r.find("r_precision@3");
  REQUIRE(rp);
  // a scores 0 although i4 is listed (rank 3 > R): by item index i4 would come before i5.
  REQUIRE(f.i("i4") < f.i("i5"));
  CHECK(rp->perUserValues == std::vector<double>{0.0, 1.0, 0.5});
  CHECK(rp->definedUsers == 3);
  // The library would average only b and d (the users with a hit in their first min(k, R)):
  // 0.75. The workbench counts a's 0 like precision and recall do.
  CHECK(r.value("r_precision@3") == Approx((0.0 + 1.0 + 0.5) / 3));
  CHECK(r.find("precision@3")->definedUsers == 3);
  // k = 1 < R for a and d: one item, divided by R: a 0/2, b 1/1, d 1/2.
  CHECK(r.value("r_precision@1") == Approx((0.0 + 1.0 + 0.5) / 3));
  CHECK(r.find("r_precision@1")->perUserValues == std::vector<double>{0.0, 1.0, 0.5});
  // The ideal lists hold every test item first: 1 for each user at k = 3, min(1, R)/R at k = 1.
  CHECK(rp->oracle == Approx(1.0));
  CHECK(r.find("r_precision@1")->oracle == Approx((0.5 + 1.0 + 0.5) / 3));
}

TEST_CASE("evaluate rejects duplicate items, duplicate users and mismatched inputs", "[eval]") {
  Fixture f;
  TaskContext ctx;
  EvalOptions opt;
  std::vector<Index> users = {f.u("a")};
  std::vector<RecList> dup = {f.list({"i3", "i5", "i3"})};
  CHECK_THROWS_WITH(evaluate(f.train, f.test, users, dup, opt, ctx),
                    Catch::Contains("user 'a' list item 'i3' twice (positions 1 and 3)"));
  std::vector<Index> twice = {f.u("a"), f.u("a")};
  std::vector<RecList> two = {f.list({"i3"}), f.list({"i4"})};
  CHECK_THROWS_WITH(evaluate(f.train, f.test, twice, two, opt, ctx),
                    Catch::Contains("more than one recommendation list"));
  CHECK_THROWS_AS(evaluate(f.train, f.test, users, two, opt, ctx), Error);
  opt.metrics = {"precision@k", "nope"};
  CHECK_THROWS_AS(evaluate(f.train, f.test, users, std::vector<RecList>{f.list({"i3"})}, opt, ctx),
                  SpecError);
}

TEST_CASE("evaluate with no common users gives undefined values and a warning", "[eval]") {
  Fixture f;
  TaskContext ctx;
  std::vector<Index> users = {f.u("c")};
  std::vector<RecList> lists = {f.list({"i4"})};
  const EvalResult r = evaluate(f.train, f.test, users, lists, EvalOptions{}, ctx);
  CHECK(r.users.empty());
  CHECK(std::isnan(r.value("precision@10")));
  CHECK_FALSE(r.warnings.empty());
}

TEST_CASE("evaluate warns when ties rather than scores order the top-k lists", "[eval]") {
  Fixture f;
  TaskContext ctx;
  EvalOptions opt;
  opt.k = 3;
  const std::vector<Index> users = {f.u("a"), f.u("b"), f.u("d")};
  const auto withScores = [&](std::initializer_list<const char*> items,
                              std::initializer_list<double> scores) {
    RecList l = f.list(items);
    auto s = scores.begin();
    for (auto& e : l.items) e.score = *s++;
    return l;
  };
  const auto tieWarnings = [](const EvalResult& r) {
    std::vector<std::string> out;
    for (const auto& w : r.warnings) {
      if (w.find("tie order") != std::string::npos) out.push_back(w);
    }
    return out;
  };
  SECTION("distinct scores: no warning") {
    const std::vector<RecList> lists = {f.list({"i3", "i4", "i5"}), f.list({"i1", "i4", "i5"}),
                                        f.list({"i1", "i2", "i5"})};
    CHECK(tieWarnings(evaluate(f.train, f.test, users, lists, opt, ctx)).empty());
  }
  SECTION("a list whose scores are all equal (a model that cannot tell the items apart)") {
    const std::vector<RecList> lists = {f.list({"i3", "i4", "i5"}),
                                        withScores({"i4", "i5", "i1"}, {0, 0, 0}),
                                        f.list({"i1", "i2", "i5"})};
    const EvalResult r = evaluate(f.train, f.test, users, lists, opt, ctx);
    const auto w = tieWarnings(r);
    REQUIRE(w.size() == 1);
    CHECK(w[0].rfind("1 of 3 evaluated users (33.3%) got top-k lists whose scores are all equal",
                     0) == 0);
    // The metrics themselves are unchanged: b's hit at rank 3 counts as ranked.
    CHECK(r.find("precision@3")->perUserValues[1] == Approx(1.0 / 3));
  }
  SECTION("ties beyond the k-th entry do not count") {
    const std::vector<RecList> lists = {withScores({"i3", "i4", "i5", "i1"}, {3, 2, 1, 1}),
                                        f.list({"i1", "i4", "i5"}), f.list({"i1", "i2", "i5"})};
    CHECK(tieWarnings(evaluate(f.train, f.test, users, lists, opt, ctx)).empty());
  }
  SECTION("a quarter of the positions tied with a neighbour") {
    const std::vector<RecList> lists = {withScores({"i3", "i4", "i5"}, {3, 2, 2}),
                                        f.list({"i1", "i4", "i5"}), f.list({"i1", "i2", "i5"})};
    // 2 of 9 positions: below a quarter.
    CHECK(tieWarnings(evaluate(f.train, f.test, users, lists, opt, ctx)).empty());
    const std::vector<RecList> more = {withScores({"i3", "i4", "i5"}, {3, 2, 2}),
                                       withScores({"i1", "i4", "i5"}, {5, 5, 1}),
                                       f.list({"i1", "i2", "i5"})};
    const auto w = tieWarnings(evaluate(f.train, f.test, users, more, opt, ctx));
    REQUIRE(w.size() == 1);
    CHECK(w[0].rfind("44.4% of the top-k positions hold a score equal to a neighbour's", 0) == 0);
  }
}

TEST_CASE("rating and classification metrics use the listed test pairs", "[eval]") {
  Fixture f;
  TaskContext ctx;
  std::vector<Index> users = {f.u("a"), f.u("d")};
  RecList la;  // a: predicted 3.5 for i3 (true 4), 2.5 for i4 (true 2), 0.9 for i5 (not in test)
  la.items = {{f.i("i3"), 3.5f}, {f.i("i4"), 2.5f}, {f.i("i5"), 0.9f}};
  RecList ld;  // d: predicted 3 for i1 (true 3)
  ld.items = {{f.i("i1"), 3.0f}};
  std::vector<RecList> lists = {la, ld};
  EvalOptions opt;
  opt.metrics = {"rmse", "mae", "roc_auc"};
  const EvalResult r = evaluate(f.train, f.test, users, lists, opt, ctx);
  CHECK(r.value("rmse") == Approx(std::sqrt((0.25 + 0.25 + 0.0) / 3.0)));
  CHECK(r.value("mae") == Approx(1.0 / 3.0));
  // Membership labels: positives 3.5, 2.5, 3.0; negative 0.9 -> every pair ordered.
  CHECK(r.value("roc_auc") == Approx(1.0));
  CHECK(r.find("rmse")->oracle == Approx(0.0));
  CHECK(r.find("rmse")->perUserValues.empty());
  // Scores above 1 are not probabilities: the Brier score is refused, but only because of the
  // run's own scores; the oracle (a perfect classifier) scores 0.
  opt.metrics = {"brier"};
  CHECK_THROWS_WITH(evaluate(f.train, f.test, users, lists, opt, ctx),
                    Catch::Contains("outside [0, 1]"));
  for (auto& l : lists) {
    for (auto& s : l.items) s.score /= 10.0f;
  }
  const EvalResult b = evaluate(f.train, f.test, users, lists, opt, ctx);
  // (0.35-1)^2 + (0.25-1)^2 + (0.09-0)^2 + (0.3-1)^2, over 4 listed items.
  CHECK(b.value("brier") == Approx((0.4225 + 0.5625 + 0.0081 + 0.49) / 4).epsilon(1e-6));
  CHECK(b.find("brier")->oracle == 0.0);
}

TEST_CASE("list ordering rules: models break ties by item index, files keep file order", "[eval]") {
  const std::vector<ScoredItem> given = {{5, 1.0}, {2, 3.0}, {9, 1.0}, {1, 1.0}};
  std::vector<ScoredItem> byItem = given;
  orderByScoreThenItem(byItem);
  CHECK(byItem == std::vector<ScoredItem>{{2, 3.0}, {1, 1.0}, {5, 1.0}, {9, 1.0}});
  std::vector<ScoredItem> stable = given;
  orderByScoreStable(stable);
  CHECK(stable == std::vector<ScoredItem>{{2, 3.0}, {5, 1.0}, {9, 1.0}, {1, 1.0}});
  // Scores that differ beyond float precision stay distinct (float would tie them).
  std::vector<ScoredItem> tiny = {
      {1, 1e-300}, {2, 3e-300}, {3, 0.1234567890123}, {4, 0.1234567890124}};
  orderByScoreStable(tiny);
  CHECK(tiny == std::vector<ScoredItem>{
                    {4, 0.1234567890124}, {3, 0.1234567890123}, {2, 3e-300}, {1, 1e-300}});
}

TEST_CASE("recommendation files: header, rank column, ordering and errors", "[eval]") {
  Fixture f;
  rwb::test::TempDir dir;
  TaskContext ctx;
  SECTION("no header, score order with ties in file order, new ids kept") {
    rwb::test::writeFile(dir / "r.tsv", "a\ti5\t1.0\na\ti3\t2.0\na\ti4\t1.0\nzz\tnew\t0.5\n");
    const auto r = loadRecommendations((dir / "r.tsv").string(), f.test, {}, ctx);
    REQUIRE(r.lists.size() == 2);
    CHECK(r.listUsers[0] == f.u("a"));
    REQUIRE(r.lists[0].items.size() == 3);
    CHECK(r.lists[0].items[0].item == f.i("i3"));
    // Tie at 1.0: i5 comes first in the file (the library's stable sort), although i4 has the
    // lower index.
    REQUIRE(f.i("i4") < f.i("i5"));
    CHECK(r.lists[0].items[1].item == f.i("i5"));
    CHECK(r.lists[0].items[2].item == f.i("i4"));
    CHECK(r.newUsers == 1);
    CHECK(r.newItems == 1);
    CHECK_FALSE(r.hasRank);
  }
  SECTION("scores keep every digit: tiny and close scores are not ties") {
    rwb::test::writeFile(dir / "t.tsv",
                         "a\ti3\t1e-300\na\ti4\t3e-300\na\ti5\t0.1234567890123\n"
                         "a\ti6\t0.1234567890124\n");
    const auto r = loadRecommendations((dir / "t.tsv").string(), f.test, {}, ctx);
    REQUIRE(r.lists.size() == 1);
    const auto& l = r.lists[0].items;
    REQUIRE(l.size() == 4);
    CHECK(l[0].item == *r.items.find("i6"));  // an id new to the base
    CHECK(l[0].score == 0.1234567890124);
    CHECK(l[1].item == f.i("i5"));
    CHECK(l[2].item == f.i("i4"));
    CHECK(l[2].score == 3e-300);
    CHECK(l[3].item == f.i("i3"));
  }
  SECTION("quoted ids (as every writer quotes them) read back exactly") {
    // RFC 4180: an id holding the delimiter, a quote or a line break is quoted on writing.
    rwb::test::writeFile(dir / "q.tsv",
                         "\"a\"\t\"x\ty\"\t0.5\na\t\"say \"\"hi\"\"\"\t0.4\n"
                         "a\t\"two\nlines\"\t0.3\n");
    const auto r = loadRecommendations((dir / "q.tsv").string(), f.test, {}, ctx);
    REQUIRE(r.lists.size() == 1);
    CHECK(r.listUsers[0] == f.u("a"));
    const auto& l = r.lists[0].items;
    REQUIRE(l.size() == 3);
    CHECK(r.items.external(l[0].item) == "x\ty");
    CHECK(r.items.external(l[1].item) == "say \"hi\"");
    CHECK(r.items.external(l[2].item) == "two\nlines");
  }
  SECTION("header with a rank column: rank decides") {
    rwb::test::writeFile(dir / "r.csv", "userID,itemID,prediction,rank\na,i3,0.1,2\na,i4,0.2,1\n");
    const auto r = loadRecommendations((dir / "r.csv").string(), f.test, {}, ctx);
    REQUIRE(r.lists.size() == 1);
    CHECK(r.hasRank);
    CHECK(r.lists[0].items[0].item == f.i("i4"));
  }
  SECTION("an item listed twice is rejected with both lines") {
    rwb::test::writeFile(dir / "d.tsv", "a\ti3\t2\na\ti4\t1\na\ti3\t0.5\n");
    CHECK_THROWS_WITH(loadRecommendations((dir / "d.tsv").string(), f.test, {}, ctx),
                      Catch::Contains("d.tsv:3:2: item 'i3' is listed twice for user 'a' "
                                      "(first on line 1)"));
  }
  SECTION("bad scores, ranks and short rows name the place") {
    rwb::test::writeFile(dir / "b.tsv", "a\ti3\t2\na\ti4\tx\n");
    CHECK_THROWS_WITH(loadRecommendations((dir / "b.tsv").string(), f.test, {}, ctx),
                      Catch::Contains("b.tsv:2:3: score 'x' is not a number"));
    rwb::test::writeFile(dir / "k.tsv", "a\ti3\t2\t0\n");
    CHECK_THROWS_WITH(loadRecommendations((dir / "k.tsv").string(), f.test, {}, ctx),
                      Catch::Contains("k.tsv:1:4: rank '0' is not a positive integer"));
    rwb::test::writeFile(dir / "s.tsv", "a\ti3\t2\na\ti4\n");
    CHECK_THROWS_WITH(loadRecommendations((dir / "s.tsv").string(), f.test, {}, ctx),
                      Catch::Contains("s.tsv:2: expected at least 3 fields"));
    CHECK_THROWS_AS(loadRecommendations((dir / "missing.tsv").string(), f.test, {}, ctx), IoError);
  }
}

TEST_CASE("evaluate and evaluateRecommendationFile stop with Cancelled", "[eval]") {
  Fixture f;
  std::vector<Index> users = {f.u("a")};
  std::vector<RecList> lists = {f.list({"i3"})};
  TaskContext ctx;
  ctx.requestStop();
  CHECK_THROWS_AS(evaluate(f.train, f.test, users, lists, EvalOptions{}, ctx), Cancelled);
}

TEST_CASE("evaluateRecommendationFile reads and scores a file in one call", "[eval]") {
  Fixture f;
  rwb::test::TempDir dir;
  rwb::test::writeFile(dir / "r.csv", "user,item,score\na,i4,0.9\na,i3,0.5\nb,i2,1\n");
  TaskContext ctx;
  EvalOptions opt;
  opt.k = 1;
  opt.metrics = {"precision@k", "mrr"};
  const EvalResult r =
      evaluateRecommendationFile(f.train, f.test, (dir / "r.csv").string(), opt, ctx);
  CHECK(r.users.size() == 2);
  CHECK(r.value("precision@1") == Approx(0.5));  // a: i4 hits; b: i2 misses
  CHECK(r.value("mrr@1") == Approx(0.5));
}

TEST_CASE("evaluate warns when at least 1% of the lists are shorter than k", "[eval]") {
  Fixture f;
  TaskContext ctx;
  EvalOptions opt;
  opt.metrics = {"precision@k"};
  const auto shortWarnings = [&](std::size_t k, const std::vector<RecList>& lists) {
    opt.k = k;
    const std::vector<Index> users = {f.u("a"), f.u("b")};
    std::vector<std::string> out;
    for (const auto& w : evaluate(f.train, f.test, users, lists, opt, ctx).warnings) {
      if (w.find("fewer than k") != std::string::npos) out.push_back(w);
    }
    return out;
  };
  const std::vector<RecList> lists = {f.list({"i5", "i3", "i4"}), f.list({"i1", "i2"})};
  CHECK(shortWarnings(2, lists).empty());  // both lists reach k
  const auto w = shortWarnings(3, lists);  // b's list has 2 of 3
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "1 of 2 evaluated users (50.0%) have fewer than k = 3 recommendations (the shortest "
        "list: 2; fewer candidates than k?): precision@3 counts the empty positions as misses, "
        "so it is capped below 1 for them");
  CHECK(shortWarnings(4, lists)[0].rfind("2 of 2 evaluated users (100.0%)", 0) == 0);
}
