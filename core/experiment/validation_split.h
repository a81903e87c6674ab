#pragma once
/// \file
/// The validation split a hyperparameter search selects on, carved from the training split
/// only and shaped like the experiment's split: per-user rows for warm splits, held-out items
/// for cold_items (validation users are then ranked over the held-out items only), held-out
/// users for cold_users. The test split is never an input, so selection cannot see it.

#include <cstdint>
#include <vector>

#include "core/data/dataset.h"
#include "core/models/model.h"
#include "core/util/task_context.h"

namespace rwb {

/// The shape of the validation split.
enum class ValidationKind {
  kUserRows,   ///< per user, a share of the training rows (stratified split by user)
  kItemRows,   ///< per item, a share of the training rows (stratified split by item)
  kColdItems,  ///< a share of the training items, with all their rows (cold_items split)
  kColdUsers,  ///< a share of the training users, with all their rows (cold_users split)
};

/// The validation kind that mirrors an experiment split method name ("cold_items",
/// "cold_users"; anything else is kUserRows).
ValidationKind validationKindFor(const std::string& splitMethod);
/// The same, with the split's stratification group: the per-group random methods
/// ("stratified", "recommenders") grouped by "item" give kItemRows, so that validation holds
/// out a share of each item's rows as test holds out a share of each item's rows.
ValidationKind validationKindFor(const std::string& splitMethod, const std::string& by);

/// A carved validation split. fit and valid share train's id maps.
struct ValidationSplit {
  Dataset fit;               ///< what candidates are fitted on
  Dataset valid;             ///< the relevant interactions (restricted to `candidates` when set)
  std::vector<Index> users;  ///< validation users, ascending (those with relevant rows)
  std::vector<Index> candidates;  ///< kColdItems: the held-out items, ascending; else empty
  std::uint64_t hash = 0;         ///< SplitResult::hash() of the carve
};

/// Carves validation from `train`: `ratio` is the share kept for fitting (of each user's rows,
/// of the items, or of the users), seeded by `seed`. Throws ModelError when either part is
/// empty (naming validation_ratio), Cancelled when ctx stops.
ValidationSplit carveValidation(const Dataset& train, ValidationKind kind, double ratio,
                                std::uint64_t seed, TaskContext& ctx);

/// The top-k lists of the validation users (users[i] owns result i): over the catalogue minus
/// seen items, or over the held-out candidates for kColdItems. Throws Cancelled.
std::vector<RecList> validationLists(const Model& model, const ValidationSplit& split,
                                     std::size_t k, TaskContext& ctx);

}  // namespace rwb
