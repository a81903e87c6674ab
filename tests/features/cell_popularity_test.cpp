// The cell_popularity behavioural features (core/features/cell_popularity.h): hand-computed
// values, leave-user-out for training and known users, new users by attributes, save/load and
// configuration errors.
#include <cmath>
#include <vector>

#include "core/features/feature_pipeline.h"
#include "core/util/error.h"
#include "features/synthetic_data.h"
#include "test_support.h"

using namespace rwb;

namespace {
// Users u0, u1 (F), u2, u3 (M), u4 (F, no interactions); items i0..i3 and i4 (no interactions).
// Positives (implicit): u0 {i0, i1}, u1 {i0, i2}, u2 {i1}, u3 {i1, i3}. Cell F: i0 2, i1 1,
// i2 1 (N_F = 4); cell M: i1 2, i3 1 (N_M = 3); overall i0 2, i1 3, i2 1, i3 1 (N = 7).
Dataset cellData() {
  Dataset d;
  d.userAttributes.columns.reserve(2);
  for (const char* u : {"u0", "u1", "u2", "u3", "u4"}) d.users.intern(u);
  for (const char* i : {"i0", "i1", "i2", "i3", "i4"}) d.items.intern(i);
  auto& gender = test::addColumn(d.userAttributes, "gender", ColumnType::kCategorical);
  for (const char* g : {"F", "F", "M", "M", "F"}) gender.codes.push_back(gender.internCategory(g));
  test::addColumn(d.userAttributes, "age", ColumnType::kNumeric).numeric = {20, 30, 40, 50, 60};
  test::addColumn(d.itemAttributes, "year", ColumnType::kNumeric).numeric = {1990, 1991, 1992, 1993,
                                                                             1994};
  const std::vector<std::pair<Index, Index>> pairs = {{0, 0}, {0, 1}, {1, 0}, {1, 2},
                                                      {2, 1}, {3, 1}, {3, 3}};
  std::int64_t t = 1'000'000'000;
  for (auto [u, i] : pairs) d.interactions.push(u, i, 1.0f, t++);
  return d;
}

const char* kCellConfig = R"({
  "user": [{"column": "gender", "kind": "onehot"}, {"column": "age", "kind": "numeric"}],
  "item": [{"column": "year", "kind": "numeric"}],
  "behaviour": {"profile_cosine": false, "item_popularity": false, "item_recency": false,
                "user_activity": false, "cell_popularity": ["gender"], "cell_smoothing": 2},
  "labels": {"mode": "implicit"},
  "negatives": {"ratio": 1}
})";

double valueOf(const FeaturePipeline& p, const SparseVector& row, const std::string& name) {
  const auto names = p.featureNames();
  const auto it = std::find(names.begin(), names.end(), name);
  REQUIRE(it != names.end());
  for (const auto& f : row) {
    if (f.index == static_cast<std::uint32_t>(it - names.begin())) return f.value;
  }
  return std::nan("");
}

const std::string kShare = "behaviour.cell_popularity:gender";
const std::string kLift = "behaviour.cell_popularity:gender.lift";
}  // namespace

