#include "core/data/sql_rows.h"

#include <algorithm>
#include <memory>
#include <span>

#include "core/data/dataset_loader.h"
#include "core/data/interaction_sink.h"
#include "core/data/text_parse.h"
#include "core/util/error.h"

namespace rwb {

namespace {

/// Calls fn(fields, row, unsupported) for each row, reporting progress and checking for cancel.
template <typename Fn>
void forEachRow(SqlRowStream& rows, TaskContext& ctx, Fn&& fn) {
  std::vector<std::string_view> fields;
  std::vector<bool> unsupported;
  std::uint64_t row = 0;
  while (rows.next(fields, unsupported)) {
    ++row;
    fn(std::span<const std::string_view>(fields), row, unsupported);
    if ((row & 0x3FFF) == 0) {
      ctx.throwIfStopped();
      // Without an estimate the bar stays at its start, but watchers still hear from the load.
      const double f = rows.fractionRead();
      ctx.progress(f >= 0 ? std::min(f, 0.99) : 0.0, "reading");
    }
  }
}

}  // namespace

void readInteractionRows(SqlRowStream& rows, const DelimitedOptions& opt, const std::string& where,
                         LoadResult& result, TaskContext& ctx) {
  result.tables.emplace_back();
  result.tables.back().file = where;
  const std::size_t t = result.tables.size() - 1;
  const auto& names = rows.names();
  const ColumnPlan plan = resolveColumns(names, names.size(), opt, where, 0);
  InteractionSink sink(result, result.tables[t], plan, opt, where);
  bool any = false;
  forEachRow(rows, ctx,
             [&](std::span<const std::string_view> f, std::uint64_t row,
                 const std::vector<bool>& unsupported) {
               any = true;
               for (std::size_t i = 0; i < f.size(); ++i) {
                 if (unsupported[i]) return sink.reject(row, i + 1, rows.unsupportedReason());
                 if (!isValidUtf8(f[i])) return sink.reject(row, i + 1, "invalid UTF-8");
               }
               sink.row(f, row);
             });
  sink.finish();
  if (!any) result.notes.push_back(where + ": no rows");
}

void readAttributeRows(SqlRowStream& rows, AttributeOptions options, EntityKind kind, bool strict,
                       const std::string& where, LoadResult& result, TaskContext& ctx) {
  options.strict = strict;
  RawTable raw;
  raw.source = where;
  result.tables.emplace_back();
  result.tables.back().file = where;
  result.tables.back().attributes = true;
  const std::size_t t = result.tables.size() - 1;
  const auto& names = rows.names();
  refuseDuplicateColumns(names, where, 0);
  int idCol = -1;
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
      if (!options.id.name.empty() ? n == want
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
  forEachRow(rows, ctx,
             [&](std::span<const std::string_view> f, std::uint64_t row,
                 const std::vector<bool>& unsupported) {
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
                 if (unsupported[i]) return reject(i + 1, rows.unsupportedReason());
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

namespace {

std::string sourceSql(SqlDatabase& db, const std::string& table, const std::string& query,
                      std::string& where) {
  if (!query.empty()) {
    where = db.wherePrefix() + "#query";
    return query;
  }
  where = db.wherePrefix() + "#" + table;
  if (!db.tableExists(table)) {
    const std::string tables = db.tableList();
    throw IoError(db.description() + " has no table '" + table + "'" +
                  (tables.empty() ? "" : " (" + tables + ")"));
  }
  return "SELECT * FROM " + db.quoteTable(table);
}

void loadAttributeSource(SqlDatabase& db, const std::string& table, const std::string& query,
                         const AttributeOptions& options, EntityKind kind, bool strict,
                         LoadResult& result, TaskContext& ctx) {
  std::string where;
  const std::string sql = sourceSql(db, table, query, where);
  const auto rows = db.open(sql, where, ctx);
  readAttributeRows(*rows, options, kind, strict, where, result, ctx);
}

// The interactions table: the options' table, else one named interactions, ratings or events
// ("" with a query).
std::string interactionsTable(SqlDatabase& db, const DatasetOptions& options) {
  if (!options.query.empty() || !options.table.empty()) return options.table;
  for (const char* t : {"interactions", "ratings", "events"}) {
    if (db.tableExists(t)) return t;
  }
  const std::string tables = db.tableList();
  throw IoError(
      db.description() + ": say which table or query holds the interactions (" +
      (tables.empty() ? std::string("no table named interactions, ratings or events") : tables) +
      ")");
}

/// Rows held in memory (a preview's first rows), replayed as a stream.
class BufferedRows final : public SqlRowStream {
 public:
  BufferedRows(std::vector<std::string> names, std::string reason)
      : names_(std::move(names)), reason_(std::move(reason)) {}
  const std::vector<std::string>& names() const override { return names_; }
  const char* unsupportedReason() const override { return reason_.c_str(); }
  bool next(std::vector<std::string_view>& fields, std::vector<bool>& unsupported) override {
    if (at_ == rows_.size()) return false;
    fields.assign(rows_[at_].begin(), rows_[at_].end());
    unsupported = unsupported_[at_];
    ++at_;
    return true;
  }
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::vector<bool>> unsupported_;

 private:
  std::vector<std::string> names_;
  std::string reason_;
  std::size_t at_ = 0;
};

}  // namespace

DatabasePreview previewFromDatabase(SqlDatabase& db, const DatasetOptions& options,
                                    PreviewTable part, std::size_t maxRows, TaskContext& ctx) {
  DatabasePreview p;
  p.source = db.description();
  std::string table, query;
  switch (part) {
    case PreviewTable::kInteractions:
      table = interactionsTable(db, options);
      query = options.query;
      break;
    case PreviewTable::kItemAttributes:
    case PreviewTable::kUserAttributes: {
      const bool items = part == PreviewTable::kItemAttributes;
      table = items ? options.itemsTable : options.usersTable;
      query = items ? options.itemsQuery : options.usersQuery;
      const char* fallback = items ? "items" : "users";
      if (table.empty() && query.empty()) {
        if (!db.tableExists(fallback)) {
          throw IoError(db.description() + ": no " + (items ? "item" : "user") +
                        " attribute table: give a table or a query (no table named " + fallback +
                        ")");
        }
        table = fallback;
      }
      break;
    }
  }
  const std::string sql = sourceSql(db, table, query, p.where);
  std::unique_ptr<BufferedRows> buffered;
  {
    const auto rows = db.open(sql, p.where, ctx);
    buffered = std::make_unique<BufferedRows>(rows->names(), rows->unsupportedReason());
    p.names = rows->names();
    std::vector<std::string_view> fields;
    std::vector<bool> unsupported;
    while (rows->next(fields, unsupported)) {
      if (p.rows.size() == maxRows) {
        p.more = true;
        break;
      }
      p.rows.emplace_back(fields.begin(), fields.end());
      buffered->unsupported_.push_back(unsupported);
      ctx.throwIfStopped();
    }
    p.types = rows->columnTypes();
  }
  p.types.resize(p.names.size());
  buffered->rows_ = p.rows;
  // The loader's own readers judge the rows; an error is part of the preview, not a failure.
  LoadResult result;
  try {
    if (part == PreviewTable::kInteractions) {
      const ColumnPlan plan =
          resolveColumns(p.names, p.names.size(), options.interactions, p.where, 0);
      p.user = plan.user;
      p.item = plan.item;
      p.value = plan.value;
      p.timestamp = plan.timestamp;
      p.event = plan.event;
      readInteractionRows(*buffered, options.interactions, p.where, result, ctx);
    } else {
      const bool items = part == PreviewTable::kItemAttributes;
      readAttributeRows(*buffered, items ? options.itemAttributes : options.userAttributes,
                        items ? EntityKind::kItem : EntityKind::kUser, options.interactions.strict,
                        p.where, result, ctx);
    }
  } catch (const ParseError& e) {
    p.error = e.what();
    p.errorRow = e.line();
    p.errorColumn = e.column();
  }
  for (const auto& issue : result.issues)
    p.issues.push_back({issue.line, issue.column, issue.reason});
  if (!result.tables.empty()) p.rowsLoaded = result.tables.back().rowsLoaded;
  return p;
}

LoadResult loadFromDatabase(SqlDatabase& db, const DatasetOptions& options, const std::string& name,
                            TaskContext& ctx) {
  const std::string table = interactionsTable(db, options);
  std::string where;
  const std::string sql = sourceSql(db, table, options.query, where);
  LoadResult result;
  result.dataset.source = where;
  result.dataset.name = name;
  {
    TaskContext main(ctx, 0.0, 0.9);
    const auto rows = db.open(sql, where, main);
    readInteractionRows(*rows, options.interactions, where, result, main);
  }
  trimInteractions(result.dataset.interactions);
  result.duplicatePairs = countDuplicatePairs(result.dataset);
  if (result.duplicatePairs > 0) {
    result.notes.push_back(std::to_string(result.duplicatePairs) +
                           " duplicate (user, item) pair(s) loaded as they are");
  }
  TaskContext rest(ctx, 0.9, 1.0);
  const bool strict = options.interactions.strict;
  if (!options.itemsQuery.empty() || !options.itemsTable.empty()) {
    loadAttributeSource(db, options.itemsTable, options.itemsQuery, options.itemAttributes,
                        EntityKind::kItem, strict, result, rest);
  } else if (db.tableExists("items")) {
    loadAttributeSource(db, "items", "", options.itemAttributes, EntityKind::kItem, strict, result,
                        rest);
  }
  if (!options.usersQuery.empty() || !options.usersTable.empty()) {
    loadAttributeSource(db, options.usersTable, options.usersQuery, options.userAttributes,
                        EntityKind::kUser, strict, result, rest);
  } else if (db.tableExists("users")) {
    loadAttributeSource(db, "users", "", options.userAttributes, EntityKind::kUser, strict, result,
                        rest);
  }
  result.dataset.userAttributes.ensureRows(result.dataset.numUsers());
  result.dataset.itemAttributes.ensureRows(result.dataset.numItems());
  ctx.progress(1.0, "loaded");
  return result;
}

}  // namespace rwb
