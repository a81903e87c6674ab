#include "core/models/ials.h"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include "core/models/early_stopping.h"
#include "core/models/factor_kernels.h"
#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

namespace {

using Vec = Eigen::VectorXf;
using MapVec = Eigen::Map<Vec>;
using ConstMapVec = Eigen::Map<const Vec>;

// Y^T Y summed over a fixed number of row chunks in a fixed order, so that the result does not
// depend on the thread count. Each chunk is a symmetric rank update (the lower triangle only: half
// the multiplications of a general product); the upper triangle is mirrored at the end.
Eigen::MatrixXf gram(const FactorMatrix& y) {
  constexpr Eigen::Index kChunks = 8;
  const Eigen::Index f = y.cols();
  std::vector<Eigen::MatrixXf> parts(kChunks, Eigen::MatrixXf::Zero(f, f));
  const Eigen::Index rows = y.rows();
  tbb::parallel_for(Eigen::Index{0}, kChunks, [&](Eigen::Index c) {
    const Eigen::Index b = rows * c / kChunks, e = rows * (c + 1) / kChunks;
    if (e > b)
      parts[c].selfadjointView<Eigen::Lower>().rankUpdate(y.middleRows(b, e - b).transpose());
  });
  Eigen::MatrixXf g = parts[0];
  for (Eigen::Index c = 1; c < kChunks; ++c) g += parts[c];
  return g.selfadjointView<Eigen::Lower>();
}

// Exact half-step: solves every row of x against y with a Cholesky factorisation of
// (YtY + l I + Y^T (C - I) Y) x = Y^T C p. yty = gram(y), computed once by the caller.
void choleskySide(FactorMatrix& x, const FactorMatrix& y, const Eigen::MatrixXf& yty, const Csr& c,
                  const std::vector<float>& reg, TaskContext& ctx) {
  const Eigen::Index f = y.cols();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, c.rows, 16),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      if (ctx.stopRequested()) return;
                      Vec b(f);
                      Eigen::MatrixXf a, g;
                      for (std::size_t u = r.begin(); u != r.end(); ++u) {
                        MapVec xu(x.row(static_cast<Eigen::Index>(u)).data(), f);
                        const auto idx = c.rowIndices(u);
                        const auto val = c.rowValues(u);
                        a = yty;
                        a.diagonal().array() += reg[u];
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
                      }
                    });
  ctx.throwIfStopped();
}

// ---- conjugate-gradient half-step (dispatched SIMD kernel) ----

// One half-step's problem: solve every row r of x (stride f) against the other side y.
struct CgSide {
  float* x = nullptr;           // rows being solved, row-major, stride f
  const float* y = nullptr;     // the other side's rows, stride f
  int f = 0;                    // factors
  int nv = 0;                   // 16-float chunks per padded row (fp = 16 nv >= f)
  const float* gram = nullptr;  // padded fp x fp Gram matrix of y (zero outside f x f)
  const Csr* c = nullptr;       // confidences c_ri of the observed pairs of each row
  const float* reg = nullptr;   // lambda_r
  int cgSteps = 3;
  bool loss = false;  // also return the rows' share of the objective
};

// out = G v for the symmetric padded Gram matrix (as a sum of its rows weighted by v: no
// horizontal reductions; every lane sums over c = 0..f-1 in order).
template <class P, int NV>
[[gnu::always_inline]] inline void gramTimes(const CgSide& s, const float* v, float* out) {
  constexpr int kMax = NV > 0 ? NV : 64;
  const int n = NV > 0 ? NV : s.nv;
  const int fp = n * 16;
  P acc[kMax];
  for (int q = 0; q < n; ++q) acc[q] = factor::simd::zeroP<P>();
  for (int c = 0; c < s.f; ++c) {
    const float w = v[c];
    const float* row = s.gram + static_cast<std::size_t>(c) * fp;
    for (int q = 0; q < n; ++q) acc[q] += w * factor::simd::loadP<P>(row + q * 16);
  }
  for (int q = 0; q < n; ++q) factor::simd::storeP(out + q * 16, acc[q]);
}

