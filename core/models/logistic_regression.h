#pragma once
/// \file
/// Logistic regression P(engage | pair features) over the FeaturePipeline.
///
/// Minimises  (1/n) sum_r log(1 + exp(-s_r m_r)) + l2/2 |w|^2 + l1 |w|_1,  s_r = +-1,
/// m_r = b + sum_j w_j x_rj (bias unpenalised). Features are scaled by their training max |x|
/// while solving (weights are mapped back, so contributions use the raw features).
/// Solvers: "lbfgs" (L-BFGS, m = 10, Armijo backtracking; L2 only) and "cd" (cyclic
/// coordinate descent with a one-dimensional Newton step and soft thresholding, as in glmnet /
/// Friedman, Hastie & Tibshirani 2010; L1 and L2). "auto" = cd when l1 > 0, else lbfgs.

#include "core/models/engagement_model.h"
#include "core/models/registry.h"

namespace rwb {

/// Options of the linear scorer.
struct LinearOptions {
  double l2 = 1e-4;
  double l1 = 0.0;
  std::string solver = "auto";
  int maxIter = 200;
  double tol = 1e-6;  ///< stop when the relative objective decrease is below tol
};

/// The logistic regression RowScorer (also used by the two-stage re-ranker).
class LinearScorer final : public RowScorer {
 public:
  explicit LinearScorer(LinearOptions options) : opt_(std::move(options)) {}
  void train(const RowTrainSet& train, const RowTrainSet& valid, std::uint64_t seed, int threads,
             TaskContext& ctx) override;
  void margins(const SparseMatrix& x, std::span<float> out) const override;
  double contributions(std::span<const FeatureValue> row, std::size_t dim,
                       std::vector<std::pair<std::uint32_t, double>>& out) const override;
  std::vector<double> gains(std::size_t) const override { return {}; }
  void save(BinaryWriter& out) const override;
  void load(BinaryReader& in, std::size_t dim) override;
  std::size_t memoryBytes() const override { return w_.size() * sizeof(double); }

  const std::vector<double>& weights() const noexcept { return w_; }
  double bias() const noexcept { return b_; }
  int iterations() const noexcept { return iterations_; }

 private:
  LinearOptions opt_;
  std::vector<double> w_;
  double b_ = 0.0;
  int iterations_ = 0;
};

/// Registry "logistic_regression".
class LogisticRegression final : public EngagementModel {
 public:
  explicit LogisticRegression(Params params) : EngagementModel(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "logistic_regression"; }

 protected:
  std::unique_ptr<RowScorer> makeScorer() const override;
};

}  // namespace rwb
