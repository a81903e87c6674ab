// ODBC sources through unixODBC: interactions (and optionally item/user attributes) from a
// table or a query, fetched in row arrays (column-wise binding) as UTF-16 text converted to UTF-8.
#include <algorithm>
#include <memory>

#include "core/data/dataset_loader.h"
#include "core/data/sql_rows.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"
#include "core/util/odbc_connection.h"

namespace rwb {

namespace {

constexpr std::size_t kMaxRowsPerFetch = 1024;
constexpr std::size_t kFetchBytes = 8u << 20;    // buffer of one row array
constexpr std::size_t kMaxValueChars = 32768;    // widest value read (UTF-16 units)
constexpr std::size_t kDefaultTextChars = 4096;  // width of unbounded text columns

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// UTF-16 to UTF-8; false on an unpaired surrogate.
bool utf16ToUtf8(const SQLWCHAR* s, std::size_t n, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t c = s[i];
    if (c >= 0xD800 && c < 0xDC00) {
      if (i + 1 >= n || s[i + 1] < 0xDC00 || s[i + 1] >= 0xE000) return false;
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xDC00 && c < 0xE000) {
      return false;
    }
    appendUtf8(out, c);
  }
  return true;
}

bool isBinary(SQLSMALLINT type) {
  return type == SQL_BINARY || type == SQL_VARBINARY || type == SQL_LONGVARBINARY;
}

/// Rows of a statement, fetched kMaxRowsPerFetch (or fewer for wide rows) at a time.
class OdbcRows final : public SqlRowStream {
 public:
  OdbcRows(OdbcConnection& db, const std::string& sql, std::string where)
      : stmt_(db), where_(std::move(where)) {
    SQLHSTMT h = stmt_.handle();
    stmt_.check(SQLExecDirect(h, (SQLCHAR*)sql.c_str(), static_cast<SQLINTEGER>(sql.size())),
                "in " + where_);
    SQLSMALLINT n = 0;
    stmt_.check(SQLNumResultCols(h, &n), "in " + where_);
    if (n <= 0) throw IoError("ODBC " + where_ + ": the statement returns no columns");
    std::size_t rowBytes = 0;
    for (SQLUSMALLINT c = 1; c <= static_cast<SQLUSMALLINT>(n); ++c) {
      SQLCHAR name[512] = {};
      SQLSMALLINT nameLen = 0, type = 0, digits = 0, nullable = 0;
      SQLULEN size = 0;
      stmt_.check(
          SQLDescribeCol(h, c, name, sizeof name, &nameLen, &type, &size, &digits, &nullable),
          "describing " + where_);
      names_.emplace_back(reinterpret_cast<const char*>(name));
      binary_.push_back(isBinary(type));
      // Numbers and dates fit in 64 characters; text as wide as declared, up to a cap.
      std::size_t chars = 64;
      if (type == SQL_CHAR || type == SQL_VARCHAR || type == SQL_LONGVARCHAR || type == SQL_WCHAR ||
          type == SQL_WVARCHAR || type == SQL_WLONGVARCHAR || binary_.back()) {
        chars = size == 0 || size > kMaxValueChars ? kDefaultTextChars : size;
      }
      width_.push_back(chars + 1);
      rowBytes += (chars + 1) * sizeof(SQLWCHAR) + sizeof(SQLLEN);
    }
    rows_ = std::clamp<std::size_t>(kFetchBytes / rowBytes, 1, kMaxRowsPerFetch);
    stmt_.check(SQLSetStmtAttr(h, SQL_ATTR_ROW_BIND_TYPE, SQL_BIND_BY_COLUMN, 0), "binding");
    stmt_.check(SQLSetStmtAttr(h, SQL_ATTR_ROW_ARRAY_SIZE, reinterpret_cast<SQLPOINTER>(rows_), 0),
                "setting the fetch size");
    stmt_.check(SQLSetStmtAttr(h, SQL_ATTR_ROWS_FETCHED_PTR, &fetched_, 0), "binding");
    buffers_.resize(names_.size());
    indicators_.resize(names_.size());
    for (std::size_t c = 0; c < names_.size(); ++c) {
      buffers_[c].resize(width_[c] * rows_);
      indicators_[c].resize(rows_);
      stmt_.check(
          SQLBindCol(h, static_cast<SQLUSMALLINT>(c + 1), SQL_C_WCHAR, buffers_[c].data(),
                     static_cast<SQLLEN>(width_[c] * sizeof(SQLWCHAR)), indicators_[c].data()),
          "binding column " + std::to_string(c + 1) + " of " + where_);
    }
    text_.resize(names_.size());
  }
  const std::vector<std::string>& names() const override { return names_; }
  const char* unsupportedReason() const override { return "binary values are not supported"; }
  std::vector<std::string> columnTypes() override {
    std::vector<std::string> out(names_.size());
    for (std::size_t c = 0; c < out.size(); ++c) {
      SQLCHAR name[256] = {};
      SQLSMALLINT len = 0;
      const SQLRETURN rc = SQLColAttribute(stmt_.handle(), static_cast<SQLUSMALLINT>(c + 1),
                                           SQL_DESC_TYPE_NAME, name, sizeof name, &len, nullptr);
      if (SQL_SUCCEEDED(rc)) out[c] = reinterpret_cast<const char*>(name);
    }
    return out;
  }
  bool next(std::vector<std::string_view>& fields, std::vector<bool>& unsupported) override {
    if (at_ == fetched_) {
      if (done_) return false;
      const SQLRETURN rc = SQLFetch(stmt_.handle());
      if (rc == SQL_NO_DATA) {
        done_ = true;
        return false;
      }
      stmt_.check(rc, "reading " + where_ + " after row " + std::to_string(read_));
      at_ = 0;
      if (fetched_ == 0) return false;
    }
    const std::size_t n = names_.size();
    fields.resize(n);
    unsupported.resize(n);
    const std::uint64_t row = read_ + 1;
    for (std::size_t c = 0; c < n; ++c) {
      const SQLLEN ind = indicators_[c][at_];
      unsupported[c] = binary_[c] && ind != SQL_NULL_DATA;
      fields[c] = std::string_view();
      if (ind == SQL_NULL_DATA || binary_[c]) continue;
      const std::size_t units =
          ind == SQL_NO_TOTAL ? width_[c] : static_cast<std::size_t>(ind) / sizeof(SQLWCHAR);
      if (units >= width_[c]) {
        throw ParseError(where_, row, c + 1,
                         "value longer than " + std::to_string(width_[c] - 1) +
                             " characters (the column's declared width)");
      }
      if (!utf16ToUtf8(buffers_[c].data() + at_ * width_[c], units, text_[c])) {
        // An unpaired surrogate: handed on as invalid UTF-8 so the loaders reject the row.
        text_[c] = "\xFF";
      }
      fields[c] = text_[c];
    }
    ++at_;
    ++read_;
    return true;
  }