// A two-source permute of 16-float vectors with constant lane indices (0-15: a, 16-31: b).
// GCC spells it __builtin_shuffle with a mask vector, clang __builtin_shufflevector with the
// indices as arguments (the fuzz and TSan builds use clang).
#if defined(__clang__)
#define RWB_SHUFFLE16(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
typedef int RwbShuffleMask16 __attribute__((vector_size(64)));
#define RWB_SHUFFLE16(a, b, ...) __builtin_shuffle(a, b, RwbShuffleMask16{__VA_ARGS__})
#endif
#define RWB_LO8 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define RWB_HI8 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define RWB_LO4 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27
#define RWB_HI4 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31
#define RWB_E01 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29
#define RWB_E23 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31
#define RWB_EVEN 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define RWB_ODD 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31

// hsum() of 16 vectors at once: lane j of the result is hsum(v[j]), bit for bit. The same tree
// (lanes i + i+8, then + i+4, then (0 + 2) + (1 + 3)) on pairs of vectors shuffled together: 30
// two-source permutes and 15 adds for 16 sums instead of 16 separate reductions.
[[gnu::always_inline]] inline factor::simd::V16 hsum16(const factor::simd::V16* v) {
  using V = factor::simd::V16;
  // Level 1: [a.lo8 + a.hi8, b.lo8 + b.hi8] for the pairs (0, 1), (2, 3), ...
  V t[8];
  for (int i = 0; i < 8; ++i)
    t[i] = RWB_SHUFFLE16(v[2 * i], v[2 * i + 1], RWB_LO8) +
           RWB_SHUFFLE16(v[2 * i], v[2 * i + 1], RWB_HI8);
  // Level 2: each row's 8 sums to 4 (s8[0..3] + s8[4..7]); four rows per vector, in order.
  V u[4];
  for (int i = 0; i < 4; ++i)
    u[i] = RWB_SHUFFLE16(t[2 * i], t[2 * i + 1], RWB_LO4) +
           RWB_SHUFFLE16(t[2 * i], t[2 * i + 1], RWB_HI4);
  // Level 3: (s4[0] + s4[2], s4[1] + s4[3]) per row; eight rows per vector.
  V w[2];
  for (int i = 0; i < 2; ++i)
    w[i] = RWB_SHUFFLE16(u[2 * i], u[2 * i + 1], RWB_E01) +
           RWB_SHUFFLE16(u[2 * i], u[2 * i + 1], RWB_E23);
  // Level 4: (s4[0] + s4[2]) + (s4[1] + s4[3]); lane j is row j.
  return RWB_SHUFFLE16(w[0], w[1], RWB_EVEN) + RWB_SHUFFLE16(w[0], w[1], RWB_ODD);
}
#undef RWB_SHUFFLE16
#undef RWB_LO8
#undef RWB_HI8
#undef RWB_LO4
#undef RWB_HI4
#undef RWB_E01
#undef RWB_E23
#undef RWB_EVEN
#undef RWB_ODD

// out += sum_k coef(k, y_k . v) y_k over the n gathered rows y_k (stride fp), k in order. With a
// fixed width the running sum stays in registers across k (through memory, every row's update
// waited for the previous row's store); the operations and their order are those of axpy(), so
// the result is the same bits.
template <class P, int NV, class Coef>
[[gnu::always_inline]] inline void accumulateRows(const float* g, std::size_t n, std::size_t fp,
                                                  int nv, const float* v, float* out, Coef coef) {
  if constexpr (NV > 0) {
    P acc[NV];
    for (int q = 0; q < NV; ++q) acc[q] = factor::simd::loadP<P>(out + q * 16);
    std::size_t k = 0;
    if constexpr (std::is_same_v<P, factor::simd::V16>) {
      // AVX-512: the dot products of 16 rows at a time, their horizontal sums taken together by
      // hsum16() (the same additions as hsum() row by row), then the 16 updates. Row by row, every
      // update waited for its own dot product's reduction; this way the rows' products overlap.
      P vv[NV];
      for (int q = 0; q < NV; ++q) vv[q] = factor::simd::loadP<P>(v + q * 16);
      alignas(64) float d[16];
      for (; k + 16 <= n; k += 16) {
        P prod[16];
        for (int j = 0; j < 16; ++j) {
          const float* yk = g + (k + j) * fp;
          prod[j] = factor::simd::loadP<P>(yk) * vv[0];
          for (int q = 1; q < NV; ++q) prod[j] += factor::simd::loadP<P>(yk + q * 16) * vv[q];
        }
        factor::simd::storeP(d, hsum16(prod));
        for (int j = 0; j < 16; ++j) {
          const float* yk = g + (k + j) * fp;
          const float sk = coef(k + j, d[j]);
          for (int q = 0; q < NV; ++q) acc[q] += sk * factor::simd::loadP<P>(yk + q * 16);
        }
      }
    }
    for (; k < n; ++k) {
      const float* yk = g + k * fp;
      const float s = coef(k, factor::simd::dot<P, NV>(yk, v, NV));
      for (int q = 0; q < NV; ++q) acc[q] += s * factor::simd::loadP<P>(yk + q * 16);
    }
    for (int q = 0; q < NV; ++q) factor::simd::storeP(out + q * 16, acc[q]);
  } else {
    for (std::size_t k = 0; k < n; ++k) {
      const float* yk = g + k * fp;
      factor::simd::axpy<P, NV>(coef(k, factor::simd::dot<P, NV>(yk, v, nv)), yk, out, nv);
    }
  }
}

