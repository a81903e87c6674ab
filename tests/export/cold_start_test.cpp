// New users (not in the training id maps): Model::scoreNewUser / recommendNewUser for feature
// models, the popularity fallback for the others, and the batch scorer's cold-start column.

#include <filesystem>
#include <sstream>

#include "core/export/batch_scorer.h"
#include "core/features/feature_pipeline.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "export_fixtures.h"
#include "test_support.h"

using namespace rwb;
namespace fs = std::filesystem;

namespace {

/// The export fixture plus two users without interactions ("cold-a", "cold-b") whose segment
/// attribute is set: a model must score a brand-new user with the same attributes exactly as it
/// scores these in-map cold users.
Dataset fixtureWithColdUsers() {
  Dataset d = test::exportFixture();
  auto& seg = d.userAttributes.columns.at(0);
  for (const char* name : {"cold-a", "cold-b"}) {
    d.users.intern(name);
    seg.codes.push_back(seg.internCategory(name[5] == 'a' ? "a" : "b"));
  }
  return d;
}

/// One-row attribute table {segment: value}.
AttributeTable segmentRow(const std::string& value) {
  AttributeTable t;
  AttributeColumn c{"segment", ColumnType::kCategorical};
  c.codes.push_back(c.internCategory(value));
  t.columns.push_back(std::move(c));
  return t;
}

/// Share of the top-k items that belong to the taste group of segment b (items 20..39).
double groupBShare(const RecList& l) {
  double n = 0;
  for (const auto& s : l.items) n += s.item >= 20 ? 1.0 : 0.0;
  return l.items.empty() ? 0.0 : n / static_cast<double>(l.items.size());
}

struct FeatureModelCase {
  const char* name;
  const char* params;
  /// Whether the planted segment x genre preference must show in the scores. The two-stage
  /// re-ranker learns from a temporal split of 8 interactions per user and ranks within a user,
  /// so on this fixture it only has to react to the attribute, in either direction.
  bool directional;
};

// The linear model needs the segment x genre cross to tell the groups apart (a user feature
// alone shifts every item's margin equally); on 60 users the trees only find the interaction
// through the cross too. FM learns it from its embeddings.
#define RWB_SEGMENT_CROSS \
  R"({"features": "{\"crosses\": [{\"user\": \"segment\", \"item\": \"genre\"}]}"})"
const FeatureModelCase kFeatureModels[] = {
    {"logistic_regression", RWB_SEGMENT_CROSS, true},
    {"gbdt", test::kSegmentCrossParams, true},
    // With the profile cosine on, cold-user dropout teaches the trees the history-less rows.
    {"gbdt",
     R"({"features": "{\"crosses\": [{\"user\": \"segment\", \"item\": \"genre\"}], )"
     R"(\"behaviour\": {\"cold_user_dropout\": 0.3}}"})",
     true},
    {"factorization_machine", "{}", true},
    {"two_stage", RWB_SEGMENT_CROSS, false},
};
#undef RWB_SEGMENT_CROSS

}  // namespace

