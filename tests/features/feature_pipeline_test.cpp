#include "core/features/feature_pipeline.h"

#include <cmath>
#include <numeric>
#include <set>

#include "core/models/model_score_source.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "features/synthetic_data.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::plantedData;

namespace {
const char* kConfig = R"({
  "user": [{"column": "group", "kind": "onehot"}, {"column": "age", "kind": "numeric"}],
  "item": [{"column": "genres", "kind": "multihot"},
           {"column": "title", "kind": "tfidf"},
           {"column": "year", "kind": "numeric", "bins": 4}],
  "crosses": [{"user": "group", "item": "genres"}],
  "behaviour": {"affinity": ["genres"]},
  "labels": {"mode": "threshold", "threshold": 4},
  "negatives": {"ratio": 3}
})";

std::vector<float> dense(const SparseVector& v, std::size_t dim) {
  std::vector<float> d(dim, 0.0f);
  for (const auto& f : v) d.at(f.index) += f.value;
  return d;
}
std::size_t indexOf(const FeaturePipeline& p, const std::string& name) {
  const auto names = p.featureNames();
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (names[k] == name) return k;
  }
  FAIL("no feature " << name);
  return 0;
}
}  // namespace

TEST_CASE("pipeline config parses, round-trips and names bad fields", "[features]") {
  const auto c = FeatureConfig::parse(kConfig);
  CHECK(c.item.size() == 3);
  CHECK(c.crosses.size() == 1);
  CHECK(c.labels.mode == "threshold");
  CHECK(c.negatives.ratio == 3.0);
  CHECK_FALSE(c.autoEncoders);
  const auto back = FeatureConfig::fromJson(c.toJson());
  CHECK(back.toJson() == c.toJson());
  try {
    FeatureConfig::parse(R"({"negatives": {"sampling": "magic"}})");
    FAIL("expected SpecError");
  } catch (const SpecError& e) {
    CHECK(e.path() == "$.features.negatives.sampling");
  }
  CHECK_THROWS_AS(FeatureConfig::parse("{not json"), SpecError);
  CHECK_THROWS_AS(FeatureConfig::parse(R"({"labels": {"mode": "sometimes"}})"), SpecError);
  // Unknown columns are reported at fit time with the path of the encoder.
  const auto planted = plantedData();
  FeaturePipeline p(FeatureConfig::parse(R"({"item": [{"column": "nope", "kind": "onehot"}]})"));
  TaskContext ctx;
  try {
    p.fit(planted.data, ctx);
    FAIL("expected SpecError");
  } catch (const SpecError& e) {
    CHECK(e.path() == "$.features.item[0].column");
    CHECK(std::string(e.what()).find("genres") != std::string::npos);
  }
}