// Solves rows [begin, end) by warm-started CG on (YtY + l I + Y^T (C - I) Y) x = Y^T C p
// (Takacs et al. 2011, as the `implicit` library does). The row's other-side vectors are
// gathered into a contiguous, zero-padded buffer so that the 1 + cg_steps passes over them hit
// L1/L2 instead of scattered rows; at a fixed width the gather is the residual pass itself. Returns
// the rows' share of the objective when s.loss: x^T G x + l |x|^2 + sum_obs (c (1 - s)^2 - s^2),
// with G = gram of the other side and s_k = y_k . x. The s_k are not recomputed by a pass over the
// rows: the residual pass yields y_k . x0 and every CG step y_k . p, so s_k += alpha (y_k . p)
// follows x += alpha p (the same sum up to float rounding).
template <class P, int NV>
[[gnu::always_inline]] inline double cgRowsImpl(const CgSide& s, std::size_t begin, std::size_t end,
                                                std::vector<float>& ws) {
  const int nv = NV > 0 ? NV : s.nv;
  const std::size_t fp = static_cast<std::size_t>(nv) * 16;
  const std::size_t f = static_cast<std::size_t>(s.f);
  double lossSum = 0.0;
  for (std::size_t r = begin; r < end; ++r) {
    const auto idx = s.c->rowIndices(r);
    const auto val = s.c->rowValues(r);
    const std::size_t n = idx.size();
    // With the loss, two more columns of n floats: y_k . x, kept up to date through the CG steps
    // (the loss then needs no further pass over the rows), and y_k . p of the current step.
    const std::size_t need = (5 + n) * fp + (s.loss ? 2 * n : 0);
    if (ws.size() < need) ws.resize(need);
    float* xv = ws.data();
    float* res = xv + fp;
    float* p = res + fp;
    float* ap = p + fp;
    float* tmp = ap + fp;
    float* g = tmp + fp;
    float* const dx = s.loss ? g + n * fp : nullptr;
    float* const dp = s.loss ? dx + n : nullptr;
    float* xr = s.x + r * f;
    std::memcpy(xv, xr, f * sizeof(float));
    if (fp > f) std::memset(xv + f, 0, (fp - f) * sizeof(float));
    const float l = s.reg[r];

    // res = b - A x = -(G + l I) x + sum_k (c_k - (c_k - 1) y_k.x) y_k
    gramTimes<P, NV>(s, xv, tmp);
    for (std::size_t q = 0; q < fp; ++q) res[q] = -tmp[q] - l * xv[q];
    if constexpr (NV > 0) {
      if (f == fp) {
        // Whole 16-float chunks: the gather and the residual share one pass (each row is used
        // from registers as it is copied), with the rows a few steps ahead prefetched.
        constexpr int kAhead = 8;
        P acc[NV];
        for (int q = 0; q < NV; ++q) acc[q] = factor::simd::loadP<P>(res + q * 16);
        for (std::size_t k = 0; k < n; ++k) {
          if (k + kAhead < n) {
            const char* next =
                reinterpret_cast<const char*>(s.y + static_cast<std::size_t>(idx[k + kAhead]) * f);
            for (std::size_t b = 0; b < f * sizeof(float); b += 64) __builtin_prefetch(next + b);
          }
          const float* src = s.y + static_cast<std::size_t>(idx[k]) * f;
          P row[NV];
          for (int q = 0; q < NV; ++q) {
            row[q] = factor::simd::loadP<P>(src + q * 16);
            factor::simd::storeP(g + k * fp + q * 16, row[q]);
          }
          // dot() and axpy() of the unfused path, operation for operation.
          P prod = row[0] * factor::simd::loadP<P>(xv);
          for (int q = 1; q < NV; ++q) prod += row[q] * factor::simd::loadP<P>(xv + q * 16);
          const float d = factor::simd::hsum(prod);
          if (dx != nullptr) dx[k] = d;
          const float w = val[k] - (val[k] - 1.0f) * d;
          for (int q = 0; q < NV; ++q) acc[q] += w * row[q];
        }
        for (int q = 0; q < NV; ++q) factor::simd::storeP(res + q * 16, acc[q]);
      }
    }
    if (NV == 0 || f != fp) {
      for (std::size_t k = 0; k < n; ++k) {
        float* dst = g + k * fp;
        std::memcpy(dst, s.y + static_cast<std::size_t>(idx[k]) * f, f * sizeof(float));
        if (fp > f) std::memset(dst + f, 0, (fp - f) * sizeof(float));
      }
      accumulateRows<P, NV>(g, n, fp, nv, xv, res, [&](std::size_t k, float d) {
        if (dx != nullptr) dx[k] = d;
        return val[k] - (val[k] - 1.0f) * d;
      });
    }
    std::memcpy(p, res, fp * sizeof(float));
    float rsold = factor::simd::dot<P, NV>(res, res, nv);
    if (rsold >= 1e-20f) {
      for (int step = 0; step < s.cgSteps; ++step) {
        gramTimes<P, NV>(s, p, ap);
        factor::simd::axpy<P, NV>(l, p, ap, nv);
        accumulateRows<P, NV>(g, n, fp, nv, p, ap, [&](std::size_t k, float d) {
          if (dp != nullptr) dp[k] = d;
          return (val[k] - 1.0f) * d;
        });
        const float alpha = rsold / factor::simd::dot<P, NV>(p, ap, nv);
        if (dx != nullptr) {
          for (std::size_t k = 0; k < n; ++k) dx[k] += alpha * dp[k];
        }
        factor::simd::axpy<P, NV>(alpha, p, xv, nv);
        factor::simd::axpy<P, NV>(-alpha, ap, res, nv);
        const float rsnew = factor::simd::dot<P, NV>(res, res, nv);
        if (rsnew < 1e-20f) break;
        const float beta = rsnew / rsold;
        for (std::size_t q = 0; q < fp; ++q) p[q] = res[q] + beta * p[q];
        rsold = rsnew;
      }
    }
    std::memcpy(xr, xv, f * sizeof(float));
    if (s.loss) {
      gramTimes<P, NV>(s, xv, tmp);
      double lr =
          static_cast<double>(factor::simd::dot<P, NV>(xv, tmp, nv)) +
          static_cast<double>(l) * static_cast<double>(factor::simd::dot<P, NV>(xv, xv, nv));
      for (std::size_t k = 0; k < n; ++k) {
        const double sk = dx[k];
        lr += val[k] * (1.0 - sk) * (1.0 - sk) - sk * sk;
      }
      lossSum += lr;
    }
  }
  return lossSum;
}

