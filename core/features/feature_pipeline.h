#pragma once
/// \file
/// FeaturePipeline: the declarative feature engineering of content-based and hybrid models.
///
/// A pipeline is configured from JSON (FeatureConfig), fitted on the training split only, and
/// saved inside every model that uses it. It turns a (user, item) pair into one sparse feature
/// row made of these blocks, in this order (formulas in docs/features.md):
///   1. user attribute encoders      (one-hot, multi-hot, numeric, text TF-IDF, dates)
///   2. item attribute encoders      (the item's "content vector")
///   3. crosses                      (user categorical value x item category, hashed-free)
///   4. behavioural features         (profile cosine, category affinity, item popularity,
///                                    item recency, item-is-new, user activity)
///   5. collaborative scores         (any ScoreSource, e.g. a trained model: addScoreSource)
/// Every statistic (vocabularies, IDF, means, quantiles, profiles, popularity) is computed from
/// the training Dataset given to fit() and from nothing else.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/new_user.h"
#include "core/features/column_encoder.h"
#include "core/features/feature_config.h"
#include "core/features/pair_rows.h"
#include "core/features/score_source.h"
#include "core/features/sparse.h"
#include "core/features/training_matrix.h"
#include "core/util/binary_io.h"
#include "core/util/task_context.h"

namespace rwb {

class BehaviourStats;
class CellPopularity;

/// Fitted feature pipeline. After fit(), all const members are thread-safe.
class FeaturePipeline {
 public:
  explicit FeaturePipeline(FeatureConfig config = {});
  ~FeaturePipeline();
  FeaturePipeline(FeaturePipeline&&) noexcept;
  FeaturePipeline& operator=(FeaturePipeline&&) noexcept;

  const FeatureConfig& config() const noexcept { return config_; }

  /// Fits every encoder and behavioural statistic on `train` (its interactions, and the
  /// attributes of the users and items that appear in those interactions). Throws SpecError for
  /// a configured column that does not exist or has the wrong type; Cancelled on stop. On any
  /// error the pipeline is unchanged; until a fit succeeds, rows and save() throw ModelError.
  void fit(const Dataset& train, TaskContext& ctx);

  /// Recomputes only the behavioural statistics (profiles, affinities, popularity, recency,
  /// activity) from `data`, keeping every encoder, content vector and feature index, and drops
  /// the score sources (they belong to the previous data). Used to train a model on rows from a
  /// subset of the training data and serve it with statistics of the whole, in one feature
  /// space. Same id maps as fit()'s data required (ModelError); on error or Cancelled the
  /// pipeline is unchanged.
  void refitBehaviour(const Dataset& data, TaskContext& ctx);

  /// Adds the scores of a fitted source as a feature named "score:<name>" (block 5). The source
  /// must be fitted on the same id maps (else ModelError); the pipeline shares ownership and
  /// saves the source's bytes with its own. Call after fit(); it changes dim().
  void addScoreSource(std::string name, std::shared_ptr<const ScoreSource> source);
  std::size_t numScoreSources() const noexcept { return scoreNames_.size(); }
  /// After load(): the saved bytes of source i, for its owner to rebuild the source and
  /// bindScoreSource() it. The pipeline scores nothing until every source is bound.
  const std::string& savedScoreSource(std::size_t i) const;
  /// Binds a rebuilt source to slot i after load() (same id maps required, else ModelError).
  void bindScoreSource(std::size_t i, std::shared_ptr<const ScoreSource> source);

  /// Total number of features of a pair row.
  std::size_t dim() const noexcept { return names_.size() + scoreNames_.size(); }
  /// Feature names, index = feature index ("item.genres=Drama", "behaviour.profile_cosine").
  std::vector<std::string> featureNames() const;
  std::string featureName(std::uint32_t index) const;

  /// Number of users / items the pipeline was fitted for.
  std::size_t numUsers() const noexcept { return numUsers_; }
  std::size_t numItems() const noexcept { return numItems_; }

