#include "core/data/attribute_table.h"

#include <charconv>
#include <cmath>

namespace rwb {

std::string_view columnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kNumeric:
      return "numeric";
    case ColumnType::kCategorical:
      return "categorical";
    case ColumnType::kMultiCategorical:
      return "multi";
    case ColumnType::kText:
      return "text";
  }
  return "unknown";
}

std::size_t AttributeColumn::rows() const noexcept {
  switch (type) {
    case ColumnType::kNumeric:
      return numeric.size();
    case ColumnType::kCategorical:
      return codes.size();
    case ColumnType::kMultiCategorical:
      return offsets.empty() ? 0 : offsets.size() - 1;
    case ColumnType::kText:
      return text.size();
  }
  return 0;
}

std::int32_t AttributeColumn::internCategory(std::string_view category) {
  // Category counts are small (genres, brands); a linear scan keeps this simple and the
  // loaders keep their own hash map when a column has many distinct values.
  for (std::size_t i = 0; i < categories.size(); ++i) {
    if (categories[i] == category) return static_cast<std::int32_t>(i);
  }
  categories.emplace_back(category);
  return static_cast<std::int32_t>(categories.size() - 1);
}

void AttributeColumn::resize(std::size_t n) {
  switch (type) {
    case ColumnType::kNumeric:
      numeric.resize(n, std::numeric_limits<double>::quiet_NaN());
      break;
    case ColumnType::kCategorical:
      codes.resize(n, -1);
      break;
    case ColumnType::kMultiCategorical:
      if (offsets.empty()) offsets.push_back(0);
      offsets.resize(n + 1, offsets.back());
      break;
    case ColumnType::kText:
      text.resize(n);
      break;
  }
}

std::string AttributeColumn::display(std::size_t row) const {
  if (row >= rows()) return {};
  switch (type) {
    case ColumnType::kNumeric: {
      if (std::isnan(numeric[row])) return {};
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof buf, numeric[row]);
      return std::string(buf, res.ptr);
    }
    case ColumnType::kCategorical:
      return codes[row] < 0 ? std::string() : categories[static_cast<std::size_t>(codes[row])];
    case ColumnType::kMultiCategorical: {
      std::string out;
      for (auto i = offsets[row]; i < offsets[row + 1]; ++i) {
        if (!out.empty()) out += '|';
        out += categories[static_cast<std::size_t>(codes[i])];
      }
      return out;
    }
    case ColumnType::kText:
      return text[row];
  }
  return {};
}

const AttributeColumn* AttributeTable::find(std::string_view name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

AttributeColumn* AttributeTable::find(std::string_view name) {
  for (auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

void AttributeTable::ensureRows(std::size_t n) {
  for (auto& c : columns) {
    if (c.rows() < n) c.resize(n);
  }
}

}  // namespace rwb