template <int NV>
RWB_NO_FP_CONTRACT double cgRowsBase(const CgSide& s, std::size_t b, std::size_t e,
                                     std::vector<float>& ws) {
  return cgRowsImpl<factor::simd::P4, NV>(s, b, e, ws);
}
#if RWB_HAVE_SIMD_DISPATCH
template <int NV>
RWB_TARGET_AVX2 double cgRowsAvx2(const CgSide& s, std::size_t b, std::size_t e,
                                  std::vector<float>& ws) {
  return cgRowsImpl<factor::simd::P8, NV>(s, b, e, ws);
}
template <int NV>
RWB_TARGET_AVX512 double cgRowsAvx512(const CgSide& s, std::size_t b, std::size_t e,
                                      std::vector<float>& ws) {
  return cgRowsImpl<factor::simd::V16, NV>(s, b, e, ws);
}
#endif

template <int NV>
double cgRowsAt(factor::SimdLevel level, const CgSide& s, std::size_t b, std::size_t e,
                std::vector<float>& ws) {
#if RWB_HAVE_SIMD_DISPATCH
  if (level == factor::SimdLevel::kAvx512) return cgRowsAvx512<NV>(s, b, e, ws);
  if (level == factor::SimdLevel::kAvx2) return cgRowsAvx2<NV>(s, b, e, ws);
#endif
  (void)level;
  return cgRowsBase<NV>(s, b, e, ws);
}

