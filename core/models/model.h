#pragma once
/// \file
/// The one model interface. Every recommender (collaborative, content, hybrid) implements it;
/// the runner, evaluator, exporter, CLI and GUI use nothing else.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/new_user.h"
#include "core/data/rec_list.h"
#include "core/models/param_schema.h"
#include "core/util/binary_io.h"
#include "core/util/task_context.h"

namespace rwb {

class FeaturePipeline;

/// What a model is trained on. `train` is required; `validation` (carved from train, never the
/// test split) may be used for early stopping. seed and threads make fitting deterministic:
/// same data + seed + threads => same model.
struct TrainingData {
  const Dataset& train;
  const Dataset* validation = nullptr;
  std::uint64_t seed = 42;
  int threads = 0;  ///< 0 = all hardware threads (the caller's TBB arena decides)
};

/// Base class of every model.
///
/// Life cycle: construct with resolved parameters (ParamSchema::resolve) -> fit() -> score() /
/// recommend() from any number of threads (const members are thread-safe after fit) -> save().
/// load() restores a model of the same type to a state whose scores equal the saved one's
/// exactly.
///
/// The base class keeps what every model needs: the catalogue size, each user's training items
/// (for "exclude seen") and item popularity (the fallback for users without training data).
/// Subclasses implement fitModel(), scoreItems() and the state (de)serialisation.
///
/// Ranking rule (all models): items are ordered by score descending; equal scores are ordered by
/// item index ascending, so results are deterministic. Items with score -infinity are never
/// recommended.
class Model {
 public:
  explicit Model(Params params) : params_(std::move(params)) {}
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  /// Registry name, e.g. "sar".
  virtual std::string type() const = 0;
  /// The resolved parameters the model was created with.
  const Params& params() const noexcept { return params_; }

  /// Trains on data.train. Throws Cancelled if ctx is stopped (the model is then left unfitted),
  /// ModelError on invalid input. Reports progress and epochs through ctx.
  void fit(const TrainingData& data, TaskContext& ctx);
  bool isFitted() const noexcept { return fitted_; }

  /// Scores `items` for `user` into out (same length). Higher = more likely to engage.
  /// Users without training interactions are scored by the model if canScoreUser() says so,
  /// otherwise by item popularity. Precondition: isFitted(), indices in range (else ModelError).
  void score(Index user, std::span<const Index> items, std::span<float> out) const;

  /// Top-k items for a user. excludeSeen drops the user's training items.
  /// Virtual so that a model with its own exact batch path (SAR ranks in double) can give one
  /// user the same list; overrides must equal recommendBatch() for that user.
  virtual RecList recommend(Index user, std::size_t k, bool excludeSeen = true) const;

  /// recommend() for many users, in parallel (TBB, within the caller's arena). Result i belongs
  /// to users[i]. Throws Cancelled when ctx is stopped. Virtual so that models with a blocked
  /// batch path (factor models) can override it; results must equal recommend()'s.
  virtual std::vector<RecList> recommendBatch(std::span<const Index> users, std::size_t k,
                                              bool excludeSeen, TaskContext& ctx) const;

  /// The k items most similar to `item` (excluding itself), for "more like this" and the
  /// GUI's item view. Default: cosine similarity of the items' training co-occurrence,
  /// cos(i, j) = |U(i) ∩ U(j)| / sqrt(|U(i)| |U(j)|) over the sets U of users who interacted;
  /// models with item embeddings or learned item-item weights override it. Ties by item index.
  virtual std::vector<ScoredItem> similarItems(Index item, std::size_t k) const;

  /// True when the model itself can score this user (it has training interactions, or the model
  /// represents users through features). False means the popularity fallback is used.
  virtual bool canScoreUser(Index user) const;

  /// True when the model scores this new user itself: feature models (logistic_regression,
  /// gbdt, factorization_machine, two_stage) always, from the user's attributes;
  /// content_similarity when the history is non-empty. False: the popularity fallback is used.
  virtual bool canScoreNewUser(const NewUser& user) const;

  /// Scores `items` for a new user: the model's own scores when canScoreNewUser(user), else item
  /// popularity (the values score() gives a user without training data). Thread-safe after fit.
  /// Throws ModelError for indices out of range and SpecError for an attribute column whose type
  /// the model cannot encode.
  void scoreNewUser(const NewUser& user, std::span<const Index> items, std::span<float> out) const;