TEST_CASE("pair rows hold user, item, cross and behavioural blocks", "[features]") {
  const auto planted = plantedData();
  FeaturePipeline p(FeatureConfig::parse(kConfig));
  TaskContext ctx;
  p.fit(planted.data, ctx);
  const Index u = 0;  // group A
  Index action = 0;   // a warm action item
  while (!planted.itemIsAction[action]) ++action;
  SparseVector row;
  p.pairFeatures(u, action, row);
  const auto d = dense(row, p.dim());
  CHECK(d[indexOf(p, "user.group=A")] == 1.0f);
  CHECK(d[indexOf(p, "item.genres=action")] == 1.0f);
  CHECK(d[indexOf(p, "user.group=A x item.genres=action")] == 1.0f);
  CHECK(d[indexOf(p, "user.group=B x item.genres=action")] == 0.0f);
  CHECK(d[indexOf(p, "behaviour.profile_cosine")] == Approx(p.profileCosine(u, action)));
  CHECK(d[indexOf(p, "behaviour.user_activity")] > 0.0f);
  // An A-user's genre affinity for action is high: all positives are action items.
  CHECK(d[indexOf(p, "behaviour.affinity:genres")] > 0.5f);
  for (std::size_t k = 1; k < row.size(); ++k) CHECK(row[k - 1].index < row[k].index);

  // Cold items: content from attributes, popularity zero and flagged new.
  const Index cold = static_cast<Index>(planted.data.numItems() - 1);
  p.pairFeatures(u, cold, row);
  const auto dc = dense(row, p.dim());
  CHECK(dc[indexOf(p, "behaviour.item_popularity")] == 0.0f);
  CHECK(dc[indexOf(p, "behaviour.item_is_new")] == 1.0f);
  // Regression: the zero popularity is stored, not omitted (XGBoost reads absent as missing and
  // routed never-seen items like popular ones).
  const auto popIdx = static_cast<std::uint32_t>(indexOf(p, "behaviour.item_popularity"));
  CHECK(std::any_of(row.begin(), row.end(),
                    [&](const FeatureValue& f) { return f.index == popIdx && f.value == 0.0f; }));
  CHECK_FALSE(p.itemContent(cold).empty());
  // Profile cosine separates tastes for cold items too.
  Index coldAction = cold, coldDrama = cold;
  for (Index i = static_cast<Index>(planted.data.numItems() - planted.numCold);
       i < planted.data.numItems(); ++i) {
    (planted.itemIsAction[i] ? coldAction : coldDrama) = i;
  }
  CHECK(p.profileCosine(0, coldAction) > p.profileCosine(0, coldDrama));
  CHECK(p.profileCosine(1, coldDrama) > p.profileCosine(1, coldAction));
  CHECK_THROWS_AS(p.pairFeatures(0, 100000, row), ModelError);
}

TEST_CASE("training matrix: labels, negative ratio, unseen negatives, leave-one-out",
          "[features]") {
  const auto planted = plantedData();
  const Dataset& d = planted.data;
  FeaturePipeline p(FeatureConfig::parse(kConfig));
  TaskContext ctx;
  p.fit(d, ctx);
  const TrainingMatrix tm = p.buildTrainingMatrix(d, 3, ctx);
  std::set<std::pair<Index, Index>> positives, seen;
  for (std::size_t r = 0; r < d.numInteractions(); ++r) {
    const auto& log = d.interactions;
    seen.insert({log.user[r], log.item[r]});
    if (log.value[r] >= 4.0f) positives.insert({log.user[r], log.item[r]});
  }
  CHECK(tm.positives == positives.size());
  // ratio 3 per positive, capped by the items the user has not interacted with.
  std::size_t expectedNeg = 0, warmItems = 0;
  for (auto c : d.itemCounts()) warmItems += c > 0;
  for (Index u = 0; u < d.numUsers(); ++u) {
    std::size_t pos = 0, s = 0;
    for (auto& [pu, pi] : positives) pos += pu == u;
    for (auto& [su, si] : seen) s += su == u;
    expectedNeg += pos ? std::min(3 * pos, warmItems - s) : 0;
  }
  CHECK(tm.negatives == expectedNeg);
  REQUIRE(tm.x.rows() == tm.label.size());
  const auto cosIdx = indexOf(p, "behaviour.profile_cosine");
  const auto popIdx = indexOf(p, "behaviour.item_popularity");
  const auto newIdx = indexOf(p, "behaviour.item_is_new");
  std::size_t checkedLoo = 0;
  for (std::size_t r = 0; r < tm.label.size(); ++r) {
    const auto key = std::make_pair(tm.user[r], tm.item[r]);
    if (tm.label[r] > 0.5f) {
      CHECK(positives.count(key));
      // Leave-one-out: the row's cosine equals the cosine against the profile without the item.
      const auto row = dense(SparseVector(tm.x.row(r).begin(), tm.x.row(r).end()), p.dim());
      const auto prof = p.userProfile(tm.user[r]);
      double w = 0;
      for (auto [item, weight] : p.profileItems(tm.user[r]))
        if (item == tm.item[r]) w = weight;
      std::vector<double> loo(prof.begin(), prof.end());
      for (const auto& f : p.itemContent(tm.item[r])) loo[f.index] -= w * f.value;
      double dp = 0, n1 = 0, n2 = 0;
      for (const auto& f : p.itemContent(tm.item[r])) {
        dp += loo[f.index] * f.value;
        n2 += static_cast<double>(f.value) * f.value;
      }
      for (double v : loo) n1 += v * v;
      const double expected = n1 > 1e-12 ? dp / std::sqrt(n1 * n2) : 0.0;
      CHECK(row[cosIdx] == Approx(expected).margin(1e-5));
      SparseVector serve;
      p.pairFeatures(tm.user[r], tm.item[r], serve);
      // Popularity is not leave-one-out (regression: LOO made single-interaction positives the
      // only "new" training rows, so gbdt learned "new => engaged" and scored nDCG 0).
      CHECK(dense(serve, p.dim())[popIdx] == Approx(row[popIdx]));
      CHECK(row[newIdx] == 0.0);
      ++checkedLoo;
    } else {
      CHECK(dense(SparseVector(tm.x.row(r).begin(), tm.x.row(r).end()), p.dim())[newIdx] == 0.0);
      CHECK_FALSE(seen.count(key));  // sampled negatives are never training interactions
    }
  }
  CHECK(checkedLoo == positives.size());
  // Deterministic for a seed, different for another.
  const TrainingMatrix again = p.buildTrainingMatrix(d, 3, ctx);
  CHECK(again.item == tm.item);
  CHECK(p.buildTrainingMatrix(d, 4, ctx).item != tm.item);
}

