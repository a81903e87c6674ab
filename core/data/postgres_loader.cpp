// PostgreSQL sources through libpq: interactions (and optionally item/user attributes) from a
// table or a query, streamed through a server-side cursor in batches of kFetchRows.
#include <charconv>
#include <memory>

#include "core/data/dataset_loader.h"
#include "core/data/sql_rows.h"
#include "core/util/error.h"
#include "core/util/pg_connection.h"

namespace rwb {

namespace {

constexpr int kFetchRows = 20000;
constexpr unsigned kByteaOid = 17;
constexpr unsigned kTimestampTzOid = 1184;

/// The planner's row estimate of a statement (EXPLAIN's first line, "rows=N"); -1 when unknown.
double estimateRows(PgConnection& db, const std::string& sql) {
  PGresult* raw = PQexec(db.handle(), ("EXPLAIN " + sql).c_str());
  PgResult r(raw);
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) == 0) return -1;
  const std::string_view line = PQgetvalue(r.get(), 0, 0);
  const auto at = line.find("rows=");
  if (at == std::string_view::npos) return -1;
  double rows = -1;
  std::from_chars(line.data() + at + 5, line.data() + line.size(), rows);
  return rows;
}

/// Rows of a query through a cursor in a read-only transaction of its own.
class PgRows final : public SqlRowStream {
 public:
  PgRows(PgConnection& db, const std::string& sql, std::string where, TaskContext& ctx)
      : db_(db), where_(std::move(where)), ctx_(ctx) {
    estimate_ = estimateRows(db_, sql);
    db_.exec("BEGIN READ ONLY", "starting a transaction");
    open_ = true;
    try {
      db_.exec("DECLARE rwb_rows NO SCROLL CURSOR FOR " + sql, "in " + where_, &ctx_);
      fetch();
    } catch (...) {
      // The destructor does not run for a throwing constructor: end the transaction here, so
      // the connection stays usable.
      PgResult(PQexec(db_.handle(), "ROLLBACK"));
      throw;
    }
    const int n = PQnfields(batch_.get());
    for (int c = 0; c < n; ++c) {
      names_.emplace_back(PQfname(batch_.get(), c));
      types_.push_back(PQftype(batch_.get(), c));
    }
    fixed_.resize(names_.size());
  }
  ~PgRows() override {
    // Reading ended early (error, cancel): the transaction is dropped with its cursor.
    if (open_) PgResult(PQexec(db_.handle(), "ROLLBACK"));
  }
  const std::vector<std::string>& names() const override { return names_; }
  const char* unsupportedReason() const override {
    return "binary (bytea) values are not supported";
  }
  std::vector<std::string> columnTypes() override {
    // The server's own names (format_type), one round trip for all columns.
    std::string oids = "{";
    for (std::size_t c = 0; c < types_.size(); ++c) {
      oids += (c ? "," : "") + std::to_string(types_[c]);
    }
    oids += "}";
    std::vector<std::string> out(types_.size());
    try {
      const PgResult r = db_.execParams(
          "SELECT format_type(t, NULL) FROM unnest($1::oid[]) WITH ORDINALITY AS u(t, n) "
          "ORDER BY n",
          {oids.c_str()}, "naming the column types of " + where_);
      for (int c = 0; c < PQntuples(r.get()) && c < static_cast<int>(out.size()); ++c) {
        out[static_cast<std::size_t>(c)] = PQgetvalue(r.get(), c, 0);
      }
    } catch (const IoError&) {
      for (std::size_t c = 0; c < out.size(); ++c) out[c] = "oid " + std::to_string(types_[c]);
    }
    return out;
  }
  double fractionRead() const override {
    return estimate_ > 0 ? static_cast<double>(read_) / estimate_ : -1.0;
  }
  bool next(std::vector<std::string_view>& fields, std::vector<bool>& unsupported) override {
    if (at_ == PQntuples(batch_.get())) {
      if (last_) {
        if (open_) {
          db_.exec("CLOSE rwb_rows; COMMIT", "ending the read");
          open_ = false;
        }
        return false;
      }
      fetch();
      if (PQntuples(batch_.get()) == 0) return next(fields, unsupported);
    }
    const std::size_t n = names_.size();
    fields.resize(n);
    unsupported.resize(n);
    PGresult* r = batch_.get();
    for (std::size_t c = 0; c < n; ++c) {
      const int ci = static_cast<int>(c);
      const bool null = PQgetisnull(r, at_, ci) != 0;
      unsupported[c] = types_[c] == kByteaOid && !null;
      if (null || unsupported[c]) {
        fields[c] = std::string_view();
        continue;
      }
      std::string_view v(PQgetvalue(r, at_, ci), static_cast<std::size_t>(PQgetlength(r, at_, ci)));
      if (types_[c] == kTimestampTzOid && v.size() > 3 &&
          (v[v.size() - 3] == '+' || v[v.size() - 3] == '-')) {
        // The server writes a whole-hour zone as "+00"; the ISO reader wants "+00:00".
        fixed_[c].assign(v);
        fixed_[c] += ":00";
        v = fixed_[c];
      }
      fields[c] = v;
    }
    ++at_;
    ++read_;
    return true;
  }

 private:
  void fetch() {
    batch_ = db_.exec("FETCH " + std::to_string(kFetchRows) + " FROM rwb_rows",
                      "reading " + where_ + " after row " + std::to_string(read_), &ctx_);
    at_ = 0;
    last_ = PQntuples(batch_.get()) < kFetchRows;
  }
  PgConnection& db_;
  std::string where_;
  TaskContext& ctx_;
  PgResult batch_;
  int at_ = 0;
  bool last_ = false;
  bool open_ = false;
  std::uint64_t read_ = 0;
  double estimate_ = -1;
  std::vector<std::string> names_;
  std::vector<unsigned> types_;
  std::vector<std::string> fixed_;
};

class PgSource final : public SqlDatabase {
 public:
  explicit PgSource(PgConnection& db) : db_(db) {}
  std::string description() const override { return "PostgreSQL " + db_.description(); }
  std::string wherePrefix() const override { return db_.description(); }
  bool tableExists(const std::string& table) override {
    PgResult r(PQexec(db_.handle(),
                      ("SELECT * FROM " + db_.quoteIdentifier(table) + " WHERE false").c_str()));
    return r && PQresultStatus(r.get()) == PGRES_TUPLES_OK;
  }
  std::string quoteTable(const std::string& table) override { return db_.quoteIdentifier(table); }
  std::unique_ptr<SqlRowStream> open(const std::string& sql, const std::string& where,
                                     TaskContext& ctx) override {
    return std::make_unique<PgRows>(db_, sql, where, ctx);
  }

 private:
  PgConnection& db_;
};

}  // namespace

LoadResult loadPostgreSql(const std::string& uri, const DatasetOptions& options, TaskContext& ctx) {
  PgConnection db(uri);
  PgSource source(db);
  // Named after the database (the URI's path), as a file source is named after its file.
  const char* name = PQdb(db.handle());
  return loadFromDatabase(source, options, name != nullptr ? name : "postgresql", ctx);
}

DatabasePreview previewPostgreSql(const std::string& uri, const DatasetOptions& options,
                                  PreviewTable part, std::size_t maxRows, TaskContext& ctx) {
  PgConnection db(uri);
  PgSource source(db);
  return previewFromDatabase(source, options, part, maxRows, ctx);
}

}  // namespace rwb
