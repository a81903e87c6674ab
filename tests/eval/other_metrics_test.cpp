#include <cmath>
#include <vector>

#include "core/eval/beyond_accuracy.h"
#include "core/eval/classification_metrics.h"
#include "core/eval/evaluator.h"
#include "core/eval/rating_metrics.h"
#include "core/util/error.h"
#include "eval_test_support.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::makeDataset;

TEST_CASE("rating metrics match scikit-learn's documented example", "[eval]") {
  const std::vector<double> y = {3, -0.5, 2, 7}, p = {2.5, 0.0, 2, 8};
  CHECK(rmse(y, p) == Approx(0.6123724356957945));
  CHECK(mae(y, p) == Approx(0.5));
  CHECK(rSquared(y, p) == Approx(0.9486081370449679));
  CHECK(explainedVariance(y, p) == Approx(0.9571734475374732));
  // Constant truth: 1 when predicted exactly, else 0 (scikit-learn's force_finite).
  const std::vector<double> c = {2, 2}, c2 = {2, 3};
  CHECK(rSquared(c, c) == 1.0);
  CHECK(rSquared(c, c2) == 0.0);
  CHECK_THROWS_AS(rmse(std::vector<double>{}, std::vector<double>{}), Error);
  CHECK_THROWS_AS(mae(y, std::vector<double>{1.0}), Error);
}

TEST_CASE("ROC AUC, PR AUC, log loss, Brier score and calibration bins", "[eval]") {
  const std::vector<double> y = {0, 0, 1, 1}, s = {0.1, 0.4, 0.35, 0.8};
  CHECK(rocAuc(y, s) == Approx(0.75));
  CHECK(averagePrecisionScore(y, s) == Approx(0.8333333333333333));
  // Ties: a tied (positive, negative) pair counts one half; tied scores form one threshold.
  const std::vector<double> yt = {0, 1, 0, 1}, st = {0.5, 0.5, 0.5, 0.9};
  CHECK(rocAuc(yt, st) == Approx(0.75));
  CHECK(averagePrecisionScore(yt, st) == Approx(0.75));
  CHECK(std::isnan(rocAuc(std::vector<double>{1, 1}, std::vector<double>{0.2, 0.3})));
  const std::vector<double> y2 = {1, 0}, p2 = {0.9, 0.2};
  CHECK(logLoss(y2, p2) == Approx(0.164252033486018));
  // Clipping keeps a confident mistake finite: -ln(1e-15).
  CHECK(logLoss(std::vector<double>{1}, std::vector<double>{0.0}) == Approx(34.538776394910684));
  const std::vector<double> yb = {0, 1, 1, 0}, pb = {0.1, 0.9, 0.8, 0.3};
  CHECK(brierScore(yb, pb) == Approx(0.0375));
  CHECK_THROWS_WITH(rocAuc(std::vector<double>{2}, std::vector<double>{0.5}),
                    Catch::Contains("labels must be 0 or 1"));
  CHECK_THROWS_AS(brierScore(std::vector<double>{1}, std::vector<double>{1.5}), Error);
  const auto bins = calibrationBins(yb, pb, 2);
  REQUIRE(bins.size() == 2);
  CHECK(bins[0].count == 2);  // 0.1, 0.3
  CHECK(bins[0].meanPredicted == Approx(0.2));
  CHECK(bins[0].fractionPositive == 0.0);
  CHECK(bins[1].count == 2);  // 0.9, 0.8
  CHECK(bins[1].meanPredicted == Approx(0.85));
  CHECK(bins[1].fractionPositive == 1.0);
  CHECK(bins[1].upper == 1.0);
}

namespace {
// Training: a {1,2}, b {2,3}, c {1,2,3}, d {4}: item counts 2, 3, 2, 1 over 8 rows.
Dataset beyondTrain() {
  return makeDataset({{"a", "1"},
                      {"a", "2"},
                      {"b", "2"},
                      {"b", "3"},
                      {"c", "1"},
                      {"c", "2"},
                      {"c", "3"},
                      {"d", "4"}});
}
}  // namespace

TEST_CASE("coverage, entropy, Gini and novelty over a run", "[eval]") {
  const Dataset train = beyondTrain();
  const TrainStats stats(train, train.numItems());
  auto i = [&](const char* id) { return *train.items.find(id); };
  const std::vector<Index> l1 = {i("1"), i("3")}, l2 = {i("1"), i("2")};
  const std::vector<std::span<const Index>> lists = {l1, l2};
  CHECK(catalogCoverage(lists, stats) == Approx(0.75));        // 3 of 4 items
  CHECK(distributionalCoverage(lists, stats) == Approx(1.5));  // p = 1/2, 1/4, 1/4
  // Counts ascending over the 4 items: 0, 1, 1, 2 -> (-1 + 1 + 6) / (3 * 4).
  CHECK(giniIndex(lists, stats) == Approx(0.5));
  // -log2 of 2/8, 2/8, 2/8, 3/8, averaged over the 4 rows.
  CHECK(novelty(lists, stats) == Approx(1.853759374819711));
  const std::vector<std::span<const Index>> none;
  CHECK(std::isnan(distributionalCoverage(none, stats)));
  CHECK(catalogCoverage(none, stats) == 0.0);
}

