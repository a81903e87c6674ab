#include <cmath>
#include <random>

#include "core/models/content_similarity.h"
#include "core/models/logistic_regression.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "features/synthetic_data.h"
#include "test_support.h"

using namespace rwb;
using rwb::test::plantedData;

namespace {
// Mean over users of (share of matching-genre items among the top-5 of the cold items).
double coldMatchRate(const Model& m, const test::Planted& p) {
  const std::size_t first = p.data.numItems() - p.numCold;
  std::vector<Index> cold;
  for (std::size_t i = first; i < p.data.numItems(); ++i) cold.push_back(static_cast<Index>(i));
  double hits = 0, total = 0;
  std::vector<float> s(cold.size());
  for (Index u = 0; u < p.data.numUsers(); ++u) {
    m.score(u, cold, s);
    std::vector<std::size_t> order(cold.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return s[a] > s[b]; });
    for (std::size_t k = 0; k < 3; ++k) {
      hits += p.itemIsAction[cold[order[k]]] == static_cast<bool>(p.userIsA[u]);
      total += 1;
    }
  }
  return hits / total;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

void checkContributionsSum(const Model& m, const Dataset& d) {
  const auto* ex = dynamic_cast<const Explainable*>(&m);
  REQUIRE(ex != nullptr);
  for (Index u = 0; u < d.numUsers(); u += 7) {
    for (Index i = 0; i < d.numItems(); i += 11) {
      const Explanation e = ex->explain(u, i);
      double sum = e.bias;
      for (const auto& f : e.features) sum += f.contribution;
      CHECK(sum == Approx(e.output).margin(1e-5));
      float s = 0;
      m.score(u, std::span<const Index>(&i, 1), std::span<float>(&s, 1));
      CHECK(e.output == Approx(s).margin(1e-5));
    }
  }
}
}  // namespace

TEST_CASE("content_similarity recovers planted tastes and ranks brand-new items", "[models]") {
  const auto p = plantedData();
  auto m = createModel("content_similarity", {{"features", test::kPlantedLrFeatures}});
  TaskContext ctx;
  m->fit({p.data}, ctx);
  CHECK(coldMatchRate(*m, p) > 0.95);
  // A user with no history cannot be scored by similarity: popularity fallback, flagged.
  CHECK_FALSE(m->canScoreUser(static_cast<Index>(p.data.numUsers())));
}

TEST_CASE("content_similarity explanations decompose the cosine over history items", "[models]") {
  const auto p = plantedData();
  auto m = createModel("content_similarity", {{"features", test::kPlantedLrFeatures}});
  TaskContext ctx;
  m->fit({p.data}, ctx);
  const auto& cs = dynamic_cast<const ContentSimilarity&>(*m);
  const Index cold = static_cast<Index>(p.data.numItems() - 1);
  for (Index u : {Index{0}, Index{1}, Index{5}}) {
    const Explanation e = cs.explain(u, cold);
    CHECK(e.outputKind == "cosine");
    double h = 0, f = 0;
    for (const auto& c : e.history) h += c.contribution;
    for (const auto& c : e.features) f += c.contribution;
    CHECK(h == Approx(e.output).margin(1e-5));
    CHECK(f == Approx(e.output).margin(1e-5));
    if (!e.history.empty() && static_cast<bool>(p.userIsA[u]) == p.itemIsAction[cold]) {
      // The strongest history item shares the cold item's genre.
      CHECK(p.itemIsAction[e.history.front().item] == p.itemIsAction[cold]);
    }
  }
  CHECK_FALSE(cs.globalImportance().empty());
}

TEST_CASE("logistic_regression recovers planted structure and scores cold users", "[models]") {
  const auto p = plantedData();
  for (const char* solver : {"lbfgs", "cd"}) {
    DYNAMIC_SECTION(solver) {
      auto m = createModel("logistic_regression",
                           {{"features", test::kPlantedLrFeatures}, {"solver", solver}});
      TaskContext ctx;
      m->fit({p.data}, ctx);
      CHECK(coldMatchRate(*m, p) > 0.95);
      checkContributionsSum(*m, p.data);
      // The cross feature carries the planted structure.
      const auto imp = dynamic_cast<const Explainable&>(*m).globalImportance();
      REQUIRE_FALSE(imp.empty());
      bool crossTop = false;
      for (std::size_t k = 0; k < std::min<std::size_t>(5, imp.size()); ++k) {
        crossTop = crossTop || imp[k].feature.find(" x ") != std::string::npos ||
                   imp[k].feature.find("affinity") != std::string::npos ||
                   imp[k].feature.find("profile_cosine") != std::string::npos;
      }
      CHECK(crossTop);
    }
  }
  // A user with attributes but no interactions is scored by the model (not the fallback).
  auto p2 = plantedData();
  const Index fresh = p2.data.users.intern("fresh");
  auto* group = p2.data.userAttributes.find("group");
  p2.data.userAttributes.ensureRows(p2.data.numUsers());
  group->codes[fresh] = group->internCategory("A");
  auto m = createModel("logistic_regression", {{"features", test::kPlantedLrFeatures}});
  TaskContext ctx;
  m->fit({p2.data}, ctx);
  CHECK(m->canScoreUser(fresh));
  const auto recs = m->recommend(fresh, 5);
  CHECK_FALSE(recs.fallback);
  for (const auto& r : recs.items) CHECK(p2.itemIsAction[r.item]);
}

