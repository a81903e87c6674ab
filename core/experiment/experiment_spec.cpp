#include "core/experiment/experiment_spec.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <initializer_list>
#include <map>
#include <set>

#include "core/data/dataset_options_json.h"
#include "core/features/feature_pipeline.h"
#include "core/models/registry.h"
#include "core/prep/prep_spec.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

namespace {

using json = nlohmann::json;

std::string resolvePath(const std::string& p, const std::filesystem::path& baseDir) {
  // A database source (postgresql://..., odbc:...) is not a file path.
  if (databaseKind(p) != DatabaseKind::kNone) return p;
  std::filesystem::path fp(p);
  if (fp.is_relative()) fp = baseDir / fp;
  // Absolute, so that records say where the data was whatever the working directory.
  return std::filesystem::absolute(fp).lexically_normal().string();
}

SplitSpec parseSplit(const json& j, const std::string& path, const std::filesystem::path& baseDir) {
  requireObject(j, path);
  SplitSpec s;
  if (j.contains("train") || j.contains("test") || j.contains("valid")) {
    checkKeys(j, path, {"train", "test", "valid"});
    if (!j.contains("train")) throw SpecError(path + ".train", "is required with given files");
    if (!j.contains("test")) throw SpecError(path + ".test", "is required with given files");
    s.method = "files";
    s.trainPath = resolvePath(asNonEmptyString(j["train"], path + ".train"), baseDir);
    s.testPath = resolvePath(asNonEmptyString(j["test"], path + ".test"), baseDir);
    if (j.contains("valid")) {
      s.validPath = resolvePath(asNonEmptyString(j["valid"], path + ".valid"), baseDir);
    }
    return s;
  }
  if (!j.contains("method")) {
    throw SpecError(path + ".method", "is required (or give \"train\" and \"test\" files)");
  }
  if (j.contains("ratio")) {
    const double ratio = asNumber(j["ratio"], path + ".ratio");
    if (!(ratio > 0.0 && ratio < 1.0)) throw SpecError(path + ".ratio", "must be in (0, 1)");
  }
  if (j.contains("by")) asChoice(j["by"], path + ".by", {"user", "item"});
  // core/prep reads the split; min_rating is accepted as Microsoft Recommenders' name for
  // min_count.
  json options = j;
  if (options.contains("min_rating")) {
    if (options.contains("min_count")) {
      throw SpecError(path + ".min_rating", "give min_rating or min_count, not both");
    }
    options["min_count"] = options["min_rating"];
    options.erase("min_rating");
  }
  s.options = splitOptionsFromJson(options, path);
  s.method = std::string(splitMethodName(s.options.method));
  s.ratio = s.options.ratio;
  s.by = s.options.by == SplitBy::kItem ? "item" : "user";
  s.seed = s.options.seed;
  s.minRating = static_cast<int>(s.options.minCount);
  return s;
}

EvaluationSpec parseEvaluation(const json& doc, const SplitSpec& split,
                               const std::filesystem::path& baseDir) {
  EvaluationSpec e;
  e.candidates = split.method == "cold_items" ? "held_out" : "catalogue";
  if (!doc.contains("evaluation")) return e;
  const json& j = doc["evaluation"];
  requireObject(j, "$.evaluation");
  checkKeys(j, "$.evaluation", {"candidates", "cold_user_history"});
  if (j.contains("cold_user_history")) {
    e.coldUserHistory = static_cast<std::size_t>(
        asInt(j["cold_user_history"], "$.evaluation.cold_user_history", 0, 1000000));
    if (split.method != "cold_users" && e.coldUserHistory > 0) {
      throw SpecError("$.evaluation.cold_user_history", "needs a cold_users split");
    }
  }
  if (!j.contains("candidates")) return e;
  const json& c = j["candidates"];
  const std::string path = "$.evaluation.candidates";
  if (c.is_object()) {
    checkKeys(c, path, {"file"});
    if (!c.contains("file")) throw SpecError(path + ".file", "is required");
    e.candidates = "file";
    e.candidatesFile = resolvePath(asNonEmptyString(c["file"], path + ".file"), baseDir);
    return e;
  }
  if (!c.is_string()) {
    throw SpecError(path, "must be \"catalogue\", \"held_out\" or {\"file\": path}");
  }
  e.candidates = asChoice(c, path, {"catalogue", "held_out"});
  return e;
}

std::optional<ParamRange> parseRange(const json& j, const std::string& path, const ParamSpec& p) {
  checkKeys(j, path, {"min", "max", "log"});
  if (p.type != ParamType::kInt && p.type != ParamType::kFloat) {
    if (!j.empty()) throw SpecError(path, "a range needs a numeric parameter; give a list");
    return ParamRange{};
  }
  ParamRange r;
  if (j.contains("min")) r.min = asNumber(j["min"], path + ".min");
  if (j.contains("max")) r.max = asNumber(j["max"], path + ".max");
  if (j.contains("log")) r.logScale = asBool(j["log"], path + ".log");
  const auto lo = r.min ? r.min : p.min;
  const auto hi = r.max ? r.max : p.max;
  if (!lo || !hi) {
    throw SpecError(path, "needs \"min\" and \"max\" (the parameter's schema has no bound)");
  }
  if (*lo > *hi) throw SpecError(path, "min must not exceed max");
  if ((p.min && *lo < *p.min) || (p.max && *hi > *p.max)) {
    throw SpecError(path, "outside the parameter's valid range");
  }
  if (r.logScale.value_or(p.logScale) && *lo <= 0.0) {
    throw SpecError(path, "a log-scale range needs min > 0");
  }
  return r;
}

// The integer parameter an iterative model's searches budget ("epochs" or "iterations"; empty
// when the model has neither).
std::string budgetParamOf(const ModelInfo& info) {
  for (const char* b : {"epochs", "iterations"}) {
    const ParamSpec* p = info.schema.find(b);
    if (p != nullptr && p->type == ParamType::kInt) return b;
  }
  return {};
}

// Completes an auto search over a space the spec gives: the parameters in the schema's order,
// each keeping the condition of the default space when its parent is searched too (the
// sampler needs a parent before its children), the settings of the experiment's tuning.
SearchSpec autoSpaceSearch(SearchSpec s, const ModelInfo& info, const TuningSpec& tuning,
                           const std::string& path) {
  s.budgetParam = budgetParamOf(info);
  std::vector<ParamSpace> ordered;
  for (const ParamSpec& p : info.schema.params) {
    for (ParamSpace& ps : s.space) {
      if (ps.name != p.name) continue;
      if (ps.name == s.budgetParam) {
        throw SpecError(path + ".space." + ps.name,
                        "is the auto search's budget (Hyperband rungs); set it in \"params\"");
      }
      if (p.search && !p.search->whenParam.empty()) {
        for (const ParamSpace& parent : ordered) {
          if (parent.name != p.search->whenParam) continue;
          ps.whenParam = p.search->whenParam;
          ps.whenValues = p.search->whenValues;
        }
      }
      ordered.push_back(std::move(ps));
    }
  }
  s.space = std::move(ordered);
  s.trials = tuning.trials;
  s.metric = tuning.metric;
  s.validationRatio = tuning.validationRatio;
  s.seed = tuning.seed;
  s.budgetSeconds = tuning.budgetSeconds;
  return s;
}

SearchSpec parseSearch(const json& j, const std::string& path, const ModelInfo& info,
                       const Params& base, const TuningSpec& tuning) {
  checkKeys(
      j, path,
      {"method", "space", "trials", "metric", "validation_ratio", "seed", "eta", "min_budget"});
  SearchSpec s;
  if (j.contains("method")) {
    s.method = asChoice(j["method"], path + ".method", {"grid", "random", "halving", "auto"});
  }
  if (s.method == "auto") {
    // An auto search over a given space shares the experiment's tuning settings, as
    // "search": "auto" does: one place sets them for every auto search.
    for (const char* key : {"trials", "metric", "validation_ratio", "seed", "eta", "min_budget"}) {
      if (j.contains(key)) {
        throw SpecError(path + "." + key,
                        "an auto search takes its settings from \"tuning\"; set it there");
      }
    }
  }
  if (!j.contains("space")) throw SpecError(path + ".space", "is required");
  const std::string sp = path + ".space";
  requireObject(j["space"], sp);
  if (j["space"].empty()) throw SpecError(sp, "must name at least one parameter");
  for (auto it = j["space"].begin(); it != j["space"].end(); ++it) {
    const std::string pp = sp + "." + it.key();
    const ParamSpec* p = info.schema.find(it.key());
    if (p == nullptr) throw SpecError(pp, "unknown parameter of model '" + info.name + "'");
    ParamSpace ps;
    ps.name = it.key();
    if (it->is_array()) {
      if (it->empty()) throw SpecError(pp, "must list at least one value");
      for (std::size_t v = 0; v < it->size(); ++v) {
        // Validate each value exactly as a model parameter would be.
        const std::string vp = pp + "[" + std::to_string(v) + "]";
        Params one = Params::object();
        one[ps.name] = (*it)[v];
        Params resolved;
        try {
          resolved = info.schema.resolve(one, "$");
        } catch (const SpecError& e) {
          throw SpecError(vp, e.what());
        }
        ps.values.push_back(resolved[ps.name]);
      }
    } else if (it->is_object()) {
      ps.range = parseRange(*it, pp, *p);
      if (p->type == ParamType::kBool) {
        ps.values = {false, true};
        ps.range.reset();
      } else if (p->type == ParamType::kChoice) {
        for (const auto& c : p->choices) ps.values.emplace_back(c);
        ps.range.reset();
      } else if (p->type == ParamType::kString) {
        throw SpecError(pp, "a string parameter can only be searched over a list");
      }
    } else {
      throw SpecError(pp, "must be a list of values or a range object {min, max, log}");
    }
    s.space.push_back(std::move(ps));
  }
  if (j.contains("trials"))
    s.trials = static_cast<int>(asInt(j["trials"], path + ".trials", 1, 100000));
  if (j.contains("metric")) s.metric = asNonEmptyString(j["metric"], path + ".metric");
  if (j.contains("validation_ratio")) {
    s.validationRatio = asNumber(j["validation_ratio"], path + ".validation_ratio");
    if (!(s.validationRatio > 0.0 && s.validationRatio < 1.0)) {
      throw SpecError(path + ".validation_ratio", "must be in (0, 1)");
    }
  }
  if (j.contains("seed")) s.seed = asUnsigned(j["seed"], path + ".seed");
  if (j.contains("eta")) s.eta = static_cast<int>(asInt(j["eta"], path + ".eta", 2, 100));
  if (j.contains("min_budget")) {
    s.minBudget = static_cast<int>(asInt(j["min_budget"], path + ".min_budget", 1, 1000000));
  }
  if (s.method == "grid") {
    for (const auto& ps : s.space) {
      if (ps.range) {
        throw SpecError(sp + "." + ps.name, "grid search needs a list of values, not a range");
      }
    }
  }
  if (s.method == "auto") return autoSpaceSearch(std::move(s), info, tuning, path);
  if (s.method == "halving") {
    for (const char* b : {"epochs", "iterations"}) {
      const ParamSpec* p = info.schema.find(b);
      if (p != nullptr && p->type == ParamType::kInt) {
        s.budgetParam = b;
        break;
      }
    }
    if (s.budgetParam.empty()) {
      throw SpecError(path + ".method",
                      "successive halving needs an iterative model (an integer "
                      "\"epochs\" or \"iterations\" parameter); '" +
                          info.name + "' has none");
    }
    for (const auto& ps : s.space) {
      if (ps.name == s.budgetParam) {
        throw SpecError(sp + "." + ps.name, "is the halving budget; set it in \"params\" instead");
      }
    }
    const long long maxBudget = base.at(s.budgetParam).get<long long>();
    if (s.minBudget > maxBudget) {
      throw SpecError(path + ".min_budget", "exceeds the model's " + s.budgetParam + " (" +
                                                std::to_string(maxBudget) + ")");
    }
  }
  return s;
}

TuningSpec parseTuning(const json& j, const MetricsSpec& metrics) {
  const std::string path = "$.tuning";
  requireObject(j, path);
  checkKeys(j, path, {"budget_seconds", "trials", "validation", "metric"});
  TuningSpec t;
  if (j.contains("budget_seconds")) {
    t.budgetSeconds = asNumber(j["budget_seconds"], path + ".budget_seconds");
    if (!(t.budgetSeconds > 0.0 && t.budgetSeconds <= 1e7)) {
      throw SpecError(path + ".budget_seconds", "must be in (0, 1e7]");
    }
  }
  if (j.contains("trials")) {
    t.trials = static_cast<int>(asInt(j["trials"], path + ".trials", 1, 100000));
  }
  if (j.contains("validation")) {
    const std::string vp = path + ".validation";
    requireObject(j["validation"], vp);
    checkKeys(j["validation"], vp, {"ratio", "seed", "by"});
    if (j["validation"].contains("by")) {
      t.validationBy = asChoice(j["validation"]["by"], vp + ".by", {"user", "item"});
    }
    if (j["validation"].contains("ratio")) {
      t.validationRatio = asNumber(j["validation"]["ratio"], vp + ".ratio");
      if (!(t.validationRatio > 0.0 && t.validationRatio < 1.0)) {
        throw SpecError(vp + ".ratio", "must be in (0, 1)");
      }
    }
    if (j["validation"].contains("seed"))
      t.seed = asUnsigned(j["validation"]["seed"], vp + ".seed");
  }
  if (j.contains("metric")) {
    t.metric = asNonEmptyString(j["metric"], path + ".metric");
    bool ok = false;
    for (const auto& n : specMetricNames()) ok = ok || t.metric == metricKey(n, metrics.k);
    if (!ok) {
      throw SpecError(path + ".metric", "unknown metric '" + t.metric + "' (e.g. " +
                                            metricKey(metrics.primary, metrics.k) + ")");
    }
  }
  return t;
}

// Two runs writing one file would overwrite each other: refuse names that are equal, also
// after ASCII case folding (case-insensitive file systems), before anything runs.
void checkOutputNames(const ExperimentSpec& spec, const json& models) {
  std::map<std::string, std::pair<std::string, std::size_t>> taken;  // folded -> (name, model)
  for (std::size_t i = 0; i < spec.models.size(); ++i) {
    const std::string mp = "$.models[" + std::to_string(i) + "]";
    const std::string where = mp + (models[i].contains("run_name") ? ".run_name" : ".name");
    for (const auto seed : spec.seeds) {
      const std::string name = runNameFor(spec.models[i], seed, spec.seeds.size());
      std::string folded = name;
      for (auto& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const auto [it, fresh] = taken.emplace(folded, std::make_pair(name, i));
      if (fresh) continue;
      const auto& [other, j] = it->second;
      if (other == name) {
        throw SpecError(where, "run name '" + printableText(name) + "' is used twice (also by " +
                                   "$.models[" + std::to_string(j) + "]); set \"run_name\"");
      }
      throw SpecError(where, "run name '" + printableText(name) + "' and '" + printableText(other) +
                                 "' of $.models[" + std::to_string(j) +
                                 "] differ only in letter case: on a case-insensitive file "
                                 "system their output files would be the same; set \"run_name\"");
    }
  }
}

}  // namespace

json datasetSourceToJson(const DatasetSource& source) {
  json j = {{"path", source.path}};
  j.update(datasetOptionsToJson(source.options));
  return j;
}

DatasetSource datasetSourceFromJson(const json& j, const std::string& path,
                                    const std::filesystem::path& baseDir) {
  requireObject(j, path);
  DatasetSource d;
  d.path = resolvePath(asNonEmptyString(requireKey(j, "path", path), path + ".path"), baseDir);
  json rest = j;
  rest.erase("path");
  d.options = datasetOptionsFromJson(rest, path);
  for (std::string* file : {&d.options.itemsPath, &d.options.usersPath}) {
    if (!file->empty()) *file = resolvePath(*file, baseDir);
  }
  return d;
}

std::string runNameFor(const ModelSpec& m, std::uint64_t seed, std::size_t seedCount) {
  return seedCount == 1 ? m.runName : m.runName + "-seed" + std::to_string(seed);
}

std::string unsafeFileNameReason(std::string_view name) {
  if (name.empty()) return "it is empty";
  // Room for "-seed<20 digits>.tsv" within the usual 255-byte limit of a file name.
  if (name.size() > 200) return "it is longer than 200 bytes";
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return "it contains a NUL byte";
    if (c < 0x20 || c == 0x7F) return "it contains a control character";
    if (c == '/' || c == '\\') return "it contains a path separator";
    if (std::string_view(":*?\"<>|").find(ch) != std::string_view::npos) {
      return std::string("it contains '") + ch + "', which some file systems refuse";
    }
  }
  if (name == "." || name == "..") return "it names a folder";
  if (name.front() == '.' || name.front() == ' ' || name.back() == '.' || name.back() == ' ') {
    return "it begins or ends with a dot or a space";
  }
  std::string stem(name.substr(0, name.find('.')));
  for (auto& c : stem) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::set<std::string> reserved = {
      "CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
      "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
  if (reserved.count(stem) > 0) return "it is a reserved device name on Windows";
  return {};
}

const std::vector<std::string>& specMetricNames() {
  static const std::vector<std::string> names = {"precision", "recall",   "ndcg",
                                                 "map",       "map_at_k", "hit_rate"};
  return names;
}

std::string metricKey(const std::string& metric, int k) {
  if (metric == "map") return "map";
  if (metric == "map_at_k") return "map@" + std::to_string(k);
  return metric + "@" + std::to_string(k);
}

ExperimentSpec parseExperimentSpec(const json& doc, const std::filesystem::path& baseDir,
                                   const ModelLookup& lookupIn) {
  const ModelLookup lookup =
      lookupIn ? lookupIn : ModelLookup([](std::string_view n) { return findModel(n); });
  checkKeys(doc, "$",
            {"version", "name", "dataset", "prep", "split", "features", "models", "metrics",
             "evaluation", "seed", "seeds", "threads", "output", "tuning"});
  ExperimentSpec spec;
  spec.source = doc;
  if (!doc.contains("version")) throw SpecError("$.version", "is required (this build reads 1)");
  const long long version = asInt(doc["version"], "$.version", 0, 1000000);
  if (version != kSpecVersion) {
    throw SpecError("$.version", "unsupported spec version " + std::to_string(version) +
                                     " (this build reads version " + std::to_string(kSpecVersion) +
                                     ")");
  }
  if (doc.contains("name")) spec.name = asString(doc["name"], "$.name");

  if (!doc.contains("split")) throw SpecError("$.split", "is required");
  spec.split = parseSplit(doc["split"], "$.split", baseDir);

  // With given split files the dataset entry is optional: it then only carries loader options.
  if (doc.contains("dataset")) {
    spec.dataset = datasetSourceFromJson(doc["dataset"], "$.dataset", baseDir);
    // The spec's stored copy never holds a credential; the load uses the path as given.
    if (spec.source["dataset"].contains("path") && spec.source["dataset"]["path"].is_string()) {
      spec.source["dataset"]["path"] = redactConnectionString(spec.dataset.path);
    }
  } else if (spec.split.method == "files") {
    spec.dataset.path = spec.split.trainPath;
  } else {
    throw SpecError("$.dataset", "is required (unless the split gives train and test files)");
  }

  if (doc.contains("prep")) {
    const json& p = doc["prep"];
    if (!p.is_array()) throw SpecError("$.prep", "must be an array of steps");
    for (std::size_t i = 0; i < p.size(); ++i) {
      const std::string sp = "$.prep[" + std::to_string(i) + "]";
      requireObject(p[i], sp);
      if (!p[i].contains("step")) throw SpecError(sp + ".step", "is required");
      asNonEmptyString(p[i]["step"], sp + ".step");
    }
    prepStepsFromJson(p, "$.prep");  // validates every step and option now, with its path
    spec.prep = p;
  }

  if (doc.contains("features")) {
    requireObject(doc["features"], "$.features");
    FeatureConfig::fromJson(doc["features"], "$.features");  // validates now, with its path
    spec.features = doc["features"];
  }

  if (doc.contains("metrics")) {
    const json& m = doc["metrics"];
    checkKeys(m, "$.metrics", {"k", "names", "primary"});
    if (m.contains("k")) spec.metrics.k = static_cast<int>(asInt(m["k"], "$.metrics.k", 1, 10000));
    const auto checkName = [](const json& v, const std::string& p) {
      const std::string s = asString(v, p);
      const auto& known = specMetricNames();
      if (std::find(known.begin(), known.end(), s) == known.end()) {
        std::string list;
        for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
        throw SpecError(p, "unknown metric '" + s + "' (one of: " + list + ")");
      }
      return s;
    };
    if (m.contains("names")) {
      if (!m["names"].is_array() || m["names"].empty()) {
        throw SpecError("$.metrics.names", "must be a non-empty array of metric names");
      }
      spec.metrics.names.clear();
      for (std::size_t i = 0; i < m["names"].size(); ++i) {
        const std::string n =
            checkName(m["names"][i], "$.metrics.names[" + std::to_string(i) + "]");
        if (std::find(spec.metrics.names.begin(), spec.metrics.names.end(), n) !=
            spec.metrics.names.end()) {
          throw SpecError("$.metrics.names[" + std::to_string(i) + "]", "is listed twice");
        }
        spec.metrics.names.push_back(n);
      }
    }
    if (m.contains("primary")) {
      spec.metrics.primary = checkName(m["primary"], "$.metrics.primary");
    } else if (std::find(spec.metrics.names.begin(), spec.metrics.names.end(), "ndcg") ==
               spec.metrics.names.end()) {
      spec.metrics.primary = spec.metrics.names.front();
    }
    if (std::find(spec.metrics.names.begin(), spec.metrics.names.end(), spec.metrics.primary) ==
        spec.metrics.names.end()) {
      throw SpecError("$.metrics.primary", "must be one of $.metrics.names");
    }
  }

  spec.evaluation = parseEvaluation(doc, spec.split, baseDir);

  if (doc.contains("seed") && doc.contains("seeds")) {
    throw SpecError("$.seeds", "give either \"seed\" or \"seeds\", not both");
  }
  if (doc.contains("seed")) spec.seeds = {asUnsigned(doc["seed"], "$.seed")};
  if (doc.contains("seeds")) {
    const json& s = doc["seeds"];
    if (!s.is_array() || s.empty()) throw SpecError("$.seeds", "must be a non-empty array");
    spec.seeds.clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto v = asUnsigned(s[i], "$.seeds[" + std::to_string(i) + "]");
      if (std::find(spec.seeds.begin(), spec.seeds.end(), v) != spec.seeds.end()) {
        throw SpecError("$.seeds[" + std::to_string(i) + "]", "is listed twice");
      }
      spec.seeds.push_back(v);
    }
  }
  if (doc.contains("threads")) {
    spec.threads = static_cast<int>(asInt(doc["threads"], "$.threads", 0, 1024));
  }

