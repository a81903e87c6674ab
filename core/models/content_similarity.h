#pragma once
/// \file
/// Content similarity: score(u, i) = cosine(profile_u, x_i), where x_i is the item's content
/// vector from the FeaturePipeline (attributes, TF-IDF text) and profile_u = sum_k w_k x_k over
/// the user's engaged training items (w_k = value and time decay, see FeaturePipeline). Brand-new
/// items are scored from their attributes alone. Explanations decompose the score exactly over
/// history items: contribution_k = w_k (x_k . x_i) / (|profile_u| |x_i|).

#include "core/features/feature_pipeline.h"
#include "core/models/explanation.h"
#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// Registry "content_similarity".
class ContentSimilarity final : public Model, public Explainable {
 public:
  explicit ContentSimilarity(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "content_similarity"; }
  /// Users with at least one training engagement (their profile is defined).
  bool canScoreUser(Index user) const override;
  const FeaturePipeline& pipeline() const noexcept { return pipeline_; }
  /// New users with a non-empty history: cosine(profile of the history items, x_i).
  bool canScoreNewUser(const NewUser& user) const override { return !user.history.empty(); }
  const FeaturePipeline* featurePipeline() const override { return &pipeline_; }

  /// output = cosine; `history` decomposes it over the user's engaged items, `features` over the
  /// item's content features (both exact).
  Explanation explain(Index user, Index item) const override;
  std::vector<FeatureImportance> globalImportance() const override { return importance_; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  FeaturePipeline pipeline_;
  std::vector<FeatureImportance> importance_;
};

}  // namespace rwb
