#include "core/models/ials.h"

#include <Eigen/Cholesky>
#include <cmath>

#include "core/data/delimited_loader.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "planted_data.h"
#include "test_support.h"

using namespace rwb;

namespace {
std::vector<double> losses(const TaskContext& ctx) {
  std::vector<double> out;
  for (const auto& [epoch, metrics] : ctx.history()) out.push_back(metrics.at(0).second);
  return out;
}
}  // namespace

TEST_CASE("ials: loss decreases and both solvers reach the same optimum", "[models][ials]") {
  const auto p = test::plantedCommunities(60, 40, 8);
  std::vector<double> final;
  for (const char* solver : {"cg", "cholesky"}) {
    INFO(solver);
    auto m = createModel("ials", {{"factors", 6},
                                  {"iterations", 12},
                                  {"solver", solver},
                                  {"regularization", 0.5},
                                  {"cg_steps", 6}});
    TaskContext ctx;
    m->fit({p.data, nullptr, 3, 2}, ctx);
    const auto l = losses(ctx);
    REQUIRE(l.size() == 12);
    CHECK(l.back() < l.front());
    for (std::size_t e = 1; e < l.size(); ++e) CHECK(l[e] <= l[e - 1] * 1.001);
    final.push_back(l.back());
  }
  // Cholesky solves each half-step exactly; CG with 6 warm-started steps gets within 2 %.
  CHECK(final[0] == Approx(final[1]).epsilon(0.02));
}

// 64 factors run the fixed-width CG kernel, whose gather also computes the residual and whose
// passes keep their sums in registers; with as many CG steps as factors it must reach the exact
// (Cholesky) half-steps, which a wrong residual or a lost row update would not.
TEST_CASE("ials: at 64 factors CG with enough steps matches the exact solve", "[models][ials]") {
  const auto p = test::plantedCommunities(120, 80, 8);
  std::vector<std::vector<double>> runs;
  for (const char* solver : {"cg", "cholesky"}) {
    auto m = createModel("ials", {{"factors", 64},
                                  {"iterations", 2},
                                  {"solver", solver},
                                  {"regularization", 1.0},
                                  {"cg_steps", 64}});
    TaskContext ctx;
    m->fit({p.data, nullptr, 5, 2}, ctx);
    runs.push_back(losses(ctx));
    REQUIRE(runs.back().size() == 2);
  }
  for (std::size_t e = 0; e < 2; ++e) {
    INFO("epoch " << e + 1 << ": cg " << runs[0][e] << ", cholesky " << runs[1][e]);
    CHECK(runs[0][e] == Approx(runs[1][e]).epsilon(1e-3));
  }
}

TEST_CASE("ials: the exact solve satisfies the normal equations", "[models][ials]") {
  // One user, after the item half-step the user row must solve
  // (Y^T C_u Y + lambda I) x_u = Y^T C_u p_u; check it on a fitted model's factors.
  const auto p = test::plantedCommunities(20, 12, 4);
  const double lambda = 0.7, alpha = 2.0;
  auto m = createModel("ials", {{"factors", 3},
                                {"iterations", 3},
                                {"solver", "cholesky"},
                                {"regularization", lambda},
                                {"alpha", alpha}});
  TaskContext ctx;
  m->fit({p.data, nullptr, 1, 1}, ctx);
  auto& fm = dynamic_cast<FactorModel&>(*m);
  // Items were solved last, so each item row is exact given the user rows.
  for (Index i = 0; i < 12; ++i) {
    Eigen::Matrix3d a = lambda * Eigen::Matrix3d::Identity();
    Eigen::Vector3d b = Eigen::Vector3d::Zero();
    for (Index u = 0; u < 20; ++u) {
      const auto xu = fm.userFactors(u);
      const Eigen::Vector3d x(xu[0], xu[1], xu[2]);
      const auto seen = m->seenItems(u);
      const bool pos = std::binary_search(seen.begin(), seen.end(), i);
      const double c = pos ? 1.0 + alpha : 1.0;
      a += c * x * x.transpose();
      if (pos) b += c * x;
    }
    const Eigen::Vector3d expect = a.ldlt().solve(b);
    const auto yi = fm.itemFactors(i);
    for (int k = 0; k < 3; ++k) CHECK(yi[k] == Approx(expect[k]).margin(1e-4));
  }
}

TEST_CASE("ials: frequency-scaled regularisation and value transforms", "[models][ials]") {
  auto p = test::plantedCommunities(40, 30, 6);
  for (std::size_t r = 0; r < p.data.interactions.size(); ++r)
    p.data.interactions.value.set(r, 3.0f);
  for (const char* t : {"binary", "raw", "log"}) {
    auto m = createModel("ials", {{"factors", 4},
                                  {"iterations", 4},
                                  {"value_transform", t},
                                  {"reg_exponent", 1.0},
                                  {"regularization", 0.05}});
    TaskContext ctx;
    m->fit({p.data, nullptr, 1, 2}, ctx);
    CHECK(m->isFitted());
  }
  p.data.interactions.value.set(3, -1.0f);
  auto m = createModel("ials", {{"value_transform", "raw"}});
  TaskContext ctx;
  CHECK_THROWS_WITH(m->fit({p.data, nullptr, 1, 2}, ctx), Catch::Contains("non-negative"));
  CHECK_FALSE(m->isFitted());
}

