#pragma once
/// \file
/// Sparse feature rows: (index, value) pairs, and a row-major matrix of them.

#include <cstdint>
#include <span>
#include <vector>

namespace rwb {

/// One non-zero feature.
struct FeatureValue {
  std::uint32_t index = 0;
  float value = 0.0f;
  friend bool operator==(const FeatureValue&, const FeatureValue&) = default;
};

/// A sparse feature row, normally sorted by index without duplicates.
using SparseVector = std::vector<FeatureValue>;

/// Sorts by index and sums duplicates; drops zeros.
void canonicalize(SparseVector& v);

/// Dot product of a sparse row with a dense vector (indices must be < dense.size()).
double dot(std::span<const FeatureValue> row, std::span<const float> dense);
/// Squared L2 norm.
double squaredNorm(std::span<const FeatureValue> row);

/// Row-major sparse matrix: row r is entries[offsets[r] .. offsets[r+1]).
struct SparseMatrix {
  std::size_t cols = 0;
  std::vector<std::uint64_t> offsets{0};
  std::vector<FeatureValue> entries;

  std::size_t rows() const noexcept { return offsets.size() - 1; }
  std::span<const FeatureValue> row(std::size_t r) const noexcept {
    return {entries.data() + offsets[r], static_cast<std::size_t>(offsets[r + 1] - offsets[r])};
  }
  void appendRow(std::span<const FeatureValue> row);
  /// CSR arrays as XGBoost and others want them.
  std::vector<std::uint32_t> indices() const;
  std::vector<float> values() const;
  /// Same shape and the same entries in the same order.
  friend bool operator==(const SparseMatrix&, const SparseMatrix&) = default;
};

}  // namespace rwb
