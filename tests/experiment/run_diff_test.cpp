#include "core/experiment/run_diff.h"

#include <catch2/catch.hpp>

using namespace rwb;

TEST_CASE("a config diff lists only what differs", "[experiment]") {
  RunRecord a;
  a.model = "bpr";
  a.params = {{"factors", 32}, {"lr", 0.05}, {"epochs", 20}};
  a.seed = 42;
  a.k = 10;
  a.splitHash = "s1";
  RunRecord b = a;
  b.params["factors"] = 64;
  b.params.erase("epochs");
  RunRecord c = a;
  c.model = "als";
  c.seed = 7;
  const nlohmann::json spec = {{"split", {{"method", "random"}, {"ratio", 0.8}}},
                               {"models", {{{"name", "bpr"}}}},
                               {"output", {{"dir", "out"}}}};
  nlohmann::json spec2 = spec;
  spec2["split"]["ratio"] = 0.75;
  spec2["models"] = nlohmann::json::array();  // ignored: the record says which model ran

  SECTION("two runs") {
    const auto rows = diffConfigs({runConfig(a, spec, "a"), runConfig(b, spec2, "b")});
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].key == "params.epochs");
    CHECK(rows[0].values[0] == nlohmann::json(20));
    CHECK_FALSE(rows[0].values[1].has_value());
    CHECK(configValueText(rows[0].values[1]) == "-");
    CHECK(rows[1].key == "params.factors");
    CHECK(configValueText(rows[1].values[1]) == "64");
    CHECK(rows[2].key == "spec.split.ratio");
    CHECK(configValueText(rows[2].values[0]) == "0.8");
  }
  SECTION("three runs: a key differs when any run differs") {
    const auto rows =
        diffConfigs({runConfig(a, spec, "a"), runConfig(a, spec, "a2"), runConfig(c, spec, "c")});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].key == "model");
    CHECK(configValueText(rows[0].values[2]) == "als");
    CHECK(rows[1].key == "seed");
  }
  SECTION("equal runs and single runs give no rows") {
    CHECK(diffConfigs({runConfig(a, spec, "a"), runConfig(a, spec, "b")}).empty());
    CHECK(diffConfigs({runConfig(a, spec, "a")}).empty());
  }
  SECTION("the configuration holds the record's identity and no output block") {
    const RunConfig cfg = runConfig(a, spec, "a");
    CHECK(cfg.values.at("params.factors") == 32);
    CHECK(cfg.values.at("split hash") == "s1");
    CHECK(cfg.values.count("spec.output.dir") == 0);
    CHECK(cfg.values.count("spec.models") == 0);
  }
}
