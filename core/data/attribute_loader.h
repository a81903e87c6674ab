#pragma once
/// \file
/// Attribute tables (items.csv, users.csv, database tables): reading text cells, typing columns
/// (numeric, categorical, multi-valued "a|b|c", free text) and merging them into a Dataset's
/// attribute table through its IdMap. Ids without interactions get new indices (cold-start
/// users/items) and are kept.

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/attribute_table.h"
#include "core/data/csv_reader.h"
#include "core/data/delimited_loader.h"
#include "core/data/load_result.h"
#include "core/util/task_context.h"

namespace rwb {

/// How to read and type an attribute file or table.
struct AttributeOptions {
  /// The id column. Default: a column named like the entity's id (item_id, itemId, movieId,
  /// item, id for items; user_id, userId, user, id for users), else the first column.
  ColumnRef id;
  char delimiter = 0;                     ///< 0 = detect
  std::string delimiterText;              ///< multi-byte delimiter (overrides delimiter)
  char quote = '"';                       ///< 0 = no quoting
  HeaderMode header = HeaderMode::kAuto;  ///< kAuto: a header is assumed unless given kNo
  TextEncoding encoding = TextEncoding::kUtf8;
  bool strict = true;  ///< first bad row throws ParseError; false = skip and count
  /// Explicit column types by column name; other columns are typed by inferColumnType().
  std::map<std::string, ColumnType> types;
  char multiSeparator = '|';  ///< separator of multi-valued cells
  bool operator==(const AttributeOptions&) const = default;
};

/// A table of text cells before typing: one id and one cell per attribute column per row;
/// an empty cell is a missing value.
struct RawTable {
  std::string source;                           ///< file or table, for messages
  std::vector<std::string> names;               ///< attribute column names (the id column excluded)
  std::vector<std::string> ids;                 ///< external id per row
  std::vector<std::vector<std::string>> cells;  ///< cells[column][row]
  std::size_t rows() const noexcept { return ids.size(); }
  /// Adds a column (all rows missing) and returns its position.
  std::size_t addColumn(std::string name);
  /// Adds a row with all cells missing and returns its position.
  std::size_t addRow(std::string id);
};

/// Which entity an attribute table describes.
enum class EntityKind { kUser, kItem };

/// Picks a type for a column from its non-empty values: numeric when every value is a finite
/// number (and none has a leading zero such as "02134", which marks a code); multi-valued when
/// values contain `multiSeparator`; free text when values are long (mean >= 30 bytes) or nearly
/// all distinct and mostly containing spaces (titles); categorical otherwise.
ColumnType inferColumnType(std::span<const std::string> values, char multiSeparator = '|');

/// What a row callback says about a row: reason == nullptr means accepted.
struct RowVerdict {
  const char* reason = nullptr;
  std::uint64_t column = 0;  ///< 1-based field of the problem, 0 = whole row
  std::string detail;
};

/// Streams every record of a delimited file (format.delimiter empty = detect) to `fn`
/// with strict / lenient accounting in a new entry of result.tables (blank lines ignored,
/// malformed records and rows with a field count other than the first row's are rejected
/// before fn sees them). When `header` is non-null, the first non-blank record is stored there
/// (before fn is first called) instead of being treated as a row. Throws like loadDelimited.
void scanDelimited(
    const std::string& path, CsvFormat format, std::vector<std::string>* header, bool strict,
    LoadResult& result, TaskContext& ctx,
    const std::function<RowVerdict(std::span<const std::string_view>, std::uint64_t line)>& fn);

/// Reads an attribute file into a RawTable (accounting rows in result.tables).
RawTable readAttributeFile(const std::string& path, const AttributeOptions& options,
                           EntityKind kind, LoadResult& result, TaskContext& ctx);

/// Types the columns of raw (explicit types first, then inference) and stores them in `table`,
/// one row per index of `ids`; ids not yet in `ids` are interned (cold-start entities). A column
/// of the same name already in `table` is replaced. Later rows of a repeated id win; values
/// that do not fit an explicit type are stored as missing. Remarks go to result.notes.
void mergeAttributes(const RawTable& raw, const AttributeOptions& options, IdMap& ids,
                     AttributeTable& table, LoadResult& result);

/// readAttributeFile + mergeAttributes into dataset.userAttributes or itemAttributes; the other
/// table is grown to its id map's size.
void loadAttributes(const std::string& path, const AttributeOptions& options, EntityKind kind,
                    Dataset& dataset, LoadResult& result, TaskContext& ctx);

}  // namespace rwb
