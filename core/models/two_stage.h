#pragma once
/// \file
/// Two-stage recommender: a candidate generator (any registered model) proposes its top N
/// unseen items, and an engagement model (GBDT or logistic regression) over the FeaturePipeline
/// re-ranks them, with the generator's score as one of the features ("score:candidate").
///
/// Training without leakage: a `label_fraction` share of each user's training interactions
/// (seeded random per user, or the most recent by timestamp with label_split = "temporal") form
/// the label part B, the rest the history part A. The generator and the pipeline are fitted on
/// A; the re-ranker learns on A's top-N candidates of each user (the rows serving will see) with
/// B membership as the label. Besides the pipeline's features (which include the generator's
/// score, "score:candidate") every row carries two context features: "candidate.rank" (1-based
/// position in the generator's list) and "candidate.score_gap" ((top - s) / |top|). For
/// serving, the generator and the pipeline are refitted on the whole training set.
/// Ranking: non-candidates score -infinity in recommend(); score() re-ranks any items given
/// (items outside the candidate list get their rank in the generator's full ranking).

#include "core/models/engagement_model.h"
#include "core/models/registry.h"

namespace rwb {

/// Registry "two_stage".
class TwoStage final : public Model, public Explainable {
 public:
  explicit TwoStage(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "two_stage"; }
  /// Every user: cold users get the generator's fallback candidates, re-ranked by features.
  bool canScoreUser(Index user) const override { return user < numUsers(); }

  const Model& candidateModel() const { return pipeline_.scoreModel(0); }
  Explanation explain(Index user, Index item) const override;
  std::vector<FeatureImportance> globalImportance() const override { return importance_; }
  std::size_t memoryBytes() const override;
  /// Every new user: the generator's candidates for the new user (its own new-user scores, or
  /// its popularity fallback), re-ranked from the user's attributes.
  bool canScoreNewUser(const NewUser&) const override { return scorer_ != nullptr; }
  bool scoreIsLogit() const override;
  const FeaturePipeline* featurePipeline() const override { return &pipeline_; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const override;
  void scoreAllNewUserItems(const NewUser& user, std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  std::unique_ptr<RowScorer> makeScorer() const;
  /// The generator's top n unseen items of the user, best first.
  std::vector<ScoredItem> rankedCandidates(Index user, std::size_t n) const;
  /// The generator's top n items for a user outside the training data, best first.
  std::vector<ScoredItem> rankedNewUserCandidates(const NewUser& user, std::size_t n) const;
  /// Re-ranker rows of a ranked candidate list: pair features plus the context features from
  /// list positions (what training saw).
  static SparseMatrix candidateRows(SparseMatrix pairs, std::span<const ScoredItem> cand);
  /// Re-ranker rows of arbitrary items, their context taken from the generator's full ranking.
  SparseMatrix itemRows(SparseMatrix pairs, std::span<const ScoredItem> ranked,
                        std::span<const Index> items) const;
  std::unique_ptr<Model> makeCandidateModel() const;

  FeaturePipeline pipeline_;  ///< score model 0 is the candidate generator
  std::unique_ptr<RowScorer> scorer_;
  std::vector<FeatureImportance> importance_;
};

}  // namespace rwb
