#include "core/eval/ranking_metrics.h"

#include <cmath>
#include <vector>

#include "core/data/rec_list.h"
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

TEST_CASE("R-precision counts hits in the first min(k, R) items and divides by R", "[eval]") {
  // R = 4. k = 10 looks at the first 4 items {3, 2, 7, 9}: hits 3 and 7.
  CHECK(rPrecisionAtK(kRanked, kRelevant, 10) == Approx(2.0 / 4.0));
  CHECK(rPrecisionAtK(kRanked, kRelevant, 4) == Approx(2.0 / 4.0));
  // R > k: the first k items, still divided by R (recall@k, not precision@k as the library's
  // docstring says): k = 2 sees {3, 2}, one hit; k = 3 sees {3, 2, 7}, two hits.
  CHECK(rPrecisionAtK(kRanked, kRelevant, 2) == Approx(1.0 / 4.0));
  CHECK(precisionAtK(kRanked, kRelevant, 2) == Approx(1.0 / 2.0));
  CHECK(rPrecisionAtK(kRanked, kRelevant, 3) == Approx(2.0 / 4.0));
  // With R > k even a perfect list stays below 1: k / R.
  CHECK(rPrecisionAtK(std::vector<Index>{1, 3}, kRelevant, 2) == Approx(2.0 / 4.0));
  CHECK(rPrecisionAtK(std::vector<Index>{7, 5, 3, 1, 2}, kRelevant, 10) == 1.0);
  // The hit at rank 5 lies beyond R = 4: it does not count, although k = 10 reaches it.
  CHECK(rPrecisionAtK(std::vector<Index>{2, 4, 6, 8, 1}, kRelevant, 10) == 0.0);
  CHECK(recallAtK(std::vector<Index>{2, 4, 6, 8, 1}, kRelevant, 10) == Approx(0.25));
  // One relevant item: only rank 1 counts.
  const std::vector<Index> single = {5};
  CHECK(rPrecisionAtK(std::vector<Index>{5, 1}, single, 10) == 1.0);
  CHECK(rPrecisionAtK(std::vector<Index>{1, 5}, single, 10) == 0.0);
  // No hits, an empty list, a list shorter than R: 0 (defined; the list is not padded).
  CHECK(rPrecisionAtK(std::vector<Index>{2, 4, 6}, kRelevant, 10) == 0.0);
  CHECK(rPrecisionAtK({}, kRelevant, 10) == 0.0);
  CHECK(rPrecisionAtK(std::vector<Index>{3, 5}, kRelevant, 10) == Approx(2.0 / 4.0));
  // No relevant items: undefined.
  CHECK(std::isnan(rPrecisionAtK(kRanked, {}, 10)));
}

TEST_CASE("R-precision follows the list order at a tie that straddles rank R", "[eval]") {
  // Relevant {4, 8} (R = 2); item 9 scores highest, items 6 and 4 tie for rank 2.
  const std::vector<Index> relevant = {4, 8};
  const auto items = [](std::vector<ScoredItem> l) {
    std::vector<Index> out;
    for (const auto& s : l) out.push_back(s.item);
    return out;
  };
  const std::vector<ScoredItem> given = {{9, 3.0}, {6, 1.0}, {4, 1.0}, {8, 0.5}};
  // A file keeps its order within the tie (the library's stable sort): 9, 6 | 4, 8.
  std::vector<ScoredItem> file = given;
  orderByScoreStable(file);
  CHECK(rPrecisionAtK(items(file), relevant, 10) == 0.0);
  // The same tie listed the other way round in the file: 9, 4 | 6, 8.
  std::vector<ScoredItem> swapped = {{9, 3.0}, {4, 1.0}, {6, 1.0}, {8, 0.5}};
  orderByScoreStable(swapped);
  CHECK(rPrecisionAtK(items(swapped), relevant, 10) == Approx(0.5));
  // Models break the tie by item index: 9, 4 | 6, 8 whatever the scoring order.
  std::vector<ScoredItem> model = given;
  orderByScoreThenItem(model);
  CHECK(rPrecisionAtK(items(model), relevant, 10) == Approx(0.5));
  // Precision@2 sees the same two items; the k cut and the R cut coincide here.
  CHECK(precisionAtK(items(file), relevant, 2) == 0.0);
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
  CHECK(createMetric("r_precision_at_k", 10)->name() == "r_precision@10");
  CHECK(createMetric("R_Precision@3", 10)->name() == "r_precision@3");
  CHECK(createMetric("r_precision", 5)->name() == "r_precision@5");
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
  CHECK(createMetric("r_precision@k", 10)->userValue(c) == Approx(0.5));
  CHECK(createMetric("r_precision@2", 10)->userValue(c) == Approx(0.25));
  CHECK(createMetric("r_precision@2", 10)->family() == MetricFamily::kRanking);
}
