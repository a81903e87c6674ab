#pragma once
/// \file
/// Explanations of engagement models: why a user got an item (signed feature contributions,
/// or the history items behind a similarity score) and which features matter overall.

#include <string>
#include <vector>

#include "core/data/id_map.h"

namespace rwb {

/// One feature's additive contribution to a model output.
struct FeatureContribution {
  std::string feature;        ///< pipeline feature name, e.g. "item.genres=Drama"
  float value = 0.0f;         ///< the feature's value in this pair's row
  double contribution = 0.0;  ///< signed, in the units of Explanation::output
};

/// One history item's contribution to a similarity score.
struct HistoryContribution {
  Index item = kNoIndex;
  double weight = 0.0;        ///< the engagement's profile weight (value, time decay)
  double contribution = 0.0;  ///< signed share of Explanation::output
};

/// The explanation of one (user, item) score. Contract: bias + sum of all `features`
/// contributions == output within 1e-5 (relative to max(1, |output|)), and likewise for
/// `history` when it is the decomposition (content similarity). Lists are sorted by
/// |contribution| descending.
struct Explanation {
  Index user = kNoIndex;
  Index item = kNoIndex;
  std::string outputKind;  ///< "logit" (P = sigmoid(output)), "cosine", "score"
  double output = 0.0;     ///< the model's raw output for the pair
  double bias = 0.0;       ///< the part of output not attributed to any feature
  std::vector<FeatureContribution> features;
  std::vector<HistoryContribution> history;
};

/// Global importance of one feature.
struct FeatureImportance {
  std::string feature;
  double meanAbsContribution = 0.0;  ///< mean |contribution| over a sample of training rows
  double gain = 0.0;                 ///< total split gain (trees); 0 for linear models
};

/// Implemented (as a second base) by models that can explain themselves. Thread-safe after fit.
class Explainable {
 public:
  virtual ~Explainable() = default;
  /// Explains the model's output for (user, item). Throws ModelError when out of range.
  virtual Explanation explain(Index user, Index item) const = 0;
  /// Features by decreasing importance (computed at fit time and saved with the model).
  virtual std::vector<FeatureImportance> globalImportance() const = 0;
};

/// Keeps the n entries of largest |contribution| (lists are already sorted).
inline void truncateExplanation(Explanation& e, std::size_t n) {
  if (e.features.size() > n) e.features.resize(n);
  if (e.history.size() > n) e.history.resize(n);
}

}  // namespace rwb