TEST_CASE("popularity-weighted negatives favour popular items", "[features]") {
  // Item i is engaged by users 0 .. 2i+1: strongly skewed popularity.
  test::Planted planted;
  for (Index u = 0; u < 60; ++u) planted.data.users.intern("u" + std::to_string(u));
  for (Index i = 0; i < 30; ++i) {
    planted.data.items.intern("i" + std::to_string(i));
    for (Index u = 0; u < 2 * i + 2; ++u) planted.data.interactions.push(u, i, 1.0f, 1);
  }
  auto counts = planted.data.itemCounts();
  FeaturePipeline uni(FeatureConfig::parse(R"({"negatives": {"ratio": 1}})"));
  FeaturePipeline pop(FeatureConfig::parse(
      R"({"negatives": {"ratio": 1, "sampling": "popularity", "popularity_exponent": 2}})"));
  TaskContext ctx;
  uni.fit(planted.data, ctx);
  pop.fit(planted.data, ctx);
  auto meanNegCount = [&](const TrainingMatrix& tm) {
    double s = 0;
    std::size_t n = 0;
    for (std::size_t r = 0; r < tm.label.size(); ++r) {
      if (tm.label[r] < 0.5f) {
        s += counts[tm.item[r]];
        ++n;
        CHECK(counts[tm.item[r]] > 0);  // never items without training interactions
      }
    }
    return s / static_cast<double>(n);
  };
  CHECK(meanNegCount(pop.buildTrainingMatrix(planted.data, 1, ctx)) >
        1.1 * meanNegCount(uni.buildTrainingMatrix(planted.data, 1, ctx)));
}

