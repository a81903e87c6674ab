#pragma once
/// \file
/// Preparation steps: duplicate policy, binarisation, iterated k-core, time window. Each is a
/// pure function Options -> Result: a new Dataset plus a report of what was removed and why.
/// Id maps and attribute tables are copied unchanged, so a dense index keeps its meaning (users
/// or items that lose all their rows stay in the maps, with no interactions). Formulas and rules
/// are in docs/prep.md.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/dataset.h"
#include "core/util/task_context.h"

namespace rwb {

/// What one preparation step did. rowsIn == rowsOut + sum(removed) always.
struct PrepReport {
  std::string step;  ///< "duplicates", "binarize", "k_core", "time_window"
  std::uint64_t rowsIn = 0;
  std::uint64_t rowsOut = 0;
  std::map<std::string, std::uint64_t> removed;  ///< reason -> rows removed for it
  std::vector<std::string> notes;                ///< other facts ("3 iterations")

  std::uint64_t rowsRemoved() const;
  /// One line: "k_core: 100,000 -> 99,287 rows (713 removed: ...)".
  std::string summary() const;
};

/// How to resolve several interactions of the same (user, item) pair.
enum class DuplicatePolicy : std::uint8_t {
  kKeepFirst,  ///< keep the earliest row (by timestamp; ties: first in file)
  kKeepLast,   ///< keep the latest row (by timestamp; ties: last in file)
  kMax,        ///< keep the row with the largest value (ties: the later one, as kKeepLast)
  kMean,       ///< one row: mean of the values, timestamp and event of the latest row
  kSum,        ///< one row: sum of the values, timestamp and event of the latest row
};

/// "first", "last", "max", "mean", "sum".
std::string_view duplicatePolicyName(DuplicatePolicy policy);
std::optional<DuplicatePolicy> duplicatePolicyFromName(std::string_view name);

struct DuplicateOptions {
  DuplicatePolicy policy = DuplicatePolicy::kKeepLast;
};

struct DuplicateResult {
  Dataset dataset;  ///< one row per distinct (user, item), in the order of the kept rows
  PrepReport report;
  std::uint64_t pairsMerged = 0;  ///< (user, item) pairs that had more than one row
};

/// Applies a duplicate policy. Rows keep their relative order; each merged pair is represented
/// by the row the policy keeps (for mean/sum: the latest row, whose value is replaced).
/// Throws Cancelled when ctx is stopped.
DuplicateResult removeDuplicates(const Dataset& data, const DuplicateOptions& options,
                                 TaskContext& ctx);

struct BinarizeOptions {
  double threshold = 4.0;      ///< value >= threshold is an engagement
  bool keepNegatives = false;  ///< false: drop rows below threshold; true: keep them with value 0
  float positiveValue = 1.0f;  ///< value given to engagements
};

struct BinarizeResult {
  Dataset dataset;
  PrepReport report;
  std::uint64_t positives = 0;
  std::uint64_t negatives = 0;  ///< rows below threshold (dropped or kept as 0)
};

/// Rating -> engagement: value >= threshold becomes positiveValue, the rest is dropped (or kept
/// with value 0 when keepNegatives). Throws SpecError for a non-finite threshold.
BinarizeResult binarize(const Dataset& data, const BinarizeOptions& options, TaskContext& ctx);

struct KCoreOptions {
  std::uint32_t minUserRows = 5;       ///< a user needs at least this many rows (0 or 1: no filter)
  std::uint32_t minItemRows = 5;       ///< an item needs at least this many rows
  std::uint32_t maxIterations = 1000;  ///< safety bound; the loop stops earlier when stable
};

struct KCoreResult {
  Dataset dataset;
  PrepReport report;
  std::uint32_t iterations = 0;    ///< passes until no row was removed
  std::uint64_t usersRemoved = 0;  ///< users that had rows and have none left
  std::uint64_t itemsRemoved = 0;
  bool stable = true;  ///< false if maxIterations was reached before the core was stable
};

/// Iterated k-core: repeatedly removes the rows of users with fewer than minUserRows rows and
/// of items with fewer than minItemRows rows, until every remaining user and item qualifies.
/// Rows (not distinct pairs) are counted; run removeDuplicates first to count distinct pairs.
/// Throws Cancelled when ctx is stopped.
KCoreResult kCore(const Dataset& data, const KCoreOptions& options, TaskContext& ctx);

struct TimeWindowOptions {
  std::optional<std::int64_t> from;  ///< Unix seconds, inclusive; unset = no lower bound
  std::optional<std::int64_t> to;    ///< Unix seconds, exclusive; unset = no upper bound
};

struct TimeWindowResult {
  Dataset dataset;
  PrepReport report;
};

/// Keeps rows with from <= timestamp < to. Rows without a timestamp are removed (reason "no
/// timestamp") whenever a bound is set. Throws SpecError when from >= to.
TimeWindowResult timeWindow(const Dataset& data, const TimeWindowOptions& options,
                            TaskContext& ctx);

}  // namespace rwb
