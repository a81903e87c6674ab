#pragma once
/// \file
/// Slices: the same evaluation restricted to groups of users or items, to show where a model
/// wins or loses. Definitions and default thresholds: docs/metrics.md.
///
/// User slices (by training interactions n of the user; each is a plain evaluation restricted
/// to the users in the bucket):
///   unseen  n = 0 (users unseen in training)
///   cold    1 <= n <= coldMax
///   light   coldMax < n < heavyMin
///   heavy   n >= heavyMin
/// Item slices (by training popularity; items ordered by training interactions, descending,
/// ties by index; share = fraction of all training interactions held by the items before it):
///   head    share < headShare (the most popular items, holding the first headShare of all
///           interactions)
///   torso   headShare <= share < 1 - tailShare
///   tail    share >= 1 - tailShare (the least popular items holding the last tailShare)
///   unseen  items without training interactions
/// An item slice keeps every list unchanged but counts as relevant only the user's test items
/// in the slice; users without such items are not evaluated in that slice.

#include <string>
#include <vector>

#include "core/eval/evaluator.h"

namespace rwb {

struct SliceOptions {
  std::uint32_t coldMax = 5;     ///< users with 1..coldMax training interactions are "cold"
  std::uint32_t heavyMin = 100;  ///< users with at least this many are "heavy"
  double headShare = 0.2;        ///< share of training interactions held by the head
  double tailShare = 0.2;        ///< share held by the tail
  bool userSlices = true;
  bool itemSlices = true;
};

/// One slice's evaluation.
struct SliceResult {
  std::string dimension;    ///< "user_activity" or "item_popularity"
  std::string name;         ///< "unseen", "cold", "light", "heavy", "head", "torso", "tail"
  std::size_t members = 0;  ///< users (user slices) or catalogue items (item slices) in the slice
  EvalResult result;
};

/// Item buckets: 0 head, 1 torso, 2 tail, 3 unseen, one per catalogue item.
std::vector<std::uint8_t> itemPopularityBuckets(const Dataset& train, std::size_t catalogSize,
                                                double headShare, double tailShare);

/// Evaluates every slice (empty slices are kept, with no users). Same arguments and errors as
/// evaluate(); throws rwb::Error for thresholds out of range (heavyMin <= coldMax, shares
/// outside [0, 1] or summing above 1).
std::vector<SliceResult> evaluateSlices(const Dataset& train, const Dataset& test,
                                        std::span<const Index> users,
                                        std::span<const RecList> lists, const EvalOptions& options,
                                        const SliceOptions& slices, TaskContext& ctx);

}  // namespace rwb
