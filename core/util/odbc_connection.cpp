#include "core/util/odbc_connection.h"

#include "core/util/connection_string.h"
#include "core/util/error.h"

namespace rwb {

namespace {

bool ok(SQLRETURN rc) { return rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO; }

}  // namespace

std::string odbcDiagnostics(SQLSMALLINT handleType, SQLHANDLE handle) {
  std::string out;
  for (SQLSMALLINT i = 1; i <= 5; ++i) {
    SQLCHAR state[8] = {};
    SQLCHAR message[1024] = {};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    const SQLRETURN rc =
        SQLGetDiagRec(handleType, handle, i, state, &native, message, sizeof message, &length);
    if (!ok(rc)) break;
    if (!out.empty()) out += "; ";
    out += reinterpret_cast<const char*>(state);
    out += ": ";
    out += reinterpret_cast<const char*>(message);
  }
  if (out.empty()) out = "no diagnostics from the driver";
  // Drivers may echo the connection string they were given.
  return redactConnectionString("odbc:" + out).substr(5);
}

OdbcStatement::OdbcStatement(OdbcConnection& connection) : connection_(connection) {
  if (!ok(SQLAllocHandle(SQL_HANDLE_STMT, connection.handle(), &stmt_))) {
    connection.fail(SQL_HANDLE_DBC, connection.handle(), "allocating a statement");
  }
}

OdbcStatement::~OdbcStatement() {
  if (stmt_ != SQL_NULL_HSTMT) SQLFreeHandle(SQL_HANDLE_STMT, stmt_);
}

void OdbcStatement::check(SQLRETURN rc, const std::string& context, bool allowNoData) const {
  if (ok(rc) || (allowNoData && rc == SQL_NO_DATA)) return;
  connection_.fail(SQL_HANDLE_STMT, stmt_, context);
}

OdbcConnection::OdbcConnection(const std::string& source)
    : description_(redactConnectionString(source)) {
  if (!ok(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env_))) {
    throw IoError("ODBC " + description_ + ": cannot allocate an environment");
  }
  SQLSetEnvAttr(env_, SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  if (!ok(SQLAllocHandle(SQL_HANDLE_DBC, env_, &dbc_))) {
    SQLFreeHandle(SQL_HANDLE_ENV, env_);
    throw IoError("ODBC " + description_ + ": cannot allocate a connection");
  }
  const std::string conn = odbcConnectionString(source);
  SQLCHAR outConn[1024];
  SQLSMALLINT outLen = 0;
  const SQLRETURN rc =
      SQLDriverConnect(dbc_, nullptr, (SQLCHAR*)conn.c_str(), static_cast<SQLSMALLINT>(conn.size()),
                       outConn, sizeof outConn, &outLen, SQL_DRIVER_NOPROMPT);
  if (!ok(rc)) {
    const std::string why = odbcDiagnostics(SQL_HANDLE_DBC, dbc_);
    SQLFreeHandle(SQL_HANDLE_DBC, dbc_);
    SQLFreeHandle(SQL_HANDLE_ENV, env_);
    throw IoError("cannot connect to ODBC " + description_ + ": " + why);
  }
  connected_ = true;
}

OdbcConnection::~OdbcConnection() {
  if (connected_) {
    // An open transaction is rolled back, never committed half-way.
    SQLEndTran(SQL_HANDLE_DBC, dbc_, SQL_ROLLBACK);
    SQLDisconnect(dbc_);
  }
  SQLFreeHandle(SQL_HANDLE_DBC, dbc_);
  SQLFreeHandle(SQL_HANDLE_ENV, env_);
}

void OdbcConnection::fail(SQLSMALLINT handleType, SQLHANDLE handle,
                          const std::string& context) const {
  throw IoError("ODBC " + description_ + ": " + context + ": " +
                odbcDiagnostics(handleType, handle));
}

void OdbcConnection::exec(const std::string& sql, const std::string& context) {
  OdbcStatement s(*this);
  s.check(SQLExecDirect(s.handle(), (SQLCHAR*)sql.c_str(), static_cast<SQLINTEGER>(sql.size())),
          context, true);
}

void OdbcConnection::setAutocommit(bool on) {
  const SQLRETURN rc = SQLSetConnectAttr(dbc_, SQL_ATTR_AUTOCOMMIT,
                                         reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(
                                             on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF)),
                                         0);
  if (!ok(rc)) fail(SQL_HANDLE_DBC, dbc_, "setting autocommit");
}

void OdbcConnection::commit() {
  if (!ok(SQLEndTran(SQL_HANDLE_DBC, dbc_, SQL_COMMIT))) fail(SQL_HANDLE_DBC, dbc_, "committing");
}

void OdbcConnection::rollback() noexcept { SQLEndTran(SQL_HANDLE_DBC, dbc_, SQL_ROLLBACK); }

std::string OdbcConnection::quoteIdentifier(const std::string& name) {
  if (quote_.empty()) {
    char q[8] = {};
    SQLSMALLINT len = 0;
    if (ok(SQLGetInfo(dbc_, SQL_IDENTIFIER_QUOTE_CHAR, q, sizeof q, &len)) && len > 0 &&
        q[0] != ' ') {
      quote_ = std::string(q, static_cast<std::size_t>(len));
    } else {
      quote_ = "\"";
    }
  }
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    if (!out.empty()) out += '.';
    out += quote_ + name.substr(start, dot == std::string::npos ? dot : dot - start) + quote_;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace rwb
