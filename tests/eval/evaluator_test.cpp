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
  CHECK(r.warnings.size() == 1);
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
}

TEST_CASE("orderRecList sorts by score, ties by item index", "[eval]") {
  RecList l;
  l.items = {{5, 1.0f}, {2, 3.0f}, {9, 1.0f}, {1, 1.0f}};
  orderRecList(l);
  CHECK(l.items[0].item == 2);
  CHECK(l.items[1].item == 1);
  CHECK(l.items[2].item == 5);
  CHECK(l.items[3].item == 9);
}

TEST_CASE("recommendation files: header, rank column, ordering and errors", "[eval]") {
  Fixture f;
  rwb::test::TempDir dir;
  TaskContext ctx;
  SECTION("no header, score order with ties by item index, new ids kept") {
    rwb::test::writeFile(dir / "r.tsv", "a\ti5\t1.0\na\ti3\t2.0\na\ti4\t1.0\nzz\tnew\t0.5\n");
    const auto r = loadRecommendations((dir / "r.tsv").string(), f.test, {}, ctx);
    REQUIRE(r.lists.size() == 2);
    CHECK(r.listUsers[0] == f.u("a"));
    REQUIRE(r.lists[0].items.size() == 3);
    CHECK(r.lists[0].items[0].item == f.i("i3"));
    CHECK(r.lists[0].items[1].item == f.i("i4"));  // tie at 1.0: i4 has the lower index
    CHECK(r.lists[0].items[2].item == f.i("i5"));
    CHECK(r.newUsers == 1);
    CHECK(r.newItems == 1);
    CHECK_FALSE(r.hasRank);
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
