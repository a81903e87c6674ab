#include "core/experiment/experiment_spec.h"

#include <catch2/catch.hpp>

#include "core/experiment/search.h"
#include "core/util/error.h"
#include "experiment_test_support.h"

using namespace rwb;
using nlohmann::json;

namespace {

// The spec exactly as issue 4 gives it.
const char* kIssueSpec = R"({
  "version": 1,
  "dataset": {"path": "../shared/data/ml-100k"},
  "split": {"method": "recommenders", "ratio": 0.75, "by": "item", "seed": 42},
  "models": [{"name": "most_popular"}],
  "metrics": {"k": 10},
  "output": {"recommendations": "out/"}
})";

// Returns the JSON path of the SpecError thrown by parsing doc, or "" if none was thrown.
std::string errorPath(const json& doc) {
  try {
    parseExperimentSpec(doc, "/base");
  } catch (const SpecError& e) {
    return e.path();
  }
  return "";
}

json minimal() { return json::parse(kIssueSpec); }

}  // namespace

TEST_CASE("issue 4's spec parses with every field as written", "[experiment][spec]") {
  const ExperimentSpec s = parseExperimentSpec(json::parse(kIssueSpec), "/repo");
  CHECK(s.version == 1);
  CHECK(s.dataset.path == "/shared/data/ml-100k");
  CHECK(s.dataset.options.format == DataFormat::kAuto);
  CHECK(s.split.method == "recommenders");
  CHECK(s.split.ratio == Approx(0.75));
  CHECK(s.split.by == "item");
  CHECK(s.split.seed == 42);
  REQUIRE(s.models.size() == 1);
  CHECK(s.models[0].name == "most_popular");
  CHECK(s.models[0].runName == "most_popular");
  CHECK(s.models[0].params.at("weighted") == false);  // defaults filled in from the schema
  CHECK(s.metrics.k == 10);
  CHECK(s.metrics.primary == "ndcg");
  CHECK(s.output.recommendations == "out/");
  CHECK(s.seeds == std::vector<std::uint64_t>{42});
}

TEST_CASE("given train/test files resolve against the spec file's folder", "[experiment][spec]") {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "exp");
  test::writeFile(dir / "exp" / "spec.json", R"({
    "version": 1,
    "dataset": {"path": "data.tsv", "options": {"delimiter": "\\t", "header": "no"}},
    "split": {"train": "train.tsv", "test": "test.tsv"},
    "models": [{"name": "most_popular", "run_name": "pop", "params": {"weighted": true}}],
    "seeds": [1, 2], "threads": 2
  })");
  const ExperimentSpec s = loadExperimentSpec(dir / "exp" / "spec.json");
  CHECK(s.split.method == "files");
  CHECK(s.split.trainPath == (dir / "exp" / "train.tsv").lexically_normal().string());
  CHECK(s.split.testPath == (dir / "exp" / "test.tsv").lexically_normal().string());
  CHECK(s.split.validPath.empty());
  CHECK(s.models[0].runName == "pop");
  CHECK(s.models[0].params.at("weighted") == true);
  CHECK(s.seeds == std::vector<std::uint64_t>{1, 2});
  CHECK(s.threads == 2);

  // The dataset entry may be left out when the split names the files.
  const ExperimentSpec bare = parseExperimentSpec(
      json::parse(R"({"version": 1, "split": {"train": "a/train.tsv", "test": "a/test.tsv"},
                      "models": [{"name": "most_popular"}]})"),
      dir / "exp");
  CHECK(bare.dataset.path == (dir / "exp" / "a" / "train.tsv").lexically_normal().string());
  CHECK(bare.dataset.options.format == DataFormat::kAuto);
}

