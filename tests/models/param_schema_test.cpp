#include "core/models/param_schema.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/models/registry.h"
#include "test_support.h"

using namespace rwb;

namespace {
bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}
}  // namespace

// A range or a log scale on a bool, choice or string does not compile: only NumberParam has them.
template <typename B>
concept HasRange = requires(B b) {
  std::move(b).range(0.0, 1.0);
};
template <typename B>
concept HasLogScale = requires(B b) {
  std::move(b).logScale();
};
static_assert(HasRange<NumberParam> && HasLogScale<NumberParam>);
static_assert(!HasRange<PlainParam> && !HasLogScale<PlainParam>);
// An int parameter's default must be an integer.
template <typename T>
concept IntDefault = requires(T v) {
  intParam("x", v);
};
static_assert(IntDefault<int> && IntDefault<long long>);
static_assert(!IntDefault<double> && !IntDefault<bool>);

TEST_CASE("every registered model declares a sound parameter schema", "[models][params]") {
  REQUIRE(!modelRegistry().empty());
  for (const auto& m : modelRegistry()) {
    INFO("model " << m.name);
    const auto problems = m.schema.declarationProblems();
    for (const auto& p : problems) UNSCOPED_INFO(p);
    CHECK(problems.empty());
    for (const auto& p : m.schema.params) {
      INFO("parameter " << p.name);
      CHECK(!p.description.empty());
      CHECK(std::count_if(m.schema.params.begin(), m.schema.params.end(),
                          [&](const ParamSpec& q) { return q.name == p.name; }) == 1);
      // The default resolves to itself: it is inside its own range / among its own choices.
      CHECK(m.schema.resolve({{p.name, p.defaultValue}}).at(p.name) == p.defaultValue);
    }
  }
}

TEST_CASE("nonDefault keeps only the values a spec had to set", "[models][params]") {
  ParamSchema s;
  s.params = {intParam("k", 50).range(1, 1000).describe("Neighbours"),
              floatParam("shrink", 10.0).describe("Shrinkage"),
              boolParam("normalize", true).describe("Normalise")};
  CHECK(s.nonDefault(s.resolve({})).empty());
  // 10 and 10.0 are the same number; a changed value and an undeclared name are kept.
  const Params p = s.nonDefault({{"k", 20}, {"shrink", 10}, {"normalize", true}, {"x", 1}});
  CHECK(p == Params({{"k", 20}, {"x", 1}}));
  CHECK(s.nonDefault(Params::array()).empty());
  for (const auto& m : modelRegistry()) {
    INFO("model " << m.name);
    CHECK(m.schema.nonDefault(m.schema.resolve({})).empty());
  }
}

TEST_CASE("every registered model declares a default search space inside its schema",
          "[models][params][auto]") {
  for (const auto& m : modelRegistry()) {
    INFO("model " << m.name);
    int searched = 0;
    for (const auto& p : m.schema.params) {
      if (!p.search) continue;
      INFO("parameter " << p.name);
      ++searched;
      if (p.search->min) {
        // Bounds within the valid range (declarationProblems says so too; here it is explicit).
        CHECK((!p.min || *p.search->min >= *p.min));
        CHECK((!p.max || *p.search->max <= *p.max));
        CHECK(*p.search->min < *p.search->max);
        // Both ends are valid values of the parameter.
        for (double v : {*p.search->min, *p.search->max}) {
          const nlohmann::json value = p.type == ParamType::kInt
                                           ? nlohmann::json(static_cast<long long>(v))
                                           : nlohmann::json(v);
          CHECK_NOTHROW(m.schema.resolve({{p.name, value}}));
        }
      } else {
        REQUIRE_FALSE(p.search->values.empty());
        for (const auto& v : p.search->values) CHECK_NOTHROW(m.schema.resolve({{p.name, v}}));
      }
      // The resource of Hyperband is never searched.
      CHECK(p.name != "epochs");
      CHECK(p.name != "iterations");
    }
    // A model without parameters (random) has nothing to search.
    CHECK((searched > 0 || m.schema.params.empty()));
  }
}

TEST_CASE("declarationProblems checks search domains", "[models][params][auto]") {
  const auto problemsOf = [](std::vector<ParamSpec> params) {
    return ParamSchema{std::move(params)}.declarationProblems();
  };
  CHECK(problemsOf(
            {floatParam("x", 1).range(0, 10).searchLogRange(1e-3, 10).describe("x"),
             choiceParam("c", "a", {"a", "b"}).searched().describe("c"),
             intParam("k", 3).range(1, 9).searchRange(1, 9).searchedWhen("c", {"b"}).describe("k")})
            .empty());
  CHECK(mentions(problemsOf({floatParam("x", 1).range(0, 10).searchRange(0, 20).describe("x")}),
                 "x: search range outside the valid range"));
  CHECK(mentions(problemsOf({floatParam("x", 1).range(0, 10).searchLogRange(0, 1).describe("x")}),
                 "needs min > 0"));
  CHECK(mentions(problemsOf({intParam("k", 1).range(0, 10).searchRange(1.5, 5).describe("k")}),
                 "non-integral search bound"));
  CHECK(mentions(
      problemsOf({choiceParam("c", "a", {"a", "b"}).searchValues({"a", "z"}).describe("c")}),
      "invalid search value"));
  CHECK(mentions(
      problemsOf(
          {intParam("k", 3).range(1, 9).searchRange(1, 9).searchedWhen("c", {"b"}).describe("k"),
           choiceParam("c", "a", {"a", "b"}).searched().describe("c")}),
      "k: search condition on 'c'"));
  CHECK(mentions(
      problemsOf(
          {choiceParam("c", "a", {"a", "b"}).searched().describe("c"),
           intParam("k", 3).range(1, 9).searchRange(1, 9).searchedWhen("c", {"q"}).describe("k")}),
      "invalid search condition value"));
  CHECK(mentions(problemsOf({stringParam("s", "a").searchValues({"a"}).describe("s")}),
                 "a search domain on a string"));
}

