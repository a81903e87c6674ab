#pragma once
/// \file
/// Internal to core/data: what every database loader (SQLite, PostgreSQL, ODBC) shares. A
/// database result is read as a stream of text rows; the interactions go through the same
/// column mapping and InteractionSink as a delimited file, attribute tables through the same
/// RawTable and mergeAttributes as items.csv / users.csv. Row numbers in messages are 1-based
/// positions in the result.

#include <string>
#include <string_view>
#include <vector>

#include "core/data/attribute_loader.h"
#include "core/data/database_preview.h"
#include "core/data/delimited_loader.h"
#include "core/data/load_result.h"
#include "core/util/task_context.h"

namespace rwb {

/// One result set, read row by row as text.
class SqlRowStream {
 public:
  virtual ~SqlRowStream() = default;
  /// The result's column names (known before the first row).
  virtual const std::vector<std::string>& names() const = 0;
  /// Reads the next row into `fields` (one view per column; NULL = empty, a missing value) and
  /// `unsupported` (true for a value that has no text form, e.g. a BLOB). Views stay valid until
  /// the next call. Returns false at the end. Throws IoError (database error), Cancelled.
  virtual bool next(std::vector<std::string_view>& fields, std::vector<bool>& unsupported) = 0;
  /// The reason given for an unsupported value ("BLOB values are not supported").
  virtual const char* unsupportedReason() const = 0;
  /// Estimated fraction of the result read so far, in [0, 1]; negative when unknown.
  virtual double fractionRead() const { return -1.0; }
  /// The columns' types as the database names them (one per column, "" when unknown); may ask
  /// the server, so callers ask once (previews), not per row.
  virtual std::vector<std::string> columnTypes() {
    return std::vector<std::string>(names().size());
  }
};

/// Reads interactions from `rows` into result.dataset with the column mapping and strictness of
/// `options`; adds one LoadCounts named `where`. An empty result still validates the mapping
/// (a wrong column name is reported) and adds the note "<where>: no rows". Throws ParseError
/// (strict mode, bad mapping), IoError, Cancelled.
void readInteractionRows(SqlRowStream& rows, const DelimitedOptions& options,
                         const std::string& where, LoadResult& result, TaskContext& ctx);

/// Reads an attribute table from `rows` into the dataset's id map and attribute table of
/// `kind` (the id column as AttributeOptions::id says, else a well-known id name, else the
/// first column); `strict` overrides options.strict. Adds one LoadCounts named `where`.
void readAttributeRows(SqlRowStream& rows, AttributeOptions options, EntityKind kind, bool strict,
                       const std::string& where, LoadResult& result, TaskContext& ctx);

/// A database as the loaders see it: tables and queries that open as row streams.
class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  /// "SQLite database 'file'", "PostgreSQL <redacted URI>", "ODBC <redacted source>".
  virtual std::string description() const = 0;
  /// The prefix of a table's or query's name in messages ("<file>", "<redacted URI>").
  virtual std::string wherePrefix() const = 0;
  virtual bool tableExists(const std::string& table) = 0;
  /// "tables: a, b" when the database can list them cheaply, else "".
  virtual std::string tableList() { return {}; }
  /// The table quoted for SQL.
  virtual std::string quoteTable(const std::string& table) = 0;
  /// Runs `sql` and streams its rows (the stream ends its own transaction, if any).
  virtual std::unique_ptr<SqlRowStream> open(const std::string& sql, const std::string& where,
                                             TaskContext& ctx) = 0;
};

/// Loads interactions and attributes from a database with the table/query rules of
/// DatasetOptions: without table or query, a table named interactions, ratings or events; item /
/// user attributes from the options' tables or queries, else from tables named items / users
/// when present. `name` becomes Dataset::name. Every row read is accounted for.
LoadResult loadFromDatabase(SqlDatabase& db, const struct DatasetOptions& options,
                            const std::string& name, TaskContext& ctx);

/// The first rows of one table or query of `db` read with the loader (previewDatabase).
DatabasePreview previewFromDatabase(SqlDatabase& db, const DatasetOptions& options,
                                    PreviewTable part, std::size_t maxRows, TaskContext& ctx);

/// previewDatabase for each kind of database (beside loadSqlite, loadPostgreSql, loadOdbc).
DatabasePreview previewSqlite(const std::string& path, const DatasetOptions& options,
                              PreviewTable part, std::size_t maxRows, TaskContext& ctx);
DatabasePreview previewPostgreSql(const std::string& uri, const DatasetOptions& options,
                                  PreviewTable part, std::size_t maxRows, TaskContext& ctx);
DatabasePreview previewOdbc(const std::string& source, const DatasetOptions& options,
                            PreviewTable part, std::size_t maxRows, TaskContext& ctx);

}  // namespace rwb
