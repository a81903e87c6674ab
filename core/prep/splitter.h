#pragma once
/// \file
/// Splitters: seeded, deterministic partitions of a Dataset's interaction rows into train, test
/// and (optionally) validation. Every method, its parameters and its tie-breaking rules are
/// documented in docs/prep.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/dataset.h"
#include "core/util/task_context.h"

namespace rwb {

/// How rows are assigned to train and test.
enum class SplitMethod : std::uint8_t {
  kRandom,         ///< rows shuffled globally; the first round(ratio * n) go to train
  kStratified,     ///< per user (or item): round(ratio * count) random rows of each go to train
  kChronological,  ///< per user (or item): the earliest round(ratio * count) rows go to train
  kTimeCutoff,     ///< global: timestamp < cutoff -> train, >= cutoff -> test
  kLeaveLastN,     ///< per user: the last n rows (by time) go to test
  kColdItems,      ///< a fraction (1 - ratio) of the items is held out; all their rows -> test
  kColdUsers,      ///< a fraction (1 - ratio) of the users is held out; all their rows -> test
  kRecommenders,   ///< Microsoft Recommenders' python_stratified_split, row for row
};

/// The grouping of the per-group methods (stratified, chronological, recommenders).
enum class SplitBy : std::uint8_t { kUser, kItem };

/// Registry name of a method: "random", "stratified", "chronological", "time_cutoff",
/// "leave_last_n", "cold_items", "cold_users", "recommenders".
std::string_view splitMethodName(SplitMethod method);
/// The method with that name (also accepts '-' for '_'), or nullopt.
std::optional<SplitMethod> splitMethodFromName(std::string_view name);
/// All method names, comma separated, for help texts and error messages.
std::string splitMethodNames();

/// Parameters of a split. Which fields matter depends on the method (docs/prep.md).
struct SplitOptions {
  SplitMethod method = SplitMethod::kRandom;
  /// Train share in (0, 1): of rows (random, stratified, chronological, recommenders, and the
  /// time cutoff when `cutoff` is not given) or of entities (cold_items, cold_users).
  double ratio = 0.75;
  SplitBy by = SplitBy::kUser;  ///< stratified, chronological, recommenders
  /// Seed of the random methods. The recommenders method needs a value < 2^32 (numpy's rule).
  std::uint64_t seed = 42;
  /// leave_last_n: rows per user held out (>= 1). Users with at most n rows stay wholly in train.
  std::uint32_t n = 1;
  /// time_cutoff: Unix seconds; unset = the timestamp at the `ratio` quantile of the rows.
  std::optional<std::int64_t> cutoff;
  /// recommenders: groups (users or items per `by`) with fewer rows are dropped from both sets
  /// before drawing, as the library's min_rating argument does. 1 = keep all.
  std::uint32_t minCount = 1;
  /// Share of the train rows (or, for cold splits, of the train entities) moved to a validation
  /// set, in [0, 1). 0 = no validation set. The validation set is carved from train by the same
  /// method (with seed + 1), so it never touches test; for leave_last_n it is the last n rows of
  /// each user's remaining train rows.
  double validRatio = 0.0;
};

/// Row indices (into Dataset::interactions) of each part. train, test and valid are pairwise
/// disjoint. Rows are in ascending order, except for the recommenders method, whose rows are in
/// the library's order: sorted by the group's external id (numerically when all ids are
/// integers, else as text), then by random draw.
struct SplitResult {
  std::vector<std::uint32_t> train;
  std::vector<std::uint32_t> test;
  std::vector<std::uint32_t> valid;    ///< empty when validRatio == 0
  std::optional<std::int64_t> cutoff;  ///< time_cutoff: the cutoff used (given or derived)
  std::uint64_t rowsDropped = 0;       ///< rows in no part (recommenders minCount filter)
  std::vector<std::string> notes;  ///< remarks for the user (e.g. "312 users kept wholly in train")

  /// A 64-bit hash (xxHash3) of the three row lists, recorded with runs to identify the split.
  std::uint64_t hash() const;
};

/// Splits all rows of `data`. Throws SpecError for invalid options (path "split.<field>"),
/// Error when the data does not allow the method (e.g. chronological without timestamps),
/// Cancelled when ctx is stopped (nothing is returned then). Deterministic: the same data and
/// options give the same result on every run and platform.
SplitResult splitDataset(const Dataset& data, const SplitOptions& options, TaskContext& ctx);

/// The split materialised as Datasets sharing `data`'s id maps and attributes.
struct SplitDatasets {
  Dataset train;
  Dataset test;
  std::optional<Dataset> valid;  ///< present when the split has a validation part
};

/// Builds the three Datasets with Dataset::withRows (row order as in `split`).
SplitDatasets materializeSplit(const Dataset& data, const SplitResult& split);

}  // namespace rwb
