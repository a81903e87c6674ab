#include "core/models/param_schema.h"

#include <cmath>
#include <set>

#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

const char* paramTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "int";
    case ParamType::kFloat:
      return "float";
    case ParamType::kBool:
      return "bool";
    case ParamType::kChoice:
      return "choice";
    case ParamType::kString:
      return "string";
  }
  return "unknown";
}

const ParamSpec* ParamSchema::find(const std::string& name) const {
  for (const auto& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Params ParamSchema::nonDefault(const Params& given) const {
  Params out = Params::object();
  if (!given.is_object()) return out;
  for (const auto& p : params) {
    const auto it = given.find(p.name);
    if (it != given.end() && *it != p.defaultValue) out[p.name] = *it;
  }
  for (auto it = given.begin(); it != given.end(); ++it) {
    if (find(it.key()) == nullptr) out[it.key()] = it.value();
  }
  return out;
}

namespace {
std::string rangeText(const ParamSpec& p) {
  std::string s = "[";
  s += p.min ? nlohmann::json(*p.min).dump() : std::string("-inf");
  s += ", ";
  s += p.max ? nlohmann::json(*p.max).dump() : std::string("inf");
  return s + "]";
}
}  // namespace

Params ParamSchema::resolve(const Params& given, const std::string& pathPrefix) const {
  Params out = Params::object();
  for (const auto& p : params) out[p.name] = p.defaultValue;
  if (given.is_null()) return out;
  if (!given.is_object()) throw SpecError(pathPrefix, "must be an object of parameter values");
  for (auto it = given.begin(); it != given.end(); ++it) {
    const std::string path = jsonPath(pathPrefix, it.key());
    const ParamSpec* p = find(it.key());
    if (p == nullptr) {
      std::string known;
      for (const auto& q : params) known += (known.empty() ? "" : ", ") + q.name;
      throw SpecError(path, "unknown parameter (known: " + (known.empty() ? "none" : known) + ")");
    }
    const auto& v = it.value();
    switch (p->type) {
      case ParamType::kInt: {
        // Bounds are checked as doubles (the schema's), so the message shows the schema's range.
        const auto n = asInt(v, path);
        const auto d = static_cast<double>(n);
        if ((p->min && d < *p->min) || (p->max && d > *p->max)) {
          throw SpecError(path, "out of range " + rangeText(*p));
        }
        out[p->name] = n;
        break;
      }
      case ParamType::kFloat: {
        const double d = asNumber(v, path);
        if ((p->min && d < *p->min) || (p->max && d > *p->max)) {
          throw SpecError(path, "out of range " + rangeText(*p));
        }
        out[p->name] = d;
        break;
      }
      case ParamType::kBool:
        out[p->name] = asBool(v, path);
        break;
      case ParamType::kChoice: {
        const auto s = asString(v, path);
        bool ok = false;
        std::string known;
        for (const auto& c : p->choices) {
          ok = ok || c == s;
          known += (known.empty() ? "" : ", ") + c;
        }
        if (!ok) {
          throw SpecError(path,
                          "unknown choice '" + printableText(s) + "' (one of: " + known + ")");
        }
        out[p->name] = s;
        break;
      }
      case ParamType::kString:
        if (p->jsonText && v.is_object()) {
          out[p->name] = v.dump();
        } else if (p->jsonText) {
          const std::string text = asString(v, path);
          // Empty text means "not set"; anything else must be a JSON object.
          if (!text.empty()) requireObject(parseJsonField(text, path), path);
          out[p->name] = text;
        } else {
          out[p->name] = asString(v, path);
        }
        break;
    }
  }
  return out;
}

std::vector<std::string> ParamSchema::declarationProblems() const {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const auto& p : params) {
    const std::string who = (p.name.empty() ? std::string("(unnamed)") : p.name) + ": ";
    const auto problem = [&](const std::string& what) { problems.push_back(who + what); };
    const bool numeric = p.type == ParamType::kInt || p.type == ParamType::kFloat;
    if (p.name.empty()) problem("empty name");
    if (!seen.insert(p.name).second) problem("declared more than once");
    if (p.description.empty()) problem("empty description");

    const auto& d = p.defaultValue;
    bool typeOk = false;
    switch (p.type) {
      case ParamType::kInt:
        typeOk = d.is_number_integer();
        break;
      case ParamType::kFloat:
        typeOk = d.is_number_float();
        break;
      case ParamType::kBool:
        typeOk = d.is_boolean();
        break;
      case ParamType::kChoice:
      case ParamType::kString:
        typeOk = d.is_string();
        break;
    }
    if (!typeOk) {
      problem(std::string("default ") + d.dump() + " is not of type " + paramTypeName(p.type));
    }

    if (!numeric && (p.min || p.max)) problem("a range on a non-numeric parameter");
    if (!numeric && p.logScale) problem("log scale on a non-numeric parameter");
    if (p.min && p.max && *p.min > *p.max) problem("min exceeds max " + rangeText(p));
    if (p.type == ParamType::kInt) {
      for (const auto& bound : {p.min, p.max}) {
        if (bound && std::floor(*bound) != *bound) problem("non-integral bound " + rangeText(p));
      }
    }
    if (p.type == ParamType::kChoice && p.choices.empty()) problem("a choice without choices");
    if (p.type != ParamType::kChoice && !p.choices.empty()) problem("choices on a non-choice");
    if (std::set<std::string>(p.choices.begin(), p.choices.end()).size() != p.choices.size()) {
      problem("a choice listed more than once");
    }
    if (p.jsonText && p.type != ParamType::kString) problem("jsonText on a non-string");

    if (p.search) {
      const SearchDomain& sd = *p.search;
      if (p.type == ParamType::kString) problem("a search domain on a string parameter");
      if (numeric) {
        if (!sd.min || !sd.max) {
          problem("a numeric search domain needs min and max");
        } else {
          if (*sd.min > *sd.max) problem("search min exceeds search max");
          if ((p.min && *sd.min < *p.min) || (p.max && *sd.max > *p.max)) {
            problem("search range outside the valid range " + rangeText(p));
          }
          if (sd.logScale && *sd.min <= 0.0) problem("a log search range needs min > 0");
          if (p.type == ParamType::kInt &&
              (std::floor(*sd.min) != *sd.min || std::floor(*sd.max) != *sd.max)) {
            problem("non-integral search bound");
          }
        }
        if (!sd.values.empty()) problem("search values on a numeric parameter (give a range)");
      } else if (p.type != ParamType::kString) {
        if (sd.values.empty()) problem("a search domain without values");
        if (sd.min || sd.max) problem("a search range on a non-numeric parameter");
        for (const auto& v : sd.values) {
          try {
            ParamSchema{{p}}.resolve(Params{{p.name, v}}, "search");
          } catch (const SpecError& e) {
            problem(std::string("invalid search value: ") + e.what());
          }
        }
      }
      if (!sd.whenParam.empty()) {
        const ParamSpec* parent = nullptr;
        for (const auto& q : params) {
          if (&q == &p) break;
          if (q.name == sd.whenParam) parent = &q;
        }
        if (parent == nullptr || !parent->search) {
          problem("search condition on '" + sd.whenParam +
                  "', which is not a searched parameter declared before it");
        } else if (sd.whenValues.empty()) {
          problem("a search condition without values");
        } else {
          for (const auto& v : sd.whenValues) {
            try {
              ParamSchema{{*parent}}.resolve(Params{{parent->name, v}}, "when");
            } catch (const SpecError& e) {
              problem(std::string("invalid search condition value: ") + e.what());
            }
          }
        }
      }
    }

    // The default must pass the same check as a value given in a spec.
    if (typeOk && !p.name.empty()) {
      try {
        ParamSchema single{{p}};
        single.resolve(Params{{p.name, d}}, "default");
      } catch (const SpecError& e) {
        problem(std::string("invalid default: ") + e.what());
      }
    }
  }
  return problems;
}

namespace {
ParamSpec declared(std::string name, ParamType type, nlohmann::json defaultValue) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.defaultValue = std::move(defaultValue);
  return p;
}
}  // namespace

