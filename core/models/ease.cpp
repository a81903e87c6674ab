#include "core/models/ease.h"

#include <cblas.h>
#include <lapacke.h>
#include <sys/mman.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <sstream>
#include <type_traits>
#include <utility>

#include "core/models/item_similarity.h"
#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

namespace {
// Tile width of the blocked factorisation. Every tile operation is one single-threaded BLAS
// call whose arguments depend only on n and this width, never on the thread count, so the
// result is bit-identical for any number of threads; 256 keeps each call large enough for the
// BLAS kernels to run near their peak while leaving dozens of tasks per step for the pool.
constexpr std::size_t kBlock = 256;

std::string gib(std::uint64_t bytes) {
  std::ostringstream s;
  s.precision(2);
  s << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return s.str();
}

std::size_t blocks(std::size_t n) { return (n + kBlock - 1) / kBlock; }

// Reserves `count` elements and asks for transparent huge pages on them before anything touches
// them (Debian's default THP mode is madvise): faulting in 4 KiB pages cost about a second of a
// 10k-item fit. Resize afterwards.
template <class Vec>
void reserveHugePages(Vec& v, std::size_t count) {
  v.reserve(count);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t last = (begin + count * sizeof(typename Vec::value_type)) & ~(kHuge - 1);
  // Advice only: a kernel without THP ignores it, and a failure changes nothing but speed.
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

// Leaves elements uninitialised: L^-1 is initialised block column by block column by the tasks
// that solve them, so its pages are first touched in parallel (zeroing 400 MB on one thread
// and faulting its pages in was about a tenth of a 10k-item fit).
template <typename T>
struct DefaultInit : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInit<U>;
  };
  using std::allocator<T>::allocator;
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// Column-major BLAS / LAPACK calls, overloaded on the precision.
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float* a,
          int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasColMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
          const double* a, int lda, const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasColMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void trsm(CBLAS_SIDE side, CBLAS_TRANSPOSE ta, int m, int n, const float* a, int lda, float* b,
          int ldb) {
  cblas_strsm(CblasColMajor, side, CblasLower, ta, CblasNonUnit, m, n, 1.0f, a, lda, b, ldb);
}
void trsm(CBLAS_SIDE side, CBLAS_TRANSPOSE ta, int m, int n, const double* a, int lda, double* b,
          int ldb) {
  cblas_dtrsm(CblasColMajor, side, CblasLower, ta, CblasNonUnit, m, n, 1.0, a, lda, b, ldb);
}
lapack_int potrf(int n, float* a, int lda) {
  return LAPACKE_spotrf(LAPACK_COL_MAJOR, 'L', n, a, lda);
}
lapack_int potrf(int n, double* a, int lda) {
  return LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, a, lda);
}

// OpenBLAS runs every call on the calling thread: the parallelism is ours (tiles as TBB tasks
// in the caller's arena), so the model's thread budget holds and BLAS threads never compete
// with TBB workers. Set once per process; nothing else in core calls BLAS.
void singleThreadedBlas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}
}  // namespace

ModelInfo Ease::info() {
  ModelInfo m;
  m.name = "ease";
  m.displayName = "EASE";
  m.family = "collaborative";
  m.description = "Closed-form item-item autoencoder with L2 regularisation (Steck 2019)";
  m.schema.params =
      paramList(floatParam("lambda", 600.0)
                    .range(1e-6, 1e7)
                    .logScale()
                    .searchLogRange(1, 1e5)
                    .describe("L2 regularisation added to the Gram matrix diagonal"),
                floatParam("dropout", 0.0)
                    .range(0.0, 0.95)
                    .searchRange(0.0, 0.9)
                    .describe("EDLAE dropout probability p: adds p / (1 - p) times each item's "
                              "Gram diagonal to its regulariser (0 = plain EASE)"),
                choiceParam("precision", "float", {"float", "double"})
                    .describe("Floating point type of the Gram matrix and its inverse"),
                binaryParam());
  return m;
}

