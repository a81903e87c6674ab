#include "core/export/database_rec_sink.h"

#include <charconv>
#include <chrono>
#include <ctime>
#include <vector>

#include "core/util/connection_string.h"
#include "core/util/error.h"
#include "core/util/odbc_connection.h"
#include "core/util/pg_connection.h"

namespace rwb {

namespace {

/// Now, UTC, as "YYYY-MM-DD HH:MM:SS" (what both COPY and ODBC timestamp parameters read).
std::string utcNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

/// One recommendation row held until its batch is written.
struct PendingRow {
  std::string user, item;
  double score;
  int rank;
  RecSource source;
};

/// Collects rows into batches of whole users; write() of the first row of the (n+1)-th user of a
/// batch writes the batch first. Each user's rows arrive together (batchScore writes them so).
class BatchingSink : public RecSink {
 public:
  explicit BatchingSink(std::size_t batchUsers)
      : batchUsers_(std::max<std::size_t>(1, batchUsers)) {}
  void write(std::string_view user, std::string_view item, double score, int rank,
             RecSource source) override {
    if (users_.empty() || users_.back() != user) {
      if (users_.size() == batchUsers_) {
        writeBatch(users_, rows_);
        users_.clear();
        rows_.clear();
      }
      users_.emplace_back(user);
    }
    rows_.push_back({users_.back(), std::string(item), score, rank, source});
  }
  void finish() override {
    if (!users_.empty()) writeBatch(users_, rows_);
    users_.clear();
    rows_.clear();
  }

 protected:
  /// Replaces the rows of `users` by `rows` in one transaction.
  virtual void writeBatch(const std::vector<std::string>& users,
                          const std::vector<PendingRow>& rows) = 0;

 private:
  std::size_t batchUsers_;
  std::vector<std::string> users_;
  std::vector<PendingRow> rows_;
};

void appendNumber(std::string& out, double v) {
  char num[32];
  const auto r = std::to_chars(num, num + sizeof num, v);
  out.append(num, r.ptr);
}

class PgRecSink final : public BatchingSink {
 public:
  PgRecSink(const std::string& uri, const DatabaseSinkOptions& o)
      : BatchingSink(o.batchUsers), db_(uri), modelId_(o.modelId), scoredAt_(utcNow() + "+00") {
    table_ = db_.quoteIdentifier(o.table);
    // Concurrent shards may all find the table missing: the lock lets one create it.
    const std::string key = escapeLiteral(o.table);
    db_.exec("BEGIN; SELECT pg_advisory_xact_lock(hashtext('rwb-recommendations:' || " + key +
                 "));"
                 "CREATE TABLE IF NOT EXISTS " +
                 table_ +
                 "(user_id text NOT NULL, item_id text NOT NULL, score double precision NOT NULL, "
                 "rank integer NOT NULL, fallback text NOT NULL, model_id text NOT NULL, "
                 "scored_at timestamptz NOT NULL, PRIMARY KEY (user_id, rank)); COMMIT",
             "creating table " + o.table);
  }

 protected:
  void writeBatch(const std::vector<std::string>& users,
                  const std::vector<PendingRow>& rows) override {
    std::string array = "{";
    for (const auto& u : users) {
      if (array.size() > 1) array += ',';
      array += '"';
      for (char c : u) {
        if (c == '"' || c == '\\') array += '\\';
        array += c;
      }
      array += '"';
    }
    array += '}';
    std::string copy;
    copy.reserve(rows.size() * 64);
    for (const auto& r : rows) {
      appendCopyText(copy, r.user);
      copy += '\t';
      appendCopyText(copy, r.item);
      copy += '\t';
      appendNumber(copy, r.score);
      copy += '\t';
      copy += std::to_string(r.rank);
      copy += '\t';
      copy += fallbackName(r.source);
      copy += '\t';
      appendCopyText(copy, modelId_);
      copy += '\t';
      copy += scoredAt_;
      copy += '\n';
    }
    db_.exec("BEGIN", "starting a batch");
    db_.execParams("DELETE FROM " + table_ + " WHERE user_id = ANY($1::text[])", {array.c_str()},
                   "replacing the batch's users");
    db_.copyIn("COPY " + table_ +
                   " (user_id, item_id, score, rank, fallback, model_id, scored_at) FROM STDIN",
               copy, "writing a batch");
    db_.exec("COMMIT", "committing a batch");
  }

