#pragma once
/// \file
/// BehaviourStats: the behavioural statistics of a FeaturePipeline (block 4 of a pair row),
/// computed from training interactions only: engagement lists and weights, user content
/// profiles, category affinities, item popularity and recency, user activity. Formulas in
/// docs/features.md ("Behavioural features").

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/data/dataset.h"
#include "core/features/feature_config.h"
#include "core/features/sparse.h"
#include "core/util/binary_io.h"
#include "core/util/task_context.h"

namespace rwb {

/// Behavioural statistics of one training Dataset. Item content vectors are not kept here: the
/// calls that need them take them (`itemContent[i]` = content vector of item i, block-2 relative
/// indices, all < itemDim). Immutable after compute() or load(); const members are thread-safe.
class BehaviourStats {
 public:
  /// Empty statistics: no users, no items.
  BehaviourStats() = default;

  /// Throws ModelError when `config` uses time (item recency or a profile half-life) and
  /// `data` has an implausible timestamp, naming the setting that turns time off.
  static void checkTimestamps(const BehaviourConfig& config, const Dataset& data);

  /// Statistics of `train`'s interactions (positives under `labels` build profiles and
  /// affinities); tMax = the newest training timestamp (0 without timestamps).
  /// itemContent.size() must be train.numItems(). Throws SpecError for an affinity column that
  /// is missing or not categorical, ModelError when the profiles would be too large, Cancelled
  /// when ctx asks to stop.
  static BehaviourStats compute(const Dataset& train, const LabelConfig& labels,
                                const BehaviourConfig& config,
                                std::span<const SparseVector> itemContent, std::size_t itemDim,
                                std::int64_t tMax, TaskContext& ctx);

  /// Names of the block-4 features, in row order ("behaviour.profile_cosine",
  /// "behaviour.affinity:<col>", "behaviour.affinity:<col>=<value>",
  /// "behaviour.numeric:<col>.user_mean", ...); per-value names need the fitted categories.
  std::vector<std::string> featureNames() const;

  /// True if the user has at least one training engagement (false for users out of range).
  bool hasProfile(Index user) const;
  /// The user's content profile (dense, length itemDim); empty span without engagements or
  /// when profiles are off.
  std::span<const float> userProfile(Index user) const;
  /// The training engagements that built the profile: (item, weight w_k).
  std::vector<std::pair<Index, float>> profileItems(Index user) const;
  /// cosine(profile(user), content), where content is item's content vector; 0 when either
  /// is empty or the item is out of range.
  double profileCosine(Index user, Index item, const SparseVector& content) const;
  /// cosine(profile of `history` with weight 1 each, content of items[k]) per k; indices must
  /// be in range (the caller checks).
  std::vector<float> historyCosine(std::span<const Index> history, std::span<const Index> items,
                                   std::span<const SparseVector> itemContent) const;
  /// The user's engagement weight with the item (0 when the user did not engage with it): what
  /// a leave-one-out row removes. user must be in range.
  float engagementWeight(Index user, Index item) const;
  /// Training interactions of the item.
  float itemCount(Index item) const { return itemCount_[item]; }

  /// Appends block 4 of (user, item) to out, feature indices from `offset`. user == kNoIndex
  /// (or any index >= the number of users): a user without training interactions. loo: remove
  /// an engagement of weight looWeight from the profile and affinities (training positives).
  /// Count-like features are stored even when 0 (see the definition).
  void appendFeatures(Index user, Index item, const SparseVector& content, bool loo,
                      float looWeight, std::uint32_t offset, SparseVector& out) const;

  void save(BinaryWriter& w) const;
  /// Reads what save() wrote for `config`, numUsers x numItems and content dimension itemDim.
  /// Throws ModelError when corrupt or inconsistent.
  static BehaviourStats load(BinaryReader& r, const BehaviourConfig& config, std::size_t numUsers,
                             std::size_t numItems, std::size_t itemDim);

 private:
  /// Affinity per configured column: item category lists (CSR) and user x category weights.
  struct Affinity {
    std::size_t numCats = 0;
    std::vector<std::uint64_t> itemOffsets{0};
    std::vector<std::uint32_t> itemCats;
    std::vector<float> userCat;    ///< numUsers x numCats
    std::vector<float> userTotal;  ///< numUsers
  };

  /// Per-value affinity of one column: the Affinity table plus the category names.
  struct AffinityValues {
    Affinity table;
    std::vector<std::string> names;  ///< numCats category names
  };
  /// Numeric profile of one column: the item values and per-user weighted sums over the
  /// engaged items whose value is present (W, sum w x, sum w x^2).
  struct NumericProfile {
    std::vector<float> itemValue;   ///< per item, NaN = missing
    std::vector<double> w, s1, s2;  ///< per user
    double globalVar = 0;           ///< variance of the column over training items with data
  };
  /// Item dates of one date_vs_activity column (Unix seconds; NaN = missing).
  struct DateColumn {
    std::vector<double> itemDate;
  };
  static Affinity buildAffinity(const AttributeColumn& col, std::size_t numItems,
                                std::size_t numUsers, const BehaviourStats& b);

  BehaviourConfig config_;
  std::size_t numUsers_ = 0;
  std::size_t itemDim_ = 0;
  std::int64_t tMax_ = 0;
  double totalInteractions_ = 0;
  std::vector<float> itemCount_;        ///< training interactions per item
  std::vector<std::int64_t> itemLast_;  ///< last training timestamp per item (kNoTimestamp)
  std::vector<float> userCount_;        ///< training interactions per user
  // Engagements per user: (item, weight), sorted by item; CSR.
  std::vector<std::uint64_t> engOffsets_{0};
  std::vector<Index> engItems_;
  std::vector<float> engWeights_;
  std::vector<float> engCounts_;  ///< training interactions of (user, item); saved, not read
  // Profiles: numUsers x itemDim dense sums, and squared norms.
  std::vector<float> profile_;
  std::vector<double> profileNorm2_;
  std::vector<double> itemNorm2_;
  std::vector<Affinity> affinity_;
  std::vector<AffinityValues> affinityValues_;
  std::vector<NumericProfile> numericProfile_;
  std::vector<DateColumn> dateVsActivity_;
  /// First and last training timestamp per user (kNoTimestamp without); kept only when
  /// date_vs_activity is configured.
  std::vector<std::int64_t> userFirst_, userLast_;
};

}  // namespace rwb
