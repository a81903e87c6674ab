#include "core/models/ials.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <string>

#include "core/util/error.h"

namespace rwb {

namespace {

using Vec = Eigen::VectorXf;
using MapVec = Eigen::Map<Vec>;
using ConstMapVec = Eigen::Map<const Vec>;

// Y^T Y summed over a fixed number of row chunks in a fixed order, so that the result does not
// depend on the thread count.
Eigen::MatrixXf gram(const FactorMatrix& y) {
  constexpr Eigen::Index kChunks = 8;
  const Eigen::Index f = y.cols();
  std::vector<Eigen::MatrixXf> parts(kChunks, Eigen::MatrixXf::Zero(f, f));
  const Eigen::Index rows = y.rows();
  tbb::parallel_for(Eigen::Index{0}, kChunks, [&](Eigen::Index c) {
    const Eigen::Index b = rows * c / kChunks, e = rows * (c + 1) / kChunks;
    if (e > b) parts[c].noalias() = y.middleRows(b, e - b).transpose() * y.middleRows(b, e - b);
  });
  Eigen::MatrixXf g = parts[0];
  for (Eigen::Index c = 1; c < kChunks; ++c) g += parts[c];
  return g;
}

struct SolveOptions {
  bool cholesky = false;
  int cgSteps = 3;
};

// Solves every row of x against y: (YtY + l I + Y^T (C - I) Y) x = Y^T C p.
// yty = gram(y), computed once by the caller and shared with the loss.
void solveSide(FactorMatrix& x, const FactorMatrix& y, const Eigen::MatrixXf& yty, const Csr& c,
               const std::vector<float>& reg, const SolveOptions& opt, TaskContext& ctx) {
  const Eigen::Index f = y.cols();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, c.rows, 16),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      if (ctx.stopRequested()) return;
                      Vec res(f), p(f), ap(f), b(f);
                      Eigen::MatrixXf a, g;
                      for (std::size_t u = r.begin(); u != r.end(); ++u) {
                        MapVec xu(x.row(static_cast<Eigen::Index>(u)).data(), f);
                        const auto idx = c.rowIndices(u);
                        const auto val = c.rowValues(u);
                        const float lu = reg[u];
                        if (opt.cholesky) {
                          a = yty;
                          a.diagonal().array() += lu;
                          b.setZero();
                          g.resize(static_cast<Eigen::Index>(idx.size()), f);
                          for (std::size_t k = 0; k < idx.size(); ++k) {
                            const ConstMapVec yi(y.row(idx[k]).data(), f);
                            g.row(static_cast<Eigen::Index>(k)) =
                                std::sqrt(val[k] - 1.0f) * yi.transpose();
                            b += val[k] * yi;
                          }
                          if (!idx.empty())
                            a.selfadjointView<Eigen::Lower>().rankUpdate(g.transpose());
                          Eigen::LLT<Eigen::MatrixXf> llt(a);
                          if (llt.info() == Eigen::Success) {
                            xu = llt.solve(b);
                          } else {
                            xu = a.selfadjointView<Eigen::Lower>().ldlt().solve(b);
                          }
                          continue;
                        }
                        // Conjugate gradient warm-started at the current x_u (Takacs et al. 2011).
                        res.noalias() = -(yty * xu);
                        res -= lu * xu;
                        for (std::size_t k = 0; k < idx.size(); ++k) {
                          const ConstMapVec yi(y.row(idx[k]).data(), f);
                          res += (val[k] - (val[k] - 1.0f) * yi.dot(xu)) * yi;
                        }
                        p = res;
                        float rsold = res.squaredNorm();
                        if (rsold < 1e-20f) continue;
                        for (int step = 0; step < opt.cgSteps; ++step) {
                          ap.noalias() = yty * p;
                          ap += lu * p;
                          for (std::size_t k = 0; k < idx.size(); ++k) {
                            const ConstMapVec yi(y.row(idx[k]).data(), f);
                            ap += ((val[k] - 1.0f) * yi.dot(p)) * yi;
                          }
                          const float alpha = rsold / p.dot(ap);
                          xu += alpha * p;
                          res -= alpha * ap;
                          const float rsnew = res.squaredNorm();
                          if (rsnew < 1e-20f) break;
                          p = res + (rsnew / rsold) * p;
                          rsold = rsnew;
                        }
                      }
                    });
  ctx.throwIfStopped();
}

