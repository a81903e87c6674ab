#include "core/models/tree_ensemble.h"

#include <cmath>
#include <limits>
#include <random>

#include "core/models/gbdt.h"
#include "core/util/binary_io.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
// One split: feature 2 < 0.5 goes left (leaf 1.5), else right (leaf -0.25); missing goes left.
// The right child splits again on feature 0 (< -1 left: 0.75, else -0.25; missing right).
// base_score 0.25 under binary:logistic is the margin -log(1/0.25 - 1) = -log 3.
const char* kTinyModel = R"({
 "learner": {
  "learner_model_param": {"base_score": "2.5E-1", "num_class": "0", "num_feature": "4",
                          "num_target": "1"},
  "objective": {"name": "binary:logistic"},
  "gradient_booster": {"name": "gbtree", "model": {
    "tree_info": [0],
    "trees": [{
      "tree_param": {"num_nodes": "5", "size_leaf_vector": "0"},
      "left_children":   [1, -1, 3, -1, -1],
      "right_children":  [2, -1, 4, -1, -1],
      "split_indices":   [2, 0, 0, 0, 0],
      "split_conditions":[0.5, 1.5, -1.0, 0.75, -0.25],
      "default_left":    [1, 0, 0, 0, 0],
      "split_type":      [0, 0, 0, 0, 0]
    }]}}
 }
})";

SparseMatrix rowsOf(std::size_t cols, const std::vector<SparseVector>& rows) {
  SparseMatrix x;
  x.cols = cols;
  for (const auto& r : rows) x.appendRow(r);
  return x;
}

/// Random sparse rows: each of `dim` features present with probability `density`, values
/// continuous, a few exact zeros, and feature 0 a label-bearing signal.
SparseMatrix randomRows(std::size_t n, std::size_t dim, double density, std::uint64_t seed,
                        std::vector<float>* labels) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  SparseMatrix x;
  x.cols = dim;
  SparseVector row;
  for (std::size_t r = 0; r < n; ++r) {
    row.clear();
    for (std::uint32_t f = 0; f < dim; ++f) {
      if (u(rng) >= density) continue;
      const float v = u(rng) < 0.1f ? 0.0f : std::round(u(rng) * 50.0f) / 10.0f - 1.0f;
      row.push_back({f, v});
    }
    x.appendRow(row);
    if (labels) {
      float s = 0.0f;
      for (const auto& fv : row) s += (fv.index % 3 == 0 ? 1.0f : -0.5f) * fv.value;
      if (row.empty() || row.front().index != 0) s += 1.0f;  // missing feature 0 means something
      labels->push_back(s + 0.5f * (u(rng) - 0.5f) > 0.3f ? 1.0f : 0.0f);
    }
  }
  return x;
}
}  // namespace

TEST_CASE("compiled trees follow XGBoost's rules on a hand-checked model",
          "[models][gbdt][trees]") {
  std::string why;
  const auto e = TreeEnsemble::fromXgboostJson(kTinyModel, 4, &why);
  REQUIRE(e);
  CHECK(why.empty());
  CHECK(e->trees() == 1);
  CHECK(e->usedFeatures() == 2);
  const float base = -std::log(3.0f);
  CHECK(e->baseMargin() == base);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const SparseMatrix x = rowsOf(4, {
                                       {{2, 0.2f}},              // left leaf
                                       {{2, 0.5f}, {0, -2.0f}},  // equal goes right, then left
                                       {{0, -1.0f}, {2, 0.9f}},  // right, equal goes right
                                       {},                       // missing: default left
                                       {{2, nan}},               // NaN is missing
                                       {{2, 3.0f}},              // right, missing goes right
                                       {{1, 7.0f}, {3, -9.0f}},  // unused features: default
                                   });
  std::vector<float> m(x.rows());
  e->margins(x, m);
  CHECK(m[0] == base + 1.5f);
  CHECK(m[1] == base + 0.75f);
  CHECK(m[2] == base - 0.25f);
  CHECK(m[3] == base + 1.5f);
  CHECK(m[4] == base + 1.5f);
  CHECK(m[5] == base - 0.25f);
  CHECK(m[6] == base + 1.5f);

  // An index beyond the model's features is an error, and the scratch stays clean after it.
  const SparseMatrix bad = rowsOf(9, {{{2, 0.9f}}, {{8, 1.0f}}});
  std::vector<float> two(2);
  CHECK_THROWS_AS(e->margins(bad, two), ModelError);
  e->margins(x, m);
  CHECK(m[3] == base + 1.5f);
  CHECK(m[6] == base + 1.5f);
}