TEST_CASE("leakage: changing held-out data never changes fitted features", "[features]") {
  // Train on the warm items' interactions; the "test" part is a separate set of interactions and
  // the attributes of cold items (which appear in no training interaction).
  auto a = plantedData();
  auto b = plantedData();
  const std::size_t firstCold = a.data.numItems() - a.numCold;
  // Rewrite everything a test split could hold: cold items' titles, genres and years.
  auto* title = b.data.itemAttributes.find("title");
  auto* year = b.data.itemAttributes.find("year");
  for (std::size_t i = firstCold; i < b.data.numItems(); ++i) {
    title->text[i] = "completely different words zebra " + std::to_string(i);
    year->numeric[i] = 3000.0;
  }
  FeaturePipeline pa(FeatureConfig::parse(kConfig)), pb(FeatureConfig::parse(kConfig));
  TaskContext ctx;
  pa.fit(a.data, ctx);
  pb.fit(b.data, ctx);
  REQUIRE(pa.featureNames() == pb.featureNames());
  // Every warm item's and every user's features, and every training row, are identical.
  SparseVector ra, rb;
  for (Index u = 0; u < a.data.numUsers(); ++u) {
    for (Index i = 0; i < firstCold; ++i) {
      pa.pairFeatures(u, i, ra);
      pb.pairFeatures(u, i, rb);
      REQUIRE(ra == rb);
    }
  }
  const auto ta = pa.buildTrainingMatrix(a.data, 9, ctx),
             tb = pb.buildTrainingMatrix(b.data, 9, ctx);
  CHECK(ta.x.entries == tb.x.entries);
  CHECK(ta.label == tb.label);
  // The held-out words did not enter the vocabulary.
  for (const auto& n : pb.featureNames()) CHECK(n.find("zebra") == std::string::npos);

  // Held-out interactions with a cold item change nothing either: a fit on the training rows
  // plus test rows for the cold item would differ (the item gains popularity), a fit on the
  // training rows alone equals pa exactly.
  Dataset withTest = a.data;
  for (Index u = 0; u < a.data.numUsers(); ++u)
    withTest.interactions.push(u, static_cast<Index>(firstCold), 5.0f, 1);
  FeaturePipeline pc(FeatureConfig::parse(kConfig)), leak(FeatureConfig::parse(kConfig));
  pc.fit(a.data, ctx);
  leak.fit(withTest, ctx);
  pa.pairFeatures(3, static_cast<Index>(firstCold), ra);
  pc.pairFeatures(3, static_cast<Index>(firstCold), rb);
  CHECK(ra == rb);
  SparseVector rl;
  leak.pairFeatures(3, static_cast<Index>(firstCold), rl);
  CHECK_FALSE(rl == ra);  // the check above can fail: leaked rows do change the features
}

TEST_CASE("pipeline save/load restores identical rows, names and score sources", "[features]") {
  const auto planted = plantedData();
  FeaturePipeline p(FeatureConfig::parse(kConfig));
  TaskContext ctx;
  p.fit(planted.data, ctx);
  auto pop = createModel("most_popular");
  pop->fit({planted.data}, ctx);
  p.addScoreSource("pop", std::make_shared<const ModelScoreSource>(std::move(pop)));
  BinaryWriter w;
  p.save(w);
  BinaryReader r(w.bytes());
  FeaturePipeline q = FeaturePipeline::load(r);
  CHECK(r.atEnd());
  CHECK(q.featureNames() == p.featureNames());
  CHECK(q.featureNames().back() == "score:pop");
  SparseVector a, b;
  // The source's bytes come back for its owner; until it is bound the pipeline scores nothing.
  REQUIRE(q.numScoreSources() == 1);
  CHECK_THROWS_AS(q.pairFeatures(0, 0, b), ModelError);
  q.bindScoreSource(0, ModelScoreSource::fromBytes(q.savedScoreSource(0)));
  // A source fitted on other id maps is refused.
  auto other = createModel("most_popular");
  other->fit({test::withColdUser(planted.data)}, ctx);
  REQUIRE(other->numUsers() == q.numUsers() + 1);
  CHECK_THROWS_AS(q.bindScoreSource(0, std::make_shared<const ModelScoreSource>(std::move(other))),
                  ModelError);
  for (Index u = 0; u < 10; ++u) {
    for (Index i = 0; i < planted.data.numItems(); i += 7) {
      p.pairFeatures(u, i, a);
      q.pairFeatures(u, i, b);
      REQUIRE(a == b);
    }
  }
  const std::vector<Index> us(5, 2), is = {0, 1, 2, 3, 4};
  const auto m = q.pairMatrix(us, is);
  for (std::size_t k = 0; k < 5; ++k) {
    p.pairFeatures(2, is[k], a);
    CHECK(SparseVector(m.row(k).begin(), m.row(k).end()) == a);
  }
  // Corrupt blobs fail cleanly.
  for (std::size_t cut : {std::size_t{5}, w.bytes().size() / 3, w.bytes().size() - 1}) {
    BinaryReader bad(std::string_view(w.bytes()).substr(0, cut));
    CHECK_THROWS_AS(FeaturePipeline::load(bad), ModelError);
  }
}

