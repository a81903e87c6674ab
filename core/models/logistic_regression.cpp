#include "core/models/logistic_regression.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <deque>

#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

namespace {
double logistic(double m) { return 1.0 / (1.0 + std::exp(-m)); }
// log(1 + exp(-m)) without overflow.
double softplusNeg(double m) {
  return m > 0 ? std::log1p(std::exp(-m)) : -m + std::log1p(std::exp(m));
}

/// The scaled problem: columns of x divided by scale[j].
struct Problem {
  const SparseMatrix& x;
  std::span<const float> y;
  const std::vector<double>& scale;
  double l2;
  std::size_t dim;

  // Objective and gradient at theta = (w_0..w_{d-1}, b).
  double eval(const Eigen::VectorXd& th, Eigen::VectorXd& g) const {
    const std::size_t n = x.rows();
    g.setZero(static_cast<Eigen::Index>(dim + 1));
    double f = 0.0;
    const double b = th[static_cast<Eigen::Index>(dim)];
    for (std::size_t r = 0; r < n; ++r) {
      double m = b;
      for (const auto& e : x.row(r)) m += th[e.index] * e.value / scale[e.index];
      const double yr = y[r] > 0.5f ? 1.0 : 0.0;
      f += yr > 0 ? softplusNeg(m) : softplusNeg(-m);
      const double d = logistic(m) - yr;
      for (const auto& e : x.row(r)) g[e.index] += d * e.value / scale[e.index];
      g[static_cast<Eigen::Index>(dim)] += d;
    }
    const double inv = 1.0 / static_cast<double>(n);
    f *= inv;
    g *= inv;
    const auto w = th.head(static_cast<Eigen::Index>(dim));
    f += 0.5 * l2 * w.squaredNorm();
    g.head(static_cast<Eigen::Index>(dim)) += l2 * w;
    return f;
  }
};
}  // namespace