TEST_CASE("cell popularity: hand-computed shares, new users by attributes", "[features]") {
  const Dataset d = cellData();
  FeaturePipeline p(FeatureConfig::parse(kCellConfig));
  TaskContext ctx;
  p.fit(d, ctx);
  // A new user of cell F (u4's attributes, no interactions) and item i0: g = 2/7,
  // share = (2 + 2 g) / (4 + 2), lift = share / g = 1.5.
  const NewUser fresh{&d.userAttributes, 4, {}};
  const Index i0 = 0;
  const SparseMatrix m = p.newUserPairMatrix(fresh, std::span<const Index>(&i0, 1));
  const SparseVector row(m.row(0).begin(), m.row(0).end());
  const double g = 2.0 / 7.0, share = (2.0 + 2.0 * g) / 6.0;
  CHECK(valueOf(p, row, kShare) == Approx(std::log1p(1e5 * share)));
  CHECK(valueOf(p, row, kLift) == Approx(std::log(1.5)));
  // u4 is a user of the id maps without interactions: the same row as the new user.
  SparseVector known;
  p.pairFeatures(4, 0, known);
  CHECK(valueOf(p, known, kShare) == valueOf(p, row, kShare));
  // Known user u0 (F) and i0: u0's own positives leave the cell counts (not the global
  // share): n_F(i0) = 1, N_F = 2, g = 2/7, share = (1 + 2 g) / (2 + 2).
  p.pairFeatures(0, 0, known);
  const double own = (1.0 + 2.0 * g) / 4.0;
  CHECK(valueOf(p, known, kShare) == Approx(std::log1p(1e5 * own)));
  CHECK(valueOf(p, known, kLift) == Approx(std::log(own / g)));
  // An item without positives is stored as 0 (not absent): share 0, lift 0.
  p.pairFeatures(0, 4, known);
  CHECK(valueOf(p, known, kShare) == 0.0);
  CHECK(valueOf(p, known, kLift) == 0.0);
  // A gender outside the vocabulary is a cell without training users: the global share.
  AttributeTable other;
  other.columns.reserve(1);
  auto& gcol = test::addColumn(other, "gender", ColumnType::kCategorical);
  gcol.codes.push_back(gcol.internCategory("X"));
  const NewUser stranger{&other, 0, {}};
  const Index i1 = 1;
  const SparseMatrix ms = p.newUserPairMatrix(stranger, std::span<const Index>(&i1, 1));
  const SparseVector rs(ms.row(0).begin(), ms.row(0).end());
  CHECK(valueOf(p, rs, kShare) == Approx(std::log1p(1e5 * 3.0 / 7.0)));
  CHECK(valueOf(p, rs, kLift) == 0.0);
}

TEST_CASE("cell popularity leaves the row's own user out", "[features]") {
  const Dataset d = cellData();
  TaskContext ctx;
  // Every known user and item against counts taken straight from the interactions: the cell's
  // other users only, the global share from everyone.
  FeaturePipeline full(FeatureConfig::parse(kCellConfig));
  full.fit(d, ctx);
  const auto* gender = d.userAttributes.find("gender");
  for (Index u = 0; u < 5; ++u) {
    for (Index i = 0; i < 5; ++i) {
      double nc = 0, tc = 0, ni = 0;
      const double total = static_cast<double>(d.numInteractions());
      for (std::uint32_t r = 0; r < d.numInteractions(); ++r) {
        const Index v = d.interactions.user[r];
        const bool item = d.interactions.item[r] == i;
        ni += item ? 1 : 0;
        if (v == u || gender->codes[v] != gender->codes[u]) continue;
        tc += 1;
        nc += item ? 1 : 0;
      }
      const double g = ni / total, share = (nc + 2.0 * g) / (tc + 2.0);
      SparseVector a;
      full.pairFeatures(u, i, a);
      CHECK(valueOf(full, a, kShare) == Approx(std::log1p(1e5 * share)));
      CHECK(valueOf(full, a, kLift) ==
            Approx(g > 0 && share > 0 ? std::log(share / g) : 0.0).margin(1e-6));
    }
  }
  // Training rows, including those built as a new user's (cold-user dropout), leave their
  // user out too: the same values as the known user's serving rows.
  for (const char* dropout : {"0", "0.6"}) {
    auto cfg = FeatureConfig::parse(kCellConfig);
    cfg.behaviour.coldUserDropout = std::stod(dropout);
    FeaturePipeline p(cfg);
    p.fit(d, ctx);
    const TrainingMatrix tm = p.buildTrainingMatrix(d, 3, ctx);
    REQUIRE(tm.label.size() > 7);
    for (std::size_t r = 0; r < tm.label.size(); ++r) {
      const SparseVector x(tm.x.row(r).begin(), tm.x.row(r).end());
      SparseVector serving;
      p.pairFeatures(tm.user[r], tm.item[r], serving);
      CHECK(valueOf(p, x, kShare) == valueOf(p, serving, kShare));
      CHECK(valueOf(p, x, kLift) == valueOf(p, serving, kLift));
    }
  }
}