TEST_CASE("fit is cancellable and leaves the previous state", "[features]") {
  const auto planted = plantedData();
  FeaturePipeline p(FeatureConfig::parse(kConfig));
  TaskContext ctx;
  ctx.requestStop();
  CHECK_THROWS_AS(p.fit(planted.data, ctx), Cancelled);
  SparseVector row;
  CHECK_THROWS_WITH(p.pairFeatures(0, 0, row), Catch::Contains("not fitted"));
}

TEST_CASE("refitBehaviour keeps the feature space and recomputes statistics", "[features]") {
  const auto planted = plantedData();
  const Dataset& d = planted.data;
  FeaturePipeline p(FeatureConfig::parse(kConfig));
  TaskContext ctx;
  p.fit(d, ctx);
  const auto names = p.featureNames();
  const Index item = 0;
  const SparseVector content = p.itemContent(item);
  // Half of the interactions: the same encoders, lower counts for item 0's popularity.
  std::vector<std::uint32_t> half;
  for (std::uint32_t r = 0; r < d.numInteractions(); r += 2) half.push_back(r);
  const Dataset part = d.withRows(half);
  SparseVector before, after;
  p.pairFeatures(0, item, before);
  p.refitBehaviour(part, ctx);
  p.pairFeatures(0, item, after);
  CHECK(p.featureNames() == names);
  CHECK(p.itemContent(item) == content);
  const auto popIdx = indexOf(p, "behaviour.item_popularity");
  CHECK(dense(after, p.dim())[popIdx] < dense(before, p.dim())[popIdx]);
  CHECK(dense(after, p.dim())[popIdx] ==
        Approx(std::log1p(1e5 * part.itemCounts()[item] / part.numInteractions())));
  // Other id maps are refused and leave the pipeline unchanged.
  Dataset other = d;
  other.items.intern("extra");
  CHECK_THROWS_AS(p.refitBehaviour(other, ctx), ModelError);
  SparseVector again;
  p.pairFeatures(0, item, again);
  CHECK(again == after);
}

namespace {}  // namespace

