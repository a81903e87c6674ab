#include "core/data/dataset_options_json.h"

#include <catch2/catch.hpp>

#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;
using nlohmann::json;

namespace {

// The SpecError path of reading j, or "" when it reads.
std::string errorPath(const json& j) {
  try {
    datasetOptionsFromJson(j, "$.dataset");
  } catch (const SpecError& e) {
    return e.path();
  }
  return "";
}

// Every field away from its default.
DatasetOptions everyField() {
  DatasetOptions o;
  o.format = DataFormat::kSqlite;
  auto& in = o.interactions;
  in.delimiterText = "::";
  in.header = HeaderMode::kNo;
  in.user.name = "customer";
  in.item.position = 3;
  in.value.name = "stars";
  in.timestamp.position = 0;
  in.event.name = "action";
  in.encoding = TextEncoding::kLatin1;
  in.strict = false;
  in.implicitValue = 2.5f;
  in.quote = 0;
  o.table = "t";
  o.query = "select 1";
  o.itemsTable = "it";
  o.itemsQuery = "select 2";
  o.usersTable = "ut";
  o.usersQuery = "select 3";
  o.itemsPath = "/data/items.csv";
  o.usersPath = "/data/users.csv";
  for (AttributeOptions* a : {&o.itemAttributes, &o.userAttributes}) {
    a->strict = in.strict;
    a->id.name = "key";
    a->delimiter = ';';
    a->header = HeaderMode::kYes;
    a->encoding = TextEncoding::kUtf8;
    a->quote = '\'';
    a->types = {{"price", ColumnType::kNumeric}, {"genres", ColumnType::kMultiCategorical}};
    a->multiSeparator = ',';
  }
  o.userAttributes.id.position = 1;
  o.userAttributes.id.name.clear();
  o.userAttributes.delimiter = '\t';
  o.userAttributes.types = {{"bio", ColumnType::kText}, {"zip", ColumnType::kCategorical}};
  return o;
}

}  // namespace

TEST_CASE("dataset options round trip through JSON, every field", "[data][options]") {
  const DatasetOptions defaults;
  CHECK(datasetOptionsToJson(defaults) == json{{"format", "auto"}});
  CHECK(datasetOptionsFromJson(datasetOptionsToJson(defaults), "$") == defaults);

  const DatasetOptions o = everyField();
  const json j = datasetOptionsToJson(o);
  CHECK(datasetOptionsFromJson(j, "$") == o);
  // Canonical words only.
  CHECK(j["format"] == "sqlite");
  CHECK(j["options"]["delimiter"] == "::");
  CHECK(j["options"]["encoding"] == "latin-1");
  CHECK(j["options"]["header"] == "no");
  CHECK(j["options"]["quote"] == "none");
  CHECK(j["columns"]["item"] == 3);
  CHECK(j["user_attributes"]["delimiter"] == "tab");
  CHECK(j["item_attributes"]["types"]["genres"] == "multi");
  // The attribute encoding differs from the interactions' one, so it is written.
  CHECK(j["item_attributes"]["encoding"] == "utf-8");

  // Each key alone also survives (no field hides behind another) and changes the options.
  for (const auto& [key, value] : j.items()) {
    if (key == "format") continue;
    const DatasetOptions one = datasetOptionsFromJson({{key, value}}, "$");
    CHECK_FALSE(one == defaults);
    CHECK(datasetOptionsFromJson(datasetOptionsToJson(one), "$") == one);
  }

  // Every format and every single-character delimiter word.
  for (const auto& w : dataFormatWords()) {
    const DatasetOptions f = datasetOptionsFromJson({{"format", w.word}}, "$");
    CHECK(dataFormatName(f.format) == w.word);
    CHECK(datasetOptionsFromJson(datasetOptionsToJson(f), "$") == f);
  }
  for (const auto& w : delimiterWords()) {
    const DatasetOptions d = datasetOptionsFromJson({{"options", {{"delimiter", w.word}}}}, "$");
    CHECK(delimiterName(d.interactions.delimiter, d.interactions.delimiterText) == w.word);
  }
}

