#pragma once
/// \file
/// A thin RAII wrapper over the SQLite C API: connection, prepared statement, transaction.
/// Every failure throws the error type chosen by the owner (IoError by default) with SQLite's
/// message and the file name.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rwb {

class SqliteStmt;

/// One SQLite connection. Not thread-safe; use one per thread.
class SqliteDb {
 public:
  enum class Mode { kReadOnly, kReadWrite, kCreate };
  /// Opens path. Throws IoError naming the file when it cannot be opened.
  SqliteDb(const std::string& path, Mode mode);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  /// Runs one or more statements without results.
  void exec(const std::string& sql);
  SqliteStmt prepare(std::string_view sql);
  sqlite3* handle() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }
  /// SQLite's message for the last failed call on this connection.
  std::string errorMessage() const { return sqlite3_errmsg(db_); }
  /// Throws IoError("<path>: <context>: <sqlite message>").
  [[noreturn]] void fail(const std::string& context) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// A prepared statement. bind*() indices are 1-based; column*() indices 0-based.
class SqliteStmt {
 public:
  SqliteStmt(SqliteDb& db, std::string_view sql);
  ~SqliteStmt();
  SqliteStmt(SqliteStmt&& other) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  SqliteStmt& operator=(SqliteStmt&&) = delete;

  SqliteStmt& bind(int index, std::int64_t v);
  SqliteStmt& bind(int index, double v);
  SqliteStmt& bind(int index, std::string_view text);
  SqliteStmt& bindBlob(int index, std::string_view bytes);
  /// Binds without SQLite's copy of the bytes: they must stay valid and unchanged until the
  /// statement is stepped to completion and reset (for rows of hundreds of MB).
  SqliteStmt& bindBlobNoCopy(int index, std::string_view bytes);
  SqliteStmt& bindNull(int index);
  /// Steps once: true when a row is available, false when done.
  bool step();
  /// Steps to completion, expecting no rows.
  void run();
  void reset();

  /// Storage class of a value of the current row (SQLite's dynamic typing: per value, not per
  /// column).
  enum class ValueKind { kInteger, kFloat, kText, kBlob, kNull };

  /// The connection the statement belongs to.
  SqliteDb& database() const noexcept { return *db_; }
  /// Number of result columns of the statement (0 for statements without results).
  int columnCount() const noexcept;
  /// The name of result column `col` (its AS alias, or SQLite's name for it).
  std::string columnName(int col) const;
  /// The declared type of result column `col` as written in its table's CREATE TABLE
  /// ("INTEGER", "TEXT", ...); "" for an expression or a column declared without a type.
  std::string columnDeclType(int col) const;
  /// The storage class of column `col` in the current row.
  ValueKind columnKind(int col) const;
  /// The current row's value as text without a copy (numbers in SQLite's own text form, NULL as
  /// ""). Valid until the next step(), reset() or column access of another type on `col`.
  std::string_view columnTextView(int col) const;

  std::int64_t columnInt(int col) const;
  double columnDouble(int col) const;
  std::string columnText(int col) const;
  std::string columnBlob(int col) const;
  /// The current row's blob without a copy; valid until the next step(), reset() or other access
  /// to `col`.
  std::string_view columnBlobView(int col) const;
  bool columnIsNull(int col) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit() was called.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace rwb