TEST_CASE("feature models score a new user from attributes exactly like an in-map cold user",
          "[export][coldstart]") {
  const Dataset d = fixtureWithColdUsers();
  const Index coldA = *d.users.find("cold-a");
  const Index coldB = *d.users.find("cold-b");
  std::vector<Index> all(d.numItems());
  for (Index i = 0; i < all.size(); ++i) all[i] = i;
  for (const auto& c : kFeatureModels) {
    DYNAMIC_SECTION("model " << c.name << " " << c.params) {
      auto model = createModel(c.name, nlohmann::json::parse(c.params));
      TaskContext ctx;
      // One thread: XGBoost's OpenMP team spins badly on a loaded 2-core machine (a fit that
      // takes 0.5 s alone took 25 s with other builds running).
      model->fit({d, nullptr, 42, 1}, ctx);
      REQUIRE(model->featurePipeline() != nullptr);
      const AttributeTable a = segmentRow("a"), b = segmentRow("b");
      NewUser newA{&a, 0, {}}, newB{&b, 0, {}};
      CHECK(model->canScoreNewUser(newA));
      std::vector<float> fromAttrs(all.size()), inMap(all.size());
      model->scoreNewUser(newB, all, fromAttrs);
      model->score(coldB, all, inMap);
      CHECK(fromAttrs == inMap);  // exactly: the same feature rows
      model->scoreNewUser(newA, all, fromAttrs);
      model->score(coldA, all, inMap);
      CHECK(fromAttrs == inMap);
      // The attribute matters: segment b leans to items 20..39, segment a to 0..19.
      const RecList lb = model->recommendNewUser(newB, 10);
      const RecList la = model->recommendNewUser(newA, 10);
      CHECK_FALSE(lb.fallback);
      // The attribute matters, in the planted direction: going from segment a to segment b
      // raises the comedy items (20..39) relative to the drama items (0..19). (On 60 users the
      // trees' shift is small, so top-10 lists may not change; the scores do.)
      std::vector<float> sa(all.size()), sb(all.size());
      model->scoreNewUser(newA, all, sa);
      model->scoreNewUser(newB, all, sb);
      double dramaShift = 0, comedyShift = 0;
      for (Index i = 0; i < 40; ++i) (i < 20 ? dramaShift : comedyShift) += sb[i] - sa[i];
      if (c.directional) {
        CHECK(comedyShift > dramaShift);
        CHECK(groupBShare(lb) >= groupBShare(la));
      } else {
        CHECK(sa != sb);
      }
      // History items are never recommended back.
      NewUser withHistory{&b, 0, {lb.items.at(0).item}};
      for (const auto& s : model->recommendNewUser(withHistory, 10).items) {
        CHECK(s.item != lb.items[0].item);
      }
      // A package round trip keeps the new-user scores exactly.
      test::TempDir dir;
      const auto path = (dir / "m.rwbm").string();
      writePackage(path, *model, d.users, d.items);
      const auto pkg = ModelPackage::load(path);
      std::vector<float> loaded(all.size());
      pkg->model().scoreNewUser(newB, all, loaded);
      model->scoreNewUser(newB, all, fromAttrs);
      CHECK(loaded == fromAttrs);
    }
  }
}

TEST_CASE("models without features give new users the flagged popularity fallback",
          "[export][coldstart]") {
  const Dataset d = test::exportFixture();
  for (const char* name : {"most_popular", "sar", "itemknn", "content_similarity"}) {
    DYNAMIC_SECTION("model " << name) {
      auto model = createModel(name);
      TaskContext ctx;
      model->fit({d}, ctx);
      const AttributeTable a = segmentRow("a");
      NewUser nu{&a, 0, {}};
      CHECK_FALSE(model->canScoreNewUser(nu));
      const RecList l = model->recommendNewUser(nu, 5);
      CHECK(l.fallback);
      CHECK(l.items == topK(model->itemPopularity(), 5));
      std::vector<Index> items{0, 21};
      std::vector<float> s(2);
      model->scoreNewUser(nu, items, s);
      CHECK(s[0] == model->itemPopularity()[0]);
      CHECK(s[1] == model->itemPopularity()[21]);
    }
  }
}

TEST_CASE("content_similarity scores a new user from history items", "[export][coldstart]") {
  const Dataset d = test::exportFixture();
  auto model = createModel("content_similarity");
  TaskContext ctx;
  model->fit({d}, ctx);
  NewUser nu;
  nu.history = {21, 25, 30};  // comedy items
  REQUIRE(model->canScoreNewUser(nu));
  const RecList l = model->recommendNewUser(nu, 10);
  CHECK_FALSE(l.fallback);
  CHECK(groupBShare(l) == Approx(1.0));
  for (const auto& s : l.items) CHECK((s.item != 21 && s.item != 25 && s.item != 30));
  // Bad input: a history index out of range is a ModelError, not a crash.
  NewUser bad;
  bad.history = {static_cast<Index>(d.numItems())};
  CHECK_THROWS_AS(model->recommendNewUser(bad, 3), ModelError);
}