// The iALS objective, normalised as the `implicit` library does.
double objective(const FactorMatrix& x, const FactorMatrix& y, const Eigen::MatrixXf& yty,
                 const Csr& c, const std::vector<float>& regU, const std::vector<float>& regI,
                 TaskContext& ctx) {
  const Eigen::Index f = y.cols();
  std::vector<double> part(c.rows, 0.0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, c.rows, 64),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      if (ctx.stopRequested()) return;
                      for (std::size_t u = r.begin(); u != r.end(); ++u) {
                        const ConstMapVec xu(x.row(static_cast<Eigen::Index>(u)).data(), f);
                        double l = xu.dot(yty * xu) + regU[u] * xu.squaredNorm();
                        const auto idx = c.rowIndices(u);
                        const auto val = c.rowValues(u);
                        for (std::size_t k = 0; k < idx.size(); ++k) {
                          const double s = xu.dot(ConstMapVec(y.row(idx[k]).data(), f));
                          l += val[k] * (1.0 - s) * (1.0 - s) - s * s;
                        }
                        part[u] = l;
                      }
                    });
  ctx.throwIfStopped();
  double total = 0.0, conf = 0.0;
  for (double v : part) total += v;
  for (Eigen::Index i = 0; i < y.rows(); ++i) total += regI[i] * y.row(i).squaredNorm();
  for (float v : c.values) conf += v;
  const double pairs = static_cast<double>(c.rows) * static_cast<double>(c.cols);
  return total / (conf + pairs - static_cast<double>(c.nnz()));
}

std::vector<float> regularisation(const Csr& m, double lambda, double exponent) {
  std::vector<float> reg(m.rows);
  for (std::size_t r = 0; r < m.rows; ++r) {
    const double n = std::max<double>(1.0, static_cast<double>(m.rowSize(r)));
    reg[r] = static_cast<float>(exponent == 0.0 ? lambda : lambda * std::pow(n, exponent));
  }
  return reg;
}

}  // namespace

ModelInfo Ials::info() {
  ModelInfo m;
  m.name = "ials";
  m.displayName = "iALS";
  m.family = "collaborative";
  m.description =
      "Implicit alternating least squares with confidence weights (conjugate gradient or "
      "Cholesky).";
  m.schema.params = {
      {"factors", ParamType::kInt, 64, 1.0, 1024.0, true, {}, "Number of latent factors"},
      {"iterations",
       ParamType::kInt,
       15,
       1.0,
       1000.0,
       false,
       {},
       "Alternating epochs (users then items)"},
      {"regularization",
       ParamType::kFloat,
       30.0,
       0.0,
       1e6,
       true,
       {},
       "L2 penalty lambda on the factors"},
      {"reg_exponent",
       ParamType::kFloat,
       0.0,
       0.0,
       2.0,
       false,
       {},
       "Frequency-scaled regularisation: lambda * n^exponent per row (0 = off, 1 = ALS-WR)"},
      {"alpha",
       ParamType::kFloat,
       3.0,
       0.0,
       1e6,
       true,
       {},
       "Confidence slope: c = 1 + alpha * t(value)"},
      {"value_transform",
       ParamType::kChoice,
       "binary",
       {},
       {},
       false,
       {"binary", "raw", "log"},
       "t(value): 1 for every interaction, the value, or log(1 + value)"},
      {"solver",
       ParamType::kChoice,
       "cg",
       {},
       {},
       false,
       {"cg", "cholesky"},
       "Conjugate gradient (fast, approximate) or exact Cholesky"},
      {"cg_steps",
       ParamType::kInt,
       3,
       1.0,
       64.0,
       false,
       {},
       "Conjugate-gradient steps per row and half-epoch"},
      {"init_scale",
       ParamType::kFloat,
       0.01,
       1e-6,
       1.0,
       true,
       {},
       "Standard deviation of the random initial factors"},
      {"patience",
       ParamType::kInt,
       0,
       0.0,
       1000.0,
       false,
       {},
       "Early stopping: epochs without validation nDCG gain before stopping (0 = off)"},
      {"validation_k",
       ParamType::kInt,
       10,
       1.0,
       1000.0,
       false,
       {},
       "k of the validation nDCG reported each epoch"},
  };
  return m;
}

