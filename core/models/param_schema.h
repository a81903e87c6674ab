#pragma once
/// \file
/// Parameter schemas: what every model declares about its hyperparameters. The CLI, the GUI's
/// generated forms and the hyperparameter search all read these; none hard-codes a parameter.

#include <concepts>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace rwb {

enum class ParamType { kInt, kFloat, kBool, kChoice, kString };

/// A parameter's place in its model's default ("auto") search space, declared with the
/// builders' search*() calls. Ranges are those a practitioner would search on any data, never
/// values fitted to one dataset.
struct SearchDomain {
  /// Numbers: the searched range (inside the parameter's valid range; min > 0 when logScale).
  std::optional<double> min, max;
  bool logScale = false;
  /// Bool and choice parameters: the values searched (all of them unless narrowed).
  std::vector<nlohmann::json> values;
  /// Conditional parameter: searched only when parameter `whenParam` (declared before it, and
  /// itself searched) takes one of `whenValues`; otherwise it keeps its base value.
  std::string whenParam;
  std::vector<nlohmann::json> whenValues;
};

/// One hyperparameter: name, type, default, valid range or choices, one-line description.
/// Models declare their parameters with the named builders below (intParam, floatParam, ...),
/// which allow a range only on numbers; ParamSchema::declarationProblems() checks the rest.
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
  /// The default search space entry; unset = not searched by "search": "auto".
  std::optional<SearchDomain> search;
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
  /// The entries of `params` whose value is not the declared default (numbers compared as
  /// numbers: 10 equals 10.0) and the names the schema does not declare, as an object.
  /// Resolved parameters give exactly what a spec had to set. Never throws.
  Params nonDefault(const Params& params) const;
  /// JSON description of the schema (for `recwb models --json` and GUI forms).
  nlohmann::json toJson() const;
  /// What is wrong with the declarations themselves, one message per problem ("name: ...");
  /// empty when the schema is sound. Checked: names non-empty and unique, descriptions
  /// non-empty, the default's JSON type matches the parameter type, a range only on int/float
  /// (integral bounds on int, min <= max), log scale only on int/float, choices only on (and
  /// required by) kChoice and unique, jsonText only on kString, and every default accepted by
  /// resolve() (inside its range, among its choices, a JSON object or empty for jsonText).
  /// Also checked: a search domain (SearchDomain) only on int/float/bool/choice, its range
  /// inside the parameter's (integral on int, min <= max, min > 0 when log), its values accepted
  /// by resolve(), and its condition naming a searched parameter declared earlier with values
  /// that parameter accepts.
  std::vector<std::string> declarationProblems() const;
};

/// "int", "float", "bool", "choice", "string".
const char* paramTypeName(ParamType type);

/// The part every parameter builder shares: a description and the conversion to ParamSpec.
/// Builders are values: each call returns the builder with one more field set, so that a
/// declaration reads `intParam("k", 400).range(1, 1e6).logScale().describe("...")`.
template <typename Self>
class ParamBuilder {
 public:
  /// The one-line description shown by `recwb models` and as the GUI form's tooltip.
  Self describe(std::string text) && {
    spec_.description = std::move(text);
    return std::move(static_cast<Self&>(*this));
  }
  /// The declared parameter.
  const ParamSpec& spec() const& noexcept { return spec_; }
  operator ParamSpec() const& { return spec_; }
  operator ParamSpec() && { return std::move(spec_); }
  /// Makes the parameter conditional in the default search space: searched only when
  /// `parent` (a searched parameter declared before this one) takes one of `values`. Call it
  /// after the search*() call that puts the parameter in the space.
  Self searchedWhen(std::string parent, std::vector<nlohmann::json> values) && {
    if (!spec_.search) spec_.search = SearchDomain{};
    spec_.search->whenParam = std::move(parent);
    spec_.search->whenValues = std::move(values);
    return std::move(static_cast<Self&>(*this));
  }

