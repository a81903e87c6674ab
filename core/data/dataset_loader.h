#pragma once
/// \file
/// loadDataset(): the one entry point for reading data. Detects the source kind from the path:
/// a database server (`postgresql://...` libpq URI, `odbc:DSN` or `odbc:` + a connection string;
/// core/util/connection_string.h), a folder (MovieLens 100K / 1M / latest layouts, or the
/// RecWorkbench layout), an SQLite file (.sqlite, .sqlite3, .db, or the SQLite magic header), or
/// a delimited text file. Database sources are recorded (Dataset::source, messages) without
/// their credentials.

#include <string>

#include "core/data/attribute_loader.h"
#include "core/data/delimited_loader.h"
#include "core/data/load_result.h"
#include "core/util/task_context.h"

namespace rwb {

/// Source kinds. kAuto detects; the others force a reader.
enum class DataFormat {
  kAuto,
  kDelimited,        ///< one delimited interactions file (+ optional attribute files)
  kMovieLens100K,    ///< folder with u.data, u.item, u.user
  kMovieLens1M,      ///< folder with ratings.dat, movies.dat, users.dat ("::")
  kMovieLensLatest,  ///< folder with ratings.csv, movies.csv, tags.csv (latest-small, 25M)
  kMovieLens,        ///< a MovieLens folder of any of the three layouts above (detected)
  kRecWorkbench,     ///< folder with interactions.csv, items.csv, users.csv
  kSqlite,           ///< SQLite database file
  kPostgreSql,       ///< PostgreSQL server: a libpq URI, postgresql://...
  kOdbc,             ///< any ODBC data source: odbc:DSN or odbc:<connection string>
};

/// Text name ("auto", "delimited", "ml-100k", "ml-1m", "ml-latest", "movielens",
/// "recworkbench", "sqlite", "postgresql", "odbc"): the words of docs/data.md's vocabulary table.
std::string_view dataFormatName(DataFormat format);
/// Parses a name of dataFormatName() (case-insensitive) or an alias ("csv", "tsv" =
/// "delimited"); false when unknown.
bool parseDataFormat(std::string_view name, DataFormat& out);

/// Everything a load can be told. `interactions.strict` applies to every file and table read.
struct DatasetOptions {
  DataFormat format = DataFormat::kAuto;
  /// Interactions: delimiter, header, column mapping, encoding, strict/lenient. Column mapping
  /// also applies to SQLite result columns. Ignored by the MovieLens readers except `strict`.
  DelimitedOptions interactions;

  // Database sources (SQLite, PostgreSQL, ODBC). Without table or query, a table named
  // interactions, ratings or events is used; items/users tables named "items"/"users" are read when
  // present.
  std::string table;  ///< interactions table
  std::string query;  ///< interactions query (overrides table)
  std::string itemsTable, itemsQuery;
  std::string usersTable, usersQuery;

  // Attribute files beside a plain delimited interactions file (optional).
  std::string itemsPath, usersPath;
  AttributeOptions itemAttributes;  ///< how items.csv / the items table is read and typed
  AttributeOptions userAttributes;  ///< how users.csv / the users table is read and typed

  /// A dataset whose indices the result must share, e.g. the training data when loading a test
  /// or history file (not owned; must outlive the call). The result starts with base's id maps,
  /// attributes and event names (none when the source has no event column, so that its rows
  /// are not read as the base's first event type); ids new to base are appended after base's;
  /// interactions are only those of the source. Attribute columns read from the source are merged
  /// into base's columns of the same name and type (the source's values win where present; missing
  /// values keep the base's), added when new, and ignored with a note when the name exists with
  /// another type. Works for every format.
  const Dataset* base = nullptr;

  /// Field by field (base compared by address).
  bool operator==(const DatasetOptions&) const = default;
};

/// Loads a dataset. See the file comment for detection. Every row read is accounted for in
/// the result (loaded + skipped = read, per file or table); duplicates are counted, not
/// removed. Throws IoError (unreadable path, unknown folder layout), ParseError (bad input in
/// strict mode, bad column mapping), Cancelled (ctx stopped; nothing is returned).
LoadResult loadDataset(const std::string& path, const DatasetOptions& options, TaskContext& ctx);

/// The format loadDataset would pick for a path (never kAuto or kMovieLens; kDelimited for
/// unknown files). Throws IoError when a folder matches no known layout.
DataFormat detectDataFormat(const std::string& path);

/// The MovieLens layout of a folder (kMovieLens100K: u.data, kMovieLens1M: ratings.dat,
/// kMovieLensLatest: ratings.csv), what DataFormat::kMovieLens reads. Throws IoError when the
/// folder has none of them.
DataFormat detectMovieLensLayout(const std::string& folder);

/// Loaders behind loadDataset, callable directly.
LoadResult loadMovieLens(const std::string& folder, DataFormat layout,
                         const DatasetOptions& options, TaskContext& ctx);
LoadResult loadRecWorkbenchFolder(const std::string& folder, const DatasetOptions& options,
                                  TaskContext& ctx);
LoadResult loadSqlite(const std::string& path, const DatasetOptions& options, TaskContext& ctx);
/// PostgreSQL through libpq: rows stream through a server-side cursor (FETCH in batches) in a
/// read-only transaction; cancel also cancels the running statement on the server. bytea values
/// are rejected like BLOBs; timestamps come as ISO text. Throws IoError (connection, SQL error;
/// the URI redacted), ParseError, Cancelled.
LoadResult loadPostgreSql(const std::string& uri, const DatasetOptions& options, TaskContext& ctx);
/// Any ODBC data source through unixODBC: rows are fetched in row arrays (column-wise binding,
/// UTF-16 text converted to UTF-8). How many rows the driver keeps in memory is the driver's
/// setting (psqlODBC: UseDeclareFetch=1, Fetch=N). A value wider than its column's declared width
/// (at most 32,768 characters) is a ParseError at its row and column. Throws IoError (the
/// source redacted), ParseError, Cancelled (checked between rows).
LoadResult loadOdbc(const std::string& source, const DatasetOptions& options, TaskContext& ctx);

}  // namespace rwb