TEST_CASE("builders fill every ParamSpec field", "[models][params]") {
  const ParamSpec i = intParam("factors", 64).range(1, 1024).logScale().describe("Factors");
  CHECK(i.name == "factors");
  CHECK(i.type == ParamType::kInt);
  CHECK(i.defaultValue.is_number_integer());
  CHECK(i.defaultValue == 64);
  CHECK(i.min == 1.0);
  CHECK(i.max == 1024.0);
  CHECK(i.logScale);
  CHECK(i.description == "Factors");

  const ParamSpec f = floatParam("l1", 0).range(0, 100).describe("L1");
  CHECK(f.type == ParamType::kFloat);
  CHECK(f.defaultValue.is_number_float());
  CHECK(f.defaultValue.dump() == "0.0");
  CHECK(!f.logScale);

  const ParamSpec b = boolParam("binary", true).describe("Binary");
  CHECK(b.type == ParamType::kBool);
  CHECK(b.defaultValue == true);
  CHECK((!b.min && !b.max && !b.logScale && b.choices.empty() && !b.jsonText));

  const ParamSpec c = choiceParam("s", "linear", {"constant", "linear"}).describe("Schedule");
  CHECK(c.type == ParamType::kChoice);
  CHECK(c.defaultValue == "linear");
  CHECK(c.choices == std::vector<std::string>{"constant", "linear"});

  const ParamSpec s = stringParam("model", "ease").describe("Model");
  CHECK(s.type == ParamType::kString);
  CHECK(!s.jsonText);
  CHECK(s.defaultValue == "ease");

  const ParamSpec j = jsonTextParam("features").describe("Features");
  CHECK(j.type == ParamType::kString);
  CHECK(j.jsonText);
  CHECK(j.defaultValue == "");

  const auto list = paramList(i, std::vector<ParamSpec>{f, b}, c);
  REQUIRE(list.size() == 4);
  CHECK(list[0].name == "factors");
  CHECK(list[1].name == "l1");
  CHECK(list[2].name == "binary");
  CHECK(list[3].name == "s");
}

TEST_CASE("declarationProblems catches invalid declarations", "[models][params]") {
  const auto problemsOf = [](std::vector<ParamSpec> params) {
    return ParamSchema{std::move(params)}.declarationProblems();
  };
  CHECK(problemsOf({intParam("k", 10).range(1, 5).describe("k")}).size() == 1);
  CHECK(mentions(problemsOf({intParam("k", 10).range(1, 5).describe("k")}), "k: invalid default"));
  CHECK(mentions(problemsOf({floatParam("x", -0.5).range(0, 1).describe("x")}), "invalid default"));
  CHECK(mentions(problemsOf({choiceParam("c", "d", {"a", "b"}).describe("c")}),
                 "c: invalid default"));
  CHECK(mentions(problemsOf({choiceParam("c", "a", {}).describe("c")}), "without choices"));
  CHECK(mentions(problemsOf({choiceParam("c", "a", {"a", "a"}).describe("c")}), "more than once"));
  CHECK(mentions(problemsOf({jsonTextParam("f", "[1]").describe("f")}), "f: invalid default"));
  CHECK(mentions(problemsOf({boolParam("b", true)}), "b: empty description"));
  CHECK(mentions(
      problemsOf({boolParam("b", true).describe("b"), boolParam("b", false).describe("b")}),
      "b: declared more than once"));
  CHECK(mentions(problemsOf({intParam("k", 2).range(1.5, 5).describe("k")}), "non-integral"));
  CHECK(mentions(problemsOf({floatParam("x", 1).range(2, 0).describe("x")}), "min exceeds max"));

  // ParamSpec is still an aggregate (tests declare throw-away models with it): what the builders
  // rule out at compile time is caught here.
  ParamSpec rangedBool{"b", ParamType::kBool, true, 0.0, 1.0, true, {}, "b"};
  const auto rb = problemsOf({rangedBool});
  CHECK(mentions(rb, "a range on a non-numeric"));
  CHECK(mentions(rb, "log scale on a non-numeric"));
  ParamSpec floatAsInt{"n", ParamType::kInt, 1.5, 0.0, 2.0, false, {}, "n"};
  CHECK(mentions(problemsOf({floatAsInt}), "n: default 1.5 is not of type int"));
  ParamSpec intAsFloat{"x", ParamType::kFloat, 1, 0.0, 2.0, false, {}, "x"};
  CHECK(mentions(problemsOf({intAsFloat}), "x: default 1 is not of type float"));
  ParamSpec jsonInt{"j", ParamType::kInt, 1, {}, {}, false, {}, "j", true};
  CHECK(mentions(problemsOf({jsonInt}), "jsonText on a non-string"));
  ParamSpec choicesOnString{"s", ParamType::kString, "a", {}, {}, false, {"a"}, "s"};
  CHECK(mentions(problemsOf({choicesOnString}), "choices on a non-choice"));

  CHECK(problemsOf({intParam("k", 3).range(1, 5).logScale().describe("k"),
                    jsonTextParam("f", R"({"a": 1})").describe("f")})
            .empty());
}