TEST_CASE("userPairMatrix: one path for known and new users; known scores give the same rows",
          "[features]") {
  const Dataset d = test::withColdUser(plantedData().data);
  const Index cold = static_cast<Index>(d.numUsers() - 1);
  FeaturePipeline p(FeatureConfig::parse(kConfig));
  TaskContext ctx;
  p.fit(d, ctx);
  // Two score models, so that block 5 interleaves a given and a computed one.
  std::shared_ptr<const ModelScoreSource> source;
  for (const char* name : {"most_popular", "sar"}) {
    auto m = createModel(name);
    m->fit({d}, ctx);
    source = std::make_shared<const ModelScoreSource>(std::move(m));
    p.addScoreSource(name, source);
  }
  const Model& sar = source->model();  // score source 1
  std::vector<Index> all(d.numItems());
  std::iota(all.begin(), all.end(), Index{0});
  const std::vector<Index> items = {5, 0, 79, 5, 33, 71, 12};  // duplicates, cold items
  std::vector<float> catalogue(all.size()), given(items.size());
  SparseVector one;
  for (const Index u : {Index{0}, Index{7}, cold}) {
    DYNAMIC_SECTION("user " << u) {
      const std::vector<Index> users(items.size(), u);
      const SparseMatrix old = p.pairMatrix(users, items);
      REQUIRE(old.rows() == items.size());
      for (std::size_t k = 0; k < items.size(); ++k) {
        p.pairFeatures(u, items[k], one);
        REQUIRE(SparseVector(old.row(k).begin(), old.row(k).end()) == one);
      }
      CHECK(p.userPairMatrix(PairUser::known(u), items) == old);
      // Scores of the whole catalogue, gathered: what a two-stage generator already has.
      sar.score(u, all, catalogue);
      for (std::size_t k = 0; k < items.size(); ++k) given[k] = catalogue[items[k]];
      const KnownScores known[1] = {{1, given}};
      CHECK(p.userPairMatrix(PairUser::known(u), items, known) == old);
      // The given values are used as they are (not recomputed).
      std::vector<float> other(given);
      other[0] += 1.0f;
      const KnownScores wrong[1] = {{1, other}};
      CHECK_FALSE(p.userPairMatrix(PairUser::known(u), items, wrong) == old);
    }
  }
  SECTION("new user from attributes") {
    const AttributeTable attrs = test::coldUserAttributes();
    const NewUser nu{&attrs, 0, {}};
    const std::vector<Index> users(items.size(), cold);
    const SparseMatrix inMap = p.pairMatrix(users, items);
    const SparseMatrix old = p.newUserPairMatrix(nu, items);
    CHECK(old == inMap);  // a new user with the cold user's attributes is the cold user
    CHECK(p.userPairMatrix(PairUser::fresh(nu), items) == old);
    sar.scoreNewUser(nu, all, catalogue);
    for (std::size_t k = 0; k < items.size(); ++k) given[k] = catalogue[items[k]];
    const KnownScores known[1] = {{1, given}};
    CHECK(p.userPairMatrix(PairUser::fresh(nu), items, known) == old);
  }
  SECTION("bad input") {
    const KnownScores badModel[1] = {{2, given}};
    CHECK_THROWS_AS(p.userPairMatrix(PairUser::known(0), items, badModel), ModelError);
    const KnownScores badLength[1] = {{0, std::span<const float>(given).first(3)}};
    CHECK_THROWS_AS(p.userPairMatrix(PairUser::known(0), items, badLength), ModelError);
    const std::vector<Index> outOfRange = {1, static_cast<Index>(d.numItems())};
    CHECK_THROWS_AS(p.userPairMatrix(PairUser::known(0), outOfRange), ModelError);
    CHECK_THROWS_AS(p.userPairMatrix(PairUser::known(cold + 1), items), ModelError);
    const NewUser nu;
    CHECK_THROWS_AS(p.userPairMatrix(PairUser::fresh(nu), outOfRange), ModelError);
    CHECK(p.userPairMatrix(PairUser::known(0), {}).rows() == 0);
  }
}

TEST_CASE("fit refuses implausible timestamps when the features use time",
          "[features][timestamps]") {
  Dataset d = plantedData().data;
  d.interactions.timestamp.set(5, 1700000000000);  // milliseconds
  TaskContext ctx;
  FeaturePipeline withRecency(FeatureConfig::parse(kConfig));  // item_recency defaults to on
  CHECK_THROWS_WITH(withRecency.fit(d, ctx),
                    Catch::Contains("item_recency") && Catch::Contains("looks like milliseconds"));
  SparseVector row;
  CHECK_THROWS_WITH(withRecency.pairFeatures(0, 0, row), Catch::Contains("not fitted"));
  FeaturePipeline timeless(FeatureConfig::parse(R"({
    "item": [{"column": "genres", "kind": "multihot"}],
    "behaviour": {"item_recency": false, "half_life_days": 0}
  })"));
  timeless.fit(d, ctx);
  CHECK_NOTHROW(timeless.pairFeatures(0, 0, row));
}

