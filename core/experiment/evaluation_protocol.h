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

/// Users unknown to the model (a cold_users split) as the batch scorer sees new users: by their
/// attributes, and optionally a short history.
struct NewUserCohort {
  /// The user attribute table, one row per user index (a split's Dataset::userAttributes: the
  /// columns the model was trained with). nullptr = no attributes.
  const AttributeTable* attributes = nullptr;
  /// Per user index: items given to the model as the user's history (may be empty; users past
  /// the end have none). Never recommended back, never relevant.
  std::vector<std::vector<Index>> history;
};

/// Top-k lists of users scored as new users, exactly as the batch scorer scores new-user rows:
/// user u is NewUser{cohort.attributes, row u, cohort.history[u]}, ranked by
/// Model::recommendNewUser (over the catalogue) or Model::scoreNewUser over `items` (when
/// non-empty) minus the history. Throws ModelError naming the model when it cannot score a
/// new user (Model::canScoreNewUser is false): a cold-user evaluation never falls back to
/// popularity silently. Cancelled when ctx stops.
CandidateLists recommendForNewUsers(const Model& model, std::span<const Index> users,
                                    const NewUserCohort& cohort, std::span<const Index> items,
                                    std::size_t k, TaskContext& ctx);

/// Each test user's first n rows by timestamp (ties by row order) move from the truth to the
/// user's history (evaluation.cold_user_history): the model sees them, the metrics do not.
struct HistorySplit {
  Dataset truth;                            ///< test without the history rows
  std::vector<std::vector<Index>> history;  ///< per user index, in time order
};
HistorySplit takeFirstEvents(const Dataset& test, std::size_t n);

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