  if (doc.contains("output")) {
    checkKeys(doc["output"], "$.output", {"recommendations", "dir"});
    if (doc["output"].contains("recommendations")) {
      spec.output.recommendations =
          asNonEmptyString(doc["output"]["recommendations"], "$.output.recommendations");
    }
    if (doc["output"].contains("dir")) {
      spec.output.dir = asNonEmptyString(doc["output"]["dir"], "$.output.dir");
    }
  }

  if (doc.contains("tuning")) spec.tuning = parseTuning(doc["tuning"], spec.metrics);

  if (!doc.contains("models")) throw SpecError("$.models", "is required");
  const json& models = doc["models"];
  if (!models.is_array() || models.empty()) {
    throw SpecError("$.models", "must be a non-empty array of models");
  }
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string mp = "$.models[" + std::to_string(i) + "]";
    checkKeys(models[i], mp, {"name", "run_name", "params", "search"});
    if (!models[i].contains("name")) throw SpecError(mp + ".name", "is required");
    ModelSpec m;
    m.name = asNonEmptyString(models[i]["name"], mp + ".name");
    const ModelInfo* info = lookup(m.name);
    if (info == nullptr) {
      std::string known;
      for (const auto& r : modelRegistry()) known += (known.empty() ? "" : ", ") + r.name;
      throw SpecError(mp + ".name",
                      "unknown model '" + printableText(m.name) + "' (known: " + known + ")");
    }
    json given = models[i].contains("params") ? models[i]["params"] : json();
    // The spec's "features" is the default of every model that takes a feature configuration.
    const ParamSpec* features = info->schema.find("features");
    if (features != nullptr && features->jsonText) {
      if (given.is_object() && given.contains("features")) {
        m.featuresPath = mp + ".params.features";
      } else if (!spec.features.is_null() && (given.is_null() || given.is_object())) {
        if (given.is_null()) given = json::object();
        given["features"] = spec.features;
        m.featuresPath = "$.features";
      }
    }
    m.params = info->schema.resolve(given, mp + ".params");
    if (m.featuresPath == mp + ".params.features") {
      FeatureConfig::parse(m.params.at("features").get<std::string>(), m.featuresPath);
    }
    m.runName = m.name;
    if (models[i].contains("run_name")) {
      m.runName = asNonEmptyString(models[i]["run_name"], mp + ".run_name");
      if (const std::string why = unsafeFileNameReason(m.runName); !why.empty()) {
        throw SpecError(mp + ".run_name",
                        "'" + printableText(m.runName) + "' cannot be used as a file name: " + why);
      }
    }
    if (models[i].contains("search") && models[i]["search"].is_string()) {
      if (models[i]["search"] != "auto") {
        throw SpecError(mp + ".search", "must be \"auto\" or a search object");
      }
      m.search = autoSearchSpec(*info, spec.tuning, mp + ".search");
    } else if (models[i].contains("search")) {
      m.search = parseSearch(models[i]["search"], mp + ".search", *info, m.params, spec.tuning);
      if (!m.search->metric.empty()) {
        const std::string& mk = m.search->metric;
        bool ok = false;
        for (const auto& n : specMetricNames()) ok = ok || mk == metricKey(n, spec.metrics.k);
        if (!ok) {
          throw SpecError(mp + ".search.metric",
                          "unknown metric '" + mk + "' (e.g. " +
                              metricKey(spec.metrics.primary, spec.metrics.k) + ")");
        }
      }
    }
    spec.models.push_back(std::move(m));
  }
  checkOutputNames(spec, models);
  return spec;
}

