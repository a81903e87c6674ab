#pragma once
/// \file
/// Evaluation protocols for a fitted model: which candidates each test user is ranked over.
/// The experiment runner, the GUI and tuning loops call evaluateModel(); to score lists that
/// were produced elsewhere call evaluate() (evaluator.h) directly.

#include <cstdint>

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
  kSampledNegatives
};

/// Protocol options.
struct ProtocolOptions {
  CandidateMode mode = CandidateMode::kAllUnseen;
  std::size_t negatives = 99;  ///< per test item, kSampledNegatives only (>= 1)
  std::uint64_t seed = 42;     ///< sampling seed; each user's draw depends only on (seed, user)
};

/// Evaluates a fitted model on every user with test items. Test users unknown to the model
/// (index >= model.numUsers()) cannot be scored: they are left out (counted in
/// EvalResult::testUsersWithoutList) with a warning. Throws ModelError when the model is not
/// fitted, Cancelled when ctx stops, SpecError for unknown metrics.
EvalResult evaluateModel(const Model& model, const Dataset& train, const Dataset& test,
                         const EvalOptions& options, const ProtocolOptions& protocol,
                         TaskContext& ctx);

}  // namespace rwb
