#pragma once
/// \file
/// Loader for delimited text interaction files (CSV, TSV, other delimiters).

#include <string>

#include "core/data/load_result.h"
#include "core/util/task_context.h"

namespace rwb {

/// A column chosen by header name or by 0-based position. Neither set = not present / default.
struct ColumnRef {
  std::string name;
  int position = -1;
  bool isSet() const noexcept { return !name.empty() || position >= 0; }
};

enum class HeaderMode { kAuto, kYes, kNo };
enum class TextEncoding { kUtf8, kLatin1 };

/// How to read a delimited interactions file. With no columns given, the header (if any) is
/// searched for well-known names (user/userId/user_id, item/itemId/movieId/item_id,
/// rating/value/score, timestamp/time/ts, event/event_type); without a header, columns are
/// user, item, value, timestamp in that order.
struct DelimitedOptions {
  char delimiter = 0;  ///< 0 = detect from the first lines among ',', '\t', ';', '|'
  HeaderMode header = HeaderMode::kAuto;
  ColumnRef user, item, value, timestamp, event;
  TextEncoding encoding = TextEncoding::kUtf8;
  bool strict = true;          ///< true: the first bad row throws ParseError; false: skip and count
  float implicitValue = 1.0f;  ///< value used when the file has no value column
};

/// Loads interactions from a delimited text file. When `base` is given, the result starts with
/// base's id maps and attributes (so a test file shares the train file's indices); new ids are
/// appended. Throws IoError if the file cannot be read, ParseError for bad input in strict mode,
/// Cancelled when ctx is stopped.
LoadResult loadDelimited(const std::string& path, const DelimitedOptions& options, TaskContext& ctx,
                         const Dataset* base = nullptr);

}  // namespace rwb
