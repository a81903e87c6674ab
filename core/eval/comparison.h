#pragma once
/// \file
/// Comparison of two or more runs evaluated on the same test split: per metric, each run's
/// mean with a bootstrap CI, and for every pair of runs the mean difference (with its own
/// bootstrap CI), paired t-test and Wilcoxon p-values (Holm-adjusted across the pairs when
/// more than two runs are compared) and Cohen's d_z.

#include <string>
#include <vector>

#include "core/eval/evaluator.h"
#include "core/eval/statistics.h"

namespace rwb {

struct CompareOptions {
  BootstrapOptions bootstrap;
  WilcoxonOptions wilcoxon;
  /// Metrics to compare (canonical names as in EvalResult); empty = every per-user metric
  /// present in all runs. Global metrics have no per-user values and are reported without tests.
  std::vector<std::string> metrics;
};

/// Run b compared with run a on one metric (difference = b - a over the common users).
struct PairComparison {
  std::size_t a = 0, b = 0;  ///< run positions
  ConfidenceInterval difference;
  TestResult tTest, wilcoxon;
  double tTestHolm = std::numeric_limits<double>::quiet_NaN();     ///< = tTest.pValue for 2 runs
  double wilcoxonHolm = std::numeric_limits<double>::quiet_NaN();  ///< = wilcoxon.pValue for 2 runs
  double cohensD = std::numeric_limits<double>::quiet_NaN();
};

/// One metric across the runs.
struct MetricComparison {
  std::string metric;
  bool higherIsBetter = true;
  bool perUser = true;                   ///< false: values only, no CI or tests
  std::vector<ConfidenceInterval> runs;  ///< per run: mean over common users, bootstrap CI
  std::vector<double> oracle;            ///< per run's evaluation (equal for one test split)
  std::vector<PairComparison> pairs;     ///< (0,1), (0,2), ..., (1,2), ...
};

struct ComparisonResult {
  std::vector<std::string> runs;  ///< names, in input order
  std::vector<Index> users;       ///< users evaluated in every run (ascending)
  std::vector<MetricComparison> metrics;
  std::vector<std::string> warnings;
};

/// Compares runs (at least 2, each with per-user vectors from evaluate()). Users are matched
/// by index; only users evaluated in every run are used (a warning says how many were dropped).
/// Throws rwb::Error for fewer than 2 runs, names/runs length mismatch, or an unknown metric;
/// Cancelled when ctx stops.
ComparisonResult compareRuns(const std::vector<const EvalResult*>& runs,
                             const std::vector<std::string>& names, const CompareOptions& options,
                             TaskContext& ctx);

}  // namespace rwb