TEST_CASE("co-occurrence similarity, diversity, serendipity and popularity", "[eval]") {
  const Dataset train = beyondTrain();
  TrainStats stats(train, train.numItems());
  auto i = [&](const char* id) { return *train.items.find(id); };
  const double s12 = 2.0 / std::sqrt(6.0);  // users a and c hold both 1 and 2
  CHECK(stats.similarity(i("1"), i("2")) == Approx(s12));
  CHECK(stats.similarity(i("1"), i("3")) == Approx(0.5));
  CHECK(stats.similarity(i("1"), i("4")) == 0.0);
  CHECK(stats.similarity(i("2"), i("2")) == 1.0);
  // Prepared rows give the same values as the on-the-fly intersection.
  TaskContext ctx;
  const std::vector<Index> prep = {i("1"), i("2")};
  stats.prepareSimilarity(prep, ctx);
  CHECK(stats.similarity(i("1"), i("2")) == Approx(s12));
  CHECK(stats.similarity(i("3"), i("1")) == Approx(0.5));

  const std::vector<Index> l = {i("1"), i("2"), i("3")};
  CHECK(intraListDiversity(l, stats) == Approx(1.0 - (s12 + 0.5 + s12) / 3.0));
  CHECK(std::isnan(intraListDiversity(std::vector<Index>{i("1")}, stats)));
  // User a has seen 1 and 2; list 3, 4: item 3 -> 1 - (0.5 + s12) / 2, item 4 -> 1.
  const std::vector<Index> seen = {i("1"), i("2")}, rec = {i("3"), i("4")};
  const double ser3 = 1.0 - (0.5 + s12) / 2.0;
  CHECK(serendipity(rec, seen, {}, stats, false) == Approx((ser3 + 1.0) / 2.0));
  const std::vector<Index> relevant = {i("3")};
  CHECK(serendipity(rec, seen, relevant, stats, true) == Approx(ser3 / 2.0));
  CHECK(std::isnan(serendipity(rec, {}, {}, stats, false)));
  CHECK(averagePopularity(std::vector<Index>{i("1"), i("2")}, stats) == Approx(2.5));

  // Cosine over item features instead.
  Eigen::MatrixXf f(4, 2);
  f << 1, 0, 1, 1, 0, 1, 0, 0;
  stats.useItemFeatures(f);
  CHECK(stats.similarity(i("1"), i("2")) == Approx(1.0 / std::sqrt(2.0)));
  CHECK(stats.similarity(i("1"), i("3")) == Approx(0.0));
  CHECK(stats.similarity(i("1"), i("4")) == 0.0);  // zero vector
}

TEST_CASE("beyond-accuracy metrics through evaluate()", "[eval]") {
  const Dataset train = beyondTrain();
  const Dataset test = makeDataset({{"a", "3"}, {"d", "1"}}, &train);
  auto u = [&](const char* id) { return *train.users.find(id); };
  auto i = [&](const char* id) { return *train.items.find(id); };
  std::vector<Index> users = {u("a"), u("d")};
  std::vector<RecList> lists(2);
  lists[0].items = {{i("3"), 2.0f}, {i("4"), 1.0f}};
  lists[1].items = {{i("1"), 2.0f}, {i("2"), 1.0f}};
  EvalOptions opt;
  opt.metrics = {"catalog_coverage",     "novelty",       "gini", "diversity", "serendipity",
                 "serendipity_relevant", "avg_popularity"};
  TaskContext ctx;
  const EvalResult r = evaluate(train, test, users, lists, opt, ctx);
  CHECK(r.value("catalog_coverage") == Approx(1.0));
  const double s12 = 2.0 / std::sqrt(6.0);
  const MetricValue* div = r.find("diversity");
  REQUIRE(div);
  REQUIRE(div->perUserValues.size() == 2);
  CHECK(div->perUserValues[0] == Approx(1.0));        // a: sim(3, 4) = 0
  CHECK(div->perUserValues[1] == Approx(1.0 - s12));  // d: sim(1, 2)
  const double ser3 = 1.0 - (0.5 + s12) / 2.0;
  CHECK(r.find("serendipity")->perUserValues[0] == Approx((ser3 + 1.0) / 2.0));
  CHECK(r.find("serendipity")->perUserValues[1] == Approx(1.0));  // d saw only item 4
  CHECK(r.find("serendipity_relevant")->perUserValues[0] == Approx(ser3 / 2.0));
  CHECK(r.find("avg_popularity")->perUserValues[1] == Approx(2.5));
  CHECK(r.find("gini")->higherIsBetter == false);
}
