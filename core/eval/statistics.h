#pragma once
/// \file
/// Statistics for comparing runs on the same users: percentile bootstrap confidence intervals,
/// the paired t-test, the Wilcoxon signed-rank test, Cohen's d for paired data and Holm's
/// step-down correction. Formulas and sources: docs/metrics.md.
///
/// NaN values are treated as missing: single-sample functions drop them, paired functions drop
/// the pairs where either value is NaN.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "core/util/task_context.h"

namespace rwb {

/// A point estimate with a two-sided confidence interval.
struct ConfidenceInterval {
  double estimate = std::numeric_limits<double>::quiet_NaN();
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  std::size_t n = 0;  ///< values used
};

/// Percentile bootstrap settings.
struct BootstrapOptions {
  std::size_t resamples = 1000;  ///< >= 1
  double level = 0.95;           ///< in (0, 1)
  std::uint64_t seed = 42;       ///< resample b depends only on (seed, b): thread-independent
};

/// Mean of values with a percentile bootstrap CI: resample n values with replacement
/// `resamples` times, take the (1-level)/2 and (1+level)/2 quantiles (linear interpolation
/// between order statistics) of the resampled means. Runs in parallel over resamples.
/// n = 0 gives NaN everywhere. Throws rwb::Error for bad options, Cancelled when ctx stops.
ConfidenceInterval bootstrapMean(std::span<const double> values, const BootstrapOptions& options,
                                 TaskContext& ctx);

/// A test's statistic and two-sided p-value.
struct TestResult {
  double statistic = std::numeric_limits<double>::quiet_NaN();
  double pValue = std::numeric_limits<double>::quiet_NaN();
  std::size_t n = 0;   ///< pairs used (Wilcoxon: non-zero differences)
  bool exact = false;  ///< Wilcoxon: exact null distribution rather than normal approximation
};

/// Paired t-test on d = a - b: t = mean(d) / (sd(d) / sqrt(n)), df = n - 1, two-sided p from
/// Student's t (Boost.Math). n < 2 gives NaN; sd = 0 gives p = 1 when mean = 0, else p = 0.
TestResult pairedTTest(std::span<const double> a, std::span<const double> b);

struct WilcoxonOptions {
  bool continuityCorrection = true;  ///< normal approximation only (R's default)
  std::size_t exactMaxN = 50;        ///< exact distribution up to this n without ties/zeros
};

/// Wilcoxon signed-rank test on d = a - b. Zero differences are dropped (Wilcoxon's method);
/// |d| are ranked with average ranks for ties. statistic = W+ (sum of ranks of positive
/// differences, R's V). Exact two-sided p = min(1, 2 min(P(W <= w), P(W >= w))) when
/// n <= exactMaxN and there are no ties or zeros; otherwise the normal approximation with the
/// tie correction sum(t^3 - t)/48 in the variance and optional continuity correction.
/// All differences zero: statistic 0, p = 1.
TestResult wilcoxonSignedRank(std::span<const double> a, std::span<const double> b,
                              const WilcoxonOptions& options = {});

/// Cohen's d for paired samples (d_z): mean(a - b) / sd(a - b). 0 when every difference is 0,
/// +-infinity when the differences are constant and non-zero, NaN for fewer than 2 pairs.
double cohensDPaired(std::span<const double> a, std::span<const double> b);

/// Holm-Bonferroni adjusted p-values, in the input order: sort ascending, p'_(i) =
/// max_{j <= i} min(1, (m - j + 1) p_(j)). NaN entries stay NaN and do not count in m.
std::vector<double> holmAdjust(std::span<const double> pValues);

}  // namespace rwb
