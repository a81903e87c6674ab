#include "core/util/json.h"

#include <catch2/catch.hpp>
#include <random>

#include "core/util/error.h"

using namespace rwb;
using nlohmann::json;

namespace {

// The SpecError thrown by f: its path and message ("" when nothing was thrown).
template <typename F>
std::pair<std::string, std::string> specError(F f) {
  try {
    f();
  } catch (const SpecError& e) {
    return {e.path(), e.what()};
  }
  return {"", ""};
}

// True when s holds no control character and no invalid UTF-8 (nothing printableText escapes):
// what messages about binary input must be.
bool printable(const std::string& s) { return printableText(s, s.size() + 1) == s; }

}  // namespace

TEST_CASE("parseJson reads what nlohmann reads, in the same order", "[util][json]") {
  const json j =
      parseJson(R"({"b": [1, -2, 3.5, "x", null, true, {"c": {}}], "a": 18446744073709551615})");
  CHECK(j == json::parse(
                 R"({"b": [1, -2, 3.5, "x", null, true, {"c": {}}], "a": 18446744073709551615})"));
  CHECK(j.at("a").is_number_unsigned());
  CHECK(parseJson("[]") == json::array());
  CHECK(parseJson(" 7 ") == 7);
}

TEST_CASE("duplicate keys are refused with the path of the repeated key", "[util][json]") {
  // nlohmann keeps the last of two equal keys: the first "models" would be lost silently.
  auto [path, what] = specError([] { parseJson(R"({"models": [1], "models": [2]})", "s.json"); });
  CHECK(path == "$.models");
  CHECK_THAT(what, Catch::Contains("duplicate key") && Catch::Contains("s.json"));
  std::tie(path, what) =
      specError([] { parseJson(R"({"models": [{"name": "a"}, {"name": "b", "name": "c"}]})"); });
  CHECK(path == "$.models[1].name");
  std::tie(path, what) = specError([] { parseJson(R"([[], [{"x": {"y": 1, "y": 1}}]])"); });
  CHECK(path == "$[1][0].x.y");
  // Equal keys in different objects are fine.
  CHECK_NOTHROW(parseJson(R"({"a": {"k": 1}, "b": {"k": 1}, "k": 1})"));
}

TEST_CASE("a number out of the range of a double is refused with its path and position",
          "[util][json]") {
  auto [path, what] = specError([] { parseJson("{\"version\": 1,\n \"seed\": 1e400}", "s.json"); });
  CHECK(path == "$.seed");
  CHECK_THAT(what, Catch::Contains("out of range") && Catch::Contains("s.json:2:") &&
                       Catch::Contains("1e400"));
  std::tie(path, what) = specError([] { parseJson(R"({"a": [0, -1e999]})"); });
  CHECK(path == "$.a[1]");
  CHECK_THAT(what, Catch::Contains("line 1, column"));
  // Large but finite numbers, and integers beyond 64 bits (read as doubles), are fine.
  CHECK(parseJson("1e308").get<double>() == Approx(1e308));
  CHECK(parseJson("123456789012345678901234567890").is_number_float());
}

TEST_CASE("malformed JSON is a ParseError with file, line and column", "[util][json]") {
  try {
    parseJson("{\n  \"a\": 1,\n  \"b\": x\n}", "spec.json");
    FAIL("no ParseError");
  } catch (const ParseError& e) {
    CHECK(e.file() == "spec.json");
    CHECK(e.line() == 3);
    CHECK(e.column() == 8);
    CHECK_THAT(e.what(), Catch::StartsWith("spec.json:3:8: malformed JSON"));
  }
  CHECK_THROWS_AS(parseJson(""), ParseError);
  CHECK_THROWS_AS(parseJson("{} {}"), ParseError);
  CHECK_THROWS_AS(parseJson("{\"a\": 1,}"), ParseError);
}