NumberParam floatParam(std::string name, double defaultValue) {
  return NumberParam(declared(std::move(name), ParamType::kFloat, defaultValue));
}

PlainParam boolParam(std::string name, bool defaultValue) {
  return PlainParam(declared(std::move(name), ParamType::kBool, defaultValue));
}

PlainParam choiceParam(std::string name, std::string defaultValue,
                       std::vector<std::string> choices) {
  ParamSpec p = declared(std::move(name), ParamType::kChoice, std::move(defaultValue));
  p.choices = std::move(choices);
  return PlainParam(std::move(p));
}

PlainParam stringParam(std::string name, std::string defaultValue) {
  return PlainParam(declared(std::move(name), ParamType::kString, std::move(defaultValue)));
}

PlainParam jsonTextParam(std::string name, std::string defaultText) {
  ParamSpec p = declared(std::move(name), ParamType::kString, std::move(defaultText));
  p.jsonText = true;
  return PlainParam(std::move(p));
}

nlohmann::json ParamSchema::toJson() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& p : params) {
    nlohmann::json j = {{"name", p.name},
                        {"type", paramTypeName(p.type)},
                        {"default", p.defaultValue},
                        {"description", p.description}};
    if (p.min) j["min"] = *p.min;
    if (p.max) j["max"] = *p.max;
    if (p.logScale) j["log_scale"] = true;
    if (!p.choices.empty()) j["choices"] = p.choices;
    if (p.search) {
      nlohmann::json sj = nlohmann::json::object();
      if (p.search->min) sj["min"] = *p.search->min;
      if (p.search->max) sj["max"] = *p.search->max;
      if (p.search->logScale) sj["log"] = true;
      if (!p.search->values.empty()) sj["values"] = p.search->values;
      if (!p.search->whenParam.empty()) {
        sj["when"] = {{"param", p.search->whenParam}, {"values", p.search->whenValues}};
      }
      j["search"] = std::move(sj);
    }
    arr.push_back(std::move(j));
  }
  return arr;
}

}  // namespace rwb
