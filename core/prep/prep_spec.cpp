#include "core/prep/prep_spec.h"

#include <initializer_list>
#include <limits>

#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

namespace {

using nlohmann::json;

// Reads the optional member `key` of j into out, leaving the default when it is absent.
template <typename T>
void read(const json& j, const std::string& path, const char* key, T& out) {
  const json* v = findKey(j, key);
  if (v == nullptr) return;
  const std::string where = jsonPath(path, key);
  if constexpr (std::is_same_v<T, bool>) {
    out = asBool(*v, where);
  } else if constexpr (std::is_same_v<T, std::string>) {
    out = asString(*v, where);
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    out = static_cast<T>(asUnsigned(*v, where, std::numeric_limits<T>::max()));
  } else if constexpr (std::is_integral_v<T>) {
    out = static_cast<T>(
        asInt(*v, where, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
  } else {
    out = static_cast<T>(
        asNumber(*v, where, -std::numeric_limits<T>::max(), std::numeric_limits<T>::max()));
  }
}

void readTime(const json& j, const std::string& path, const char* key,
              std::optional<std::int64_t>& out) {
  const json* v = findKey(j, key);
  if (v == nullptr || v->is_null()) return;
  if (!v->is_number()) throw SpecError(jsonPath(path, key), "must be Unix seconds (an integer)");
  out = asInt(*v, jsonPath(path, key));
}

}  // namespace

PrepRunResult runPrep(const Dataset& data, const std::vector<PrepStep>& steps, TaskContext& ctx) {
  PrepRunResult result;
  result.dataset = data;
  const double share = steps.empty() ? 1.0 : 1.0 / static_cast<double>(steps.size());
  for (std::size_t s = 0; s < steps.size(); ++s) {
    TaskContext sub(ctx, share * static_cast<double>(s), share * static_cast<double>(s + 1));
    const PrepStep& step = steps[s];
    switch (step.kind) {
      case PrepStep::Kind::kDuplicates: {
        auto r = removeDuplicates(result.dataset, step.duplicates, sub);
        result.dataset = std::move(r.dataset);
        result.reports.push_back(std::move(r.report));
        break;
      }
      case PrepStep::Kind::kBinarize: {
        auto r = binarize(result.dataset, step.binarize, sub);
        result.dataset = std::move(r.dataset);
        result.reports.push_back(std::move(r.report));
        break;
      }
      case PrepStep::Kind::kKCore: {
        auto r = kCore(result.dataset, step.kCore, sub);
        result.dataset = std::move(r.dataset);
        result.reports.push_back(std::move(r.report));
        break;
      }
      case PrepStep::Kind::kTimeWindow: {
        auto r = timeWindow(result.dataset, step.timeWindow, sub);
        result.dataset = std::move(r.dataset);
        result.reports.push_back(std::move(r.report));
        break;
      }
    }
  }
  return result;
}

std::vector<PrepStep> prepStepsFromJson(const json& j, const std::string& path) {
  if (!j.is_array()) throw SpecError(path, "must be an array of steps");
  std::vector<PrepStep> steps;
  for (std::size_t k = 0; k < j.size(); ++k) {
    const std::string p = path + "[" + std::to_string(k) + "]";
    const json& s = j[k];
    requireObject(s, p);
    const auto name = requireString(s, "step", p);
    PrepStep step;
    if (name == "duplicates") {
      checkKeys(s, p, {"step", "policy"});
      step.kind = PrepStep::Kind::kDuplicates;
      std::string policy(duplicatePolicyName(step.duplicates.policy));
      read(s, p, "policy", policy);
      const auto parsed = duplicatePolicyFromName(policy);
      if (!parsed) {
        throw SpecError(p + ".policy",
                        "unknown policy '" + policy + "' (one of first, last, max, mean, sum)");
      }
      step.duplicates.policy = *parsed;
    } else if (name == "binarize") {
      checkKeys(s, p, {"step", "threshold", "keep_negatives", "positive_value"});
      step.kind = PrepStep::Kind::kBinarize;
      read(s, p, "threshold", step.binarize.threshold);
      read(s, p, "keep_negatives", step.binarize.keepNegatives);
      read(s, p, "positive_value", step.binarize.positiveValue);
    } else if (name == "k_core") {
      checkKeys(s, p, {"step", "min_user_rows", "min_item_rows", "max_iterations"});
      step.kind = PrepStep::Kind::kKCore;
      read(s, p, "min_user_rows", step.kCore.minUserRows);
      read(s, p, "min_item_rows", step.kCore.minItemRows);
      read(s, p, "max_iterations", step.kCore.maxIterations);
    } else if (name == "time_window") {
      checkKeys(s, p, {"step", "from", "to"});
      step.kind = PrepStep::Kind::kTimeWindow;
      readTime(s, p, "from", step.timeWindow.from);
      readTime(s, p, "to", step.timeWindow.to);
    } else {
      throw SpecError(p + ".step", "unknown step '" + name +
                                       "' (one of duplicates, binarize, k_core, time_window)");
    }
    steps.push_back(step);
  }
  return steps;
}

json prepStepsToJson(const std::vector<PrepStep>& steps) {
  json out = json::array();
  for (const auto& s : steps) {
    switch (s.kind) {
      case PrepStep::Kind::kDuplicates:
        out.push_back({{"step", "duplicates"},
                       {"policy", std::string(duplicatePolicyName(s.duplicates.policy))}});
        break;
      case PrepStep::Kind::kBinarize:
        out.push_back({{"step", "binarize"},
                       {"threshold", s.binarize.threshold},
                       {"keep_negatives", s.binarize.keepNegatives},
                       {"positive_value", s.binarize.positiveValue}});
        break;
      case PrepStep::Kind::kKCore:
        out.push_back({{"step", "k_core"},
                       {"min_user_rows", s.kCore.minUserRows},
                       {"min_item_rows", s.kCore.minItemRows},
                       {"max_iterations", s.kCore.maxIterations}});
        break;
      case PrepStep::Kind::kTimeWindow: {
        json t{{"step", "time_window"}};
        t["from"] = s.timeWindow.from ? json(*s.timeWindow.from) : json(nullptr);
        t["to"] = s.timeWindow.to ? json(*s.timeWindow.to) : json(nullptr);
        out.push_back(t);
        break;
      }
    }
  }
  return out;
}

SplitOptions splitOptionsFromJson(const json& j, const std::string& path) {
  checkKeys(j, path, {"method", "ratio", "by", "seed", "n", "cutoff", "min_count", "valid_ratio"});
  SplitOptions o;
  std::string method(splitMethodName(o.method));
  read(j, path, "method", method);
  const auto m = splitMethodFromName(method);
  if (!m) {
    throw SpecError(path + ".method",
                    "unknown split method '" + method + "' (one of " + splitMethodNames() + ")");
  }
  o.method = *m;
  read(j, path, "ratio", o.ratio);
  std::string by = "user";
  read(j, path, "by", by);
  if (by != "user" && by != "item") throw SpecError(path + ".by", "must be \"user\" or \"item\"");
  o.by = by == "item" ? SplitBy::kItem : SplitBy::kUser;
  read(j, path, "seed", o.seed);
  read(j, path, "n", o.n);
  readTime(j, path, "cutoff", o.cutoff);
  read(j, path, "min_count", o.minCount);
  read(j, path, "valid_ratio", o.validRatio);
  return o;
}

json splitOptionsToJson(const SplitOptions& o) {
  json j{{"method", std::string(splitMethodName(o.method))},
         {"ratio", o.ratio},
         {"by", o.by == SplitBy::kItem ? "item" : "user"},
         {"seed", o.seed},
         {"n", o.n},
         {"min_count", o.minCount},
         {"valid_ratio", o.validRatio}};
  if (o.cutoff) j["cutoff"] = *o.cutoff;
  return j;
}

}  // namespace rwb