TEST_CASE("cell popularity: several cells, save/load and configuration errors", "[features]") {
  const Dataset d = cellData();
  TaskContext ctx;
  const char* two = R"({
    "user": [{"column": "gender", "kind": "onehot"}, {"column": "age", "kind": "numeric", "bins": 2},
             {"column": "band", "kind": "onehot"}],
    "behaviour": {"item_popularity": false, "item_recency": false, "user_activity": false,
                  "profile_cosine": false, "cell_popularity": [["gender", "band"], "band"]},
    "labels": {"mode": "implicit"}})";
  Dataset withBand = d;
  auto& band = test::addColumn(withBand.userAttributes, "band", ColumnType::kCategorical);
  for (const char* b : {"young", "old", "young", "old", "old"})
    band.codes.push_back(band.internCategory(b));
  FeaturePipeline p(FeatureConfig::parse(two));
  p.fit(withBand, ctx);
  const auto names = p.featureNames();
  CHECK(std::count(names.begin(), names.end(), "behaviour.cell_popularity:gender*band") == 1);
  CHECK(std::count(names.begin(), names.end(), "behaviour.cell_popularity:band.lift") == 1);
  // u4 (F, old): cell F x old has u1 only: i0 1, i2 1 (N 2); default smoothing 10.
  SparseVector row;
  p.pairFeatures(4, 2, row);
  const double g = 1.0 / 7.0;
  CHECK(valueOf(p, row, "behaviour.cell_popularity:gender*band") ==
        Approx(std::log1p(1e5 * (1.0 + 10.0 * g) / 12.0)));
  // Cell old = u1, u3: i2 1 of N 4.
  CHECK(valueOf(p, row, "behaviour.cell_popularity:band") ==
        Approx(std::log1p(1e5 * (1.0 + 10.0 * g) / 14.0)));
  // Save/load: identical names and rows; the configuration round-trips.
  BinaryWriter w;
  p.save(w);
  BinaryReader r(w.bytes());
  const FeaturePipeline q = FeaturePipeline::load(r);
  CHECK(q.featureNames() == names);
  for (Index u = 0; u < 5; ++u) {
    for (Index i = 0; i < 5; ++i) {
      SparseVector a, b;
      p.pairFeatures(u, i, a);
      q.pairFeatures(u, i, b);
      CHECK(a == b);
    }
  }
  const auto c = FeatureConfig::parse(two);
  CHECK(FeatureConfig::fromJson(c.toJson()).toJson() == c.toJson());
  CHECK(c.behaviour.cellPopularity.size() == 2);
  // A column without a onehot encoder, an unknown column, a bad entry: SpecErrors with paths.
  auto pathOf = [&](const char* cells) {
    try {
      const auto cfg =
          FeatureConfig::parse(std::string(R"({"user": [{"column": "gender", "kind": "onehot"},
                                   {"column": "age", "kind": "numeric"}],
                          "behaviour": {"cell_popularity": )") +
                               cells + "}}");
      cfg.checkColumns(d);
      FeaturePipeline bad(cfg);
      bad.fit(d, ctx);
    } catch (const SpecError& e) {
      return e.path();
    }
    return std::string("no error");
  };
  CHECK(pathOf(R"(["age"])") == "$.features.behaviour.cell_popularity[0]");
  CHECK(pathOf(R"([["gender", "shoe_size"]])") == "$.features.behaviour.cell_popularity[0]");
  CHECK(pathOf(R"([[]])") == "$.features.behaviour.cell_popularity[0]");
  CHECK(pathOf(R"([["gender", 3]])") == "$.features.behaviour.cell_popularity[0][1]");
  CHECK(pathOf(R"(["gender"])") == "no error");
}
