#pragma once
// Shared by `recwb evaluate` and `recwb compare`: loading train/test/recommendation files and
// formatting metric values.

#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/data/dataset_loader.h"
#include "core/eval/evaluator.h"
#include "core/eval/recommendation_file.h"

namespace rwb::cli {

/// Train and test loaded so that they share indices (test read with the train as base).
struct EvalInputs {
  LoadResult train;
  LoadResult test;
};

/// Both are read by loadDataset (any supported source) with the same options; the test set is
/// read with the train set as its base.
inline EvalInputs loadTrainTest(const std::string& trainPath, const std::string& testPath,
                                TaskContext& ctx, const DatasetOptions& options = {}) {
  EvalInputs in;
  TaskContext a(ctx, 0.0, 0.3);
  in.train = loadDataset(trainPath, options, a);
  TaskContext b(ctx, 0.3, 0.45);
  DatasetOptions testOptions = options;
  testOptions.base = &in.train.dataset;
  in.test = loadDataset(testPath, testOptions, b);
  return in;
}

/// "0.123456", or "-" for NaN.
inline std::string formatValue(double v, int digits = 6) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// A p-value: 4 decimals, or scientific notation below 1e-4; "-" for NaN.
inline std::string formatP(double p) {
  if (std::isnan(p)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, p < 1e-4 ? "%.1e" : "%.4f", p);
  return buf;
}

/// Splits "a,b c" style metric lists (commas or spaces) into names.
inline std::vector<std::string> splitMetricList(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  for (const auto& r : raw) {
    std::string cur;
    for (char c : r) {
      if (c == ',' || c == ' ') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}

/// The metrics `recwb evaluate` computes by default: the ranking set plus cheap beyond-accuracy
/// metrics.
inline std::vector<std::string> defaultCliMetrics() {
  auto m = defaultRankingMetrics();
  for (const char* n : {"catalog_coverage", "distributional_coverage", "novelty", "gini"}) {
    m.push_back(n);
  }
  return m;
}

/// JSON of one evaluation's means (NaN becomes null).
inline nlohmann::json metricsJson(const EvalResult& r) {
  nlohmann::json m = nlohmann::json::object();
  for (const auto& v : r.metrics) {
    m[v.name] = {{"value", std::isnan(v.value) ? nlohmann::json() : nlohmann::json(v.value)},
                 {"oracle", std::isnan(v.oracle) ? nlohmann::json() : nlohmann::json(v.oracle)},
                 {"family", std::string(metricFamilyName(v.family))},
                 {"higher_is_better", v.higherIsBetter},
                 {"defined_users", v.definedUsers}};
  }
  return m;
}

}  // namespace rwb::cli
