#pragma once
/// \file
/// Shared machinery of the item-item models (SAR, ItemKNN, RP3beta): a sparse item x item
/// matrix type, the parallel co-occurrence kernel that builds it row by row, a top-k row pruner
/// and a thread-count helper. Internal to core/models; other areas use the models themselves.

#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/csr.h"
#include "core/util/binary_io.h"
#include "core/util/memory.h"
#include "core/util/task_context.h"

namespace rwb {

/// A square sparse matrix over item indices in CSR form; row r holds columns
/// indices[offsets[r] .. offsets[r+1]) sorted ascending, with values of type T.
template <typename T>
struct ItemMatrix {
  std::size_t n = 0;
  std::vector<std::uint64_t> offsets{0};
  std::vector<Index> indices;
  std::vector<T> values;

  std::size_t nnz() const noexcept { return indices.size(); }
  std::span<const Index> rowIndices(std::size_t r) const noexcept {
    return {indices.data() + offsets[r], static_cast<std::size_t>(offsets[r + 1] - offsets[r])};
  }
  std::span<const T> rowValues(std::size_t r) const noexcept {
    return {values.data() + offsets[r], static_cast<std::size_t>(offsets[r + 1] - offsets[r])};
  }
  std::size_t memoryBytes() const noexcept {
    return offsets.size() * sizeof(std::uint64_t) + indices.size() * sizeof(Index) +
           values.size() * sizeof(T);
  }
  /// Writes n, offsets, indices, values.
  void save(BinaryWriter& out) const {
    out.put<std::uint64_t>(n);
    out.putVector(offsets);
    out.putVector(indices);
    out.putVector(values);
  }
  /// Reads what save() wrote and validates it against the expected size (every offset
  /// monotone, every column < n, rows sorted); throws ModelError via `in` when corrupt.
  void load(BinaryReader& in, std::string_view field, std::size_t expectedN) {
    const auto scope = in.scope(field);
    ItemMatrix m;
    m.n = in.get<std::uint64_t>("size");
    in.check(m.n == expectedN, "item matrix size does not match the item count");
    m.offsets = in.getVector<std::uint64_t>("offsets");
    in.check(m.offsets.size() == m.n + 1, "item matrix offsets have the wrong length");
    in.check(m.offsets.front() == 0, "item matrix offsets do not start at 0");
    // Every row's end is checked before a row is read: a runaway offset followed by a smaller
    // one would pass a first/last test (found by tests/fuzz).
    for (std::size_t r = 0; r < m.n; ++r) {
      in.check(m.offsets[r] <= m.offsets[r + 1], "item matrix offsets are not monotone");
    }
    m.indices = in.getVector<Index>("columns");
    in.check(m.offsets.back() == m.indices.size(),
             "item matrix offsets do not match the entry count");
    for (std::size_t r = 0; r < m.n; ++r) {
      for (auto p = m.offsets[r]; p < m.offsets[r + 1]; ++p) {
        in.check(m.indices[p] < m.n, "item matrix column out of range");
        in.check(p == m.offsets[r] || m.indices[p - 1] < m.indices[p],
                 "item matrix row is not sorted");
      }
    }
    m.values = in.getVector<T>("values");
    in.check(m.values.size() == m.indices.size(), "item matrix values have the wrong length");
    *this = std::move(m);
  }
};

/// Receives one computed row: item i, its non-zero columns (ascending) and their accumulated
/// values; appends what it keeps (any subset, columns ascending) to keepCols / keepVals.
template <typename T>
using RowTransform =
    std::function<void(Index i, std::span<const Index> cols, std::span<const double> vals,
                       std::vector<Index>& keepCols, std::vector<T>& keepVals)>;

/// The co-occurrence kernel. For every item i (in parallel, TBB, within the current arena)
/// computes row_i[j] = sum over users u of item i of w_u * x_ui * x_uj, where x is `userItem`'s
/// values (or 1 when binary), w_u = userWeight[u] (or 1 when userWeight is empty), and hands the
/// row (columns ascending, exact zeros dropped) to transform. itemUser must be
/// userItem.transposed(). Deterministic: every row is summed in the same order whatever the
/// thread count. Checks ctx between rows, throws Cancelled (nothing returned) when stopped.
/// Reports progress as `stage`.
template <typename T>
ItemMatrix<T> buildItemRows(const Csr& userItem, const Csr& itemUser, bool binary,
                            std::span<const double> userWeight, const RowTransform<T>& transform,
                            TaskContext& ctx, const char* stage);

/// Keeps the k largest entries of a row (ties by lower column), returned with columns
/// ascending. k = 0 keeps everything. cols/vals are the row; out vectors are appended to.
template <typename T>
void keepTopK(std::span<const Index> cols, std::span<const T> vals, std::size_t k,
              std::vector<Index>& outCols, std::vector<T>& outVals);

/// Transposes a square item matrix (rows become columns), keeping rows sorted.
template <typename T>
ItemMatrix<T> transposeItems(const ItemMatrix<T>& m);

/// Item-based scoring: out[j] = sum over k of weights[k] * m(items[k], j) (weights empty = all
/// ones), accumulated in float over items in the given order. out must have m.n entries; it is
/// overwritten.
void scoreFromItemRows(const ItemMatrix<float>& m, std::span<const Index> items,
                       std::span<const float> weights, std::span<float> out);

/// Writes row i of m into out (length m.n) as a dense vector: stored entries keep their value,
/// every other entry and the diagonal become -infinity (so topK() skips them).
template <typename T>
void rowAsScores(const ItemMatrix<T>& m, Index i, std::span<float> out) {
  std::fill(out.begin(), out.end(), -std::numeric_limits<float>::infinity());
  const auto cols = m.rowIndices(i);
  const auto vals = m.rowValues(i);
  for (std::size_t t = 0; t < cols.size(); ++t) out[cols[t]] = static_cast<float>(vals[t]);
  out[i] = -std::numeric_limits<float>::infinity();
}

/// Throws ModelError unless the model is fitted and item < numItems (used by similarItems).
void checkItemQuery(const std::string& model, bool fitted, Index item, std::size_t numItems);

/// Runs fn inside a TBB arena of `threads` threads when threads > 0, otherwise in the caller's
/// arena (so a caller that limits concurrency is respected).
void runWithThreads(int threads, const std::function<void()>& fn);

}  // namespace rwb
