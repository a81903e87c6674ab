#pragma once
/// \file
/// Binary classification metrics (engagement models) over aligned label and score vectors, as
/// scikit-learn defines them. Labels must be 0 or 1 (else rwb::Error); spans of equal, non-zero
/// length. Formulas: docs/metrics.md.

#include <cstddef>
#include <span>
#include <vector>

namespace rwb {

/// Area under the ROC curve by the rank-sum (Mann-Whitney) formula; tied scores get their
/// average rank, i.e. a tied (positive, negative) pair counts one half. NaN when all labels are
/// equal.
double rocAuc(std::span<const double> labels, std::span<const double> scores);

/// Mean cross-entropy -[y ln p + (1 - y) ln(1 - p)], p clipped to [eps, 1 - eps].
double logLoss(std::span<const double> labels, std::span<const double> probabilities,
               double eps = 1e-15);

/// Average precision (area under the precision-recall curve, step-wise, scikit-learn's
/// average_precision_score): sum over distinct score thresholds, high to low, of
/// (R_t - R_{t-1}) * P_t. Tied scores form one threshold. NaN when there is no positive.
double averagePrecisionScore(std::span<const double> labels, std::span<const double> scores);

/// Mean (p - y)^2.
double brierScore(std::span<const double> labels, std::span<const double> probabilities);

/// One reliability-diagram bin.
struct CalibrationBin {
  double lower = 0.0, upper = 0.0;  ///< bin range [lower, upper) (the last bin includes 1)
  std::size_t count = 0;            ///< predictions falling in the bin
  double meanPredicted = 0.0;       ///< mean probability in the bin (0 when empty)
  double fractionPositive = 0.0;    ///< observed positive rate in the bin (0 when empty)
};

/// Uniform-width calibration bins over [0, 1] (scikit-learn's calibration_curve with
/// strategy="uniform", but empty bins are kept with count 0). Probabilities outside [0, 1]
/// throw rwb::Error; bins >= 1.
std::vector<CalibrationBin> calibrationBins(std::span<const double> labels,
                                            std::span<const double> probabilities,
                                            std::size_t bins = 10);

}  // namespace rwb
