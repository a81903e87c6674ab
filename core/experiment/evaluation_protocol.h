#pragma once
/// \file
/// Evaluation protocols for a fitted model: which candidates each test user is ranked over.
/// The experiment runner, the GUI and tuning loops call evaluateModel(); to score lists that
/// were produced elsewhere call evaluate() (evaluator.h) directly.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/eval/evaluator.h"
#include "core/models/model.h"

namespace rwb {

enum class CandidateMode {
  /// Every catalogue item the user did not interact with in training (default). The model's
  /// top-k list (excluding seen items) is evaluated; when "auc" is requested the whole ranking
  /// is produced so that AUC sees every candidate.
  kAllUnseen,
  /// Leave-one-out style: the user's test items plus `negatives` items per test item drawn
  /// uniformly without replacement from the items the user has neither in train nor in test.
  /// The candidates are scored with Model::score and ranked (score descending, ties by item
  /// index); metrics at k look at that ranking. Pooled per user (one ranking for all of the
  /// user's test items), which equals the classic protocol when each user has one test item.
  kSampledNegatives,
  /// A fixed candidate set (ProtocolOptions::items): each user is ranked over the set minus
  /// the items they interacted with in training (recommendAmong()). Relevant items are the
  /// user's test items inside the set; users with none are not evaluated, exactly like users
  /// without test items (counted in a warning). Cold-start evaluation ranks the held-out items
  /// (heldOutItems()) this way.
  kItemSet
};

/// Protocol options.
struct ProtocolOptions {
  CandidateMode mode = CandidateMode::kAllUnseen;
  std::size_t negatives = 99;  ///< per test item, kSampledNegatives only (>= 1)
  std::uint64_t seed = 42;     ///< sampling seed; each user's draw depends only on (seed, user)
  std::vector<Index> items;    ///< kItemSet only: the candidate items, ascending and unique
};

/// The held-out items of a split: items with at least one row in `test` and none in `train`
/// (the new items of a cold_items split; with given split files, the test items absent from
/// the training file). Ascending. train and test share id maps.
std::vector<Index> heldOutItems(const Dataset& train, const Dataset& test);

/// Top-k lists over a candidate set, with each user's number of candidates.
struct CandidateLists {
  std::vector<RecList> lists;           ///< lists[i] belongs to users[i], best first
  std::vector<std::size_t> candidates;  ///< per user: the set minus the user's training items
};

/// Ranks, for each user, the candidate `items` (ascending, unique, < model.numItems()) except
/// the user's training items ("exclude seen" applies inside the set as it does over the
/// catalogue) by Model::score, score descending and ties by item index (the ranking rule of
/// every model), and keeps the first k. Items scored -infinity are never listed. Runs in
/// parallel (TBB); deterministic. Throws ModelError for an item out of range, Cancelled when
/// ctx stops.
CandidateLists recommendAmong(const Model& model, std::span<const Index> users,
                              std::span<const Index> items, std::size_t k, TaskContext& ctx);

/// The rows of `test` whose item is in `items` (ascending): the relevant interactions when the
/// ranking is restricted to that candidate set. Same id maps and attributes as test.
Dataset restrictToItems(const Dataset& test, std::span<const Index> items);

/// Evaluates a fitted model on every user with test items. Test users unknown to the model
/// (index >= model.numUsers()) cannot be scored: they are left out (counted in
/// EvalResult::testUsersWithoutList) with a warning. Throws ModelError when the model is not
/// fitted, Cancelled when ctx stops, SpecError for unknown metrics.
EvalResult evaluateModel(const Model& model, const Dataset& train, const Dataset& test,
                         const EvalOptions& options, const ProtocolOptions& protocol,
                         TaskContext& ctx);

}  // namespace rwb