EaseEstimate Ease::estimate(std::size_t items, std::size_t bytesPerValue) {
  const double n = static_cast<double>(items);
  EaseEstimate e;
  // The Gram matrix (later P, and B in float) and L^-1, plus a separate float B in double.
  e.bytes = 2ull * items * items * bytesPerValue +
            (bytesPerValue == sizeof(float) ? 0ull : items * items * sizeof(float));
  e.seconds = n * n * n / 5e10;
  return e;
}

template <typename T>
std::vector<float> Ease::solve(const Dataset& train, TaskContext& ctx) const {
  const std::size_t n = numItems();
  const T lambda = static_cast<T>(paramDouble("lambda"));
  const double p = paramDouble("dropout");
  const T emphasis = static_cast<T>(p / (1.0 - p));
  const bool binary = paramBool("binary");
  const std::size_t nb = blocks(n);
  const int ld = static_cast<int>(n);
  singleThreadedBlas();
  // Column-major n x n matrices; at(m, r, c) is element (r, c).
  auto at = [n](T* m, std::size_t r, std::size_t c) { return m + c * n + r; };
  auto width = [n](std::size_t b) { return static_cast<int>(std::min(kBlock, n - b * kBlock)); };

  // 1. Gram matrix G = X^T X + Lambda, Lambda = lambda I + p / (1 - p) diag(X^T X) (EDLAE,
  //    Steck 2020; p = 0 is EASE), column i written by the task that builds row i.
  // In float this buffer becomes B (step 5), hence a plain vector.
  std::vector<T> aBuf;
  reserveHugePages(aBuf, n * n);
  aBuf.resize(n * n, T(0));
  T* const A = aBuf.data();
  {
    const Csr userItem = train.userItemMatrix(binary);
    const Csr itemUser = userItem.transposed();
    RowTransform<float> toDense = [&](Index i, std::span<const Index> cols,
                                      std::span<const double> vals, std::vector<Index>&,
                                      std::vector<float>&) {
      T* col = A + static_cast<std::size_t>(i) * n;
      for (std::size_t t = 0; t < cols.size(); ++t) col[cols[t]] = static_cast<T>(vals[t]);
      col[i] += lambda + emphasis * col[i];
    };
    TaskContext sub(ctx, 0.0, 0.05);
    buildItemRows<float>(userItem, itemUser, binary, {}, toDense, sub, "gram matrix");
  }

  // 2. Blocked right-looking Cholesky, lower triangle in place: G = L L^T. Per step: factor the
  // diagonal tile, A21 := A21 L11^-T by row panels, then A22 -= A21 A21^T by row panels (each
  // panel up to and including its diagonal tile; the strict upper half of a diagonal tile is
  // scratch, never read again).
  for (std::size_t kb = 0; kb < nb; ++kb) {
    ctx.throwIfStopped();
    const std::size_t k0 = kb * kBlock;
    const int kw = width(kb);
    if (potrf(kw, at(A, k0, k0), ld) != 0) {
      throw ModelError("ease: the regularised Gram matrix is not positive definite; raise lambda");
    }
    if (kb + 1 == nb) break;
    tbb::parallel_for(kb + 1, nb, [&](std::size_t rb) {
      if (ctx.stopRequested()) return;
      trsm(CblasRight, CblasTrans, width(rb), kw, at(A, k0, k0), ld, at(A, rb * kBlock, k0), ld);
    });
    ctx.throwIfStopped();
    const std::size_t c0 = k0 + static_cast<std::size_t>(kw);
    tbb::parallel_for(kb + 1, nb, [&](std::size_t rb) {
      if (ctx.stopRequested()) return;
      const std::size_t r0 = rb * kBlock;
      const int rw = width(rb);
      gemm(CblasNoTrans, CblasTrans, rw, static_cast<int>(r0 + rw - c0), kw, T(-1), at(A, r0, k0),
           ld, at(A, c0, k0), ld, T(1), at(A, r0, c0), ld);
    });
    ctx.progress(0.05 + 0.3 * static_cast<double>(kb + 1) / static_cast<double>(nb), "cholesky");
  }
  ctx.throwIfStopped();

  // 3. Linv = L^-1 (lower, zero above the diagonal): block column c solves L[c0:, c0:] X = E
  // for the identity columns c0 .. c0 + cw (rows above c0 of L^-1 are zero in those columns).
  // Only rows c0.. of block column c are ever read, so only they are initialised (by the task
  // that solves them).
  std::vector<T, DefaultInit<T>> linvBuf;
  reserveHugePages(linvBuf, n * n);
  linvBuf.resize(n * n);
  T* const Li = linvBuf.data();
  tbb::parallel_for(std::size_t(0), nb, [&](std::size_t cb) {
    if (ctx.stopRequested()) return;
    const std::size_t c0 = cb * kBlock;
    const int cw = width(cb);
    for (int d = 0; d < cw; ++d) {
      std::fill_n(at(Li, c0, c0 + d), n - c0, T(0));
      *at(Li, c0 + d, c0 + d) = T(1);
    }
    trsm(CblasLeft, CblasNoTrans, static_cast<int>(n - c0), cw, at(A, c0, c0), ld, at(Li, c0, c0),
         ld);
  });
  ctx.throwIfStopped();
  ctx.progress(0.6, "inverse");

  // 4. P = Linv^T Linv into the Gram buffer, by row panels: P[r0:r0+rw, 0:r0+rw] =
  // Linv[r0:, r0:r0+rw]^T Linv[r0:, 0:r0+rw] (rows of Linv above r0 are zero in block column r).
  T* const P = A;
  tbb::parallel_for(std::size_t(0), nb, [&](std::size_t rb) {
    if (ctx.stopRequested()) return;
    const std::size_t r0 = rb * kBlock;
    const int rw = width(rb);
    gemm(CblasTrans, CblasNoTrans, rw, static_cast<int>(r0 + rw), static_cast<int>(n - r0), T(1),
         at(Li, r0, r0), ld, at(Li, r0, 0), ld, T(0), at(P, r0, 0), ld);
  });
  ctx.throwIfStopped();
  decltype(linvBuf)().swap(linvBuf);
  // Mirror the lower triangle into the upper one (tile by tile, for the caches), so that column
  // i of P is row i of P.
  constexpr std::size_t kTile = 64;
  const std::size_t nt = (n + kTile - 1) / kTile;
  tbb::parallel_for(std::size_t(0), nt, [&](std::size_t tc) {
    const std::size_t c0 = tc * kTile, c1 = std::min(n, c0 + kTile);
    for (std::size_t tr = tc; tr < nt; ++tr) {
      const std::size_t r0 = tr * kTile, r1 = std::min(n, r0 + kTile);
      for (std::size_t c = c0; c < c1; ++c) {
        for (std::size_t r = std::max(r0, c + 1); r < r1; ++r) *at(P, c, r) = *at(P, r, c);
      }
    }
  });
  ctx.progress(0.9, "weights");

  // 5. B_ij = -P_ij / P_jj, B_ii = 0, stored row-major (row i contiguous) = column i of P.
  std::vector<T> diag(n);
  for (std::size_t j = 0; j < n; ++j) diag[j] = *at(P, j, j);
  std::vector<float> b;
  if constexpr (std::is_same_v<T, float>) {
    b = std::move(aBuf);
  } else {
    reserveHugePages(b, n * n);
    b.resize(n * n);
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 16),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      if (ctx.stopRequested()) return;
                      for (std::size_t i = r.begin(); i != r.end(); ++i) {
                        const T* col = P + i * n;
                        float* row = b.data() + i * n;
                        for (std::size_t j = 0; j < n; ++j) {
                          row[j] = static_cast<float>(-col[j] / diag[j]);
                        }
                        row[i] = 0.0f;
                      }
                    });
  ctx.throwIfStopped();
  return b;
}