double cgRows(factor::SimdLevel level, const CgSide& s, std::size_t b, std::size_t e,
              std::vector<float>& ws) {
  switch (s.nv) {  // register-resident accumulators for the common widths
    case 1:
      return cgRowsAt<1>(level, s, b, e, ws);
    case 2:
      return cgRowsAt<2>(level, s, b, e, ws);
    case 4:
      return cgRowsAt<4>(level, s, b, e, ws);
    case 8:
      return cgRowsAt<8>(level, s, b, e, ws);
    default:
      return cgRowsAt<0>(level, s, b, e, ws);
  }
}

// Row ranges of roughly equal work (gram products ~ 6 f, each observed pair ~ 10 f), so the
// parallel loop balances Zipf-skewed rows; a fixed split, independent of the thread count.
std::vector<std::size_t> costChunks(const Csr& c, std::size_t f) {
  constexpr std::size_t kChunks = 512;
  std::vector<std::size_t> bounds{0};
  double total = 0.0;
  for (std::size_t r = 0; r < c.rows; ++r) total += 6.0 * f + 10.0 * c.rowSize(r);
  const double target = total / kChunks;
  double acc = 0.0;
  for (std::size_t r = 0; r < c.rows; ++r) {
    acc += 6.0 * f + 10.0 * c.rowSize(r);
    if (acc >= target && r + 1 < c.rows) {
      bounds.push_back(r + 1);
      acc = 0.0;
    }
  }
  bounds.push_back(c.rows);
  return bounds;
}

// Padded row-major copy of a symmetric f x f Gram matrix.
std::vector<float> paddedGram(const Eigen::MatrixXf& g, int nv) {
  const std::size_t fp = static_cast<std::size_t>(nv) * 16;
  std::vector<float> out(fp * fp, 0.0f);
  for (Eigen::Index r = 0; r < g.rows(); ++r)
    for (Eigen::Index c = 0; c < g.cols(); ++c) out[r * fp + c] = g(r, c);
  return out;
}

using Workspaces = tbb::enumerable_thread_specific<std::vector<float>>;

// Solves every row of x against y by CG; returns the sum of the rows' objective shares when
// `loss` (0 otherwise). Deterministic for any thread count: rows are independent and the loss
// is summed over the fixed chunks in order.
double cgSide(FactorMatrix& x, const FactorMatrix& y, const Eigen::MatrixXf& yty, const Csr& c,
              const std::vector<float>& reg, const std::vector<std::size_t>& chunks, int cgSteps,
              bool loss, Workspaces& workspaces, TaskContext& ctx) {
  CgSide s;
  s.x = x.data();
  s.y = y.data();
  s.f = static_cast<int>(y.cols());
  s.nv = (s.f + 15) / 16;
  const std::vector<float> g = paddedGram(yty, s.nv);
  s.gram = g.data();
  s.c = &c;
  s.reg = reg.data();
  s.cgSteps = cgSteps;
  s.loss = loss;
  const factor::SimdLevel level = factor::simdLevel();
  const std::size_t nChunks = chunks.size() - 1;
  std::vector<double> part(nChunks, 0.0);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, nChunks, 1),
      [&](const tbb::blocked_range<std::size_t>& range) {
        auto& ws = workspaces.local();
        for (std::size_t q = range.begin(); q != range.end(); ++q) {
          if (ctx.stopRequested()) return;
          part[q] = cgRows(level, s, chunks[q], chunks[q + 1], ws);
        }
      },
      tbb::simple_partitioner());
  ctx.throwIfStopped();
  double total = 0.0;
  for (double v : part) total += v;
  return total;
}

// The normaliser of the reported loss, as the `implicit` library uses it:
// sum of c over observed pairs + number of unobserved pairs.
double lossScale(const Csr& c) {
  double conf = 0.0;
  for (float v : c.values) conf += v;
  const double pairs = static_cast<double>(c.rows) * static_cast<double>(c.cols);
  return conf + pairs - static_cast<double>(c.nnz());
}

