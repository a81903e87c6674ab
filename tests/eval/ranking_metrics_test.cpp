#include "core/eval/ranking_metrics.h"

#include <cmath>
#include <vector>

#include "core/eval/metric.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
// Relevant (test) items 1, 3, 5, 7 with ratings 5, 3, 4, 1; the list hits at ranks 1, 3 and 5.
const std::vector<Index> kRelevant = {1, 3, 5, 7};
const std::vector<float> kValues = {5, 3, 4, 1};
const std::vector<Index> kRanked = {3, 2, 7, 9, 1};
}  // namespace

TEST_CASE("precision, recall, hit rate and MRR on a hand-computed list", "[eval]") {
  CHECK(hitsAtK(kRanked, kRelevant, 5) == 3);
  CHECK(precisionAtK(kRanked, kRelevant, 5) == Approx(0.6));
  CHECK(recallAtK(kRanked, kRelevant, 5) == Approx(0.75));
  CHECK(precisionAtK(kRanked, kRelevant, 3) == Approx(2.0 / 3.0));
  CHECK(recallAtK(kRanked, kRelevant, 3) == Approx(0.5));
  CHECK(hitRateAtK(kRanked, kRelevant, 5) == 1.0);
  CHECK(hitRateAtK(std::vector<Index>{2, 9, 1}, kRelevant, 2) == 0.0);
  CHECK(reciprocalRankAtK(kRanked, kRelevant, 5) == 1.0);
  CHECK(reciprocalRankAtK(std::vector<Index>{2, 9, 7}, kRelevant, 5) == Approx(1.0 / 3.0));
  CHECK(reciprocalRankAtK(std::vector<Index>{2, 9, 7}, kRelevant, 2) == 0.0);
}

TEST_CASE("MAP divides by all relevant items, MAP@k by min(k, relevant)", "[eval]") {
  // Precision at the hits: 1/1, 2/3, 3/5.
  const double sum5 = 1.0 + 2.0 / 3.0 + 3.0 / 5.0;
  CHECK(averagePrecision(kRanked, kRelevant, 5) == Approx(sum5 / 4.0));
  CHECK(averagePrecisionAtK(kRanked, kRelevant, 5) == Approx(sum5 / 4.0));
  const double sum3 = 1.0 + 2.0 / 3.0;
  CHECK(averagePrecision(kRanked, kRelevant, 3) == Approx(sum3 / 4.0));
  CHECK(averagePrecisionAtK(kRanked, kRelevant, 3) == Approx(sum3 / 3.0));
}

TEST_CASE("nDCG with binary, raw and exp gains", "[eval]") {
  CHECK(ndcgAtK(kRanked, kRelevant, kValues, 5, Gain::kBinary) == Approx(0.7365896932159578));
  CHECK(ndcgAtK(kRanked, kRelevant, kValues, 3, Gain::kBinary) == Approx(0.7039180890341347));
  CHECK(ndcgAtK(kRanked, kRelevant, kValues, 5, Gain::kRaw) == Approx(0.574787038957865));
  CHECK(ndcgAtK(kRanked, kRelevant, kValues, 5, Gain::kExp) == Approx(0.4390720264708294));
  // The ideal order scores 1 with every gain.
  const std::vector<Index> ideal = {1, 5, 3, 7};
  for (auto g : {Gain::kBinary, Gain::kRaw, Gain::kExp}) {
    CHECK(ndcgAtK(ideal, kRelevant, kValues, 4, g) == Approx(1.0));
  }
}

TEST_CASE("per-user AUC counts correctly ordered pairs, unlisted items tie", "[eval]") {
  // 10 candidates: 4 relevant, 6 not. Correct pairs: 6 + 5 + 4 (listed) + 0.5 * 1 * 4 = 17.
  CHECK(userAuc(kRanked, kRelevant, 10) == Approx(17.0 / 24.0));
  // Perfect ranking: 1; nothing listed: one half; no negatives: undefined.
  CHECK(userAuc(std::vector<Index>{1, 3, 5, 7}, kRelevant, 10) == Approx(1.0));
  CHECK(userAuc({}, kRelevant, 10) == Approx(0.5));
  CHECK(std::isnan(userAuc(kRanked, kRelevant, 4)) == false);  // listed negatives still count
  CHECK(std::isnan(userAuc(std::vector<Index>{1, 3}, kRelevant, 4)));
}

TEST_CASE("edge cases: empty lists, k beyond the list, no relevant items", "[eval]") {
  const std::vector<Index> empty;
  CHECK(precisionAtK(empty, kRelevant, 10) == 0.0);
  CHECK(recallAtK(empty, kRelevant, 10) == 0.0);
  CHECK(ndcgAtK(empty, kRelevant, kValues, 10, Gain::kBinary) == 0.0);
  CHECK(averagePrecision(empty, kRelevant, 10) == 0.0);
  // k larger than the list: precision still divides by k (as Spark and the library do).
  const std::vector<Index> one = {3};
  CHECK(precisionAtK(one, kRelevant, 10) == Approx(0.1));
  CHECK(recallAtK(one, kRelevant, 10) == Approx(0.25));
  CHECK(ndcgAtK(one, kRelevant, kValues, 10, Gain::kBinary) == Approx(0.3903800499921017));
  CHECK(averagePrecisionAtK(one, kRelevant, 10) == Approx(0.25));
  // A user without test items has no defined value.
  CHECK(std::isnan(precisionAtK(kRanked, {}, 5)));
  CHECK(std::isnan(ndcgAtK(kRanked, {}, {}, 5, Gain::kBinary)));
  CHECK(std::isnan(averagePrecision(kRanked, {}, 5)));
}

TEST_CASE("the metric factory parses names, cut-offs and library aliases", "[eval]") {
  CHECK(createMetric("precision@k", 10)->name() == "precision@10");
  CHECK(createMetric("NDCG@5", 10)->name() == "ndcg@5");
  CHECK(createMetric("ndcg_at_k", 7)->name() == "ndcg@7");
  CHECK(createMetric("ndcg_at_k_exp", 10)->name() == "ndcg_exp@10");
  CHECK(createMetric("map", 10)->name() == "map");
  CHECK(createMetric("map_at_k", 10)->name() == "map@10");
  CHECK(createMetric("mrr", 20)->name() == "mrr@20");
  CHECK(createMetric("rsquared", 10)->name() == "r2");
  CHECK(createMetric("rmse", 10)->higherIsBetter() == false);
  CHECK(createMetric("gini", 10)->perUser() == false);
  CHECK(createMetric("diversity", 10)->needsSimilarity());
  CHECK_THROWS_AS(createMetric("precision@0", 10), SpecError);
  CHECK_THROWS_AS(createMetric("precision@ten", 10), SpecError);
  CHECK_THROWS_WITH(createMetric("ndgc@10", 10), Catch::Contains("unknown metric 'ndgc@10'"));
  for (const auto& n : knownMetricNames()) CHECK_NOTHROW(createMetric(n, 10));
}

TEST_CASE("metric classes evaluate one user through the interface", "[eval]") {
  UserCase c;
  c.ranked = kRanked;
  c.relevant = kRelevant;
  c.values = kValues;
  c.numCandidates = 10;
  CHECK(createMetric("precision@5", 10)->userValue(c) == Approx(0.6));
  CHECK(createMetric("map", 5)->userValue(c) == Approx((1.0 + 2.0 / 3.0 + 0.6) / 4.0));
  CHECK(createMetric("ndcg_raw@5", 10)->userValue(c) == Approx(0.574787038957865));
  CHECK(createMetric("auc", 10)->userValue(c) == Approx(17.0 / 24.0));
}
