#pragma once
/// \file
/// P(engage) quality of a fitted engagement model on held-out labelled pairs. It drives a model,
/// so it lives in experiment; the classification metrics it reports are eval's, computed on
/// labels and probabilities only (docs/architecture.md).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/data/dataset.h"
#include "core/eval/classification_metrics.h"
#include "core/models/engagement_model.h"
#include "core/util/task_context.h"

namespace rwb {

/// Options of evaluateEngagement().
struct EngagementEvalOptions {
  double negativeRatio = 4.0;  ///< sampled negatives per held-out positive (>= 0)
  std::size_t bins = 10;       ///< calibration bins (>= 1)
  std::uint64_t seed = 1;      ///< negative sampling seed
};

/// P(engage) quality of an engagement model on held-out labelled pairs.
struct EngagementEvalResult {
  std::size_t positives = 0, negatives = 0;
  double auc = 0.0;                         ///< ROC AUC of the probabilities
  double logLoss = 0.0;                     ///< mean cross-entropy
  double brier = 0.0;                       ///< mean (p - y)^2
  double positiveRate = 0.0;                ///< share of positive pairs
  double meanPredicted = 0.0;               ///< mean probability (calibration-in-the-large)
  std::vector<CalibrationBin> calibration;  ///< reliability diagram, uniform bins over [0, 1]
};

/// Evaluates a fitted engagement model's probabilities on pairs labelled from `test` (same id
/// maps as the training data, else ModelError): positives = distinct (user, item) pairs of
/// `test` that are positive under the model's label configuration; negatives = below-threshold
/// test interactions (threshold mode) plus `negativeRatio` per positive drawn uniformly, per
/// user with a seeded stream, among items the user touched neither in training nor in test.
/// Probabilities come from EngagementModel::predictProbability. Throws ModelError when the
/// labelled set has no positive or no negative, Cancelled when ctx is stopped.
EngagementEvalResult evaluateEngagement(const EngagementModel& model, const Dataset& test,
                                        const EngagementEvalOptions& options, TaskContext& ctx);

}  // namespace rwb
