#pragma once
/// \file
/// JSON forms of the preparation and split options, for experiment specs, and a runner that
/// applies a list of preparation steps in order. Field names are snake_case; see docs/prep.md.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/prep/preparation.h"
#include "core/prep/splitter.h"

namespace rwb {

/// One preparation step with its options (only the member matching `kind` is used).
struct PrepStep {
  enum class Kind : std::uint8_t { kDuplicates, kBinarize, kKCore, kTimeWindow };
  Kind kind = Kind::kDuplicates;
  DuplicateOptions duplicates;
  BinarizeOptions binarize;
  KCoreOptions kCore;
  TimeWindowOptions timeWindow;
};

/// The outcome of runPrep: the final dataset and one report per step, in order.
struct PrepRunResult {
  Dataset dataset;
  std::vector<PrepReport> reports;
};

/// Applies the steps in order (an empty list returns a copy of data). Throws what the steps
/// throw (SpecError for invalid options, Cancelled when ctx is stopped: nothing is returned).
PrepRunResult runPrep(const Dataset& data, const std::vector<PrepStep>& steps, TaskContext& ctx);

/// Parses a JSON array of steps, e.g.
///   [{"step": "duplicates", "policy": "last"},
///    {"step": "binarize", "threshold": 4, "keep_negatives": false, "positive_value": 1},
///    {"step": "k_core", "min_user_rows": 5, "min_item_rows": 5},
///    {"step": "time_window", "from": 1700000000, "to": 1710000000}]
/// Missing fields take the Options defaults. Throws SpecError naming the JSON path (under
/// `path`, e.g. "$.prep[2].min_user_rows") for wrong types, unknown steps or unknown fields.
std::vector<PrepStep> prepStepsFromJson(const nlohmann::json& j,
                                        const std::string& path = "$.prep");
/// The inverse of prepStepsFromJson (every field written).
nlohmann::json prepStepsToJson(const std::vector<PrepStep>& steps);

/// Parses split options, e.g. {"method": "chronological", "ratio": 0.8, "by": "user",
/// "seed": 42, "valid_ratio": 0.1, "n": 1, "cutoff": 1700000000, "min_count": 1}. Missing fields
/// take the SplitOptions defaults. Throws SpecError naming the JSON path for wrong types, unknown
/// methods or fields. Value ranges are checked by splitDataset.
SplitOptions splitOptionsFromJson(const nlohmann::json& j, const std::string& path = "$.split");
/// The inverse of splitOptionsFromJson (every field written; "cutoff" only when set).
nlohmann::json splitOptionsToJson(const SplitOptions& options);

}  // namespace rwb
