#pragma once
/// \file
/// Hyperparameter search: grid, random, successive halving and "auto" (the schema's default
/// space, Hyperband over epochs, TPE after a random start; docs/experiments.md) over a model's
/// ParamSchema, selecting on a validation split carved from the training split.
///
/// Honesty by construction: searchHyperparameters() receives the training split and nothing
/// else. It cannot see the test split, so selection cannot leak test information; the runner
/// refits the winner on the full training split and evaluates it once on test.

#include <cstdint>
#include <functional>
#include <vector>

#include "core/data/dataset.h"
#include "core/experiment/experiment_spec.h"
#include "core/experiment/run_record.h"
#include "core/experiment/validation_split.h"
#include "core/models/registry.h"
#include "core/util/task_context.h"

namespace rwb {

/// What a search needs besides the training data.
struct SearchRequest {
  const ModelInfo* model = nullptr;  ///< schema and factory of the model searched
  Params baseParams;                 ///< resolved parameters; the space overrides some of them
  SearchSpec search;
  MetricsSpec metrics;      ///< k and the metric names computed on validation
  std::uint64_t seed = 42;  ///< the model's training seed
  int threads = 0;
  /// The validation split's shape (validation_split.h): the experiment split's kind, so that a
  /// cold-start experiment selects on held-out items (or users) carved from train.
  ValidationKind validation = ValidationKind::kUserRows;
  /// Monotonic seconds for the time budget and the trial timings; empty = std::steady_clock.
  /// Tests inject a fake clock that their models advance, so that nothing depends on speed.
  std::function<double()> clock;
};

/// Every combination of the space's value lists (first parameter varies slowest), each applied
/// over baseParams and validated against the schema. Throws SpecError for a range in the space.
std::vector<Params> gridCandidates(const ModelInfo& model, const Params& baseParams,
                                   const std::vector<ParamSpace>& space);

/// `trials` distinct candidates sampled with mt19937_64(seed): lists uniformly, ranges uniformly
/// (log-uniformly when the range or the schema says so; integers rounded). Deterministic for a
/// given seed. Fewer than `trials` are returned when the space has fewer distinct points.
std::vector<Params> randomCandidates(const ModelInfo& model, const Params& baseParams,
                                     const std::vector<ParamSpace>& space, int trials,
                                     std::uint64_t seed);

/// Runs the search on `train` only. Validation = carveValidation(train, request.validation,
/// validationRatio, search.seed): by default, for each user, the share 1 - validationRatio of
/// their training rows; for cold_items experiments that share of the training items (ranked
/// over those items only), for cold_users of the users. Candidates are fitted on the rest and
/// ranked by the selection metric (higher is better; ties keep the earlier candidate).
/// Failed candidates are kept in the history with their error and never selected; if all fail,
/// throws ModelError. Throws Cancelled when ctx is stopped.
/// "auto" fits one candidate at a time (each with request.threads); it samples at most
/// search.trials configurations (> 0; with neither bound, 30). With search.budgetSeconds (> 0)
/// the budget covers the search and the winner's final fit: after the first trial (which
/// always runs), a trial starts only if elapsed + its estimated seconds + the refit estimate
/// of max(best so far, that trial) fits in the budget. A trial's estimate is the slowest
/// earlier trial at the same epochs (else at the nearest level, scaled by epochs); a refit
/// estimate is the trial's seconds times train rows / fit rows (refitSecondsEstimate of the
/// result). Trial i depends only on the request and trials 0..i-1, never on timing: the
/// budget decides how many trials run, not what they are.
/// `clock` when set, else monotonic seconds from std::steady_clock: the one time source of the
/// tuning budget (search and runner).
std::function<double()> budgetClock(const std::function<double()>& clock);

SearchHistory searchHyperparameters(const SearchRequest& request, const Dataset& train,
                                    TaskContext& ctx);

}  // namespace rwb