 protected:
  explicit ParamBuilder(ParamSpec spec) : spec_(std::move(spec)) {}
  ParamSpec spec_;
};

/// An int or float parameter: the only kind that takes a range and a log scale.
class NumberParam : public ParamBuilder<NumberParam> {
 public:
  explicit NumberParam(ParamSpec spec) : ParamBuilder(std::move(spec)) {}
  /// Valid values, both bounds inclusive (integral for int parameters).
  NumberParam range(double min, double max) && {
    spec_.min = min;
    spec_.max = max;
    return std::move(*this);
  }
  /// Hyperparameter search samples the range log-uniformly by default.
  NumberParam logScale() && {
    spec_.logScale = true;
    return std::move(*this);
  }
  /// Puts the parameter in the default search space, sampled uniformly over [min, max].
  NumberParam searchRange(double min, double max) && {
    spec_.search = SearchDomain{};
    spec_.search->min = min;
    spec_.search->max = max;
    return std::move(*this);
  }
  /// Puts the parameter in the default search space, sampled log-uniformly over [min, max].
  NumberParam searchLogRange(double min, double max) && {
    spec_.search = SearchDomain{};
    spec_.search->min = min;
    spec_.search->max = max;
    spec_.search->logScale = true;
    return std::move(*this);
  }
};

/// A bool, choice or string parameter: default, (choices,) description; no range.
class PlainParam : public ParamBuilder<PlainParam> {
 public:
  explicit PlainParam(ParamSpec spec) : ParamBuilder(std::move(spec)) {}
  /// Puts a bool or choice parameter in the default search space over all its values.
  PlainParam searched() && {
    spec_.search = SearchDomain{};
    if (spec_.type == ParamType::kBool) {
      spec_.search->values = {false, true};
    } else {
      for (const auto& c : spec_.choices) spec_.search->values.emplace_back(c);
    }
    return std::move(*this);
  }
  /// Puts the parameter in the default search space over the given values only.
  PlainParam searchValues(std::vector<nlohmann::json> values) && {
    spec_.search = SearchDomain{};
    spec_.search->values = std::move(values);
    return std::move(*this);
  }
};

/// An int parameter. The default must be an integer (a floating default does not compile).
template <std::integral T>
requires(!std::same_as<T, bool>) NumberParam intParam(std::string name, T defaultValue) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = ParamType::kInt;
  p.defaultValue = static_cast<long long>(defaultValue);
  return NumberParam(std::move(p));
}

/// A float parameter (the default is stored as a double, printed as such, e.g. `0.0`).
NumberParam floatParam(std::string name, double defaultValue);

/// A bool parameter.
PlainParam boolParam(std::string name, bool defaultValue);

/// A choice among fixed strings, listed in the order forms and `recwb models` show them;
/// the default must be one of them.
PlainParam choiceParam(std::string name, std::string defaultValue,
                       std::vector<std::string> choices);

/// A free string parameter.
PlainParam stringParam(std::string name, std::string defaultValue);

/// A string parameter holding JSON text (ParamSpec::jsonText): empty (not set) by default, or
/// the text of a JSON object.
PlainParam jsonTextParam(std::string name, std::string defaultText = "");

namespace detail {
inline void appendParams(std::vector<ParamSpec>& out, ParamSpec p) { out.push_back(std::move(p)); }
inline void appendParams(std::vector<ParamSpec>& out, std::vector<ParamSpec> block) {
  for (auto& p : block) out.push_back(std::move(p));
}
}  // namespace detail

/// The ordered parameter list of a schema from single parameters (builders or ParamSpecs) and
/// blocks (vectors of ParamSpec), in the order given.
template <typename... Parts>
std::vector<ParamSpec> paramList(Parts&&... parts) {
  std::vector<ParamSpec> out;
  (detail::appendParams(out, std::forward<Parts>(parts)), ...);
  return out;
}

}  // namespace rwb