 private:
  OdbcStatement stmt_;
  std::string where_;
  std::vector<std::string> names_;
  std::vector<bool> binary_;
  std::vector<std::size_t> width_;  // UTF-16 units per value, terminator included
  std::vector<std::vector<SQLWCHAR>> buffers_;
  std::vector<std::vector<SQLLEN>> indicators_;
  std::vector<std::string> text_;
  std::size_t rows_ = 1;
  SQLULEN fetched_ = 0;
  SQLULEN at_ = 0;
  bool done_ = false;
  std::uint64_t read_ = 0;
};

class OdbcSource final : public SqlDatabase {
 public:
  explicit OdbcSource(OdbcConnection& db) : db_(db) {}
  std::string description() const override { return "ODBC " + db_.description(); }
  std::string wherePrefix() const override { return db_.description(); }
  bool tableExists(const std::string& table) override {
    OdbcStatement s(db_);
    const std::string sql = "SELECT * FROM " + db_.quoteIdentifier(table) + " WHERE 1 = 0";
    const SQLRETURN rc =
        SQLExecDirect(s.handle(), (SQLCHAR*)sql.c_str(), static_cast<SQLINTEGER>(sql.size()));
    return rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO || rc == SQL_NO_DATA;
  }
  std::string quoteTable(const std::string& table) override { return db_.quoteIdentifier(table); }
  std::unique_ptr<SqlRowStream> open(const std::string& sql, const std::string& where,
                                     TaskContext&) override {
    return std::make_unique<OdbcRows>(db_, sql, where);
  }

 private:
  OdbcConnection& db_;
};

}  // namespace

LoadResult loadOdbc(const std::string& source, const DatasetOptions& options, TaskContext& ctx) {
  OdbcConnection db(source);
  OdbcSource database(db);
  return loadFromDatabase(database, options, "odbc", ctx);
}

DatabasePreview previewOdbc(const std::string& source, const DatasetOptions& options,
                            PreviewTable part, std::size_t maxRows, TaskContext& ctx) {
  OdbcConnection db(source);
  OdbcSource database(db);
  return previewFromDatabase(database, options, part, maxRows, ctx);
}

}  // namespace rwb
