#pragma once
/// \file
/// The sample-data generator: a seeded, deterministic, realistic retail dataset (catalogue with
/// category, brand, price and text description; users with segment, age band and region;
/// timestamped view / click / purchase events with long-tail popularity and planted taste
/// structure). sample-data/README.md and docs/prep.md describe the model in full.

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/util/task_context.h"

namespace rwb {

/// Sizes, time span and seed of a generated dataset.
struct GeneratorOptions {
  std::uint64_t seed = 42;
  std::uint32_t users = 2000;           ///< >= 10
  std::uint32_t items = 3000;           ///< >= 48 (four per category)
  std::uint64_t interactions = 100000;  ///< event rows, exactly; >= users
  std::int64_t start = 1767225600;      ///< first day, Unix seconds (2026-01-01 00:00 UTC)
  std::uint32_t days = 182;             ///< length of the period in days (>= 7)
  /// Share of items launched after the period ends: in the catalogue, never interacted with
  /// (cold-start items). In [0, 0.5].
  double newItemShare = 0.04;
  /// Refuse (SpecError "generate") when the estimated memory exceeds this many bytes;
  /// 0 = 80% of the memory the system reports as available (no check when it cannot be read).
  std::uint64_t memoryLimitBytes = 0;
};

/// Bytes generateRetailDataset needs at its peak for these sizes, measured on glibc/x86-64 and
/// rounded up: a fixed 64 MiB, 60 B per interaction, 640 B per user and per item.
std::uint64_t estimateGeneratorBytes(const GeneratorOptions& options);

/// The planted structure, for tests and documentation (not part of the written data).
/// Codes index the categories of the dataset's attribute columns.
struct GeneratorTruth {
  std::vector<std::vector<std::int32_t>> userCategories;  ///< preferred category codes per user
  std::vector<std::vector<std::int32_t>> userBrands;      ///< preferred brand codes per user
  std::vector<std::vector<std::string>> userTerms;        ///< preferred description terms
  std::vector<std::int64_t> itemLaunch;                   ///< launch time per item (Unix s)
};

struct GeneratorResult {
  /// Users U00001.. and items I00001.. interned in id order (every item is in the id map, also
  /// those never interacted with); interactions sorted by (timestamp, user, event order);
  /// events "view" (value 1), "click" (2), "purchase" (5); item attributes category, brand,
  /// price, description; user attributes segment, age_band, region.
  Dataset dataset;
  GeneratorTruth truth;
};

/// Event values written by the generator.
inline constexpr float kViewValue = 1.0f;
inline constexpr float kClickValue = 2.0f;
inline constexpr float kPurchaseValue = 5.0f;

/// Generates the dataset. Same options => identical result, bit for bit (the random stream is
/// portable; exp/log come from the C library, so a different libm could in principle change a
/// last digit: the committed sample-data/ was produced with glibc on x86-64). Throws SpecError
/// for out-of-range options (path "generate.<field>"; every timestamp must lie in the plausible
/// range of core/data/timestamps.h) and, before allocating anything, when the memory estimate
/// exceeds the limit (path "generate", naming both); Cancelled when ctx is stopped.
GeneratorResult generateRetailDataset(const GeneratorOptions& options, TaskContext& ctx);

}  // namespace rwb