  /// The item's content vector (block 2 only, indices relative to the item block start), from
  /// its attributes; defined for every item, including items absent from training.
  const SparseVector& itemContent(Index item) const { return itemContent_.at(item); }
  /// The user's attribute vector (block 1, relative indices).
  const SparseVector& userAttributes(Index user) const { return userAttr_.at(user); }
  /// Size of the item content block and the user attribute block.
  std::size_t itemContentDim() const noexcept { return itemDim_; }
  std::size_t userAttributeDim() const noexcept { return userDim_; }
  /// Offsets of blocks 1 and 2 in the pair row.
  std::uint32_t userBlockOffset() const noexcept { return 0; }
  std::uint32_t itemBlockOffset() const noexcept { return static_cast<std::uint32_t>(userDim_); }

  /// The user's content profile: sum_k w_k x_k over engaged training items k, with
  /// w_k = value^valueWeighted * 2^(-age_k / halfLife); dense, length itemContentDim(); empty
  /// span for users without training engagements.
  std::span<const float> userProfile(Index user) const;
  /// The training engagements that built the profile: (item, weight w_k).
  std::vector<std::pair<Index, float>> profileItems(Index user) const;
  /// cosine(profile(user), itemContent(item)), 0 when either is empty.
  double profileCosine(Index user, Index item) const;
  /// True if the user has at least one training engagement.
  bool hasProfile(Index user) const;

  /// The full feature row of a pair (blocks 1-5), sorted by index, zeros omitted except for the
  /// count-like behavioural features (item popularity, item-is-new, item recency, user
  /// activity), which are always present so that tree learners never read 0 as "missing".
  void pairFeatures(Index user, Index item, SparseVector& out) const;

  /// Builds the labelled training matrix from `train` (normally the dataset fit() saw): one row
  /// per distinct positive (user, item), explicit negatives if configured, and ratio sampled
  /// negatives per positive (items the user never interacted with in train). Behavioural
  /// features of training positives are computed leave-one-out (the row's own interaction is
  /// removed from profile and affinity; item popularity keeps it, see docs), so that training
  /// rows look like unseen
  /// pairs at serving time. Deterministic for a given seed; parallel over users.
  TrainingMatrix buildTrainingMatrix(const Dataset& train, std::uint64_t seed,
                                     TaskContext& ctx) const;

  /// Rows for arbitrary pairs (no labels), e.g. a validation set. Score models are called once
  /// per run of equal consecutive users. Throws ModelError for sizes or indices out of range.
  SparseMatrix pairMatrix(std::span<const Index> users, std::span<const Index> items) const;

  /// Rows (blocks 1-5) of (user, items[k]), one per item in order; the one path behind
  /// pairMatrix() and newUserPairMatrix(), whose rows it equals exactly. Block 1 is the known
  /// user's fitted attribute vector or the new user's encoded attributes; the behavioural block
  /// of a new user is that of a user without training interactions. Block 5: score source m's
  /// values come from `known` when an entry names m, otherwise from one call of the source's
  /// scoreKnown() (known user) or scoreNew() (new user) over `items`. Throws ModelError for an
  /// index out of range, an unbound source, or a `known` entry with a bad index or length,
  /// SpecError for a new user's attribute column the pipeline cannot encode.
  SparseMatrix userPairMatrix(const PairUser& user, std::span<const Index> items,
                              std::span<const KnownScores> known = {}) const;

  /// The fitted encoders of block 1 (user attributes), in block order.
  const std::vector<ColumnEncoder>& userEncoders() const noexcept { return userEncoders_; }

  /// A copy of the user-attribute columns this pipeline reads from `table`, each converted to a
  /// type its encoder accepts (numbers and text become categories, category text becomes
  /// numbers or free text, "a|b" becomes a multi-valued row), so that attributes typed by a
  /// different loader or sent as JSON encode exactly like the training ones. Columns the
  /// pipeline does not read are dropped; absent columns stay absent (missing values). Throws
  /// SpecError naming the column and row of a value that is not a number where one is needed.
  AttributeTable conformUserAttributes(const AttributeTable& table) const;