TEST_CASE("ials: patience keeps the best validation epoch", "[models][ials]") {
  const auto p = test::plantedCommunities(60, 40, 8, 11);
  // Validation: hold out the last two interactions of every user.
  std::vector<std::uint32_t> tr, va;
  for (std::uint32_t r = 0; r < p.data.numInteractions(); ++r) (r % 8 >= 6 ? va : tr).push_back(r);
  const Dataset train = p.data.withRows(tr), valid = p.data.withRows(va);
  auto m = createModel("ials", {{"factors", 8}, {"iterations", 40}, {"patience", 2}});
  TaskContext ctx;
  m->fit({train, &valid, 1, 2}, ctx);
  const auto h = ctx.history();
  REQUIRE_FALSE(h.empty());
  CHECK(h.size() < 40);
  double best = 0;
  for (const auto& e : h) best = std::max(best, e.second.at(1).second);
  CHECK(best > 0.2);
}

TEST_CASE("ials: the CG loss (summed in the item half-step) equals the objective of the factors",
          "[models][ials]") {
  // Guards the fused loss: the item half-step sums y_i^T XtX y_i + ... over items; recompute the
  // objective pair by pair from the fitted factors and compare with the last reported loss.
  const auto p = test::plantedCommunities(50, 30, 5, 3);
  const double lambda = 2.0, alpha = 4.0;
  for (int threads : {1, 2}) {
    auto m = createModel(
        "ials", {{"factors", 5}, {"iterations", 3}, {"regularization", lambda}, {"alpha", alpha}});
    TaskContext ctx;
    m->fit({p.data, nullptr, 9, threads}, ctx);
    const auto& fm = dynamic_cast<const FactorModel&>(*m);
    double total = 0.0, conf = 0.0, nnz = 0.0;
    for (Index u = 0; u < m->numUsers(); ++u) {
      const auto xu = fm.userFactors(u);
      const auto seen = m->seenItems(u);
      for (float v : xu) total += lambda * v * v;
      for (Index i = 0; i < m->numItems(); ++i) {
        const auto yi = fm.itemFactors(i);
        double s = 0.0;
        for (std::size_t k = 0; k < xu.size(); ++k) s += static_cast<double>(xu[k]) * yi[k];
        const bool pos = std::binary_search(seen.begin(), seen.end(), i);
        const double c = pos ? 1.0 + alpha : 1.0;
        total += c * ((pos ? 1.0 : 0.0) - s) * ((pos ? 1.0 : 0.0) - s);
        if (pos) {
          conf += c;
          nnz += 1.0;
        }
      }
    }
    for (Index i = 0; i < m->numItems(); ++i)
      for (float v : fm.itemFactors(i)) total += lambda * v * v;
    const double expected =
        total / (conf + static_cast<double>(m->numUsers()) * m->numItems() - nnz);
    const auto l = losses(ctx);
    REQUIRE(l.size() == 3);
    CHECK(l.back() == Approx(expected).epsilon(1e-4));
  }
}

TEST_CASE("ials: factors and loss are bit-identical for any thread count", "[models][ials]") {
  // Rows are split into fixed cost chunks, Gram matrices into fixed row chunks summed in order and
  // the loss over the chunks in order: the thread count changes only who computes what.
  const auto p = test::plantedCommunities(300, 60, 24, 4);
  std::vector<std::vector<float>> users, items;
  std::vector<std::vector<double>> curves;
  for (int threads : {1, 2, 3}) {
    auto m = createModel("ials", {{"factors", 64}, {"iterations", 3}});
    TaskContext ctx;
    m->fit({p.data, nullptr, 11, threads}, ctx);
    const auto& fm = dynamic_cast<const FactorModel&>(*m);
    users.emplace_back();
    items.emplace_back();
    for (Index u = 0; u < m->numUsers(); ++u) {
      const auto r = fm.userFactors(u);
      users.back().insert(users.back().end(), r.begin(), r.end());
    }
    for (Index i = 0; i < m->numItems(); ++i) {
      const auto r = fm.itemFactors(i);
      items.back().insert(items.back().end(), r.begin(), r.end());
    }
    curves.push_back(losses(ctx));
  }
  for (std::size_t t = 1; t < users.size(); ++t) {
    INFO("threads " << t + 1);
    CHECK(users[t] == users[0]);
    CHECK(items[t] == items[0]);
    CHECK(curves[t] == curves[0]);
  }
}
