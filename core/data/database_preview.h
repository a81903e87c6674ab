#pragma once
/// \file
/// previewDatabase(): the first rows of a database source (SQLite file, PostgreSQL URI, ODBC
/// source) as the loader would read them, for an import dialog. The rows come through the same
/// table/query rules and row streams as loadDataset (core/data/sql_rows.h), and are then read
/// by the loader's own interaction or attribute reader with the given options, so a bad column
/// mapping or a bad value is reported exactly as the full load would report it, located by row
/// and column. The source is named without its credentials everywhere in the result.

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/dataset_loader.h"
#include "core/util/task_context.h"

namespace rwb {

/// Which of a database source's tables or queries a preview reads.
enum class PreviewTable {
  kInteractions,    ///< DatasetOptions::query / table, else interactions, ratings or events
  kItemAttributes,  ///< itemsQuery / itemsTable, else a table named items
  kUserAttributes,  ///< usersQuery / usersTable, else a table named users
};

/// A row the reader skipped (lenient mode) with its reason; row and column are 1-based (column 0
/// = the row as a whole).
struct PreviewIssue {
  std::uint64_t row = 0;
  std::uint64_t column = 0;
  std::string reason;
};

/// The first rows of one table or query and what the loader makes of them.
struct DatabasePreview {
  std::string source;  ///< "SQLite database 'f'", "PostgreSQL <redacted URI>", "ODBC <redacted>"
  std::string where;   ///< the table's or query's name in messages ("<redacted URI>#ratings")
  std::vector<std::string> names;  ///< result column names
  /// Column types as the database names them ("integer", "double precision", "TEXT"); for a
  /// SQLite expression column, the storage class of its first non-NULL preview value; "" when
  /// unknown.
  std::vector<std::string> types;
  /// The first rows as text (NULL = ""), at most maxRows of them.
  std::vector<std::vector<std::string>> rows;
  bool more = false;  ///< the result has rows after these
  /// The interactions' column mapping as the loader resolves it (0-based column, -1 = absent;
  /// all -1 for attribute tables or when the mapping is refused).
  int user = -1, item = -1, value = -1, timestamp = -1, event = -1;
  /// The first error the loader raises on these rows with these options (a column mapping it
  /// refuses, or in strict mode the first bad value): its full located message, and the 1-based
  /// row and column (0 when the error is not about one row or column). Empty when none.
  std::string error;
  std::uint64_t errorRow = 0, errorColumn = 0;
  /// Rows skipped in lenient mode, with their reasons.
  std::vector<PreviewIssue> issues;
  std::uint64_t rowsLoaded = 0;  ///< preview rows the loader accepted
};

/// Reads the first `maxRows` rows of `part` of the database `source` (a path or string that
/// detectDataFormat reads as kSqlite, kPostgreSql or kOdbc, or as options.format forces) and
/// reads them with the loader and `options`. Rows are streamed: only maxRows + 1 are taken from
/// the result (PostgreSQL fetches one cursor batch). Errors of the mapping and of the values are
/// not thrown but reported in `error` / `issues`. Throws IoError (not a database source, cannot
/// connect, no such table, SQL error; the source redacted) and Cancelled when ctx is stopped
/// (PostgreSQL also cancels the running statement).
DatabasePreview previewDatabase(const std::string& source, const DatasetOptions& options,
                                PreviewTable part, std::size_t maxRows, TaskContext& ctx);

}  // namespace rwb
