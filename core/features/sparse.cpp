#include "core/features/sparse.h"

#include <algorithm>

namespace rwb {

void canonicalize(SparseVector& v) {
  std::sort(v.begin(), v.end(),
            [](const FeatureValue& a, const FeatureValue& b) { return a.index < b.index; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < v.size();) {
    FeatureValue acc = v[i];
    std::size_t j = i + 1;
    for (; j < v.size() && v[j].index == acc.index; ++j) acc.value += v[j].value;
    if (acc.value != 0.0f) v[out++] = acc;
    i = j;
  }
  v.resize(out);
}

double dot(std::span<const FeatureValue> row, std::span<const float> dense) {
  double s = 0.0;
  for (const auto& f : row) s += static_cast<double>(f.value) * dense[f.index];
  return s;
}

double squaredNorm(std::span<const FeatureValue> row) {
  double s = 0.0;
  for (const auto& f : row) s += static_cast<double>(f.value) * f.value;
  return s;
}

void SparseMatrix::appendRow(std::span<const FeatureValue> row) {
  entries.insert(entries.end(), row.begin(), row.end());
  offsets.push_back(entries.size());
}

std::vector<std::uint32_t> SparseMatrix::indices() const {
  std::vector<std::uint32_t> out(entries.size());
  for (std::size_t k = 0; k < entries.size(); ++k) out[k] = entries[k].index;
  return out;
}

std::vector<float> SparseMatrix::values() const {
  std::vector<float> out(entries.size());
  for (std::size_t k = 0; k < entries.size(); ++k) out[k] = entries[k].value;
  return out;
}

}  // namespace rwb
