#include "core/models/ease.h"

#include <tbb/blocked_range.h>
#include <tbb/blocked_range2d.h>
#include <tbb/parallel_for.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/models/item_similarity.h"
#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

namespace {
constexpr std::size_t kBlock = 128;

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T>
using MatMap = Eigen::Map<Mat<T>>;

std::string gib(std::uint64_t bytes) {
  std::ostringstream s;
  s.precision(2);
  s << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return s.str();
}

std::size_t blocks(std::size_t n) { return (n + kBlock - 1) / kBlock; }
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
  e.bytes = 3ull * items * items * bytesPerValue;
  e.seconds = n * n * n / 1e10;
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

  // 1. Gram matrix G = X^T X + Lambda, Lambda = lambda I + p / (1 - p) diag(X^T X) (EDLAE,
  //    Steck 2020; p = 0 is EASE), column i written by the task that builds row i.
  std::vector<T> aBuf(n * n, T(0));
  MatMap<T> A(aBuf.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  {
    const Csr userItem = train.userItemMatrix(binary);
    const Csr itemUser = userItem.transposed();
    RowTransform<float> toDense = [&](Index i, std::span<const Index> cols,
                                      std::span<const double> vals, std::vector<Index>&,
                                      std::vector<float>&) {
      T* col = aBuf.data() + static_cast<std::size_t>(i) * n;
      for (std::size_t t = 0; t < cols.size(); ++t) col[cols[t]] = static_cast<T>(vals[t]);
      col[i] += lambda + emphasis * col[i];
    };
    TaskContext sub(ctx, 0.0, 0.05);
    buildItemRows<float>(userItem, itemUser, binary, {}, toDense, sub, "gram matrix");
  }

  // 2. Blocked right-looking Cholesky, lower triangle in place: G = L L^T.
  for (std::size_t kb = 0; kb < nb; ++kb) {
    ctx.throwIfStopped();
    const auto k0 = static_cast<Eigen::Index>(kb * kBlock);
    const auto kw = static_cast<Eigen::Index>(std::min(kBlock, n - kb * kBlock));
    const auto rest = static_cast<Eigen::Index>(n) - k0 - kw;
    Eigen::Ref<Mat<T>> a11 = A.block(k0, k0, kw, kw);
    Eigen::LLT<Eigen::Ref<Mat<T>>> llt(a11);
    if (llt.info() != Eigen::Success) {
      throw ModelError("ease: the regularised Gram matrix is not positive definite; raise lambda");
    }
    if (rest == 0) break;
    // A21 := A21 L11^-T, by independent row panels.
    tbb::parallel_for(std::size_t(kb + 1), nb, [&](std::size_t rb) {
      if (ctx.stopRequested()) return;
      const auto r0 = static_cast<Eigen::Index>(rb * kBlock);
      const auto rw = static_cast<Eigen::Index>(std::min(kBlock, n - rb * kBlock));
      auto a21 = A.block(r0, k0, rw, kw);
      A.block(k0, k0, kw, kw)
          .template triangularView<Eigen::Lower>()
          .transpose()
          .template solveInPlace<Eigen::OnTheRight>(a21);
    });
    ctx.throwIfStopped();
    // A22 -= A21 A21^T, lower blocks only.
    const std::size_t first = kb + 1;
    tbb::parallel_for(
        tbb::blocked_range2d<std::size_t>(first, nb, 1, first, nb, 1),
        [&](const tbb::blocked_range2d<std::size_t>& r) {
          for (std::size_t rb = r.rows().begin(); rb != r.rows().end(); ++rb) {
            for (std::size_t cb = r.cols().begin(); cb != r.cols().end(); ++cb) {
              if (cb > rb || ctx.stopRequested()) continue;
              const auto r0 = static_cast<Eigen::Index>(rb * kBlock);
              const auto rw = static_cast<Eigen::Index>(std::min(kBlock, n - rb * kBlock));
              const auto c0 = static_cast<Eigen::Index>(cb * kBlock);
              const auto cw = static_cast<Eigen::Index>(std::min(kBlock, n - cb * kBlock));
              A.block(r0, c0, rw, cw).noalias() -=
                  A.block(r0, k0, rw, kw) * A.block(c0, k0, cw, kw).transpose();
            }
          }
        });
    ctx.progress(0.05 + 0.3 * static_cast<double>(kb + 1) / static_cast<double>(nb), "cholesky");
  }
  ctx.throwIfStopped();

  // 3. Linv = L^-1 (lower, zero above the diagonal), one column block per task, forward
  // substitution by row panels.
  std::vector<T> linvBuf(n * n, T(0));
  MatMap<T> Li(linvBuf.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  tbb::parallel_for(std::size_t(0), nb, [&](std::size_t cb) {
    const auto c0 = static_cast<Eigen::Index>(cb * kBlock);
    const auto cw = static_cast<Eigen::Index>(std::min(kBlock, n - cb * kBlock));
    for (std::size_t pb = cb; pb < nb; ++pb) {
      if (ctx.stopRequested()) return;
      const auto p0 = static_cast<Eigen::Index>(pb * kBlock);
      const auto pw = static_cast<Eigen::Index>(std::min(kBlock, n - pb * kBlock));
      auto x = Li.block(p0, c0, pw, cw);
      if (pb == cb) {
        x.setIdentity();
      } else {
        x.noalias() = -(A.block(p0, c0, pw, p0 - c0) * Li.block(c0, c0, p0 - c0, cw));
      }
      A.block(p0, p0, pw, pw).template triangularView<Eigen::Lower>().solveInPlace(x);
    }
  });
  ctx.throwIfStopped();
  ctx.progress(0.6, "inverse");

  // 4. P = Linv^T Linv, lower blocks: P[r, c] = Linv[r0:, r]^T Linv[r0:, c] for r >= c (rows
  // of Linv above r0 are zero in the block column r).
  std::vector<T> pBuf(n * n);
  MatMap<T> P(pBuf.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  tbb::parallel_for(
      tbb::blocked_range2d<std::size_t>(0, nb, 1, 0, nb, 1),
      [&](const tbb::blocked_range2d<std::size_t>& r) {
        for (std::size_t rb = r.rows().begin(); rb != r.rows().end(); ++rb) {
          for (std::size_t cb = r.cols().begin(); cb != r.cols().end(); ++cb) {
            if (cb > rb || ctx.stopRequested()) continue;
            const auto r0 = static_cast<Eigen::Index>(rb * kBlock);
            const auto rw = static_cast<Eigen::Index>(std::min(kBlock, n - rb * kBlock));
            const auto c0 = static_cast<Eigen::Index>(cb * kBlock);
            const auto cw = static_cast<Eigen::Index>(std::min(kBlock, n - cb * kBlock));
            const auto m = static_cast<Eigen::Index>(n) - r0;
            P.block(r0, c0, rw, cw).noalias() =
                Li.block(r0, r0, m, rw).transpose() * Li.block(r0, c0, m, cw);
          }
        }
      });
  ctx.throwIfStopped();
  std::vector<T>().swap(linvBuf);
  std::vector<T>().swap(aBuf);
  ctx.progress(0.9, "weights");

  // 5. B_ij = -P_ij / P_jj, B_ii = 0, stored row-major (row i contiguous).
  std::vector<float> b(n * n);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 16),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      if (ctx.stopRequested()) return;
                      for (std::size_t i = r.begin(); i != r.end(); ++i) {
                        float* row = b.data() + i * n;
                        for (std::size_t j = 0; j < n; ++j) {
                          const T pij = i >= j ? pBuf[j * n + i] : pBuf[i * n + j];
                          row[j] = i == j ? 0.0f : static_cast<float>(-pij / pBuf[j * n + j]);
                        }
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