TEST_CASE("logistic_regression L1 gives sparse weights", "[models]") {
  const auto p = plantedData();
  auto dense = createModel("logistic_regression",
                           {{"features", test::kPlantedLrFeatures}, {"solver", "cd"}});
  auto sparse =
      createModel("logistic_regression",
                  {{"features", test::kPlantedLrFeatures}, {"l1", 0.01}, {"solver", "cd"}});
  TaskContext ctx;
  dense->fit({p.data}, ctx);
  sparse->fit({p.data}, ctx);
  auto nonzero = [](const Model& m) {
    const auto& s =
        dynamic_cast<const LinearScorer&>(dynamic_cast<const EngagementModel&>(m).scorer());
    std::size_t n = 0;
    for (double w : s.weights()) n += w != 0.0;
    return n;
  };
  CHECK(nonzero(*sparse) < nonzero(*dense) / 2);
  CHECK(coldMatchRate(*sparse, p) > 0.9);
  CHECK_THROWS_AS(
      createModel("logistic_regression", {{"l1", 0.1}, {"solver", "lbfgs"}})->fit({p.data}, ctx),
      ModelError);
}

TEST_CASE("logistic regression is calibrated on noisy data and confident on separable data",
          "[models]") {
  // Direct scorer test: y ~ Bernoulli(sigmoid(2 x0 - x1 + 0.5)).
  std::mt19937 rng(5);
  std::normal_distribution<double> normal;
  SparseMatrix x;
  x.cols = 2;
  std::vector<float> y, truth;
  for (int r = 0; r < 20000; ++r) {
    const double a = normal(rng), b = normal(rng);
    const double pr = sigmoid(2 * a - b + 0.5);
    x.appendRow(SparseVector{{0, static_cast<float>(a)}, {1, static_cast<float>(b)}});
    y.push_back(std::uniform_real_distribution<double>(0, 1)(rng) < pr ? 1.0f : 0.0f);
    truth.push_back(static_cast<float>(pr));
  }
  for (const char* solver : {"lbfgs", "cd"}) {
    LinearScorer s({1e-6, 0.0, solver, 500, 1e-10});
    TaskContext ctx;
    s.train({&x, y, {}}, {}, 1, 1, ctx);
    CHECK(s.weights()[0] == Approx(2.0).epsilon(0.08));
    CHECK(s.weights()[1] == Approx(-1.0).epsilon(0.08));
    CHECK(s.bias() == Approx(0.5).epsilon(0.1));
    // Calibration: in each decile of predicted probability the observed rate matches.
    std::vector<float> m(x.rows());
    s.margins(x, m);
    std::vector<double> sumP(10), sumY(10), n(10);
    for (std::size_t r = 0; r < m.size(); ++r) {
      const double pr = sigmoid(m[r]);
      const auto b = std::min<std::size_t>(9, static_cast<std::size_t>(pr * 10));
      sumP[b] += pr;
      sumY[b] += y[r];
      n[b] += 1;
    }
    for (int b = 0; b < 10; ++b) {
      if (n[b] < 500) continue;
      CHECK(sumY[b] / n[b] == Approx(sumP[b] / n[b]).margin(0.04));
    }
  }
  // Separable: label = x0 > 0. Probabilities go to the right side with high confidence.
  SparseMatrix xs;
  xs.cols = 1;
  std::vector<float> ys;
  for (int r = 0; r < 2000; ++r) {
    const double a = normal(rng);
    xs.appendRow(SparseVector{{0, static_cast<float>(a)}});
    ys.push_back(a > 0 ? 1.0f : 0.0f);
  }
  LinearScorer s({1e-4, 0.0, "lbfgs", 500, 1e-10});
  TaskContext ctx;
  s.train({&xs, ys, {}}, {}, 1, 1, ctx);
  std::vector<float> m(xs.rows());
  s.margins(xs, m);
  std::size_t correct = 0;
  for (std::size_t r = 0; r < m.size(); ++r) correct += (m[r] > 0) == (ys[r] > 0.5f);
  CHECK(correct >= m.size() * 995 / 1000);  // only points within a hair of 0 may be wrong
  float far = 0;
  SparseMatrix one;
  one.cols = 1;
  one.appendRow(SparseVector{{0, 2.0f}});
  s.margins(one, std::span<float>(&far, 1));
  CHECK(sigmoid(far) > 0.99);
}

TEST_CASE("content models save and load with identical scores (pipeline included)", "[models]") {
  const auto p = plantedData();
  for (const char* name : {"content_similarity", "logistic_regression"}) {
    DYNAMIC_SECTION(name) {
      auto m = createModel(name, {{"features", test::kPlantedLrFeatures}});
      TaskContext ctx;
      m->fit({p.data}, ctx);
      const std::string blob = saveModelToBytes(*m);
      auto back = loadModelFromBytes(blob);
      REQUIRE(back->type() == name);
      std::vector<Index> all(p.data.numItems());
      std::iota(all.begin(), all.end(), Index{0});
      std::vector<float> a(all.size()), b(all.size());
      for (Index u = 0; u < p.data.numUsers(); u += 5) {
        m->score(u, all, a);
        back->score(u, all, b);
        REQUIRE(a == b);
      }
      const auto ea = dynamic_cast<const Explainable&>(*m).explain(2, 3);
      const auto eb = dynamic_cast<const Explainable&>(*back).explain(2, 3);
      CHECK(ea.output == eb.output);
      CHECK(ea.features.size() == eb.features.size());
      BinaryReader cut(std::string_view(blob).substr(0, blob.size() - 3));
      CHECK_THROWS_AS(loadModel(cut), ModelError);
    }
  }
}
