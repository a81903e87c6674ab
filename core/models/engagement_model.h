#pragma once
/// \file
/// EngagementModel: the shared frame of feature-based P(engage) models (logistic regression,
/// GBDT): a FeaturePipeline fitted on train, a labelled training matrix, a RowScorer that learns
/// a margin per feature row, and explanations from exact per-feature contributions.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/features/feature_pipeline.h"
#include "core/models/explanation.h"
#include "core/models/model.h"

namespace rwb {

/// What a RowScorer is trained on. groups: for ranking objectives, the sizes of consecutive
/// row groups (one per user); empty otherwise.
struct RowTrainSet {
  const SparseMatrix* x = nullptr;
  std::span<const float> label;
  std::vector<std::uint32_t> groups;
};

/// Learns margin(row) from sparse rows; the probability of engagement is sigmoid(margin) for
/// outputKind() == "logit".
class RowScorer {
 public:
  virtual ~RowScorer() = default;
  /// Trains on `train`; `valid` (may have x == nullptr) drives early stopping. Reports epochs
  /// through ctx; throws Cancelled on stop (the scorer is then unusable until trained again).
  virtual void train(const RowTrainSet& train, const RowTrainSet& valid, std::uint64_t seed,
                     int threads, TaskContext& ctx) = 0;
  /// Raw margins of every row of x into out (out.size() == x.rows()). Thread-safe.
  virtual void margins(const SparseMatrix& x, std::span<float> out) const = 0;
  /// Exact additive contributions of one row's features: appends (feature index, contribution)
  /// and returns the bias, so that bias + sum(contributions) == margin. Thread-safe.
  virtual double contributions(std::span<const FeatureValue> row, std::size_t dim,
                               std::vector<std::pair<std::uint32_t, double>>& out) const = 0;
  /// Total split gain per feature (length dim), or empty when not defined (linear models).
  virtual std::vector<double> gains(std::size_t dim) const = 0;
  virtual std::string outputKind() const { return "logit"; }
  virtual void save(BinaryWriter& out) const = 0;
  virtual void load(BinaryReader& in, std::size_t dim) = 0;
  virtual std::size_t memoryBytes() const = 0;
};

/// Builds the training (and validation) matrix from the pipeline and trains a scorer on it.
/// Shared by EngagementModel and the two-stage re-ranker. Returns the training matrix size.
std::size_t trainScorerOnPipeline(const FeaturePipeline& pipeline, RowScorer& scorer,
                                  const TrainingData& data, bool ranking, TaskContext& ctx);

/// Global importance from a deterministic sample of pairs (mean |contribution|) plus gains.
std::vector<FeatureImportance> computeImportance(const FeaturePipeline& pipeline,
                                                 const RowScorer& scorer,
                                                 const SparseMatrix& sample);
/// The same for rows whose features are named by `names` (index = feature index), e.g. a
/// pipeline row extended by a model's own context features.
std::vector<FeatureImportance> computeImportance(const std::vector<std::string>& names,
                                                 const RowScorer& scorer,
                                                 const SparseMatrix& sample);
void saveImportance(BinaryWriter& out, const std::vector<FeatureImportance>& imp);
std::vector<FeatureImportance> loadImportance(BinaryReader& in);

/// Explains one row with a scorer: names, values, contributions sorted by |contribution|.
Explanation explainRow(const FeaturePipeline& pipeline, const RowScorer& scorer,
                       std::span<const FeatureValue> row);
/// The same for rows whose features are named by `names`.
Explanation explainRow(const std::vector<std::string>& names, const RowScorer& scorer,
                       std::span<const FeatureValue> row);

/// Base of feature-pipeline models. Users are represented through their features, so every
/// user (including users without training interactions) is scored by the model itself.
class EngagementModel : public Model, public Explainable {
 public:
  using Model::Model;
  bool canScoreUser(Index user) const override { return user < numUsers(); }
  const FeaturePipeline& pipeline() const noexcept { return pipeline_; }
  const RowScorer& scorer() const { return *scorer_; }

  /// P(engage) for each item (sigmoid of the margin), for calibrated use.
  void predictProbability(Index user, std::span<const Index> items, std::span<float> out) const;

  Explanation explain(Index user, Index item) const override;
  std::vector<FeatureImportance> globalImportance() const override { return importance_; }
  std::size_t memoryBytes() const override;

  /// Every new user: rows from the user's attributes (see FeaturePipeline::newUserPairMatrix).
  bool canScoreNewUser(const NewUser&) const override { return isFitted(); }
  /// True for a scorer whose margin is a logit (binary:logistic, logistic regression).
  bool scoreIsLogit() const override;
  const FeaturePipeline* featurePipeline() const override { return &pipeline_; }

 protected:
  /// A fresh, untrained scorer configured from params().
  virtual std::unique_ptr<RowScorer> makeScorer() const = 0;
  /// True when the objective ranks groups (rank:ndcg / rank:pairwise).
  virtual bool rankingObjective() const { return false; }

  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  FeaturePipeline pipeline_;
  std::unique_ptr<RowScorer> scorer_;
  std::vector<FeatureImportance> importance_;
};

}  // namespace rwb
