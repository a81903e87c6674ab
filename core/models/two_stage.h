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
/// Stacking: `score_models` ({registry name: parameters}) adds more models whose scores are
/// features ("score:<name>"), fitted on A beside the generator (and refitted on the whole
/// training set for serving), so the re-ranker learns how to combine several generators from
/// the label part B.
/// Ranking: non-candidates score -infinity in recommend(); score() re-ranks any items given
/// (items outside the candidate list get their rank in the generator's full ranking).
///
/// Cost per scoring call: the generator scores the catalogue once (its scores rank the
/// candidates and are passed to the pipeline as the "score:candidate" values, see
/// FeaturePipeline::userPairMatrix); score() finds the ranks of the requested items by counting
/// (O(numItems log m) for m items) instead of sorting the catalogue.

#include "core/models/engagement_model.h"
#include "core/models/model_score_source.h"
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

  const Model& candidateModel() const { return generator_->model(); }
  /// The generator's top-N ("candidates") items for the user with its scores, best first (ties
  /// by item index): the items recommend() and recommendNewUser() re-rank. Seen items (a new
  /// user's history) are never candidates. Throws ModelError before fit or out of range.
  std::vector<ScoredItem> candidates(const PairUser& user) const;
  /// The re-ranker's input rows for `items` of the user, exactly what score() and
  /// scoreNewUser() feed the re-ranker: the pipeline's row (block 5 = the generator's score)
  /// plus "candidate.rank" and "candidate.score_gap" from the generator's ranking of the whole
  /// catalogue (items outside it, e.g. seen ones, get rank numItems() + 1 and gap 1). Throws
  /// ModelError before fit or for an index out of range. Thread-safe.
  SparseMatrix rerankRows(const PairUser& user, std::span<const Index> items) const;
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
  /// The generator's scores of every item for the user (score() or scoreNewUser()), in item
  /// order, unmasked.
  std::vector<float> generatorScores(const PairUser& user) const;
  /// Sets -infinity for the items that are never candidates: seen items, a new user's history.
  void maskNonCandidates(const PairUser& user, std::span<float> gen) const;
  /// Re-ranker rows of the user's candidates (given best first, as from candidates()).
  SparseMatrix candidateRows(const PairUser& user, std::span<const ScoredItem> cand) const;
  /// recommend()'s scores: re-ranker margins of the candidates, -infinity elsewhere.
  void scoreCandidates(const PairUser& user, std::span<float> out) const;
  std::unique_ptr<Model> makeCandidateModel() const;
  /// The `score_models` entries, in the object's key order. Throws SpecError when malformed.
  std::vector<std::pair<std::string, Params>> scoreModelSpecs() const;
  /// Fits every score model on `train`, adds it to the pipeline as "score:<name>" and returns
  /// them in that order.
  std::vector<std::shared_ptr<const ModelScoreSource>> addScoreModels(FeaturePipeline& pipeline,
                                                                      const Dataset& train,
                                                                      const TrainingData& data,
                                                                      TaskContext& ctx) const;

  FeaturePipeline pipeline_;  ///< score source 0 is the candidate generator
  /// The candidate generator, owned here and shared with pipeline_ as its score source 0.
  std::shared_ptr<const ModelScoreSource> generator_;
  /// The stacked score models (pipeline_'s sources 1..), shared with it.
  std::vector<std::shared_ptr<const ModelScoreSource>> stacked_;
  std::unique_ptr<RowScorer> scorer_;
  std::vector<FeatureImportance> importance_;
};

}  // namespace rwb