// The iALS objective, normalised as the `implicit` library does (used after exact solves; the
// CG path gets the same sum from its last half-step).
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
  double total = 0.0;
  for (double v : part) total += v;
  for (Eigen::Index i = 0; i < y.rows(); ++i) total += regI[i] * y.row(i).squaredNorm();
  return total / lossScale(c);
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
  m.schema.params = paramList(
      factorsParam(64),
      intParam("iterations", 15).range(1, 1000).describe("Alternating epochs (users then items)"),
      floatParam("regularization", 30.0)
          .range(0, 1e6)
          .logScale()
          .searchLogRange(1e-3, 1e3)
          .describe("L2 penalty lambda on the factors"),
      floatParam("reg_exponent", 0.0)
          .range(0, 2)
          .searchRange(0, 1)
          .describe(
              "Frequency-scaled regularisation: lambda * n^exponent per row (0 = off, 1 = ALS-WR)"),
      floatParam("alpha", 3.0)
          .range(0, 1e6)
          .logScale()
          .searchLogRange(0.1, 100)
          .describe("Confidence slope: c = 1 + alpha * t(value)"),
      choiceParam("value_transform", "binary", {"binary", "raw", "log"})
          .searched()
          .describe("t(value): 1 for every interaction, the value, or log(1 + value)"),
      choiceParam("solver", "cg", {"cg", "cholesky"})
          .describe("Conjugate gradient (fast, approximate) or exact Cholesky"),
      intParam("cg_steps", 3)
          .range(1, 64)
          .describe("Conjugate-gradient steps per row and half-epoch"),
      initScaleParam(0.01), ndcgEarlyStoppingParams());
  return m;
}

void Ials::fitModel(const TrainingData& data, TaskContext& ctx) {
  const auto f = static_cast<Eigen::Index>(paramInt("factors"));
  const int iterations = static_cast<int>(paramInt("iterations"));
  const double lambda = paramDouble("regularization");
  const double exponent = paramDouble("reg_exponent");
  const double alpha = paramDouble("alpha");
  const std::string transform = paramString("value_transform");
  const bool cholesky = paramString("solver") == "cholesky";
  const int cgSteps = static_cast<int>(paramInt("cg_steps"));
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
  const auto chunksU = costChunks(cu, static_cast<std::size_t>(f));
  const auto chunksI = costChunks(ci, static_cast<std::size_t>(f));
  const double scaleLoss = lossScale(cu);

  try {
    factor::runInArena(data.threads, [&] {
      FactorMatrix x(static_cast<Eigen::Index>(numUsers()), f);
      FactorMatrix y(static_cast<Eigen::Index>(numItems()), f);
      const double scale = paramDouble("init_scale");
      factor::randomNormal(x, scale, deriveSeed(data.seed, 1));
      factor::randomNormal(y, scale, deriveSeed(data.seed, 2));
      Eigen::MatrixXf gy = gram(y);
      Workspaces workspaces;
      FactorMatrix bestX, bestY;
      EarlyStopping early(patience);
      // The set-up (matrices, chunks, initial factors) is done: benchmarks time it apart.
      ctx.progress(0.0, "iterating");
      for (int epoch = 1; epoch <= iterations; ++epoch) {
        double loss = 0.0;
        if (cholesky) {
          choleskySide(x, y, gy, cu, regU, ctx);
          choleskySide(y, x, gram(x), ci, regI, ctx);
          gy = gram(y);
          loss = objective(x, y, gy, cu, regU, regI, ctx);
        } else {
          cgSide(x, y, gy, cu, regU, chunksU, cgSteps, false, workspaces, ctx);
          // The item half-step also sums the objective over item rows (with XtX), which equals
          // the per-user sum: sum_i y_i^T XtX y_i = sum_u x_u^T YtY x_u.
          double total = cgSide(y, x, gram(x), ci, regI, chunksI, cgSteps, true, workspaces, ctx);
          for (Eigen::Index u = 0; u < x.rows(); ++u)
            total += static_cast<double>(regU[u]) * x.row(u).squaredNorm();
          gy = gram(y);
          loss = total / scaleLoss;
        }
        EpochMetrics metrics{{"loss", loss}};
        bool stop = false;
        if (data.validation != nullptr) {
          setFactors(x, y);
          const double ndcg = validationNdcg(*data.validation, validK);
          metrics.emplace_back("valid_ndcg@" + std::to_string(validK), ndcg);
          const auto verdict = early.observe(epoch, ndcg);
          if (verdict.improved) {
            bestX = x;
            bestY = y;
          }
          stop = verdict.stop;
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