TEST_CASE("old spellings of the spec, the CLI and the GUI are read as aliases", "[data][options]") {
  const auto read = [](const json& options) {
    return datasetOptionsFromJson({{"options", options}}, "$").interactions;
  };
  CHECK(read({{"encoding", "latin1"}}).encoding == TextEncoding::kLatin1);
  CHECK(read({{"encoding", "Latin-1"}}).encoding == TextEncoding::kLatin1);
  CHECK(read({{"encoding", "ISO-8859-1"}}).encoding == TextEncoding::kLatin1);
  CHECK(read({{"encoding", "utf8"}}).encoding == TextEncoding::kUtf8);
  CHECK(read({{"delimiter", "\\t"}}).delimiter == '\t');  // the spec's old escape
  CHECK(read({{"delimiter", "\t"}}).delimiter == '\t');
  CHECK(read({{"delimiter", ","}}).delimiter == ',');
  CHECK(read({{"delimiter", "TAB"}}).delimiter == '\t');
  CHECK(read({{"delimiter", "::"}}).delimiterText == "::");
  DataFormat f = DataFormat::kAuto;
  CHECK(parseDataFormat("movielens", f));  // the spec's word: any MovieLens layout, detected
  CHECK(f == DataFormat::kMovieLens);
  CHECK(parseDataFormat("csv", f));
  CHECK(f == DataFormat::kDelimited);
  // Attribute files follow the interactions' encoding unless they give their own.
  const DatasetOptions o = datasetOptionsFromJson({{"options", {{"encoding", "latin1"}}}}, "$");
  CHECK(o.itemAttributes.encoding == TextEncoding::kLatin1);
  CHECK(o.userAttributes.encoding == TextEncoding::kLatin1);
}

TEST_CASE("format movielens reads whichever MovieLens layout the folder has", "[data][options]") {
  const auto folder = (test::sourceDir() / "tests" / "data" / "fixtures" / "ml-1m").string();
  DatasetOptions any, exact;
  any.format = DataFormat::kMovieLens;
  exact.format = DataFormat::kMovieLens1M;
  TaskContext ctx;
  const LoadResult a = loadDataset(folder, any, ctx);
  const LoadResult b = loadDataset(folder, exact, ctx);
  CHECK(a.dataset.numInteractions() > 0);
  CHECK(a.dataset.fingerprint() == b.dataset.fingerprint());
  const auto notMovieLens =
      (test::sourceDir() / "tests" / "data" / "fixtures" / "recworkbench").string();
  CHECK_THROWS_AS(loadDataset(notMovieLens, any, ctx), IoError);
}

TEST_CASE("bad dataset options are located SpecErrors naming the words", "[data][options]") {
  CHECK(errorPath({{"separator", ","}}) == "$.dataset.separator");
  CHECK(errorPath({{"format", "excel"}}) == "$.dataset.format");
  CHECK(errorPath({{"format", 3}}) == "$.dataset.format");
  CHECK(errorPath({{"options", {{"encoding", "utf16"}}}}) == "$.dataset.options.encoding");
  CHECK(errorPath({{"options", {{"header", "maybe"}}}}) == "$.dataset.options.header");
  CHECK(errorPath({{"options", {{"delimiter", "\n"}}}}) == "$.dataset.options.delimiter");
  CHECK(errorPath({{"options", {{"delimiter", "commas"}}}}) == "$.dataset.options.delimiter");
  CHECK(errorPath({{"options", {{"strict", "yes"}}}}) == "$.dataset.options.strict");
  CHECK(errorPath({{"options", {{"quote", "ab"}}}}) == "$.dataset.options.quote");
  CHECK(errorPath({{"columns", {{"user", true}}}}) == "$.dataset.columns.user");
  CHECK(errorPath({{"columns", {{"user", -1}}}}) == "$.dataset.columns.user");
  CHECK(errorPath({{"columns", {{"rating", "r"}}}}) == "$.dataset.columns.rating");
  CHECK(errorPath({{"table", ""}}) == "$.dataset.table");
  CHECK(errorPath({{"item_attributes", {{"types", {{"genre", "list"}}}}}}) ==
        "$.dataset.item_attributes.types.genre");
  CHECK(errorPath({{"user_attributes", {{"strict", true}}}}) == "$.dataset.user_attributes.strict");
  try {
    datasetOptionsFromJson({{"options", {{"encoding", "utf16"}}}}, "$.dataset");
    FAIL("no error");
  } catch (const SpecError& e) {
    CHECK_THAT(e.what(), Catch::Contains("utf-8, latin-1"));
  }
}