TEST_CASE("messages about binary input never echo raw bytes", "[util][json]") {
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    std::string junk(64, '\0');
    for (auto& c : junk) c = static_cast<char>(rng() & 0xFF);
    if (round % 2 == 0) junk = "{\"k\": \"" + junk;  // junk inside a string
    try {
      parseJson(junk, "bin.json");
      FAIL("junk parsed");
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(printable(e.what()));
    }
  }
  CHECK(printableText(std::string("a\0b\x01\xff", 5)) == "a\\x00b\\x01\\xFF");
  CHECK(printableText("caf\xc3\xa9") == "caf\xc3\xa9");  // valid UTF-8 stays
  CHECK(printableText(std::string(100, 'x'), 10) == "xxxxxxxxxx...");
}

TEST_CASE("parseJsonField locates every failure inside the field", "[util][json]") {
  auto [path, what] = specError([] { parseJsonField("{\"a\": ", "$.models[0].params.features"); });
  CHECK(path == "$.models[0].params.features");
  CHECK_THAT(what, Catch::Contains("not valid JSON (line 1, column"));
  std::tie(path, what) = specError(
      [] { parseJsonField(R"({"item": [{"column": "a", "column": "b"}]})", "--params"); });
  CHECK(path == "--params.item[0].column");
  CHECK_THAT(what, Catch::Contains("duplicate key"));
}

TEST_CASE("typed readers report one style: SpecError(path, reason)", "[util][json]") {
  const json o = parseJson(
      R"({"s": "x", "n": 2.5, "i": 3, "f": 3.0, "neg": -1, "b": true, "l": ["a", 1], "e": ""})");
  CHECK(requireString(o, "s", "$") == "x");
  CHECK(specError([&] { requireString(o, "absent", "$"); }).first == "$.absent");
  CHECK_THAT(specError([&] { requireString(o, "absent", "$"); }).second,
             Catch::Contains("is required"));
  CHECK_THAT(specError([&] { asString(o.at("n"), "$.n"); }).second,
             Catch::Contains("must be a string, not a number"));
  CHECK(optString(o, "absent", "$", "def") == "def");
  CHECK(optInt(o, "i", "$", 0, 0, 10) == 3);
  CHECK(optInt(o, "f", "$", 0, 0, 10) == 3);  // an integral float is an integer
  CHECK_THAT(specError([&] { optInt(o, "n", "$", 0); }).second,
             Catch::Contains("$.n") && Catch::Contains("must be an integer"));
  CHECK_THAT(specError([&] { optInt(o, "i", "$", 0, 5, 10); }).second,
             Catch::Contains("out of range [5, 10]"));
  CHECK_THAT(specError([&] { asUnsigned(o.at("neg"), "$.neg"); }).second,
             Catch::Contains("non-negative"));
  CHECK(asUnsigned(json(18446744073709551615ull), "$") == 18446744073709551615ull);
  CHECK_THAT(specError([&] { asInt(json(1e30), "$.big", 0, 100); }).second,
             Catch::Contains("out of range [0, 100]"));
  CHECK(optNumber(o, "n", "$", 0.0, 0.0, 3.0) == 2.5);
  CHECK_THAT(specError([&] { optNumber(o, "n", "$", 0.0, 0.0, 1.0); }).second,
             Catch::Contains("out of range [0, 1]"));
  CHECK(optBool(o, "b", "$", false));
  CHECK(specError([&] { optStringList(o, "l", "$", {}); }).first == "$.l[1]");
  CHECK(specError([&] { asNonEmptyString(o.at("e"), "$.e"); }).first == "$.e");
  CHECK_THAT(specError([&] {
               asChoice(o.at("s"), "$.s", {"a", "b"});
             }).second,
             Catch::Contains("unknown value 'x' (one of: a, b)"));
  CHECK(specError([&] {
          checkKeys(o, "$", {"s", "n", "i", "f", "neg", "b", "l"});
        }).first == "$.e");
  CHECK_THAT(specError([&] { requireObject(json::array(), "$.x"); }).second,
             Catch::Contains("must be an object, not an array"));
}