void LinearScorer::train(const RowTrainSet& train, const RowTrainSet&, std::uint64_t, int,
                         TaskContext& ctx) {
  const SparseMatrix& x = *train.x;
  const std::size_t n = x.rows(), dim = x.cols;
  if (n == 0) throw ModelError("logistic regression: no training rows");
  std::vector<double> scale(dim, 0.0);
  for (const auto& e : x.entries)
    scale[e.index] = std::max(scale[e.index], std::abs(static_cast<double>(e.value)));
  for (auto& s : scale) s = s > 0 ? s : 1.0;
  const std::string solver = opt_.solver == "auto" ? (opt_.l1 > 0 ? "cd" : "lbfgs") : opt_.solver;
  if (solver == "lbfgs" && opt_.l1 > 0) {
    throw ModelError(
        "logistic regression: the lbfgs solver supports L2 only; use solver \"cd\" for l1 > 0");
  }
  Eigen::VectorXd th = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(dim + 1));
  // Start the bias at the base rate.
  double pos = 0;
  for (float v : train.label) pos += v > 0.5f ? 1 : 0;
  const double rate = std::clamp(pos / static_cast<double>(n), 1e-6, 1 - 1e-6);
  th[static_cast<Eigen::Index>(dim)] = std::log(rate / (1 - rate));
  iterations_ = 0;

  if (solver == "lbfgs") {
    Problem prob{x, train.label, scale, opt_.l2, dim};
    Eigen::VectorXd g, gNew, thNew;
    double f = prob.eval(th, g);
    std::deque<Eigen::VectorXd> S, Y;
    std::deque<double> rho;
    for (int it = 0; it < opt_.maxIter; ++it) {
      ctx.throwIfStopped();
      // Two-loop recursion: direction = -H g.
      Eigen::VectorXd q = g;
      std::vector<double> alpha(S.size());
      for (int k = static_cast<int>(S.size()) - 1; k >= 0; --k) {
        alpha[k] = rho[k] * S[k].dot(q);
        q -= alpha[k] * Y[k];
      }
      if (!S.empty()) q *= S.back().dot(Y.back()) / Y.back().squaredNorm();
      for (std::size_t k = 0; k < S.size(); ++k) {
        const double beta = rho[k] * Y[k].dot(q);
        q += S[k] * (alpha[k] - beta);
      }
      Eigen::VectorXd dir = -q;
      double slope = g.dot(dir);
      if (slope >= 0) {
        dir = -g;
        slope = -g.squaredNorm();
        S.clear();
        Y.clear();
        rho.clear();
      }
      double step = S.empty() ? std::min(1.0, 1.0 / std::max(1e-12, g.norm())) : 1.0;
      double fNew = f;
      bool ok = false;
      for (int ls = 0; ls < 40; ++ls) {
        thNew = th + step * dir;
        fNew = prob.eval(thNew, gNew);
        if (fNew <= f + 1e-4 * step * slope) {
          ok = true;
          break;
        }
        step *= 0.5;
      }
      ++iterations_;
      if (!ok) break;
      const Eigen::VectorXd s = thNew - th, yv = gNew - g;
      const double sy = s.dot(yv);
      if (sy > 1e-12) {
        S.push_back(s);
        Y.push_back(yv);
        rho.push_back(1.0 / sy);
        if (S.size() > 10) {
          S.pop_front();
          Y.pop_front();
          rho.pop_front();
        }
      }
      const double rel = (f - fNew) / std::max(1.0, std::abs(f));
      th = thNew;
      g = gNew;
      f = fNew;
      ctx.progress(static_cast<double>(it + 1) / opt_.maxIter, "L-BFGS");
      if (ctx.epochEnd(it, {{"loss", f}})) break;
      if (rel < opt_.tol || g.norm() < 1e-10) break;
    }
  } else {
    // Coordinate descent on the scaled problem. Column access through a CSC copy.
    std::vector<std::uint64_t> colPtr(dim + 1, 0);
    for (const auto& e : x.entries) ++colPtr[e.index + 1];
    for (std::size_t j = 0; j < dim; ++j) colPtr[j + 1] += colPtr[j];
    std::vector<std::uint32_t> rowIdx(x.entries.size());
    std::vector<double> val(x.entries.size());
    {
      std::vector<std::uint64_t> fill(colPtr.begin(), colPtr.end() - 1);
      for (std::size_t r = 0; r < n; ++r) {
        for (const auto& e : x.row(r)) {
          const auto k = fill[e.index]++;
          rowIdx[k] = static_cast<std::uint32_t>(r);
          val[k] = e.value / scale[e.index];
        }
      }
    }
    std::vector<double> m(n, th[static_cast<Eigen::Index>(dim)]), p(n);
    std::vector<double> y(n);
    for (std::size_t r = 0; r < n; ++r) y[r] = train.label[r] > 0.5f ? 1.0 : 0.0;
    const double invN = 1.0 / static_cast<double>(n);
    auto objective = [&]() {
      double f = 0.0;
      for (std::size_t r = 0; r < n; ++r) f += y[r] > 0 ? softplusNeg(m[r]) : softplusNeg(-m[r]);
      f *= invN;
      for (std::size_t j = 0; j < dim; ++j)
        f += 0.5 * opt_.l2 * th[j] * th[j] + opt_.l1 * std::abs(th[j]);
      return f;
    };
    double f = objective();
    for (int it = 0; it < opt_.maxIter; ++it) {
      ctx.throwIfStopped();
      for (std::size_t r = 0; r < n; ++r) p[r] = logistic(m[r]);
      // Bias: Newton step.
      {
        double g = 0, h = 0;
        for (std::size_t r = 0; r < n; ++r) {
          g += p[r] - y[r];
          h += p[r] * (1 - p[r]);
        }
        const double delta = -g / std::max(h, 1e-12);
        th[static_cast<Eigen::Index>(dim)] += delta;
        for (std::size_t r = 0; r < n; ++r) {
          m[r] += delta;
          p[r] = logistic(m[r]);
        }
      }
      for (std::size_t j = 0; j < dim; ++j) {
        double g = 0, h = 0;
        for (auto k = colPtr[j]; k < colPtr[j + 1]; ++k) {
          const double pr = p[rowIdx[k]];
          g += (pr - y[rowIdx[k]]) * val[k];
          h += pr * (1 - pr) * val[k] * val[k];
        }
        g *= invN;
        h = h * invN + opt_.l2;
        // Upper bound of the curvature (p(1-p) <= 1/4) keeps the step a descent step.
        double hb = 0;
        for (auto k = colPtr[j]; k < colPtr[j + 1]; ++k) hb += 0.25 * val[k] * val[k];
        hb = hb * invN + opt_.l2;
        h = std::max(h, 0.5 * hb);
        if (h <= 0) continue;
        const double wj = th[static_cast<Eigen::Index>(j)];
        const double z = wj * h - (g + 0.0);  // g already includes nothing of l2
        const double zz = z - opt_.l2 * wj;   // l2 gradient term
        double wNew = 0.0;
        if (zz > opt_.l1)
          wNew = (zz - opt_.l1) / h;
        else if (zz < -opt_.l1)
          wNew = (zz + opt_.l1) / h;
        const double delta = wNew - wj;
        if (delta == 0.0) continue;
        th[static_cast<Eigen::Index>(j)] = wNew;
        for (auto k = colPtr[j]; k < colPtr[j + 1]; ++k) {
          const auto r = rowIdx[k];
          m[r] += delta * val[k];
          p[r] = logistic(m[r]);
        }
      }
      ++iterations_;
      const double fNew = objective();
      const double rel = (f - fNew) / std::max(1.0, std::abs(f));
      f = fNew;
      ctx.progress(static_cast<double>(it + 1) / opt_.maxIter, "coordinate descent");
      if (ctx.epochEnd(it, {{"loss", f}})) break;
      if (std::abs(rel) < opt_.tol) break;
    }
  }
  ctx.throwIfStopped();  // a user stop ends the loop like convergence, but is a cancel
  w_.assign(dim, 0.0);
  for (std::size_t j = 0; j < dim; ++j) w_[j] = th[static_cast<Eigen::Index>(j)] / scale[j];
  b_ = th[static_cast<Eigen::Index>(dim)];
}

