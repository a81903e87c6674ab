#include "core/prep/prep_spec.h"

#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;
using nlohmann::json;

TEST_CASE("prep steps parse from JSON, run in order and round-trip", "[prep][spec]") {
  const auto j = json::parse(R"([
    {"step": "duplicates", "policy": "max"},
    {"step": "binarize", "threshold": 3},
    {"step": "k_core", "min_user_rows": 2, "min_item_rows": 1},
    {"step": "time_window", "from": 10}
  ])");
  const auto steps = prepStepsFromJson(j);
  REQUIRE(steps.size() == 4);
  CHECK(steps[0].duplicates.policy == DuplicatePolicy::kMax);
  CHECK(steps[1].binarize.threshold == 3.0);
  CHECK(steps[2].kCore.minUserRows == 2);
  CHECK(steps[3].timeWindow.from == 10);
  CHECK_FALSE(steps[3].timeWindow.to.has_value());
  CHECK(prepStepsFromJson(prepStepsToJson(steps)).size() == 4);
  CHECK(prepStepsToJson(prepStepsFromJson(prepStepsToJson(steps))) == prepStepsToJson(steps));

  Dataset d;
  auto push = [&](const char* u, const char* i, float v, std::int64_t t) {
    d.interactions.push(d.users.intern(u), d.items.intern(i), v, t);
  };
  push("a", "x", 2, 20);  // duplicate of (a, x): max keeps the 5
  push("a", "x", 5, 30);
  push("a", "y", 4, 40);
  push("b", "x", 5, 50);  // b keeps one row after binarize -> removed by the 2-core
  push("b", "y", 1, 60);
  push("c", "z", 5, 5);  // dropped by the time window (t < 10)
  push("c", "x", 5, 70);
  TaskContext ctx;
  const auto r = runPrep(d, steps, ctx);
  REQUIRE(r.reports.size() == 4);
  CHECK(r.reports[0].rowsRemoved() == 1);
  CHECK(r.reports[1].rowsRemoved() == 1);
  CHECK(r.reports[2].rowsRemoved() == 1);  // b
  CHECK(r.reports[3].rowsRemoved() == 1);  // (c, z); k-core ran before, so c keeps (c, x)
  REQUIRE(r.dataset.numInteractions() == 3);
  std::string users;
  for (auto u : r.dataset.interactions.user) users += r.dataset.users.external(u);
  CHECK(users == "aac");
  CHECK(r.dataset.interactions.value[0] == 1.0f);  // binarised
  CHECK(runPrep(d, {}, ctx).dataset.fingerprint() == d.fingerprint());
}

TEST_CASE("bad prep JSON names the offending path", "[prep][spec]") {
  CHECK_THROWS_WITH(prepStepsFromJson(json::parse(R"({"step": "k_core"})")),
                    Catch::Contains("$.prep"));
  CHECK_THROWS_WITH(prepStepsFromJson(json::parse(R"([{"step": "dedupe"}])")),
                    Catch::Contains("$.prep[0].step"));
  CHECK_THROWS_WITH(prepStepsFromJson(json::parse(R"([{"step": "k_core", "min_user": 3}])")),
                    Catch::Contains("$.prep[0].min_user"));
  CHECK_THROWS_WITH(prepStepsFromJson(json::parse(R"([{"step": "k_core", "min_user_rows": -3}])")),
                    Catch::Contains("$.prep[0].min_user_rows") && Catch::Contains("negative"));
  CHECK_THROWS_WITH(
      prepStepsFromJson(json::parse(R"([{}, {"step": "binarize", "threshold": "4"}])")),
      Catch::Contains("$.prep[0].step"));
  CHECK_THROWS_WITH(prepStepsFromJson(json::parse(R"([{"step": "binarize", "threshold": "4"}])")),
                    Catch::Contains("$.prep[0].threshold"));
  CHECK_THROWS_WITH(
      prepStepsFromJson(json::parse(R"([{"step": "duplicates", "policy": "median"}])")),
      Catch::Contains("$.prep[0].policy"));
}

TEST_CASE("split options parse from JSON and round-trip", "[prep][spec]") {
  const auto o = splitOptionsFromJson(json::parse(
      R"({"method": "leave-last-n", "n": 2, "by": "item", "seed": 7, "valid_ratio": 0.1})"));
  CHECK(o.method == SplitMethod::kLeaveLastN);
  CHECK(o.n == 2);
  CHECK(o.by == SplitBy::kItem);
  CHECK(o.seed == 7);
  CHECK(o.validRatio == Approx(0.1));
  CHECK_FALSE(o.cutoff.has_value());
  const auto back = splitOptionsFromJson(splitOptionsToJson(o));
  CHECK(splitOptionsToJson(back) == splitOptionsToJson(o));
  CHECK(splitOptionsFromJson(json{{"cutoff", 1234}}).cutoff == 1234);
  CHECK(splitOptionsFromJson(json{{"n", 5}}).n == 5);  // a signed JSON integer is fine

  CHECK_THROWS_WITH(splitOptionsFromJson(json{{"method", "kfold"}}),
                    Catch::Contains("$.split.method"));
  CHECK_THROWS_WITH(splitOptionsFromJson(json{{"ratio", "0.8"}}), Catch::Contains("$.split.ratio"));
  CHECK_THROWS_WITH(splitOptionsFromJson(json{{"by", "session"}}), Catch::Contains("$.split.by"));
  CHECK_THROWS_WITH(splitOptionsFromJson(json{{"sed", 1}}), Catch::Contains("$.split.sed"));
  CHECK_THROWS_WITH(
      splitOptionsFromJson(json{{"n", 1ll << 40}}),
      Catch::Contains("$.split.n") && Catch::Contains("out of range [0, 4294967295]"));
  CHECK_THROWS_AS(splitOptionsFromJson(json::array()), SpecError);
}
