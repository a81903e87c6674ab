#pragma once
/// \file
/// Attribute tables: per-user or per-item side information (numeric, categorical,
/// multi-valued categorical, free text), one row per dense index of the owning IdMap.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/id_map.h"

namespace rwb {

enum class ColumnType : std::uint8_t {
  kNumeric,           ///< double, NaN = missing
  kCategorical,       ///< one category code per row, -1 = missing
  kMultiCategorical,  ///< zero or more category codes per row (source text "a|b|c")
  kText,              ///< free text (titles, descriptions)
};

/// Text name of a column type: "numeric", "categorical", "multi", "text".
std::string_view columnTypeName(ColumnType type);

/// One attribute column. Rows are dense entity indices; a table may be shorter than the id
/// map (rows past the end are missing), see AttributeTable::ensureRows().
struct AttributeColumn {
  std::string name;
  ColumnType type = ColumnType::kNumeric;

  std::vector<double> numeric;      ///< kNumeric: value per row, NaN = missing
  std::vector<std::int32_t> codes;  ///< kCategorical: code per row (-1 missing); kMulti: flat codes
  std::vector<std::uint64_t>
      offsets;  ///< kMultiCategorical: row r has codes[offsets[r]..offsets[r+1])
  std::vector<std::string> categories;  ///< kCategorical / kMulti: code -> category text
  std::vector<std::string> text;        ///< kText: text per row ("" = missing)

  /// Number of rows stored.
  std::size_t rows() const noexcept;
  /// The code of a category, adding it if new (categorical and multi columns).
  std::int32_t internCategory(std::string_view category);
  /// Grows the column to n rows, filling with missing values.
  void resize(std::size_t n);
  /// The row's value rendered as text (for display and export): numbers in shortest form,
  /// multi values joined with '|', "" when missing.
  std::string display(std::size_t row) const;
};

/// A set of attribute columns for one entity kind (users or items).
struct AttributeTable {
  std::vector<AttributeColumn> columns;

  bool empty() const noexcept { return columns.empty(); }
  /// The column named name, or nullptr.
  const AttributeColumn* find(std::string_view name) const;
  AttributeColumn* find(std::string_view name);
  /// Grows every column to n rows (called when the id map grows).
  void ensureRows(std::size_t n);
};

}  // namespace rwb
