#pragma once
/// \file
/// Loader for delimited text interaction files (CSV, TSV, other delimiters).
/// See docs/data.md for the accepted syntax and the error policy.

#include <string>

#include "core/data/load_result.h"
#include "core/util/task_context.h"

namespace rwb {

/// A column chosen by header name or by 0-based position. Neither set = not present / default.
struct ColumnRef {
  std::string name;
  int position = -1;
  bool isSet() const noexcept { return !name.empty() || position >= 0; }
  bool operator==(const ColumnRef&) const = default;
};

enum class HeaderMode { kAuto, kYes, kNo };
enum class TextEncoding { kUtf8, kLatin1 };

/// How to read a delimited interactions file. With no columns given, the header (if any) is
/// searched for well-known names (compared case-insensitively, ignoring '_', '-' and spaces:
/// user/userId/user_id/customer_id/visitor_id, item/itemId/movieId/product_id,
/// rating/value/score/weight, timestamp/time/ts/date/datetime, event/event_type/action);
/// without a header, columns are user, item, value, timestamp in that order (those present).
struct DelimitedOptions {
  char delimiter = 0;  ///< 0 = detect from the first lines among ',', '\t', ';', '|', "::"
  HeaderMode header = HeaderMode::kAuto;
  ColumnRef user, item, value, timestamp, event;
  TextEncoding encoding = TextEncoding::kUtf8;
  bool strict = true;          ///< true: the first bad row throws ParseError; false: skip and count
  float implicitValue = 1.0f;  ///< value used when the file has no value column
  std::string delimiterText;   ///< a multi-byte delimiter such as "::" (overrides `delimiter`)
  char quote = '"';            ///< quote character for RFC 4180 quoting; 0 = no quoting
  bool operator==(const DelimitedOptions&) const = default;
};

/// Loads interactions from a delimited text file, streaming it in blocks.
///
/// When `base` is given, the result starts with base's id maps and attributes (so a test file
/// shares the train file's indices); new ids are appended. Every data row is accounted for in
/// result.tables.back() (rowsLoaded + rowsSkipped == rowsRead; blank lines are not rows).
/// Duplicate (user, item) pairs are kept and counted in result.duplicatePairs.
///
/// Throws IoError if the file cannot be read; ParseError for a header/column-mapping problem
/// (any mode), for an empty file (strict mode), and for the first bad row in strict mode
/// (ParseError::column() is the 1-based field number); Cancelled when ctx is stopped (nothing
/// is returned then).
LoadResult loadDelimited(const std::string& path, const DelimitedOptions& options, TaskContext& ctx,
                         const Dataset* base = nullptr);

}  // namespace rwb