 private:
  std::string escapeLiteral(const std::string& s) {
    char* e = PQescapeLiteral(db_.handle(), s.c_str(), s.size());
    std::string out = e;
    PQfreemem(e);
    return out;
  }
  PgConnection db_;
  std::string table_, modelId_, scoredAt_;
};

class OdbcRecSink final : public BatchingSink {
 public:
  OdbcRecSink(const std::string& source, const DatabaseSinkOptions& o)
      : BatchingSink(o.batchUsers), db_(source), modelId_(o.modelId), scoredAt_(utcNow()) {
    table_ = db_.quoteIdentifier(o.table);
    if (!tableExists()) {
      try {
        db_.exec("CREATE TABLE " + table_ +
                     " (user_id VARCHAR(256) NOT NULL, item_id VARCHAR(256) NOT NULL, score "
                     "DOUBLE PRECISION NOT NULL, rank INTEGER NOT NULL, fallback VARCHAR(16) NOT "
                     "NULL, model_id VARCHAR(64) NOT NULL, scored_at TIMESTAMP NOT NULL, PRIMARY "
                     "KEY (user_id, rank))",
                 "creating table " + o.table);
      } catch (const IoError&) {
        // Another shard may have created it in the meantime.
        if (!tableExists()) throw;
      }
    }
    db_.setAutocommit(false);
  }

 protected:
  void writeBatch(const std::vector<std::string>& users,
                  const std::vector<PendingRow>& rows) override {
    try {
      deleteUsers(users);
      insertRows(rows);
      db_.commit();
    } catch (...) {
      db_.rollback();
      throw;
    }
  }

 private:
  bool tableExists() {
    OdbcStatement s(db_);
    const std::string sql = "SELECT user_id FROM " + table_ + " WHERE 1 = 0";
    const SQLRETURN rc =
        SQLExecDirect(s.handle(), (SQLCHAR*)sql.c_str(), static_cast<SQLINTEGER>(sql.size()));
    const bool ok = rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO || rc == SQL_NO_DATA;
    // A failed statement may leave the transaction aborted on some servers.
    if (!ok) db_.rollback();
    return ok;
  }

  /// Packs strings into a fixed-width column buffer for a parameter array.
  static std::size_t pack(const std::vector<const std::string*>& values, std::vector<char>& buf,
                          std::vector<SQLLEN>& lengths) {
    std::size_t width = 1;
    for (const auto* v : values) width = std::max(width, v->size() + 1);
    buf.assign(width * values.size(), '\0');
    lengths.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::copy(values[i]->begin(), values[i]->end(), buf.begin() + i * width);
      lengths[i] = static_cast<SQLLEN>(values[i]->size());
    }
    return width;
  }

  void bindText(OdbcStatement& s, SQLUSMALLINT n, std::vector<char>& buf, std::size_t width,
                std::vector<SQLLEN>& lengths) {
    s.check(SQLBindParameter(s.handle(), n, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, width, 0,
                             buf.data(), static_cast<SQLLEN>(width), lengths.data()),
            "binding parameter " + std::to_string(n));
  }

  void setParamsetSize(OdbcStatement& s, std::size_t n) {
    s.check(SQLSetStmtAttr(s.handle(), SQL_ATTR_PARAM_BIND_TYPE, SQL_PARAM_BIND_BY_COLUMN, 0),
            "binding parameters");
    s.check(SQLSetStmtAttr(s.handle(), SQL_ATTR_PARAMSET_SIZE, reinterpret_cast<SQLPOINTER>(n), 0),
            "setting the batch size");
  }