TEST_CASE("invalid specs are rejected with the JSON path of the offending field",
          "[experiment][spec]") {
  json d = minimal();
  SECTION("unknown top-level key") {
    d["datasets"] = json::object();
    CHECK(errorPath(d) == "$.datasets");
  }
  SECTION("unknown model parameter names its model index") {
    d["models"].push_back(
        {{"name", "most_popular"}, {"run_name", "b"}, {"params", {{"factors", 64}}}});
    CHECK(errorPath(d) == "$.models[1].params.factors");
  }
  SECTION("out-of-range parameter") {
    d["models"][0]["params"] = {{"half_life_days", -3}};
    CHECK(errorPath(d) == "$.models[0].params.half_life_days");
  }
  SECTION("unknown model") {
    d["models"][0]["name"] = "nope";
    CHECK(errorPath(d) == "$.models[0].name");
  }
  SECTION("split ratio outside (0, 1)") {
    d["split"]["ratio"] = 1.5;
    CHECK(errorPath(d) == "$.split.ratio");
  }
  SECTION("split group") {
    d["split"]["by"] = "session";
    CHECK(errorPath(d) == "$.split.by");
  }
  SECTION("given files need a test file") {
    d["split"] = {{"train", "a.tsv"}};
    CHECK(errorPath(d) == "$.split.test");
  }
  SECTION("unsupported version") {
    d["version"] = 2;
    CHECK(errorPath(d) == "$.version");
  }
  SECTION("missing dataset with a split method") {
    d.erase("dataset");
    CHECK(errorPath(d) == "$.dataset");
  }
  SECTION("missing dataset path") {
    d["dataset"] = json::object();
    CHECK(errorPath(d) == "$.dataset.path");
  }
  SECTION("unknown loader option") {
    d["dataset"]["options"] = {{"separator", ","}};
    CHECK(errorPath(d) == "$.dataset.options.separator");
  }
  SECTION("unknown metric") {
    d["metrics"]["names"] = {"ndcg", "auc"};
    CHECK(errorPath(d) == "$.metrics.names[1]");
  }
  SECTION("k must be positive") {
    d["metrics"]["k"] = 0;
    CHECK(errorPath(d) == "$.metrics.k");
  }
  SECTION("duplicate run names") {
    d["models"].push_back({{"name", "most_popular"}});
    CHECK(errorPath(d) == "$.models[1].name");
  }
  SECTION("negative seed") {
    d["seeds"] = {1, -2};
    CHECK(errorPath(d) == "$.seeds[1]");
  }
  SECTION("grid search over a range") {
    d["models"][0]["search"] = {{"method", "grid"},
                                {"space", {{"half_life_days", {{"min", 1}, {"max", 30}}}}}};
    CHECK(errorPath(d) == "$.models[0].search.space.half_life_days");
  }
  SECTION("search value outside the schema's range") {
    d["models"][0]["search"] = {{"space", {{"half_life_days", {1, 5000}}}}};
    CHECK(errorPath(d) == "$.models[0].search.space.half_life_days[1]");
  }
  SECTION("halving needs an iterative model") {
    d["models"][0]["search"] = {{"method", "halving"}, {"space", {{"weighted", {true, false}}}}};
    CHECK(errorPath(d) == "$.models[0].search.method");
  }
  SECTION("the output folder must be a string") {
    d["output"]["recommendations"] = 3;
    CHECK(errorPath(d) == "$.output.recommendations");
  }
}

TEST_CASE("malformed JSON names the file, line and column", "[experiment][spec]") {
  test::TempDir dir;
  test::writeFile(dir / "bad.json", "{\n  \"version\": 1,\n  \"dataset\": {\"path\": x}\n}\n");
  try {
    loadExperimentSpec(dir / "bad.json");
    FAIL("no ParseError");
  } catch (const ParseError& e) {
    CHECK(e.line() == 3);
    CHECK(e.file() == (dir / "bad.json").string());
  }
  CHECK_THROWS_AS(loadExperimentSpec(dir / "absent.json"), IoError);
}

TEST_CASE("grid and random candidates follow the search space", "[experiment][search]") {
  const ModelInfo info = test::testIterativeInfo();
  const Params base = info.schema.resolve(json::object());
  std::vector<ParamSpace> space(2);
  space[0].name = "alpha";
  space[0].values = {0.1, 0.6, 0.9};
  space[1].name = "epochs";
  space[1].values = {2, 4};
  const auto grid = gridCandidates(info, base, space);
  REQUIRE(grid.size() == 6);
  CHECK(grid[0].at("alpha") == 0.1);
  CHECK(grid[0].at("epochs") == 2);
  CHECK(grid[1].at("epochs") == 4);
  CHECK(grid[5].at("alpha") == 0.9);
  CHECK(grid[5].at("block") == false);  // untouched parameters keep their base value

  std::vector<ParamSpace> ranges(1);
  ranges[0].name = "alpha";
  ranges[0].range = ParamRange{0.2, 0.4, std::nullopt};
  const auto a = randomCandidates(info, base, ranges, 8, 11);
  const auto b = randomCandidates(info, base, ranges, 8, 11);
  const auto c = randomCandidates(info, base, ranges, 8, 12);
  REQUIRE(a.size() == 8);
  CHECK(a == b);
  CHECK(a != c);
  for (const auto& p : a) {
    CHECK(p.at("alpha").get<double>() >= 0.2);
    CHECK(p.at("alpha").get<double>() <= 0.4);
  }
  // A space with two points yields two candidates however many trials are asked for.
  CHECK(randomCandidates(info, base, {space[1]}, 10, 1).size() == 2);
}