namespace {
constexpr double kT0 = 1e9, kDay = 86400.0;
// Three users (u2 without interactions), four items (i3 without interactions); genres
// i0 {a}, i1 {a, b}, i2 {b}, i3 {c}; years 1990, 2000, 1980, 1995. u0 engaged with i0 and i1,
// u1 with i2 (implicit labels, unweighted).
Dataset tinyProfileData() {
  Dataset d;
  d.itemAttributes.columns.reserve(3);
  for (const char* u : {"u0", "u1", "u2"}) d.users.intern(u);
  for (const char* i : {"i0", "i1", "i2", "i3"}) d.items.intern(i);
  auto& genres = test::addColumn(d.itemAttributes, "genres", ColumnType::kMultiCategorical);
  genres.offsets = {0};
  for (const auto& list : std::vector<std::vector<const char*>>{{"a"}, {"a", "b"}, {"b"}, {"c"}}) {
    for (const char* g : list) genres.codes.push_back(genres.internCategory(g));
    genres.offsets.push_back(genres.codes.size());
  }
  test::addColumn(d.itemAttributes, "year", ColumnType::kNumeric).numeric = {1990, 2000, 1980,
                                                                             1995};
  // Release dates (Unix seconds): days 0, 5, 20 after kT0, i3 unknown.
  test::addColumn(d.itemAttributes, "released", ColumnType::kNumeric).numeric = {
      kT0, kT0 + 5 * kDay, kT0 + 20 * kDay, std::nan("")};
  d.interactions.push(0, 0, 1.0f, static_cast<std::int64_t>(kT0 + 1 * kDay));
  d.interactions.push(0, 1, 1.0f, static_cast<std::int64_t>(kT0 + 11 * kDay));
  d.interactions.push(1, 2, 1.0f, static_cast<std::int64_t>(kT0 + 30 * kDay));
  return d;
}
const char* kProfileConfig = R"({
  "item": [{"column": "genres", "kind": "multihot"}],
  "behaviour": {"profile_cosine": false, "value_weighted": false, "affinity_values": ["genres"],
                "numeric_profile": ["year"], "date_vs_activity": ["released"],
                "item_popularity": false, "item_recency": false, "user_activity": false},
  "labels": {"mode": "implicit"},
  "negatives": {"ratio": 1}
})";
// Value of feature `name` in the row, or NaN when absent.
double valueOf(const FeaturePipeline& p, const SparseVector& row, const std::string& name) {
  const auto idx = indexOf(p, name);
  for (const auto& f : row)
    if (f.index == idx) return f.value;
  return std::nan("");
}
}  // namespace

