#include "core/experiment/run_diff.h"

#include <set>

namespace rwb {

namespace {

void flatten(const nlohmann::json& j, const std::string& prefix,
             std::map<std::string, nlohmann::json>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  out[prefix] = j;
}

}  // namespace

RunConfig runConfig(const RunRecord& record, const nlohmann::json& spec, std::string label) {
  RunConfig c;
  c.label = std::move(label);
  auto& v = c.values;
  v["model"] = record.model;
  flatten(record.params.is_object() ? record.params : nlohmann::json::object(), "params", v);
  v["seed"] = record.seed;
  v["threads"] = record.threads;
  v["k"] = record.k;
  v["dataset.fingerprint"] = record.datasetFingerprint;
  v["dataset.source"] = record.datasetSource;
  v["split hash"] = record.splitHash;
  v["code version"] = record.codeVersion;
  if (spec.is_object()) {
    nlohmann::json s = spec;
    s.erase("models");
    s.erase("output");
    flatten(s, "spec", v);
  }
  // An empty parameter object flattens to "params" = {}: keep it only when nothing else does.
  if (auto it = v.find("params"); it != v.end() && it->second.is_object()) v.erase(it);
  return c;
}

std::vector<ConfigDiffRow> diffConfigs(const std::vector<RunConfig>& runs) {
  std::vector<ConfigDiffRow> rows;
  if (runs.size() < 2) return rows;
  std::set<std::string> keys;
  for (const RunConfig& r : runs) {
    for (const auto& [k, v] : r.values) keys.insert(k);
  }
  for (const std::string& key : keys) {
    ConfigDiffRow row;
    row.key = key;
    bool differs = false;
    for (const RunConfig& r : runs) {
      const auto it = r.values.find(key);
      row.values.push_back(it == r.values.end() ? std::nullopt
                                                : std::optional<nlohmann::json>(it->second));
      if (row.values.back() != row.values.front()) differs = true;
    }
    if (differs) rows.push_back(std::move(row));
  }
  return rows;
}

std::string configValueText(const std::optional<nlohmann::json>& value) {
  if (!value) return "-";
  if (value->is_string()) return value->get<std::string>();
  return value->dump();
}

}  // namespace rwb