void Ease::fitModel(const TrainingData& data, TaskContext& ctx) {
  const bool useDouble = paramString("precision") == "double";
  const std::size_t n = numItems();
  const auto est = estimate(n, useDouble ? 8 : 4);
  const std::uint64_t avail = availableMemoryBytes();
  if (avail > 0 && est.bytes > avail) {
    std::ostringstream msg;
    msg << "ease: " << n << " items need about " << gib(est.bytes) << " of memory ("
        << (useDouble ? "double" : "float") << " precision, about " << std::llround(est.seconds)
        << " s on one core) but only " << gib(avail)
        << " is available; reduce the catalogue (e.g. an item k-core filter) or use "
           "precision float";
    throw ModelError(msg.str());
  }
  std::vector<float> b;
  runWithThreads(data.threads, [&] {
    b = useDouble ? solve<double>(data.train, ctx) : solve<float>(data.train, ctx);
  });
  userOffsets_.assign(numUsers() + 1, 0);
  for (std::size_t u = 0; u < numUsers(); ++u) {
    userOffsets_[u + 1] = userOffsets_[u] + seenItems(u).size();
  }
  if (paramBool("binary")) {
    userValues_.clear();
  } else {
    Csr x = data.train.userItemMatrix(false);
    if (x.values.size() != userOffsets_.back()) {
      throw ModelError("ease: the value matrix does not match the seen items");
    }
    userValues_ = std::move(x.values);
  }
  b_ = std::move(b);
  ctx.progress(1.0, "fitted");
}

