// SQLite sources: interactions (and optionally item/user attributes) from a table or a query.
#include <filesystem>
#include <memory>

#include "core/data/dataset_loader.h"
#include "core/data/sql_rows.h"
#include "core/util/error.h"
#include "core/util/sqlite_db.h"

namespace rwb {

namespace {

std::string quoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

/// The wrapper's errors name the file; the loader adds what it was doing.
SqliteStmt prepare(SqliteDb& db, const std::string& sql, const std::string& where) {
  try {
    return db.prepare(sql);
  } catch (const IoError&) {
    throw IoError("SQLite error in " + where + ": " + db.errorMessage() + " (in: " + sql + ")");
  }
}

bool tableExists(SqliteDb& db, const std::string& name) {
  auto s = prepare(db, "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?1",
                   db.path());
  s.bind(1, std::string_view(name));
  return s.step();
}

std::string listTables(SqliteDb& db) {
  auto s = prepare(db, "SELECT name FROM sqlite_master WHERE type IN ('table','view') ORDER BY 1",
                   db.path());
  std::string out;
  while (s.step()) {
    if (!out.empty()) out += ", ";
    out += s.columnText(0);
  }
  return out.empty() ? "none" : out;
}

/// A statement's rows as text: NULL -> "" (a missing value), integers and reals in SQLite's own
/// text form, BLOBs flagged as unsupported.
class SqliteRows final : public SqlRowStream {
 public:
  SqliteRows(SqliteStmt stmt, std::string where)
      : stmt_(std::move(stmt)), where_(std::move(where)) {
    for (int c = 0; c < stmt_.columnCount(); ++c) {
      names_.push_back(stmt_.columnName(c));
      types_.push_back(stmt_.columnDeclType(c));
    }
  }
  std::vector<std::string> columnTypes() override { return types_; }
  const std::vector<std::string>& names() const override { return names_; }
  const char* unsupportedReason() const override { return "BLOB values are not supported"; }
  bool next(std::vector<std::string_view>& fields, std::vector<bool>& unsupported) override {
    bool more = false;
    try {
      more = stmt_.step();
    } catch (const IoError&) {
      throw IoError("SQLite error while reading " + where_ + " after row " + std::to_string(row_) +
                    ": " + stmt_.database().errorMessage());
    }
    if (!more) return false;
    ++row_;
    const int n = static_cast<int>(names_.size());
    fields.resize(names_.size());
    unsupported.resize(names_.size());
    for (int c = 0; c < n; ++c) {
      const auto kind = stmt_.columnKind(c);
      auto& type = types_[static_cast<std::size_t>(c)];
      if (type.empty() && kind != SqliteStmt::ValueKind::kNull) {
        // An expression has no declared type: name the storage class of its first value.
        type = kind == SqliteStmt::ValueKind::kInteger ? "integer"
               : kind == SqliteStmt::ValueKind::kFloat ? "real"
               : kind == SqliteStmt::ValueKind::kText  ? "text"
                                                       : "blob";
      }
      unsupported[static_cast<std::size_t>(c)] = kind == SqliteStmt::ValueKind::kBlob;
      fields[static_cast<std::size_t>(c)] =
          kind == SqliteStmt::ValueKind::kNull || kind == SqliteStmt::ValueKind::kBlob
              ? std::string_view()
              : stmt_.columnTextView(c);
    }
    return true;
  }

 private:
  SqliteStmt stmt_;
  std::string where_;
  std::vector<std::string> names_;
  std::vector<std::string> types_;
  std::uint64_t row_ = 0;
};

class SqliteSource final : public SqlDatabase {
 public:
  explicit SqliteSource(SqliteDb& db) : db_(db) {}
  std::string description() const override { return "SQLite database '" + db_.path() + "'"; }
  std::string wherePrefix() const override { return db_.path(); }
  bool tableExists(const std::string& table) override { return rwb::tableExists(db_, table); }
  std::string tableList() override { return "tables: " + listTables(db_); }
  std::string quoteTable(const std::string& table) override { return quoteIdentifier(table); }
  std::unique_ptr<SqlRowStream> open(const std::string& sql, const std::string& where,
                                     TaskContext&) override {
    return std::make_unique<SqliteRows>(prepare(db_, sql, where), where);
  }

 private:
  SqliteDb& db_;
};

}  // namespace

namespace {
/// Opens an SQLite file read-only for the loaders, with the located errors of a missing file or
/// a file that is not a database.
std::unique_ptr<SqliteDb> openSqlite(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw IoError("cannot open SQLite database '" + path + "': no such file");
  }
  std::unique_ptr<SqliteDb> opened;
  try {
    opened = std::make_unique<SqliteDb>(path, SqliteDb::Mode::kReadOnly);
    // A file that is not a database opens fine; the first read of the schema tells.
    tableExists(*opened, "");
  } catch (const IoError& e) {
    throw IoError("cannot open SQLite database '" + path +
                  "': " + (opened ? opened->errorMessage() : std::string(e.what())));
  }
  return opened;
}
}  // namespace

LoadResult loadSqlite(const std::string& path, const DatasetOptions& options, TaskContext& ctx) {
  const auto opened = openSqlite(path);
  SqliteSource source(*opened);
  return loadFromDatabase(source, options, std::filesystem::path(path).stem().string(), ctx);
}

DatabasePreview previewSqlite(const std::string& path, const DatasetOptions& options,
                              PreviewTable part, std::size_t maxRows, TaskContext& ctx) {
  const auto opened = openSqlite(path);
  SqliteSource source(*opened);
  return previewFromDatabase(source, options, part, maxRows, ctx);
}

}  // namespace rwb