SearchSpec autoSearchSpec(const ModelInfo& info, const TuningSpec& tuning,
                          const std::string& path) {
  SearchSpec s;
  s.method = "auto";
  for (const ParamSpec& p : info.schema.params) {
    if (!p.search) continue;
    ParamSpace ps;
    ps.name = p.name;
    if (p.search->min && p.search->max) {
      ps.range = ParamRange{p.search->min, p.search->max, p.search->logScale};
    } else {
      ps.values = p.search->values;
    }
    ps.whenParam = p.search->whenParam;
    ps.whenValues = p.search->whenValues;
    s.space.push_back(std::move(ps));
  }
  if (s.space.empty()) {
    throw SpecError(path, "model '" + info.name + "' declares no default search space");
  }
  s.trials = tuning.trials;
  s.metric = tuning.metric;
  s.validationRatio = tuning.validationRatio;
  s.seed = tuning.seed;
  s.budgetSeconds = tuning.budgetSeconds;
  s.budgetParam = budgetParamOf(info);
  return s;
}

void applyAutoTuning(ExperimentSpec& spec, double budgetSeconds, const ModelLookup& lookupIn) {
  const ModelLookup lookup =
      lookupIn ? lookupIn : ModelLookup([](std::string_view n) { return findModel(n); });
  if (!(budgetSeconds > 0.0 && budgetSeconds <= 1e7)) {
    throw SpecError("--tune", "the budget must be in (0, 1e7] seconds");
  }
  spec.tuning.budgetSeconds = budgetSeconds;
  for (std::size_t i = 0; i < spec.models.size(); ++i) {
    ModelSpec& m = spec.models[i];
    if (m.search && m.search->method == "auto") m.search->budgetSeconds = budgetSeconds;
    if (m.search) continue;
    const ModelInfo* info = lookup(m.name);
    if (info == nullptr) {
      throw SpecError("$.models[" + std::to_string(i) + "].name", "unknown model '" + m.name + "'");
    }
    m.search = autoSearchSpec(*info, spec.tuning, "$.models[" + std::to_string(i) + "]");
  }
}

ExperimentSpec loadExperimentSpec(const std::filesystem::path& file, const ModelLookup& lookup) {
  const json doc = loadJsonFile(file);
  const auto base = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  return parseExperimentSpec(doc, base, lookup);
}

}  // namespace rwb