TEST_CASE("a duplicate key or a number overflow in a spec file is a located SpecError",
          "[experiment][spec]") {
  // Issue 13 section 2: two "models" silently dropped one; 1e400 was an internal error.
  test::TempDir dir;
  test::writeFile(dir / "dup.json", R"({"version": 1, "dataset": {"path": "d"},
    "split": {"method": "random"}, "models": [{"name": "most_popular"}],
    "models": [{"name": "ease"}]})");
  try {
    loadExperimentSpec(dir / "dup.json");
    FAIL("no SpecError");
  } catch (const SpecError& e) {
    CHECK(e.path() == "$.models");
    CHECK_THAT(e.what(), Catch::Contains("duplicate key") && Catch::Contains("dup.json"));
  }
  test::writeFile(dir / "big.json", R"({"version": 1, "dataset": {"path": "d"},
    "split": {"method": "random"}, "models": [{"name": "most_popular"}], "seed": 1e400})");
  try {
    loadExperimentSpec(dir / "big.json");
    FAIL("no SpecError");
  } catch (const SpecError& e) {
    CHECK(e.path() == "$.seed");
    CHECK_THAT(e.what(), Catch::Contains("out of range") && Catch::Contains("big.json:2:"));
  }
}

TEST_CASE("the spec's features reach every feature model that does not set its own",
          "[experiment][spec][features]") {
  json d = minimal();
  d["features"] = json::parse(R"({"item": [{"column": "category", "kind": "onehot"}]})");
  d["models"] = json::parse(R"([
    {"name": "content_similarity"},
    {"name": "content_similarity", "run_name": "own",
     "params": {"features": {"item": [{"column": "brand", "kind": "onehot"}]}}},
    {"name": "content_similarity", "run_name": "text",
     "params": {"features": "{\"item\": [{\"column\": \"price\", \"kind\": \"numeric\"}]}"}},
    {"name": "most_popular"}])");
  const ExperimentSpec s = parseExperimentSpec(d, "/base");
  REQUIRE(s.models.size() == 4);
  // Inherited: the object arrives as the model's JSON text.
  CHECK(s.models[0].featuresPath == "$.features");
  CHECK(json::parse(s.models[0].params.at("features").get<std::string>()) == d["features"]);
  // Its own, given as an object or as text.
  CHECK(s.models[1].featuresPath == "$.models[1].params.features");
  CHECK(json::parse(s.models[1].params.at("features").get<std::string>())["item"][0]["column"] ==
        "brand");
  CHECK(s.models[2].featuresPath == "$.models[2].params.features");
  CHECK(json::parse(s.models[2].params.at("features").get<std::string>())["item"][0]["column"] ==
        "price");
  // A model without a feature configuration gets none.
  CHECK(s.models[3].featuresPath.empty());
  CHECK_FALSE(s.models[3].params.contains("features"));

  SECTION("a bad top-level features object is refused with its path") {
    d["features"]["item"][0]["kind"] = "onehat";
    CHECK(errorPath(d) == "$.features.item[0].kind");
  }
  SECTION("a bad per-model features object is refused with its path") {
    d["models"][1]["params"]["features"]["item"][0]["bins"] = "many";
    CHECK(errorPath(d) == "$.models[1].params.features.item[0].bins");
  }
  SECTION("features text that is not a JSON object is refused") {
    d["models"][2]["params"]["features"] = "[1, 2]";
    CHECK(errorPath(d) == "$.models[2].params.features");
    d["models"][2]["params"]["features"] = "{\"item\": ";
    CHECK(errorPath(d) == "$.models[2].params.features");
  }
}

