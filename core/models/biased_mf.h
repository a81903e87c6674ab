#pragma once
/// \file
/// Biased MF ("SVD" in Surprise; Funk 2006, Koren, Bell & Volinsky 2009): explicit rating
/// prediction by SGD with global mean, user and item biases. Formulas and tuning record:
/// docs/models-factor.md.

#include "core/models/factor_model.h"
#include "core/models/registry.h"

namespace rwb {

/// Rating-prediction errors over a test set.
struct RatingMetrics {
  double rmse = 0.0;             ///< sqrt(mean (r - r_hat)^2)
  double mae = 0.0;              ///< mean |r - r_hat|
  double r2 = 0.0;               ///< 1 - SSE / sum (r - mean r)^2 (mean of the test ratings)
  std::size_t count = 0;         ///< rows evaluated
  std::size_t unknownUsers = 0;  ///< rows whose user had no training data (bias fallback)
  std::size_t unknownItems = 0;  ///< rows whose item had no training data (bias fallback)
};

/// r_hat(u, i) = mu + b_u + b_i + p_u . q_i, fitted by SGD over the training ratings (shuffled
/// every epoch) on  sum (r - r_hat)^2 + reg (|p_u|^2 + |q_i|^2) + reg_b (b_u^2 + b_i^2).
/// Duplicate (user, item) rows are kept as separate ratings. score() = r_hat unclipped (a ranker);
/// predict() clips to the training rating range. Users or items without training ratings fall
/// back to the biases that exist (mu + b_i, mu + b_u, or mu) in predict(); in recommend() users
/// without training data get the popularity fallback like every model.
///
/// Threads and determinism as Bpr (stratified SGD, per-worker seeded RNGs): identical results
/// for the same data, seed and thread count. Per epoch, ctx.epochEnd gets "loss" (the training
/// MSE seen during the epoch) and, with a validation set, "valid_rmse"; `patience` > 0 stops
/// when validation RMSE has not improved for that many epochs and keeps the best epoch.
class BiasedMf final : public FactorModel {
 public:
  explicit BiasedMf(Params params) : FactorModel(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "biased_mf"; }

  /// Predicted rating, clipped to the training range. Any indices are accepted: indices beyond
  /// the fitted users/items (e.g. new ids appended by a test loader) use the bias fallback.
  /// Precondition: isFitted() (else ModelError).
  float predict(Index user, Index item) const;

  /// RMSE, MAE and R^2 of predict() over the rows of test (whose indices share the training id
  /// maps, e.g. loaded with base = train). Throws ModelError if not fitted or test is empty.
  RatingMetrics evaluateRatings(const Dataset& test) const;

  /// Global mean rating of the training data.
  float globalMean() const noexcept { return mean_; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  float mean_ = 0.0f;
  float minRating_ = 0.0f;
  float maxRating_ = 0.0f;
};

}  // namespace rwb
