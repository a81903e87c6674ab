#include "core/data/csr.h"

#include <algorithm>

namespace rwb {

bool Csr::contains(std::size_t r, Index c) const noexcept {
  auto row = rowIndices(r);
  return std::binary_search(row.begin(), row.end(), c);
}

Csr Csr::transposed() const {
  Csr t;
  t.rows = cols;
  t.cols = rows;
  t.offsets.assign(cols + 1, 0);
  for (Index c : indices) ++t.offsets[c + 1];
  for (std::size_t i = 0; i < cols; ++i) t.offsets[i + 1] += t.offsets[i];
  t.indices.resize(indices.size());
  t.values.resize(values.size());
  std::vector<std::uint64_t> next(t.offsets.begin(), t.offsets.end() - 1);
  // Walking rows in order keeps each transposed row sorted by column.
  for (std::size_t r = 0; r < rows; ++r) {
    for (auto p = offsets[r]; p < offsets[r + 1]; ++p) {
      const auto dst = next[indices[p]]++;
      t.indices[dst] = static_cast<Index>(r);
      t.values[dst] = values[p];
    }
  }
  return t;
}

}  // namespace rwb
