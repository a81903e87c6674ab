#pragma once
/// \file
/// Parameter schemas: what every model declares about its hyperparameters. The CLI, the GUI's
/// generated forms and the hyperparameter search all read these; none hard-codes a parameter.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rwb {

enum class ParamType { kInt, kFloat, kBool, kChoice, kString };

/// One hyperparameter: name, type, default, valid range or choices, one-line description.
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kFloat;
  nlohmann::json defaultValue;
  std::optional<double> min;         ///< inclusive, for kInt / kFloat
  std::optional<double> max;         ///< inclusive, for kInt / kFloat
  bool logScale = false;             ///< search samples this range log-uniformly
  std::vector<std::string> choices;  ///< for kChoice
  std::string description;
  /// kString only: the value is JSON text (e.g. a feature configuration). A JSON object is
  /// accepted as well and stored as its text, so that specs can write the object directly.
  bool jsonText = false;
};

/// A model's parameters as a JSON object {name: value}.
using Params = nlohmann::json;

/// The ordered list of a model's parameters.
struct ParamSchema {
  std::vector<ParamSpec> params;

  const ParamSpec* find(const std::string& name) const;
  /// Defaults overlaid with `given`. Throws SpecError (path = pathPrefix + ".name") for unknown
  /// names, wrong types, out-of-range values, unknown choices or (jsonText parameters) text
  /// that is not a JSON object.
  Params resolve(const Params& given, const std::string& pathPrefix = "$.params") const;
  /// JSON description of the schema (for `recwb models --json` and GUI forms).
  nlohmann::json toJson() const;
};

/// "int", "float", "bool", "choice", "string".
const char* paramTypeName(ParamType type);

}  // namespace rwb
