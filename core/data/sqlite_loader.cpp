// SQLite sources: interactions (and optionally item/user attributes) from a table or a query.
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <memory>

#include "core/data/attribute_loader.h"
#include "core/data/dataset_loader.h"
#include "core/data/interaction_sink.h"
#include "core/data/text_parse.h"
#include "core/util/error.h"

namespace rwb {

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

std::string quoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Db openDb(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    throw IoError("cannot open SQLite database '" + path +
                  "': " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  return db;
}

Stmt prepare(sqlite3* db, const std::string& sql, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  Stmt s(raw);
  if (rc != SQLITE_OK) {
    throw IoError("SQLite error in '" + path + "': " + sqlite3_errmsg(db) + " (in: " + sql + ")");
  }
  if (s == nullptr) throw IoError("SQLite: empty statement for '" + path + "'");
  return s;
}

bool tableExists(sqlite3* db, const std::string& name, const std::string& path) {
  auto s =
      prepare(db, "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?1", path);
  sqlite3_bind_text(s.get(), 1, name.c_str(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
  return sqlite3_step(s.get()) == SQLITE_ROW;
}

std::string listTables(sqlite3* db, const std::string& path) {
  auto s =
      prepare(db, "SELECT name FROM sqlite_master WHERE type IN ('table','view') ORDER BY 1", path);
  std::string out;
  while (sqlite3_step(s.get()) == SQLITE_ROW) {
    if (!out.empty()) out += ", ";
    out += reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
  }
  return out.empty() ? "none" : out;
}

/// Streams a statement's rows as text fields. NULL -> "" ; BLOB -> rejected by the callback.
/// Returns the number of result columns and fills names.
template <typename Fn>
void forEachRow(sqlite3* db, sqlite3_stmt* stmt, const std::string& where, TaskContext& ctx,
                std::vector<std::string>& names, Fn&& fn) {
  const int n = sqlite3_column_count(stmt);
  names.clear();
  for (int c = 0; c < n; ++c) {
    const char* name = sqlite3_column_name(stmt, c);
    names.emplace_back(name ? name : "");
  }
  std::vector<std::string_view> fields(static_cast<std::size_t>(n));
  std::vector<bool> blob(static_cast<std::size_t>(n));
  std::uint64_t row = 0;
  while (true) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      throw IoError("SQLite error while reading " + where + ": " + sqlite3_errmsg(db));
    }
    ++row;
    for (int c = 0; c < n; ++c) {
      const int type = sqlite3_column_type(stmt, c);
      blob[static_cast<std::size_t>(c)] = type == SQLITE_BLOB;
      if (type == SQLITE_NULL || type == SQLITE_BLOB) {
        fields[static_cast<std::size_t>(c)] = {};
        continue;
      }
      // Integers and reals come back in SQLite's own text form ("%lld", "%!.15g").
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      const int bytes = sqlite3_column_bytes(stmt, c);
      fields[static_cast<std::size_t>(c)] = {text ? text : "", static_cast<std::size_t>(bytes)};
    }
    fn(std::span<const std::string_view>(fields), row, blob);
    if ((row & 0x3FFF) == 0) ctx.throwIfStopped();
  }
}

Stmt sourceStatement(sqlite3* db, const std::string& table, const std::string& query,
                     const std::string& path, std::string& where) {
  if (!query.empty()) {
    where = path + "#query";
    return prepare(db, query, path);
  }
  where = path + "#" + table;
  if (!tableExists(db, table, path)) {
    throw IoError("SQLite database '" + path + "' has no table '" + table +
                  "' (tables: " + listTables(db, path) + ")");
  }
  return prepare(db, "SELECT * FROM " + quoteIdentifier(table), path);
}

void loadSqliteAttributes(sqlite3* db, const std::string& path, const std::string& table,
                          const std::string& query, AttributeOptions options, EntityKind kind,
                          bool strict, LoadResult& result, TaskContext& ctx) {
  options.strict = strict;
  std::string where;
  auto stmt = sourceStatement(db, table, query, path, where);
  RawTable raw;
  raw.source = where;
  result.tables.emplace_back();
  result.tables.back().file = where;
  const std::size_t t = result.tables.size() - 1;
  std::vector<std::string> names;
  int idCol = -1;
  forEachRow(
      db, stmt.get(), where, ctx, names,
      [&](std::span<const std::string_view> f, std::uint64_t row, const std::vector<bool>& blob) {
        if (idCol < 0) {
          if (options.id.position >= 0) {
            idCol = options.id.position;
          } else {
            const std::vector<std::string> known =
                kind == EntityKind::kItem
                    ? std::vector<std::string>{"itemid", "item", "movieid", "productid", "id"}
                    : std::vector<std::string>{"userid", "user", "customerid", "id"};
            const auto want = normalizeColumnName(options.id.name);
            for (std::size_t i = 0; i < names.size() && idCol < 0; ++i) {
              const auto n = normalizeColumnName(names[i]);
              if (!options.id.name.empty()
                      ? n == want
                      : std::find(known.begin(), known.end(), n) != known.end()) {
                idCol = static_cast<int>(i);
              }
            }
            if (idCol < 0 && !options.id.name.empty()) {
              throw ParseError(where, 0, 0, "no id column named '" + options.id.name + "'");
            }
            if (idCol < 0) idCol = 0;
          }
          if (idCol >= static_cast<int>(names.size())) {
            throw ParseError(where, 0, 0, "the id column position is out of range");
          }
          for (std::size_t i = 0; i < names.size(); ++i) {
            if (static_cast<int>(i) != idCol) raw.addColumn(names[i]);
          }
        }
        auto& counts = result.tables[t];
        ++counts.rowsRead;
        auto reject = [&](std::uint64_t col, const char* reason) {
          if (strict) throw ParseError(where, row, col, reason);
          ++counts.rowsSkipped;
          result.addIssue(where, row, col, reason);
        };
        const auto id = trimSpaces(f[static_cast<std::size_t>(idCol)]);
        if (id.empty()) return reject(static_cast<std::uint64_t>(idCol) + 1, "id is empty");
        for (std::size_t i = 0; i < f.size(); ++i) {
          if (blob[i]) return reject(i + 1, "BLOB values are not supported");
          if (!isValidUtf8(f[i])) return reject(i + 1, "invalid UTF-8");
        }
        const auto r = raw.addRow(std::string(id));
        std::size_t c = 0;
        for (std::size_t i = 0; i < f.size(); ++i) {
          if (static_cast<int>(i) == idCol) continue;
          raw.cells[c++][r] = std::string(trimSpaces(f[i]));
        }
        ++counts.rowsLoaded;
      });
  if (kind == EntityKind::kItem) {
    mergeAttributes(raw, options, result.dataset.items, result.dataset.itemAttributes, result);
  } else {
    mergeAttributes(raw, options, result.dataset.users, result.dataset.userAttributes, result);
  }
}

}  // namespace

LoadResult loadSqlite(const std::string& path, const DatasetOptions& options, TaskContext& ctx) {
  if (!std::filesystem::is_regular_file(path)) {
    throw IoError("cannot open SQLite database '" + path + "': no such file");
  }
  Db db = openDb(path);
  sqlite3* h = db.get();
  std::string table = options.table;
  if (options.query.empty() && table.empty()) {
    for (const char* t : {"interactions", "ratings", "events"}) {
      if (tableExists(h, t, path)) {
        table = t;
        break;
      }
    }
    if (table.empty()) {
      throw IoError("SQLite database '" + path +
                    "': say which table or query holds the interactions (tables: " +
                    listTables(h, path) + ")");
    }
  }
  std::string where;
  auto stmt = sourceStatement(h, table, options.query, path, where);
  LoadResult result;
  result.dataset.source = where;
  result.dataset.name = std::filesystem::path(path).stem().string();
  result.tables.emplace_back();
  result.tables.back().file = where;
  const DelimitedOptions& opt = options.interactions;
  std::vector<std::string> names;
  std::unique_ptr<InteractionSink> sink;
  ColumnPlan plan;
  forEachRow(
      h, stmt.get(), where, ctx, names,
      [&](std::span<const std::string_view> f, std::uint64_t row, const std::vector<bool>& blob) {
        if (!sink) {
          plan = resolveColumns(names, names.size(), opt, where, 0);
          sink = std::make_unique<InteractionSink>(result, result.tables.back(), plan, opt, where);
        }
        for (std::size_t i = 0; i < f.size(); ++i) {
          if (blob[i]) return sink->reject(row, i + 1, "BLOB values are not supported");
          if (!isValidUtf8(f[i])) return sink->reject(row, i + 1, "invalid UTF-8");
        }
        sink->row(f, row);
      });
  if (sink) sink->finish();
  if (!sink) {
    // No rows: still validate the mapping so a wrong column name is reported.
    resolveColumns(names, names.size(), opt, where, 0);
    result.notes.push_back(where + ": no rows");
  }
  trimInteractions(result.dataset.interactions);
  result.duplicatePairs = countDuplicatePairs(result.dataset);
  if (result.duplicatePairs > 0) {
    result.notes.push_back(std::to_string(result.duplicatePairs) +
                           " duplicate (user, item) pair(s) loaded as they are");
  }
  const bool strict = opt.strict;
  if (!options.itemsQuery.empty() || !options.itemsTable.empty()) {
    loadSqliteAttributes(h, path, options.itemsTable, options.itemsQuery, options.itemAttributes,
                         EntityKind::kItem, strict, result, ctx);
  } else if (tableExists(h, "items", path)) {
    loadSqliteAttributes(h, path, "items", "", options.itemAttributes, EntityKind::kItem, strict,
                         result, ctx);
  }
  if (!options.usersQuery.empty() || !options.usersTable.empty()) {
    loadSqliteAttributes(h, path, options.usersTable, options.usersQuery, options.userAttributes,
                         EntityKind::kUser, strict, result, ctx);
  } else if (tableExists(h, "users", path)) {
    loadSqliteAttributes(h, path, "users", "", options.userAttributes, EntityKind::kUser, strict,
                         result, ctx);
  }
  result.dataset.userAttributes.ensureRows(result.dataset.numUsers());
  result.dataset.itemAttributes.ensureRows(result.dataset.numItems());
  return result;
}

}  // namespace rwb