TEST_CASE("compiled trees refuse what they do not implement, with the reason",
          "[models][gbdt][trees]") {
  std::string why;
  CHECK_FALSE(TreeEnsemble::fromXgboostJson("{not json", 4, &why));
  CHECK(why.find("unreadable model JSON") != std::string::npos);

  auto edited = [](std::string from, std::string to) {
    std::string s = kTinyModel;
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  CHECK_FALSE(TreeEnsemble::fromXgboostJson(edited("binary:logistic", "count:poisson"), 4, &why));
  CHECK(why.find("count:poisson") != std::string::npos);
  CHECK_FALSE(TreeEnsemble::fromXgboostJson(edited("\"gbtree\"", "\"dart\""), 4, &why));
  CHECK(why.find("dart") != std::string::npos);
  CHECK_FALSE(
      TreeEnsemble::fromXgboostJson(edited("[0, 0, 0, 0, 0]\n", "[0, 0, 1, 0, 0]\n"), 4, &why));
  CHECK(why.find("categorical") != std::string::npos);
  CHECK_FALSE(
      TreeEnsemble::fromXgboostJson(edited("[1, -1, 3, -1, -1]", "[1, -1, 4, -1, -1]"), 4, &why));
  CHECK(why.find("left + 1") != std::string::npos);
  CHECK_FALSE(TreeEnsemble::fromXgboostJson(kTinyModel, 2, &why));  // splits on feature 2 of 2
  CHECK(why.find("feature 2") != std::string::npos);
}

TEST_CASE("compiled trees give XGBoost's margins bit for bit, trained and reloaded",
          "[models][gbdt][trees]") {
  const std::size_t dim = 40;
  std::vector<float> labels;
  const SparseMatrix train = randomRows(3000, dim, 0.3, 11, &labels);
  const SparseMatrix test = randomRows(2000, dim, 0.3, 12, nullptr);
  for (const char* objective : {"binary:logistic", "rank:ndcg"}) {
    INFO(objective);
    XgbOptions o;
    o.objective = objective;
    o.rounds = 60;
    o.maxDepth = 7;
    o.earlyStopping = 0;
    XgbScorer s(o);
    std::vector<std::uint32_t> groups(30, 100);
    TaskContext ctx;
    s.train({&train, labels, o.objective == "rank:ndcg" ? groups : std::vector<std::uint32_t>{}},
            {}, 5, 1, ctx);
    INFO(s.compiledWhyNot());
    REQUIRE(s.compiled());
    std::vector<float> mine(test.rows()), theirs(test.rows());
    s.margins(test, mine);  // 2,000 rows: the parallel path
    s.xgboostMargins(test, theirs);
    REQUIRE(mine == theirs);
    const SparseMatrix few = randomRows(5, dim, 0.5, 13, nullptr);  // the single-thread path
    std::vector<float> a(5), b(5);
    s.margins(few, a);
    s.xgboostMargins(few, b);
    CHECK(a == b);

    BinaryWriter w;
    s.save(w);
    const std::string bytes = w.take();
    BinaryReader r(bytes, "test");
    XgbScorer back(o);
    back.load(r, dim);
    REQUIRE(back.compiled());
    std::vector<float> again(test.rows());
    back.margins(test, again);
    CHECK(again == theirs);
  }
}
