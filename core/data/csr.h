#pragma once
/// \file
/// Compressed sparse row matrix over dense user/item indices.

#include <cstdint>
#include <span>
#include <vector>

#include "core/data/id_map.h"

namespace rwb {

/// CSR matrix: row r holds columns indices[offsets[r] .. offsets[r+1]) with values in `values`.
/// Within a row, columns are sorted ascending; duplicates are summed when built by Dataset.
struct Csr {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<std::uint64_t> offsets{0};  ///< rows + 1 entries
  std::vector<Index> indices;
  std::vector<float> values;

  std::size_t nnz() const noexcept { return indices.size(); }
  std::size_t rowSize(std::size_t r) const noexcept {
    return static_cast<std::size_t>(offsets[r + 1] - offsets[r]);
  }
  std::span<const Index> rowIndices(std::size_t r) const noexcept {
    return {indices.data() + offsets[r], rowSize(r)};
  }
  std::span<const float> rowValues(std::size_t r) const noexcept {
    return {values.data() + offsets[r], rowSize(r)};
  }
  /// True if (r, c) is stored (binary search within the row).
  bool contains(std::size_t r, Index c) const noexcept;
  /// The transpose (CSC of this matrix viewed as CSR).
  Csr transposed() const;
};

}  // namespace rwb
