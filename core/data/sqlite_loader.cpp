// SQLite sources: interactions (and optionally item/user attributes) from a table or a query.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <memory>

#include "core/data/attribute_loader.h"
#include "core/data/dataset_loader.h"
#include "core/data/interaction_sink.h"
#include "core/data/text_parse.h"
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

/// Streams a statement's rows as text fields: NULL -> "" (a missing value), integers and reals in
/// SQLite's own text form, BLOBs flagged for the callback to reject. Fills names first.
template <typename Fn>
void forEachRow(SqliteStmt& stmt, const std::string& where, TaskContext& ctx,
                std::vector<std::string>& names, Fn&& fn) {
  const int n = stmt.columnCount();
  names.clear();
  for (int c = 0; c < n; ++c) names.push_back(stmt.columnName(c));
  std::vector<std::string_view> fields(static_cast<std::size_t>(n));
  std::vector<bool> blob(static_cast<std::size_t>(n));
  std::uint64_t row = 0;
  while (true) {
    bool more = false;
    try {
      more = stmt.step();
    } catch (const IoError&) {
      throw IoError("SQLite error while reading " + where + " after row " + std::to_string(row) +
                    ": " + stmt.database().errorMessage());
    }
    if (!more) break;
    ++row;
    for (int c = 0; c < n; ++c) {
      const auto kind = stmt.columnKind(c);
      blob[static_cast<std::size_t>(c)] = kind == SqliteStmt::ValueKind::kBlob;
      fields[static_cast<std::size_t>(c)] =
          kind == SqliteStmt::ValueKind::kNull || kind == SqliteStmt::ValueKind::kBlob
              ? std::string_view()
              : stmt.columnTextView(c);
    }
    fn(std::span<const std::string_view>(fields), row, blob);
    if ((row & 0x3FFF) == 0) ctx.throwIfStopped();
  }
}

SqliteStmt sourceStatement(SqliteDb& db, const std::string& table, const std::string& query,
                           std::string& where) {
  const std::string& path = db.path();
  if (!query.empty()) {
    where = path + "#query";
    return prepare(db, query, where);
  }
  where = path + "#" + table;
  if (!tableExists(db, table)) {
    throw IoError("SQLite database '" + path + "' has no table '" + table +
                  "' (tables: " + listTables(db) + ")");
  }
  return prepare(db, "SELECT * FROM " + quoteIdentifier(table), where);
}

void loadSqliteAttributes(SqliteDb& db, const std::string& table, const std::string& query,
                          AttributeOptions options, EntityKind kind, bool strict,
                          LoadResult& result, TaskContext& ctx) {
  options.strict = strict;
  std::string where;
  auto stmt = sourceStatement(db, table, query, where);
  RawTable raw;
  raw.source = where;
  result.tables.emplace_back();
  result.tables.back().file = where;
  result.tables.back().attributes = true;
  const std::size_t t = result.tables.size() - 1;
  std::vector<std::string> names;
  int idCol = -1;
  forEachRow(
      stmt, where, ctx, names,
      [&](std::span<const std::string_view> f, std::uint64_t row, const std::vector<bool>& blob) {
        if (idCol < 0) {
          refuseDuplicateColumns(names, where, 0);
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
  std::unique_ptr<SqliteDb> opened;
  try {
    opened = std::make_unique<SqliteDb>(path, SqliteDb::Mode::kReadOnly);
    // A file that is not a database opens fine; the first read of the schema tells.
    tableExists(*opened, "");
  } catch (const IoError& e) {
    throw IoError("cannot open SQLite database '" + path +
                  "': " + (opened ? opened->errorMessage() : std::string(e.what())));
  }
  SqliteDb& db = *opened;
  std::string table = options.table;
  if (options.query.empty() && table.empty()) {
    for (const char* t : {"interactions", "ratings", "events"}) {
      if (tableExists(db, t)) {
        table = t;
        break;
      }
    }
    if (table.empty()) {
      throw IoError(
          "SQLite database '" + path +
          "': say which table or query holds the interactions (tables: " + listTables(db) + ")");
    }
  }
  std::string where;
  auto stmt = sourceStatement(db, table, options.query, where);
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
      stmt, where, ctx, names,
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
    loadSqliteAttributes(db, options.itemsTable, options.itemsQuery, options.itemAttributes,
                         EntityKind::kItem, strict, result, ctx);
  } else if (tableExists(db, "items")) {
    loadSqliteAttributes(db, "items", "", options.itemAttributes, EntityKind::kItem, strict, result,
                         ctx);
  }
  if (!options.usersQuery.empty() || !options.usersTable.empty()) {
    loadSqliteAttributes(db, options.usersTable, options.usersQuery, options.userAttributes,
                         EntityKind::kUser, strict, result, ctx);
  } else if (tableExists(db, "users")) {
    loadSqliteAttributes(db, "users", "", options.userAttributes, EntityKind::kUser, strict, result,
                         ctx);
  }
  result.dataset.userAttributes.ensureRows(result.dataset.numUsers());
  result.dataset.itemAttributes.ensureRows(result.dataset.numItems());
  return result;
}

}  // namespace rwb