void Ials::fitModel(const TrainingData& data, TaskContext& ctx) {
  const auto f = static_cast<Eigen::Index>(paramInt("factors"));
  const int iterations = static_cast<int>(paramInt("iterations"));
  const double lambda = paramDouble("regularization");
  const double exponent = paramDouble("reg_exponent");
  const double alpha = paramDouble("alpha");
  const std::string transform = paramString("value_transform");
  SolveOptions opt;
  opt.cholesky = paramString("solver") == "cholesky";
  opt.cgSteps = static_cast<int>(paramInt("cg_steps"));
  const int patience = static_cast<int>(paramInt("patience"));
  const auto validK = static_cast<std::size_t>(paramInt("validation_k"));

  Csr cu = data.train.userItemMatrix(transform == "binary");
  for (std::size_t k = 0; k < cu.values.size(); ++k) {
    double t = cu.values[k];
    if (transform == "log") t = std::log1p(t);
    if (!(t >= 0.0) || !std::isfinite(t)) {
      throw ModelError("ials: interaction values must be finite and non-negative for the '" +
                       transform + "' value transform (found " + std::to_string(cu.values[k]) +
                       "); use value_transform = binary or clean the data");
    }
    cu.values[k] = static_cast<float>(1.0 + alpha * t);
  }
  const Csr ci = cu.transposed();
  const auto regU = regularisation(cu, lambda, exponent);
  const auto regI = regularisation(ci, lambda, exponent);

  try {
    factor::runInArena(data.threads, [&] {
      FactorMatrix x(static_cast<Eigen::Index>(numUsers()), f);
      FactorMatrix y(static_cast<Eigen::Index>(numItems()), f);
      const double scale = paramDouble("init_scale");
      factor::randomNormal(x, scale, factor::mixSeed(data.seed, 1));
      factor::randomNormal(y, scale, factor::mixSeed(data.seed, 2));
      Eigen::MatrixXf gy = gram(y);
      FactorMatrix bestX, bestY;
      double bestNdcg = -1.0;
      int sinceBest = 0;
      for (int epoch = 1; epoch <= iterations; ++epoch) {
        solveSide(x, y, gy, cu, regU, opt, ctx);
        solveSide(y, x, gram(x), ci, regI, opt, ctx);
        gy = gram(y);
        EpochMetrics metrics{{"loss", objective(x, y, gy, cu, regU, regI, ctx)}};
        bool stop = false;
        if (data.validation != nullptr) {
          setFactors(x, y);
          const double ndcg = validationNdcg(*data.validation, validK);
          metrics.emplace_back("valid_ndcg@" + std::to_string(validK), ndcg);
          if (ndcg > bestNdcg) {
            bestNdcg = ndcg;
            sinceBest = 0;
            if (patience > 0) {
              bestX = x;
              bestY = y;
            }
          } else if (patience > 0 && ++sinceBest >= patience) {
            stop = true;
          }
        }
        ctx.progress(static_cast<double>(epoch) / iterations, "epoch " + std::to_string(epoch));
        if (ctx.epochEnd(epoch, metrics)) {
          ctx.throwIfStopped();
          stop = true;
        }
        if (stop) break;
      }
      if (bestX.size() > 0) {
        setFactors(bestX, bestY);
      } else {
        setFactors(x, y);
      }
    });
  } catch (...) {
    clearFactors();
    throw;
  }
}

}  // namespace rwb