  void execute(OdbcStatement& s, const std::string& sql, const std::string& context) {
    s.check(SQLExecDirect(s.handle(), (SQLCHAR*)sql.c_str(), static_cast<SQLINTEGER>(sql.size())),
            context, true);
  }

  void deleteUsers(const std::vector<std::string>& users) {
    std::vector<const std::string*> values;
    for (const auto& u : users) values.push_back(&u);
    OdbcStatement s(db_);
    std::vector<char> buf;
    std::vector<SQLLEN> lengths;
    const std::size_t width = pack(values, buf, lengths);
    setParamsetSize(s, values.size());
    bindText(s, 1, buf, width, lengths);
    execute(s, "DELETE FROM " + table_ + " WHERE user_id = ?", "replacing the batch's users");
  }

  void insertRows(const std::vector<PendingRow>& rows) {
    constexpr std::size_t kChunk = 2000;
    for (std::size_t begin = 0; begin < rows.size(); begin += kChunk) {
      const std::size_t n = std::min(kChunk, rows.size() - begin);
      std::vector<const std::string*> users, items, fallbacks, models, times;
      std::vector<std::string> fallbackText(n);
      std::vector<double> scores(n);
      std::vector<SQLINTEGER> ranks(n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& r = rows[begin + i];
        users.push_back(&r.user);
        items.push_back(&r.item);
        fallbackText[i] = std::string(fallbackName(r.source));
        fallbacks.push_back(&fallbackText[i]);
        models.push_back(&modelId_);
        times.push_back(&scoredAt_);
        scores[i] = r.score;
        ranks[i] = r.rank;
      }
      std::vector<char> ub, ib, fb, mb, tb;
      std::vector<SQLLEN> ul, il, fl, ml, tl;
      const auto uw = pack(users, ub, ul), iw = pack(items, ib, il), fw = pack(fallbacks, fb, fl),
                 mw = pack(models, mb, ml), tw = pack(times, tb, tl);
      OdbcStatement s(db_);
      setParamsetSize(s, n);
      bindText(s, 1, ub, uw, ul);
      bindText(s, 2, ib, iw, il);
      s.check(SQLBindParameter(s.handle(), 3, SQL_PARAM_INPUT, SQL_C_DOUBLE, SQL_DOUBLE, 0, 0,
                               scores.data(), 0, nullptr),
              "binding parameter 3");
      s.check(SQLBindParameter(s.handle(), 4, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0, 0,
                               ranks.data(), 0, nullptr),
              "binding parameter 4");
      bindText(s, 5, fb, fw, fl);
      bindText(s, 6, mb, mw, ml);
      s.check(SQLBindParameter(s.handle(), 7, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_TYPE_TIMESTAMP, 19,
                               0, tb.data(), static_cast<SQLLEN>(tw), tl.data()),
              "binding parameter 7");
      execute(s,
              "INSERT INTO " + table_ +
                  " (user_id, item_id, score, rank, fallback, model_id, scored_at) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?)",
              "writing a batch");
    }
  }

  OdbcConnection db_;
  std::string table_, modelId_, scoredAt_;
};

}  // namespace

std::unique_ptr<RecSink> openDatabaseRecSink(const std::string& target,
                                             const DatabaseSinkOptions& options) {
  if (options.table.empty()) {
    throw SpecError("--table", "is required when --out is a database (the table to write)");
  }
  switch (databaseKind(target)) {
    case DatabaseKind::kPostgreSql:
      return std::make_unique<PgRecSink>(target, options);
    case DatabaseKind::kOdbc:
      return std::make_unique<OdbcRecSink>(target, options);
    case DatabaseKind::kNone:
      break;
  }
  throw SpecError("--out", "not a database source: '" + target + "'");
}

}  // namespace rwb
