#include "core/experiment/experiment_spec.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "core/models/registry.h"
#include "core/prep/prep_spec.h"
#include "core/util/error.h"

namespace rwb {

namespace {

using json = nlohmann::json;

std::string typeName(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

void requireObject(const json& j, const std::string& path) {
  if (!j.is_object()) throw SpecError(path, "must be an object, not " + typeName(j));
}

// Rejects keys outside `allowed`, naming the allowed ones so that typos are easy to fix.
void checkKeys(const json& j, const std::string& path, std::initializer_list<const char*> allowed) {
  requireObject(j, path);
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      std::string known;
      for (const char* a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      throw SpecError(path + "." + it.key(), "unknown key (allowed: " + known + ")");
    }
  }
}

std::string getString(const json& j, const std::string& path) {
  if (!j.is_string()) throw SpecError(path, "must be a string, not " + typeName(j));
  return j.get<std::string>();
}

std::string getNonEmptyString(const json& j, const std::string& path) {
  std::string s = getString(j, path);
  if (s.empty()) throw SpecError(path, "must not be empty");
  return s;
}

std::string getChoice(const json& j, const std::string& path,
                      std::initializer_list<const char*> choices) {
  const std::string s = getString(j, path);
  std::string known;
  for (const char* c : choices) {
    if (s == c) return s;
    known += (known.empty() ? "" : ", ") + std::string(c);
  }
  throw SpecError(path, "unknown value '" + s + "' (one of: " + known + ")");
}

double getNumber(const json& j, const std::string& path) {
  if (!j.is_number()) throw SpecError(path, "must be a number, not " + typeName(j));
  const double d = j.get<double>();
  if (!std::isfinite(d)) throw SpecError(path, "must be finite");
  return d;
}

long long getInt(const json& j, const std::string& path, long long lo, long long hi) {
  if (!j.is_number_integer() &&
      !(j.is_number_float() && std::floor(j.get<double>()) == j.get<double>())) {
    throw SpecError(path, "must be an integer, not " + typeName(j));
  }
  if (j.is_number_unsigned() && j.get<unsigned long long>() > static_cast<unsigned long long>(hi)) {
    throw SpecError(path, "must be at most " + std::to_string(hi));
  }
  const long long v =
      j.is_number_float() ? static_cast<long long>(j.get<double>()) : j.get<long long>();
  if (v < lo || v > hi) {
    throw SpecError(path, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

std::uint64_t getSeed(const json& j, const std::string& path) {
  if (!j.is_number_integer()) throw SpecError(path, "must be a non-negative integer seed");
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  const long long v = j.get<long long>();
  if (v < 0) throw SpecError(path, "must be a non-negative integer seed");
  return static_cast<std::uint64_t>(v);
}

bool getBool(const json& j, const std::string& path) {
  if (!j.is_boolean()) throw SpecError(path, "must be true or false, not " + typeName(j));
  return j.get<bool>();
}

std::string resolvePath(const std::string& p, const std::filesystem::path& baseDir) {
  std::filesystem::path fp(p);
  if (fp.is_relative()) fp = baseDir / fp;
  // Absolute, so that records say where the data was whatever the working directory.
  return std::filesystem::absolute(fp).lexically_normal().string();
}

DatasetSource parseDataset(const json& j, const std::string& path,
                           const std::filesystem::path& baseDir) {
  checkKeys(j, path, {"path", "format", "columns", "options"});
  DatasetSource d;
  if (!j.contains("path")) throw SpecError(path + ".path", "is required");
  d.path = resolvePath(getNonEmptyString(j["path"], path + ".path"), baseDir);
  if (j.contains("format")) {
    d.format =
        getChoice(j["format"], path + ".format", {"auto", "delimited", "movielens", "sqlite"});
  }
  if (j.contains("columns")) {
    const std::string cp = path + ".columns";
    checkKeys(j["columns"], cp, {"user", "item", "value", "timestamp", "event"});
    for (auto it = j["columns"].begin(); it != j["columns"].end(); ++it) {
      const std::string p = cp + "." + it.key();
      if (it->is_string()) {
        if (it->get<std::string>().empty()) throw SpecError(p, "column name must not be empty");
      } else if (it->is_number_integer()) {
        getInt(*it, p, 0, 10000);
      } else {
        throw SpecError(p, "must be a column name (string) or a 0-based position (integer)");
      }
    }
    d.columns = j["columns"];
  }
  if (j.contains("options")) {
    const std::string op = path + ".options";
    checkKeys(j["options"], op, {"delimiter", "header", "encoding", "strict", "implicit_value"});
    const json& o = j["options"];
    if (o.contains("delimiter")) {
      const std::string s = getString(o["delimiter"], op + ".delimiter");
      if (s.size() != 1 && s != "\\t") {
        throw SpecError(op + ".delimiter", "must be a single character (or \"\\t\")");
      }
    }
    if (o.contains("header")) getChoice(o["header"], op + ".header", {"auto", "yes", "no"});
    if (o.contains("encoding")) getChoice(o["encoding"], op + ".encoding", {"utf8", "latin1"});
    if (o.contains("strict")) getBool(o["strict"], op + ".strict");
    if (o.contains("implicit_value")) getNumber(o["implicit_value"], op + ".implicit_value");
    d.options = o;
  }
  return d;
}

SplitSpec parseSplit(const json& j, const std::string& path, const std::filesystem::path& baseDir) {
  requireObject(j, path);
  SplitSpec s;
  if (j.contains("train") || j.contains("test") || j.contains("valid")) {
    checkKeys(j, path, {"train", "test", "valid"});
    if (!j.contains("train")) throw SpecError(path + ".train", "is required with given files");
    if (!j.contains("test")) throw SpecError(path + ".test", "is required with given files");
    s.method = "files";
    s.trainPath = resolvePath(getNonEmptyString(j["train"], path + ".train"), baseDir);
    s.testPath = resolvePath(getNonEmptyString(j["test"], path + ".test"), baseDir);
    if (j.contains("valid")) {
      s.validPath = resolvePath(getNonEmptyString(j["valid"], path + ".valid"), baseDir);
    }
    return s;
  }
  if (!j.contains("method")) {
    throw SpecError(path + ".method", "is required (or give \"train\" and \"test\" files)");
  }
  if (j.contains("ratio")) {
    const double ratio = getNumber(j["ratio"], path + ".ratio");
    if (!(ratio > 0.0 && ratio < 1.0)) throw SpecError(path + ".ratio", "must be in (0, 1)");
  }
  if (j.contains("by")) getChoice(j["by"], path + ".by", {"user", "item"});
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

std::optional<ParamRange> parseRange(const json& j, const std::string& path, const ParamSpec& p) {
  checkKeys(j, path, {"min", "max", "log"});
  if (p.type != ParamType::kInt && p.type != ParamType::kFloat) {
    if (!j.empty()) throw SpecError(path, "a range needs a numeric parameter; give a list");
    return ParamRange{};
  }
  ParamRange r;
  if (j.contains("min")) r.min = getNumber(j["min"], path + ".min");
  if (j.contains("max")) r.max = getNumber(j["max"], path + ".max");
  if (j.contains("log")) r.logScale = getBool(j["log"], path + ".log");
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

SearchSpec parseSearch(const json& j, const std::string& path, const ModelInfo& info,
                       const Params& base) {
  checkKeys(
      j, path,
      {"method", "space", "trials", "metric", "validation_ratio", "seed", "eta", "min_budget"});
  SearchSpec s;
  if (j.contains("method")) {
    s.method = getChoice(j["method"], path + ".method", {"grid", "random", "halving"});
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
    s.trials = static_cast<int>(getInt(j["trials"], path + ".trials", 1, 100000));
  if (j.contains("metric")) s.metric = getNonEmptyString(j["metric"], path + ".metric");
  if (j.contains("validation_ratio")) {
    s.validationRatio = getNumber(j["validation_ratio"], path + ".validation_ratio");
    if (!(s.validationRatio > 0.0 && s.validationRatio < 1.0)) {
      throw SpecError(path + ".validation_ratio", "must be in (0, 1)");
    }
  }
  if (j.contains("seed")) s.seed = getSeed(j["seed"], path + ".seed");
  if (j.contains("eta")) s.eta = static_cast<int>(getInt(j["eta"], path + ".eta", 2, 100));
  if (j.contains("min_budget")) {
    s.minBudget = static_cast<int>(getInt(j["min_budget"], path + ".min_budget", 1, 1000000));
  }
  if (s.method == "grid") {
    for (const auto& ps : s.space) {
      if (ps.range) {
        throw SpecError(sp + "." + ps.name, "grid search needs a list of values, not a range");
      }
    }
  }
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

}  // namespace

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
            {"version", "name", "dataset", "prep", "split", "features", "models", "metrics", "seed",
             "seeds", "threads", "output"});
  ExperimentSpec spec;
  spec.source = doc;
  if (!doc.contains("version")) throw SpecError("$.version", "is required (this build reads 1)");
  const long long version = getInt(doc["version"], "$.version", 0, 1000000);
  if (version != kSpecVersion) {
    throw SpecError("$.version", "unsupported spec version " + std::to_string(version) +
                                     " (this build reads version " + std::to_string(kSpecVersion) +
                                     ")");
  }
  if (doc.contains("name")) spec.name = getString(doc["name"], "$.name");

  if (!doc.contains("split")) throw SpecError("$.split", "is required");
  spec.split = parseSplit(doc["split"], "$.split", baseDir);

  // With given split files the dataset entry is optional: it then only carries loader options.
  if (doc.contains("dataset")) {
    spec.dataset = parseDataset(doc["dataset"], "$.dataset", baseDir);
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
      getNonEmptyString(p[i]["step"], sp + ".step");
    }
    prepStepsFromJson(p, "$.prep");  // validates every step and option now, with its path
    spec.prep = p;
  }

  if (doc.contains("features")) {
    requireObject(doc["features"], "$.features");
    spec.features = doc["features"];
  }

  if (doc.contains("metrics")) {
    const json& m = doc["metrics"];
    checkKeys(m, "$.metrics", {"k", "names", "primary"});
    if (m.contains("k")) spec.metrics.k = static_cast<int>(getInt(m["k"], "$.metrics.k", 1, 10000));
    const auto checkName = [](const json& v, const std::string& p) {
      const std::string s = getString(v, p);
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

  if (doc.contains("seed") && doc.contains("seeds")) {
    throw SpecError("$.seeds", "give either \"seed\" or \"seeds\", not both");
  }
  if (doc.contains("seed")) spec.seeds = {getSeed(doc["seed"], "$.seed")};
  if (doc.contains("seeds")) {
    const json& s = doc["seeds"];
    if (!s.is_array() || s.empty()) throw SpecError("$.seeds", "must be a non-empty array");
    spec.seeds.clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto v = getSeed(s[i], "$.seeds[" + std::to_string(i) + "]");
      if (std::find(spec.seeds.begin(), spec.seeds.end(), v) != spec.seeds.end()) {
        throw SpecError("$.seeds[" + std::to_string(i) + "]", "is listed twice");
      }
      spec.seeds.push_back(v);
    }
  }
  if (doc.contains("threads")) {
    spec.threads = static_cast<int>(getInt(doc["threads"], "$.threads", 0, 1024));
  }

  if (doc.contains("output")) {
    checkKeys(doc["output"], "$.output", {"recommendations", "dir"});
    if (doc["output"].contains("recommendations")) {
      spec.output.recommendations =
          getNonEmptyString(doc["output"]["recommendations"], "$.output.recommendations");
    }
    if (doc["output"].contains("dir")) {
      spec.output.dir = getNonEmptyString(doc["output"]["dir"], "$.output.dir");
    }
  }

  if (!doc.contains("models")) throw SpecError("$.models", "is required");
  const json& models = doc["models"];
  if (!models.is_array() || models.empty()) {
    throw SpecError("$.models", "must be a non-empty array of models");
  }
  std::set<std::string> runNames;
  for (std::size_t i = 0; i < models.size(); ++i) {
    const std::string mp = "$.models[" + std::to_string(i) + "]";
    checkKeys(models[i], mp, {"name", "run_name", "params", "search"});
    if (!models[i].contains("name")) throw SpecError(mp + ".name", "is required");
    ModelSpec m;
    m.name = getNonEmptyString(models[i]["name"], mp + ".name");
    const ModelInfo* info = lookup(m.name);
    if (info == nullptr) {
      std::string known;
      for (const auto& r : modelRegistry()) known += (known.empty() ? "" : ", ") + r.name;
      throw SpecError(mp + ".name", "unknown model '" + m.name + "' (known: " + known + ")");
    }
    m.params = info->schema.resolve(models[i].contains("params") ? models[i]["params"] : json(),
                                    mp + ".params");
    m.runName = m.name;
    if (models[i].contains("run_name")) {
      m.runName = getNonEmptyString(models[i]["run_name"], mp + ".run_name");
      if (m.runName.find_first_of("/\\\n\t") != std::string::npos || m.runName == "." ||
          m.runName == "..") {
        throw SpecError(mp + ".run_name", "must be usable as a file name (no slashes or tabs)");
      }
    }
    if (!runNames.insert(m.runName).second) {
      throw SpecError(mp + (models[i].contains("run_name") ? ".run_name" : ".name"),
                      "run name '" + m.runName + "' is used twice; set \"run_name\"");
    }
    if (models[i].contains("search")) {
      m.search = parseSearch(models[i]["search"], mp + ".search", *info, m.params);
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
  return spec;
}

ExperimentSpec loadExperimentSpec(const std::filesystem::path& file, const ModelLookup& lookup) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoError("cannot open experiment spec " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // Translate the byte offset into line and column for the message.
    std::uint64_t line = 1, col = 1;
    const std::size_t end = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string reason = e.what();
    const auto pos = reason.find("parse error");
    if (pos != std::string::npos) reason = reason.substr(pos);
    throw ParseError(file.string(), line, col, "malformed JSON: " + reason);
  }
  const auto base = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  return parseExperimentSpec(doc, base, lookup);
}

}  // namespace rwb
