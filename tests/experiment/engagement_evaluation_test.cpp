#include "core/experiment/engagement_evaluation.h"

#include <cmath>
#include <random>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "features/synthetic_data.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::plantedData;

TEST_CASE("evaluateEngagement: AUC, log loss, Brier and calibration on held-out pairs",
          "[experiment]") {
  // Planted data split 70/30 by interaction; LR learns the genre x group structure, so held-out
  // pairs are ranked well and probabilities are informative.
  const auto p = plantedData(80, 80, 10, 11);
  std::vector<std::uint32_t> trainRows, testRows;
  std::mt19937 rng(3);
  for (std::uint32_t r = 0; r < p.data.numInteractions(); ++r)
    (std::uniform_real_distribution<double>(0, 1)(rng) < 0.7 ? trainRows : testRows).push_back(r);
  const Dataset train = p.data.withRows(trainRows), test = p.data.withRows(testRows);
  auto m = createModel("logistic_regression", {{"features", test::kPlantedLrFeatures}});
  TaskContext ctx;
  m->fit({train}, ctx);
  const auto& em = dynamic_cast<const EngagementModel&>(*m);
  const EngagementEvalResult r = evaluateEngagement(em, test, {}, ctx);
  for (const auto& b : r.calibration)
    UNSCOPED_INFO("bin " << b.lower << ": n " << b.count << " mean p " << b.meanPredicted
                         << " rate " << b.fractionPositive);
  INFO("auc " << r.auc << " logloss " << r.logLoss << " brier " << r.brier);
  CHECK(r.positives > 100);
  CHECK(r.negatives > r.positives);
  CHECK(r.auc > 0.75);  // measured 0.805
  CHECK(r.logLoss < std::log(2.0));
  CHECK(r.brier < 0.16);  // measured 0.125 (always predicting the base rate: 0.16)
  REQUIRE(r.calibration.size() == 10);
  std::size_t n = 0;
  for (const auto& b : r.calibration) n += b.count;
  CHECK(n == r.positives + r.negatives);
  // Calibration in the large (trained and evaluated with 4 negatives per positive), and the
  // reliability curve rises: the highest populated bin has a far higher positive rate than the
  // lowest. (Sampled negatives include unrated items of the user's genre, which caps the AUC.)
  CHECK(r.meanPredicted == Approx(r.positiveRate).margin(0.1));
  const CalibrationBin *lo = nullptr, *hi = nullptr;
  for (const auto& b : r.calibration) {
    if (b.count < 20) continue;
    if (!lo) lo = &b;
    hi = &b;
  }
  REQUIRE((lo && hi && lo != hi));
  CHECK(hi->fractionPositive > lo->fractionPositive + 0.3);
  // Same id maps required; a set without positives is refused.
  CHECK_THROWS_AS(evaluateEngagement(em, p.data.emptyLike(), {}, ctx), ModelError);
}