  /// Block 1 (relative indices) of a user described by row `row` of `table` (nullptr = every
  /// attribute missing). Columns are matched by name; a column of a type its encoder cannot
  /// take throws SpecError (pass the table through conformUserAttributes() first).
  SparseVector encodeUserAttributes(const AttributeTable* table, Index row) const;

  /// Rows (blocks 1-5) of (new user, item) pairs: block 1 from the user's attributes, the
  /// behavioural block as for a user without training interactions, and score features
  /// from each score source's scoreNew(). Same layout as pairMatrix();
  /// userPairMatrix(PairUser::fresh(user), items).
  SparseMatrix newUserPairMatrix(const NewUser& user, std::span<const Index> items) const;

  /// cosine(profile built from `history` with weight 1 each, itemContent(item)), 0 when either
  /// is empty: content_similarity's score of a new user.
  std::vector<float> historyCosine(std::span<const Index> history,
                                   std::span<const Index> items) const;

  /// True when the interaction at row r of `data` is a positive under the label config.
  bool isPositive(const Interactions& log, std::size_t r) const;

  void save(BinaryWriter& out) const;
  /// Restores a pipeline written by save(). Throws ModelError when corrupt.
  static FeaturePipeline load(BinaryReader& in);

 private:
  /// The i-th source; ModelError while unbound (after load(), before bindScoreSource()).
  const ScoreSource& scoreSource(std::size_t i) const;
  void buildNames();
  void computeContentVectors(const Dataset& data);
  void checkPair(Index user, Index item) const;
  /// Score-source values (block 5) of (user, items[k]) into scores[k * numScoreSources() + m]:
  /// from `known` where given, else one scoreKnown()/scoreNew() call per source. The only
  /// place the pipeline calls its score sources.
  void scoreSourceValues(const PairUser& user, std::span<const Index> items,
                         std::span<const KnownScores> known, std::span<float> scores) const;
  /// Appends the rows of (user, items[k]) to m: u as in rowInto, attr its block 1, scores as
  /// from scoreSourceValues.
  void appendRows(Index u, const SparseVector& attr, std::span<const Index> items,
                  std::span<const float> scores, SparseMatrix& m) const;
  /// Blocks 1-5 of (u, i) into out; scores has one value per score source.
  /// u == kNoIndex: a new user (no training interactions) whose block 1 is userAttr. loo: a
  /// training positive whose own engagement (weight looWeight) leaves profile and affinities.
  /// self: the user of the id maps whose engagements the cell popularity leaves out (u, or the
  /// training user of a cold-user dropout row; kNoIndex for a new user).
  void rowInto(Index u, Index self, const SparseVector& userAttr, Index i, bool loo,
               float looWeight, const float* scores, SparseVector& out) const;

  FeatureConfig config_;
  bool fitted_ = false;
  std::size_t numUsers_ = 0, numItems_ = 0;
  std::vector<ColumnEncoder> userEncoders_, itemEncoders_;
  std::size_t userDim_ = 0, itemDim_ = 0, crossDim_ = 0, behaviourDim_ = 0;
  std::vector<SparseVector> userAttr_, itemContent_;
  // crosses: for cross c, the user encoder index and item encoder index it multiplies.
  std::vector<std::pair<std::size_t, std::size_t>> crossEncoders_;
  std::vector<std::size_t> crossOffsets_;
  std::vector<std::uint32_t> userStarts_, itemStarts_;  ///< encoder slice starts per block
  std::unique_ptr<BehaviourStats> beh_;                 ///< never null (unless moved from)
  std::unique_ptr<CellPopularity> cells_;  ///< never null (unless moved from); end of block 4
  std::vector<std::string> names_;         ///< blocks 1-4
  std::vector<std::string> scoreNames_;    ///< "score:<name>" per source slot
  std::vector<std::shared_ptr<const ScoreSource>> scoreSources_;  ///< nullptr = not yet bound
  std::vector<std::string> savedSources_;  ///< bytes read by load(), per slot (else empty)
};

}  // namespace rwb