void LinearScorer::margins(const SparseMatrix& x, std::span<float> out) const {
  for (std::size_t r = 0; r < x.rows(); ++r) {
    double m = b_;
    for (const auto& e : x.row(r)) {
      if (e.index < w_.size()) m += w_[e.index] * e.value;
    }
    out[r] = static_cast<float>(m);
  }
}

double LinearScorer::contributions(std::span<const FeatureValue> row, std::size_t,
                                   std::vector<std::pair<std::uint32_t, double>>& out) const {
  for (const auto& e : row) {
    if (e.index < w_.size() && w_[e.index] != 0.0) out.emplace_back(e.index, w_[e.index] * e.value);
  }
  return b_;
}

void LinearScorer::save(BinaryWriter& out) const {
  out.putVector(w_);
  out.put(b_);
}

void LinearScorer::load(BinaryReader& in, std::size_t dim) {
  w_ = in.getVector<double>("weights");
  in.check(w_.size() <= dim, "logistic regression weights longer than the feature space");
  b_ = in.get<double>("bias");
  w_.resize(dim, 0.0);
}

ModelInfo LogisticRegression::info() {
  ModelInfo m;
  m.name = "logistic_regression";
  m.displayName = "Logistic regression";
  m.family = "content";
  m.description =
      "P(engage) from user, item, cross and behavioural features; L2/L1, L-BFGS or coordinate "
      "descent.";
  m.schema.params = paramList(
      featuresParam().describe(
          "Feature pipeline configuration (a JSON object, or its text, see docs/features.md); "
          "empty = automatic"),
      logisticL2Param("L2 penalty on the (scaled) weights"),
      floatParam("l1", 0.0).range(0, 100).describe("L1 penalty (needs solver cd or auto)"),
      choiceParam("solver", "auto", {"auto", "lbfgs", "cd"})
          .describe("Optimiser: L-BFGS (L2) or coordinate descent (L1 + L2); auto picks by l1"),
      intParam("max_iter", 200).range(1, 100000).describe("Maximum iterations / sweeps"),
      floatParam("tol", 1e-7).range(0, 1).describe("Relative objective decrease to stop"));
  return m;
}

std::unique_ptr<RowScorer> LogisticRegression::makeScorer() const {
  LinearOptions o;
  o.l2 = paramDouble("l2");
  o.l1 = paramDouble("l1");
  o.solver = paramString("solver");
  o.maxIter = static_cast<int>(paramInt("max_iter"));
  o.tol = paramDouble("tol");
  return std::make_unique<LinearScorer>(o);
}

}  // namespace rwb