TEST_CASE("conformUserAttributes converts types and names bad values", "[export][coldstart]") {
  Dataset d = test::exportFixture();
  AttributeColumn age{"age", ColumnType::kNumeric};
  for (int u = 0; u < 60; ++u) age.numeric.push_back(20 + u % 30);
  d.userAttributes.columns.push_back(age);
  FeaturePipeline p;
  TaskContext ctx;
  p.fit(d, ctx);
  // segment sent as a number, age sent as text: both become what the encoders take.
  AttributeTable in;
  AttributeColumn seg{"segment", ColumnType::kNumeric};
  seg.numeric.push_back(7);
  AttributeColumn ageText{"age", ColumnType::kCategorical};
  ageText.codes.push_back(ageText.internCategory("31"));
  AttributeColumn unused{"shoe_size", ColumnType::kNumeric};
  unused.numeric.push_back(44);
  in.columns = {seg, ageText, unused};
  const AttributeTable out = p.conformUserAttributes(in);
  REQUIRE(out.find("segment") != nullptr);
  CHECK(out.find("segment")->type == ColumnType::kCategorical);
  CHECK(out.find("segment")->display(0) == "7");
  REQUIRE(out.find("age") != nullptr);
  CHECK(out.find("age")->type == ColumnType::kNumeric);
  CHECK(out.find("age")->numeric.at(0) == 31.0);
  CHECK(out.find("shoe_size") == nullptr);
  // The converted row encodes like a training user with age 31 in segment "7" (unseen: no
  // segment feature, or the other bucket).
  CHECK_NOTHROW(p.encodeUserAttributes(&out, 0));
  // Not a number where one is needed: SpecError naming the column and row.
  AttributeTable badIn;
  AttributeColumn badAge{"age", ColumnType::kCategorical};
  badAge.codes.push_back(badAge.internCategory("thirty"));
  badIn.columns = {badAge};
  CHECK_THROWS_WITH(p.conformUserAttributes(badIn), Catch::Contains("age") &&
                                                        Catch::Contains("thirty") &&
                                                        Catch::Contains("not a number"));
  // Unconverted wrong type is refused by the encoder, never misread.
  CHECK_THROWS_AS(p.encodeUserAttributes(&badIn, 0), SpecError);
}

namespace {
struct MemorySink final : RecSink {
  std::vector<std::string> rows;
  void write(std::string_view user, std::string_view item, double, int rank,
             RecSource source) override {
    std::ostringstream s;
    s << user << '\t' << item << '\t' << rank << '\t' << fallbackName(source);
    rows.push_back(s.str());
  }
  void finish() override {}
};
}  // namespace

TEST_CASE("batch scorer: unknown users with attributes get the content path, flagged",
          "[export][coldstart]") {
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  auto model = createModel("factorization_machine");
  TaskContext ctx;
  model->fit({d}, ctx);
  const auto path = (dir / "fm.rwbm").string();
  writePackage(path, *model, d.users, d.items);
  const auto pkg = ModelPackage::load(path);
  test::writeFile(dir / "new_users.csv", "user_id,segment\nnew-a,a\nnew-b,b\n");
  const NewUserTable nu = loadNewUserAttributes((dir / "new_users.csv").string(),
                                                AttributeOptions{}, pkg->model(), ctx);
  REQUIRE(nu.ids.size() == 2);
  BatchScoreOptions opt;
  opt.k = 4;
  opt.users = {"u1", "new-a", "new-b", "nobody"};
  opt.newUsers = &nu;
  MemorySink sink;
  const auto r = batchScore(*pkg, opt, sink, ctx);
  CHECK(r.usersScored == 4);
  CHECK(r.contentUsers == 2);
  CHECK(r.fallbackUsers == 1);
  REQUIRE(sink.rows.size() == 16);
  CHECK(sink.rows[0].ends_with("\tnone"));
  CHECK(sink.rows[4].ends_with("\tcontent"));
  CHECK(sink.rows[8].ends_with("\tcontent"));
  CHECK(sink.rows[12].ends_with("\tpopularity"));
  // The content rows are exactly the model's new-user list.
  const Index row = *nu.ids.find("new-b");
  const RecList expect = pkg->model().recommendNewUser(NewUser{&nu.table, row, {}}, 4);
  for (int j = 0; j < 4; ++j) {
    CHECK(sink.rows[8 + j].rfind("new-b\t" + d.items.external(expect.items[j].item) + "\t", 0) ==
          0);
  }
  // A value the model cannot read is reported with the file and column.
  auto lr = createModel("logistic_regression");
  Dataset withAge = d;
  AttributeColumn age{"age", ColumnType::kNumeric};
  for (int u = 0; u < 60; ++u) age.numeric.push_back(20 + u % 30);
  withAge.userAttributes.columns.push_back(age);
  lr->fit({withAge}, ctx);
  test::writeFile(dir / "bad_age.csv", "user_id,age\nx,old\n");
  CHECK_THROWS_WITH(
      loadNewUserAttributes((dir / "bad_age.csv").string(), AttributeOptions{}, *lr, ctx),
      Catch::Contains("bad_age.csv") && Catch::Contains("old"));
}