TEST_CASE("per-value affinities and numeric profiles: hand-computed rows, leave-one-out",
          "[features]") {
  const Dataset d = tinyProfileData();
  FeaturePipeline p(FeatureConfig::parse(kProfileConfig));
  TaskContext ctx;
  p.fit(d, ctx);
  const auto names = p.featureNames();
  CHECK(std::count(names.begin(), names.end(), "behaviour.affinity:genres=b") == 1);
  CHECK(std::count(names.begin(), names.end(), "behaviour.numeric:year.z") == 1);
  SparseVector row;
  // u0: affinities a = 2/2, b = 1/2; c present with 0 (history, never engaged).
  p.pairFeatures(0, 1, row);
  CHECK(valueOf(p, row, "behaviour.affinity:genres=a") == Approx(1.0));
  CHECK(valueOf(p, row, "behaviour.affinity:genres=b") == Approx(0.5));
  CHECK(std::isnan(valueOf(p, row, "behaviour.affinity:genres=c")));  // i1 has no c
  p.pairFeatures(0, 3, row);
  CHECK(valueOf(p, row, "behaviour.affinity:genres=c") == 0.0);
  // Years of u0: mean 1995, variance 25 (W = 2); catalogue variance over trained items
  // {1990, 2000, 1980} = 100; spread = sqrt((2 * 25 + 100) / 3) = sqrt(50).
  p.pairFeatures(0, 2, row);
  CHECK(valueOf(p, row, "behaviour.numeric:year.user_mean") == Approx(1995.0));
  CHECK(valueOf(p, row, "behaviour.numeric:year.user_spread") == Approx(std::sqrt(50.0)));
  CHECK(valueOf(p, row, "behaviour.numeric:year.difference") == Approx(-15.0));
  CHECK(valueOf(p, row, "behaviour.numeric:year.z") == Approx(-15.0 / std::sqrt(50.0)));
  // u0 was active from day 1 to day 11; i2 is dated day 20; i3 has no date.
  CHECK(valueOf(p, row, "behaviour.date_vs_activity:released.days_after_first") == Approx(19.0));
  CHECK(valueOf(p, row, "behaviour.date_vs_activity:released.days_after_last") == Approx(9.0));
  p.pairFeatures(0, 3, row);
  CHECK(std::isnan(valueOf(p, row, "behaviour.date_vs_activity:released.days_after_last")));
  // A user without history gets none of these features (absent, not 0).
  p.pairFeatures(2, 0, row);
  CHECK(std::isnan(valueOf(p, row, "behaviour.affinity:genres=a")));
  CHECK(std::isnan(valueOf(p, row, "behaviour.numeric:year.user_mean")));
  CHECK(std::isnan(valueOf(p, row, "behaviour.date_vs_activity:released.days_after_first")));
  // Training positive (u0, i0) is leave-one-out: history = {i1} only.
  const TrainingMatrix tm = p.buildTrainingMatrix(d, 1, ctx);
  bool found = false;
  for (std::size_t r = 0; r < tm.label.size(); ++r) {
    if (tm.user[r] != 0 || tm.item[r] != 0 || tm.label[r] < 0.5f) continue;
    found = true;
    const SparseVector x(tm.x.row(r).begin(), tm.x.row(r).end());
    CHECK(valueOf(p, x, "behaviour.affinity:genres=a") == Approx(1.0));  // (2 - 1) / (2 - 1)
    CHECK(valueOf(p, x, "behaviour.numeric:year.user_mean") == Approx(2000.0));
    // spread = sqrt((1 * 0 + 100) / 2); difference 1990 - 2000.
    CHECK(valueOf(p, x, "behaviour.numeric:year.user_spread") == Approx(std::sqrt(50.0)));
    CHECK(valueOf(p, x, "behaviour.numeric:year.difference") == Approx(-10.0));
  }
  CHECK(found);
  // Save/load gives the same names and rows.
  BinaryWriter w;
  p.save(w);
  BinaryReader r(w.bytes());
  const FeaturePipeline q = FeaturePipeline::load(r);
  CHECK(q.featureNames() == names);
  SparseVector a, b;
  for (Index u = 0; u < 3; ++u) {
    for (Index i = 0; i < 4; ++i) {
      p.pairFeatures(u, i, a);
      q.pairFeatures(u, i, b);
      CHECK(a == b);
    }
  }
  // The configuration round-trips; a non-numeric column is refused with its path.
  const auto c = FeatureConfig::parse(kProfileConfig);
  CHECK(FeatureConfig::fromJson(c.toJson()).toJson() == c.toJson());
  FeaturePipeline bad(FeatureConfig::parse(
      R"({"item": [{"column": "genres", "kind": "multihot"}],
          "behaviour": {"numeric_profile": ["genres"], "item_recency": false}})"));
  try {
    bad.fit(d, ctx);
    FAIL("expected SpecError");
  } catch (const SpecError& e) {
    CHECK(e.path() == "$.features.behaviour.numeric_profile[0]");
  }
}
