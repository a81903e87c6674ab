#include "core/models/param_schema.h"

#include <cmath>

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
    arr.push_back(std::move(j));
  }
  return arr;
}

}  // namespace rwb
