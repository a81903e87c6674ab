#include "core/eval/statistics.h"

#include <cmath>
#include <vector>

#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
// Student's sleep data (Cushny & Peebles 1905), R's `sleep`: extra hours of sleep with two drugs
// on the same ten patients.
const std::vector<double> kDrug1 = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
const std::vector<double> kDrug2 = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
}  // namespace

TEST_CASE("paired t-test reproduces R's t.test on the sleep data", "[eval][stats]") {
  // R: t.test(extra ~ group, data = sleep, paired = TRUE): t = -4.0621, df = 9, p = 0.002833.
  const TestResult t = pairedTTest(kDrug1, kDrug2);
  CHECK(t.n == 10);
  CHECK(t.statistic == Approx(-4.0621).margin(1e-4));
  CHECK(t.pValue == Approx(0.002833).margin(1e-6));
  // Symmetric in the order of the samples, up to the sign.
  CHECK(pairedTTest(kDrug2, kDrug1).statistic == Approx(4.0621).margin(1e-4));
  // Identical samples: no difference at all.
  CHECK(pairedTTest(kDrug1, kDrug1).pValue == 1.0);
  CHECK(std::isnan(pairedTTest(std::vector<double>{1.0}, std::vector<double>{2.0}).pValue));
  CHECK_THROWS_AS(pairedTTest(kDrug1, std::vector<double>{1.0}), Error);
}

TEST_CASE("Wilcoxon signed-rank: R's sleep result and SciPy's exact example", "[eval][stats]") {
  // R: wilcox.test(sleep$extra[1:10], sleep$extra[11:20], paired = TRUE): V = 0,
  // p-value = 0.009091 (normal approximation: one zero difference and tied |d| values).
  const TestResult w = wilcoxonSignedRank(kDrug1, kDrug2);
  CHECK(w.statistic == 0.0);
  CHECK(w.n == 9);
  CHECK_FALSE(w.exact);
  CHECK(w.pValue == Approx(0.009091).margin(1e-6));
  // Without the continuity correction (SciPy's default): z = -22.5 / sqrt(71.125).
  WilcoxonOptions noCorr;
  noCorr.continuityCorrection = false;
  CHECK(wilcoxonSignedRank(kDrug1, kDrug2, noCorr).pValue == Approx(0.00763244).margin(1e-7));
  // SciPy's documentation example (no ties, no zeros -> exact): p = 0.041259765625, W- = 24.
  const std::vector<double> d = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};
  const std::vector<double> zero(d.size(), 0.0);
  const TestResult e = wilcoxonSignedRank(d, zero);
  CHECK(e.exact);
  CHECK(e.statistic == 96.0);  // W+ = 120 - 24
  CHECK(e.pValue == Approx(0.041259765625).epsilon(1e-12));
  // All differences zero.
  CHECK(wilcoxonSignedRank(kDrug1, kDrug1).pValue == 1.0);
}

TEST_CASE("Cohen's d for paired data and Holm's correction", "[eval][stats]") {
  // Sleep data: mean difference -1.58, sd 1.229995 -> d_z = -1.284558.
  CHECK(cohensDPaired(kDrug1, kDrug2) == Approx(-1.284558).margin(1e-6));
  CHECK(cohensDPaired(kDrug1, kDrug1) == 0.0);
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const auto adj = holmAdjust(p);
  REQUIRE(adj.size() == 4);
  CHECK(adj[0] == Approx(0.03));
  CHECK(adj[1] == Approx(0.06));
  CHECK(adj[2] == Approx(0.06));
  CHECK(adj[3] == Approx(0.02));
  const std::vector<double> withNaN = {0.2, std::nan(""), 0.9};
  const auto a2 = holmAdjust(withNaN);
  CHECK(a2[0] == Approx(0.4));
  CHECK(std::isnan(a2[1]));
  CHECK(a2[2] == Approx(0.9));
}

TEST_CASE("bootstrap CI is seeded, covers the mean and narrows with n", "[eval][stats]") {
  std::vector<double> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i % 2);  // mean 0.5, sd 0.5
  TaskContext ctx;
  BootstrapOptions opt;
  const auto a = bootstrapMean(v, opt, ctx);
  const auto b = bootstrapMean(v, opt, ctx);
  CHECK(a.estimate == Approx(0.5));
  CHECK(a.lower == b.lower);
  CHECK(a.upper == b.upper);
  CHECK(a.lower < 0.5);
  CHECK(a.upper > 0.5);
  // Normal theory: half-width 1.96 * 0.5 / sqrt(1000) = 0.031.
  CHECK((a.upper - a.lower) / 2 == Approx(0.031).margin(0.004));
  opt.seed = 7;
  const auto c = bootstrapMean(v, opt, ctx);
  CHECK(c.lower != a.lower);
  // A constant sample has a zero-width interval; NaN values are dropped.
  const std::vector<double> k = {2.0, 2.0, std::nan(""), 2.0};
  const auto ck = bootstrapMean(k, opt, ctx);
  CHECK(ck.n == 3);
  CHECK(ck.lower == 2.0);
  CHECK(ck.upper == 2.0);
  CHECK(std::isnan(bootstrapMean(std::vector<double>{}, opt, ctx).estimate));
  opt.resamples = 0;
  CHECK_THROWS_AS(bootstrapMean(v, opt, ctx), Error);
}
