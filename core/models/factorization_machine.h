#pragma once
/// \file
/// Factorization machine over user, item and feature fields, in the LightFM family (Kula 2015):
/// a user is the sum of the embeddings of its features (its id, when it has training data, and
/// its attribute features from the FeaturePipeline), an item likewise (id + content features).
///   e_u = sum_a x_a V_a,  e_i = sum_b x_b W_b,  beta_u = sum_a x_a p_a,  beta_i = sum_b x_b q_b
///   output(u, i) = w0 + beta_u + beta_i + e_u . e_i
/// Each side's feature values are L1-normalised. Losses: "logistic" (sampled negatives,
/// P(engage) = sigmoid(output)), "bpr" (Rendle et al. 2009) and "warp" (Weston et al. 2011:
/// negatives sampled until one violates the margin, update weighted by log(floor((n-1)/N))).
/// Adagrad updates, single-threaded and deterministic for a seed. Given a validation split
/// (TrainingData::validation), every epoch reports its nDCG@validation_k ("valid_ndcg@k" in
/// TaskContext::epochEnd) and, with patience > 0, training stops after that many epochs
/// without a gain and the best epoch's parameters are kept (core/models/early_stopping.h). New
/// users and items are represented through their features alone. Explanations: every pairwise term
/// x_a x_b V_a.W_b is split half to a and half to b, bias terms go to their feature, w0 is the
/// bias; exact.

#include "core/features/feature_pipeline.h"
#include "core/models/explanation.h"
#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// Registry "factorization_machine".
class FactorizationMachine final : public Model, public Explainable {
 public:
  explicit FactorizationMachine(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "factorization_machine"; }
  /// Every user: users without training data are represented by their attributes.
  bool canScoreUser(Index user) const override { return user < numUsers(); }

  Explanation explain(Index user, Index item) const override;
  std::vector<FeatureImportance> globalImportance() const override { return importance_; }
  std::size_t memoryBytes() const override;
  /// Every new user: represented by its attribute features alone (no id embedding).
  bool canScoreNewUser(const NewUser&) const override { return isFitted(); }
  /// True for the logistic loss (P(engage) = sigmoid(output)).
  bool scoreIsLogit() const override { return paramString("loss") == "logistic"; }
  const FeaturePipeline* featurePipeline() const override { return &pipeline_; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  /// The side's normalised feature list: id (if used) then attribute features.
  void userFeatures(Index u, SparseVector& out) const;
  void itemFeatures(Index i, SparseVector& out) const;
  void cacheRepresentations();
  /// Mean nDCG@k over the validation users with training rows, seen items excluded.
  double validationNdcg(const Dataset& validation, std::size_t k) const;
  std::string userFeatureName(std::uint32_t f) const;
  std::string itemFeatureName(std::uint32_t f) const;

  FeaturePipeline pipeline_;
  std::size_t k_ = 0;
  std::vector<char> userHasId_, itemHasId_;  ///< id feature used (entity had training data)
  std::vector<float> V_, W_;                 ///< user / item feature embeddings (row-major, k)
  std::vector<float> p_, q_;                 ///< user / item feature biases
  double w0_ = 0.0;
  std::vector<FeatureImportance> importance_;
  // Caches (not saved): representations per user / item.
  std::vector<float> userRepr_, itemRepr_, userBias_, itemBias_;
};

}  // namespace rwb