  /// Top-k for a new user (history items excluded); fallback is true when the popularity
  /// fallback was used. Same ranking rule as recommend().
  RecList recommendNewUser(const NewUser& user, std::size_t k) const;

  /// True when score() is a logit, so that P(engage) = 1 / (1 + exp(-score)) for users the
  /// model scores itself (logistic objectives). False for rankers and similarity scores.
  virtual bool scoreIsLogit() const { return false; }

  /// The fitted feature pipeline of feature models, nullptr for models without one.
  virtual const FeaturePipeline* featurePipeline() const { return nullptr; }

  /// The inner-product form of the model's ranking, for approximate top-k (docs/export.md):
  /// when innerProductDim() = d > 0, every user the model can score (canScoreUser) has a query
  /// q_u and every item a vector v_i, both of d floats, with score(u, i) = q_u . v_i + c_u (c_u
  /// a per-user constant), so ranking a user's items by q_u . v_i ranks them as score() does.
  /// 0 (the default) = the model has no such form (item-item, feature and tree models).
  virtual std::size_t innerProductDim() const { return 0; }
  /// Writes q_u into out (innerProductDim() floats). Precondition: innerProductDim() > 0 and
  /// canScoreUser(user); throws ModelError otherwise.
  virtual void innerProductQuery(Index user, std::span<float> out) const;
  /// Writes v_i into out (innerProductDim() floats). Precondition: innerProductDim() > 0 and
  /// item < numItems(); throws ModelError otherwise.
  virtual void innerProductItem(Index item, std::span<float> out) const;

  /// Number of users / items the model was fitted with (the dataset's id map sizes).
  std::size_t numUsers() const noexcept { return numUsers_; }
  std::size_t numItems() const noexcept { return numItems_; }
  /// The user's training items (sorted), empty for unknown users.
  std::span<const Index> seenItems(Index user) const;
  /// Training interaction count per item (popularity fallback).
  const std::vector<float>& itemPopularity() const noexcept { return popularity_; }

  /// Serialises type, parameters, common state and the model's own state.
  void save(BinaryWriter& out) const;
  /// Restores the model's own state and common state (type and parameters are read by
  /// loadModel()). Validates every size and index; throws ModelError when corrupt.
  void loadState(BinaryReader& in);

  /// Approximate bytes held by the fitted model (for memory reports).
  virtual std::size_t memoryBytes() const;

 protected:
  /// Trains the model proper; called by fit() after the common state is set.
  virtual void fitModel(const TrainingData& data, TaskContext& ctx) = 0;
  /// Scores items for a user the model can score (canScoreUser(user) is true).
  virtual void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const = 0;
  /// Scores every item (out.size() == numItems()). Default: scoreItems over 0..n-1; models with
  /// a faster dense path override it.
  virtual void scoreAllItems(Index user, std::span<float> out) const;
  /// Scores items for a new user the model can score (canScoreNewUser(user) is true); item
  /// indices are checked by the caller. Default: throws ModelError (no model path).
  virtual void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                 std::span<float> out) const;
  /// Scores every item for recommendNewUser(); default: scoreNewUserItems over 0..n-1. -infinity
  /// marks items that must not be recommended (e.g. non-candidates of a two-stage model).
  virtual void scoreAllNewUserItems(const NewUser& user, std::span<float> out) const;
  virtual void saveState(BinaryWriter& out) const = 0;
  virtual void loadModelState(BinaryReader& in) = 0;

  /// Parameter accessors for subclasses.
  double paramDouble(const char* name) const { return params_.at(name).get<double>(); }
  long long paramInt(const char* name) const { return params_.at(name).get<long long>(); }
  bool paramBool(const char* name) const { return params_.at(name).get<bool>(); }
  std::string paramString(const char* name) const { return params_.at(name).get<std::string>(); }

 private:
  void checkUser(Index user) const;
  void checkNewUser(const NewUser& user) const;

  Params params_;
  bool fitted_ = false;
  std::size_t numUsers_ = 0;
  std::size_t numItems_ = 0;
  Csr seen_;                       ///< binary user x item matrix of the training data
  Csr seenByItem_;                 ///< its transpose (item -> users), for similarItems()
  std::vector<float> popularity_;  ///< training interactions per item
};

/// Picks the top k of scores (one per item index) with the ranking rule above, skipping items
/// with -infinity scores. Used by every model's recommend path.
std::vector<ScoredItem> topK(std::span<const float> scores, std::size_t k);

}  // namespace rwb