TEST_CASE("run names must be safe file names", "[experiment][spec]") {
  // Issue 13 section 2: "a.tsv\u0000zz" overwrote run a's list; "../x" wrote outside the folder.
  for (const std::string& bad :
       {std::string("a.tsv\0zz", 8), std::string("../x"), std::string(".."), std::string("a/b"),
        std::string("a\\b"), std::string("tab\there"), std::string("line\nbreak"),
        std::string("what?"), std::string("a:b"), std::string(".hidden"), std::string("dot."),
        std::string(" lead"), std::string("NUL"), std::string("con.txt"), std::string(300, 'x')}) {
    INFO(bad);
    json d = minimal();
    d["models"][0]["run_name"] = bad;
    CHECK(errorPath(d) == "$.models[0].run_name");
    CHECK(!unsafeFileNameReason(bad).empty());
  }
  for (const std::string good : {"pop", "ease-λ=0.5", "sar (cosine)", "a.b", "Über_2"}) {
    INFO(good);
    CHECK(unsafeFileNameReason(good).empty());
  }
}

TEST_CASE("two runs that would write the same output file are refused before any run",
          "[experiment][spec]") {
  json d = minimal();
  SECTION("the same name") {
    d["models"] = json::parse(R"([{"name": "most_popular"}, {"name": "most_popular"}])");
    CHECK(errorPath(d) == "$.models[1].name");
  }
  SECTION("names that differ only in case (case-insensitive file systems)") {
    d["models"] = json::parse(
        R"([{"name": "most_popular", "run_name": "Pop"}, {"name": "ease", "run_name": "pop"}])");
    CHECK(errorPath(d) == "$.models[1].run_name");
    try {
      parseExperimentSpec(d, "/base");
    } catch (const SpecError& e) {
      CHECK_THAT(e.what(), Catch::Contains("letter case"));
    }
  }
  SECTION("per-seed names are compared too") {
    d["seeds"] = {1, 2};
    d["models"] = json::parse(
        R"([{"name": "most_popular", "run_name": "A"}, {"name": "ease", "run_name": "a"}])");
    CHECK(errorPath(d) == "$.models[1].run_name");
  }
  SECTION("distinct names pass") {
    d["seeds"] = {1, 2};
    d["models"] = json::parse(
        R"([{"name": "most_popular", "run_name": "a"}, {"name": "ease", "run_name": "b"}])");
    CHECK(errorPath(d).empty());
  }
}

TEST_CASE("the dataset entry is read by core/data's DatasetOptions JSON, old words included",
          "[experiment][spec]") {
  // A spec as written before issue 19: the spec's own words.
  json d = minimal();
  d["dataset"] = json::parse(R"({"path": "ml", "format": "movielens",
      "columns": {"user": "u", "item": 1},
      "options": {"delimiter": "\\t", "header": "no", "encoding": "latin1", "strict": false,
                  "implicit_value": 2}})");
  const ExperimentSpec s = parseExperimentSpec(d, "/base");
  const DatasetOptions& o = s.dataset.options;
  CHECK(o.format == DataFormat::kMovieLens);
  CHECK(o.interactions.delimiter == '\t');
  CHECK(o.interactions.header == HeaderMode::kNo);
  CHECK(o.interactions.encoding == TextEncoding::kLatin1);
  CHECK_FALSE(o.interactions.strict);
  CHECK(o.interactions.implicitValue == 2.0f);
  CHECK(o.interactions.user.name == "u");
  CHECK(o.interactions.item.position == 1);
  // Written back with the one vocabulary, read back to the same source.
  const json back = datasetSourceToJson(s.dataset);
  CHECK(back["options"]["encoding"] == "latin-1");
  CHECK(back["options"]["delimiter"] == "tab");
  CHECK(datasetSourceFromJson(back, "$.dataset", "/elsewhere") == s.dataset);

  // Attribute files resolve against the spec's folder like the path.
  d["dataset"] = {{"path", "r.csv"}, {"items", "meta/items.csv"}, {"users", "/abs/users.csv"}};
  const ExperimentSpec a = parseExperimentSpec(d, "/base");
  CHECK(a.dataset.options.itemsPath ==
        std::filesystem::path("/base/meta/items.csv").lexically_normal().string());
  CHECK(a.dataset.options.usersPath == "/abs/users.csv");

  d["dataset"] = {{"path", "r.csv"}, {"options", {{"encoding", "ebcdic"}}}};
  CHECK(errorPath(d) == "$.dataset.options.encoding");
  d["dataset"] = {{"path", "r.csv"}, {"format", "excel"}};
  CHECK(errorPath(d) == "$.dataset.format");
}

TEST_CASE("the bundled specs still parse", "[experiment][spec]") {
  for (const auto& entry :
       std::filesystem::directory_iterator(test::sourceDir() / "resources" / "specs")) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path().string());
    CHECK_NOTHROW(loadExperimentSpec(entry.path()));
  }
}
