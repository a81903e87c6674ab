// The recwb data flags, the spec's dataset entry and the GUI read the same words into equal
// DatasetOptions (issue 19). The GUI side is tests/ui/gui_test.cpp importDialogMatchesSpec.
#include "data_options.h"

#include <catch2/catch.hpp>
#include <vector>

#include "core/data/dataset_options_json.h"
#include "core/experiment/experiment_spec.h"
#include "core/util/error.h"

using namespace rwb;
using nlohmann::json;

namespace {

DatasetOptions fromFlags(std::vector<std::string> args) {
  CLI::App app;
  cli::DataCliOptions raw;
  cli::addDataOptions(app, raw);
  args.insert(args.begin(), "recwb");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return cli::toDatasetOptions(raw);
}

std::string flagError(std::vector<std::string> args) {
  try {
    fromFlags(std::move(args));
  } catch (const SpecError& e) {
    return e.path();
  }
  return "";
}

}  // namespace

TEST_CASE("a spec's dataset entry and the equivalent recwb flags give equal options",
          "[cli][options]") {
  const json entry = json::parse(R"({"path": "/d/r.tsv", "format": "delimited",
      "columns": {"user": 0, "item": "movie", "value": 2, "timestamp": "ts", "event": 4},
      "options": {"delimiter": "tab", "header": "no", "encoding": "latin-1", "strict": false},
      "items": "/d/items.csv", "users": "/d/users.csv"})");
  const DatasetOptions spec = datasetSourceFromJson(entry, "$.dataset", "/").options;
  const DatasetOptions flags = fromFlags(
      {"--format", "delimited",    "--delimiter", "tab",         "--no-header", "--user-col",
       "0",        "--item-col",   "movie",       "--value-col", "2",           "--time-col",
       "ts",       "--event-col",  "4",           "--encoding",  "latin-1",     "--lenient",
       "--items",  "/d/items.csv", "--users",     "/d/users.csv"});
  CHECK(flags == spec);
  CHECK(datasetOptionsToJson(flags) == datasetOptionsToJson(spec));

  // The old spellings of both sides too.
  const DatasetOptions oldSpec = datasetOptionsFromJson(json::parse(R"({"format": "movielens",
          "options": {"delimiter": "\\t", "encoding": "latin1"}})"),
                                                        "$.dataset");
  CHECK(fromFlags({"--format", "movielens", "--delimiter", "\\t", "--encoding", "latin1"}) ==
        oldSpec);

  // SQLite keys.
  const DatasetOptions sqlite = datasetOptionsFromJson(
      json::parse(R"({"format": "sqlite", "table": "t", "items_query": "select *"})"), "$");
  CHECK(fromFlags({"--format", "sqlite", "--table", "t", "--items-query", "select *"}) == sqlite);
}

TEST_CASE("bad recwb data flags name the flag", "[cli][options]") {
  CHECK(flagError({"--format", "excel"}) == "--format");
  CHECK(flagError({"--encoding", "utf16"}) == "--encoding");
  CHECK(flagError({"--delimiter", "commas"}) == "--delimiter");
  CHECK(flagError({"--delimiter", "\""}) == "--delimiter");
}
