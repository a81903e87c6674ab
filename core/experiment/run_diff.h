#pragma once
/// \file
/// Configuration diff of runs: each run's configuration flattened to "key" -> value (model,
/// parameters, seed, threads, k, data and split identity, code version, and the spec it ran
/// with), and the keys on which two or more runs differ. Used by `recwb runs diff`, the Compare
/// view's Diff and the HTML report, so all three show the same rows.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/experiment/run_record.h"

namespace rwb {

/// One run's configuration, flattened: nested objects become dotted keys ("params.factors",
/// "spec.split.ratio"); arrays stay whole values.
struct RunConfig {
  std::string label;  ///< how the run is named in a diff (e.g. "#12 bpr")
  std::map<std::string, nlohmann::json> values;
};

/// The configuration of a record and the spec it ran with (null when none was stored). The
/// spec's `models` and `output` blocks are left out: the record's model and parameters say
/// which model this run was, and where a CLI run wrote files is no part of its configuration.
RunConfig runConfig(const RunRecord& record, const nlohmann::json& spec, std::string label);

/// One key on which the runs differ: the value of each run, in the order given (nullopt where
/// a run has no such key).
struct ConfigDiffRow {
  std::string key;
  std::vector<std::optional<nlohmann::json>> values;
};

/// The keys (sorted) whose values are not all equal across `runs`; a key absent from some runs
/// counts as differing. Fewer than two runs give no rows.
std::vector<ConfigDiffRow> diffConfigs(const std::vector<RunConfig>& runs);

/// A diff value as text: strings unquoted, "-" when absent, other JSON compact.
std::string configValueText(const std::optional<nlohmann::json>& value);

}  // namespace rwb
