#pragma once
/// \file
/// Gradient-boosted trees over the FeaturePipeline, through XGBoost's C API (xgboost/c_api.h).
/// Objectives: binary:logistic (P(engage)), rank:ndcg and rank:pairwise (learning to rank,
/// one group per user). Early stopping on the validation split when one is given. The booster
/// is saved with XGBoosterSaveModelToBuffer (UBJSON) inside the model blob and restored with
/// XGBoosterLoadModelFromBuffer. Explanations are XGBoost's prediction contributions
/// (TreeSHAP, Lundberg et al. 2020): per feature, summing with the bias to the margin.

#include <memory>
#include <mutex>

#include "core/models/engagement_model.h"
#include "core/models/registry.h"
#include "core/models/tree_ensemble.h"

namespace rwb {

/// Options of the XGBoost scorer.
struct XgbOptions {
  std::string objective = "binary:logistic";
  int rounds = 200;
  double eta = 0.1;
  int maxDepth = 6;
  double minChildWeight = 1.0;
  double subsample = 1.0;
  double colsample = 1.0;
  double lambda = 1.0;
  int earlyStopping = 20;  ///< rounds without validation improvement (0 = off)
  std::string treeMethod = "hist";
};

/// The XGBoost RowScorer (also used by the two-stage re-ranker). Margins come from a compiled
/// copy of the trees (TreeEnsemble: the same margins, lock-free) once it has been checked against
/// XGBoost's own prediction on rows that exercise every split; a model it cannot compile, or one
/// that fails the check, is predicted by XGBoost, whose calls are serialised by a mutex.
/// Contributions (SHAP) and gains always come from XGBoost.
class XgbScorer final : public RowScorer {
 public:
  explicit XgbScorer(XgbOptions options);
  ~XgbScorer() override;
  void train(const RowTrainSet& train, const RowTrainSet& valid, std::uint64_t seed, int threads,
             TaskContext& ctx) override;
  void margins(const SparseMatrix& x, std::span<float> out) const override;
  double contributions(std::span<const FeatureValue> row, std::size_t dim,
                       std::vector<std::pair<std::uint32_t, double>>& out) const override;
  std::vector<double> gains(std::size_t dim) const override;
  std::string outputKind() const override;
  void save(BinaryWriter& out) const override;
  void load(BinaryReader& in, std::size_t dim) override;
  std::size_t memoryBytes() const override;

  /// Boosting rounds kept (after early stopping).
  int rounds() const noexcept { return rounds_; }
  /// True when margins() uses the compiled trees; otherwise compiledWhyNot() says why not.
  bool compiled() const;
  std::string compiledWhyNot() const;
  /// Margins through XGBoost's predictor regardless of the compiled trees (tests, benchmarks).
  void xgboostMargins(const SparseMatrix& x, std::span<float> out) const;

 private:
  struct Handle;
  /// Compiles the booster in `h` (after training or loading) and checks it against XGBoost.
  void compile(const Handle& h);

  XgbOptions opt_;
  std::unique_ptr<Handle> h_;
  std::shared_ptr<const TreeEnsemble> compiled_;
  std::string compiledWhyNot_ = "not trained";
  std::size_t dim_ = 0;
  int rounds_ = 0;
  mutable std::mutex mutex_;
};

/// Registry "gbdt".
class Gbdt final : public EngagementModel {
 public:
  explicit Gbdt(Params params) : EngagementModel(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "gbdt"; }

 protected:
  std::unique_ptr<RowScorer> makeScorer() const override;
  bool rankingObjective() const override;
};

/// XgbOptions from the "gbdt" parameter names (shared with two_stage).
XgbOptions xgbOptionsFromParams(const Params& p);
/// The XGBoost parameters read by xgbOptionsFromParams (gbdt; two_stage's GBDT re-ranker), with
/// the model's default `objective` ("binary:logistic", "rank:ndcg" or "rank:pairwise").
std::vector<ParamSpec> xgbParams(const std::string& objective);

}  // namespace rwb