void Ease::scoreAllItems(Index user, std::span<float> out) const {
  const std::size_t n = numItems();
  std::fill(out.begin(), out.end(), 0.0f);
  const auto items = seenItems(user);
  const float* w = userValues_.empty() ? nullptr : userValues_.data() + userOffsets_[user];
  float* o = out.data();
  for (std::size_t k = 0; k < items.size(); ++k) {
    const float x = w ? w[k] : 1.0f;
    const float* row = b_.data() + static_cast<std::size_t>(items[k]) * n;
    for (std::size_t j = 0; j < n; ++j) o[j] += x * row[j];
  }
}

void Ease::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  const std::size_t n = numItems();
  const auto seen = seenItems(user);
  const float* w = userValues_.empty() ? nullptr : userValues_.data() + userOffsets_[user];
  for (std::size_t t = 0; t < items.size(); ++t) {
    float s = 0.0f;
    for (std::size_t k = 0; k < seen.size(); ++k) {
      s += (w ? w[k] : 1.0f) * b_[static_cast<std::size_t>(seen[k]) * n + items[t]];
    }
    out[t] = s;
  }
}

void Ease::saveState(BinaryWriter& out) const {
  out.putVector(userValues_);
  out.putVector(b_);
}

void Ease::loadModelState(BinaryReader& in) {
  std::vector<std::uint64_t> offsets(numUsers() + 1, 0);
  for (std::size_t u = 0; u < numUsers(); ++u) offsets[u + 1] = offsets[u] + seenItems(u).size();
  auto values = in.getVector<float>("user_values");
  in.check(values.empty() == paramBool("binary"), "user values do not match the binary flag");
  in.check(values.empty() || values.size() == offsets.back(),
           "user values do not match the seen items");
  auto b = in.getVector<float>("weights");
  in.check(b.size() == numItems() * numItems(), "weight matrix has the wrong size");
  userOffsets_ = std::move(offsets);
  userValues_ = std::move(values);
  b_ = std::move(b);
}

std::size_t Ease::memoryBytes() const {
  return Model::memoryBytes() + b_.size() * sizeof(float) + userValues_.size() * sizeof(float) +
         userOffsets_.size() * sizeof(std::uint64_t);
}

std::vector<ScoredItem> Ease::similarItems(Index item, std::size_t k) const {
  checkItemQuery(type(), isFitted(), item, numItems());
  const std::size_t n = numItems();
  std::vector<float> row(b_.begin() + static_cast<std::ptrdiff_t>(item * n),
                         b_.begin() + static_cast<std::ptrdiff_t>((item + 1) * n));
  row[item] = -std::numeric_limits<float>::infinity();
  return topK(row, k);
}

}  // namespace rwb
