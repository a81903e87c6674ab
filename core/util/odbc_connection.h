#pragma once
/// \file
/// A thin RAII wrapper over unixODBC: environment, connection, statements. Every failure throws
/// IoError with the driver's diagnostics and the redacted source (never a credential).
/// Credentials come from the connection string, or from the DSN's entry in odbc.ini.

#include <sql.h>
#include <sqlext.h>

#include <string>

namespace rwb {

/// The driver's diagnostic records of a handle, "SQLSTATE: message; ..." (credentials removed).
std::string odbcDiagnostics(SQLSMALLINT handleType, SQLHANDLE handle);

class OdbcConnection;

/// One statement handle of a connection.
class OdbcStatement {
 public:
  explicit OdbcStatement(OdbcConnection& connection);
  ~OdbcStatement();
  OdbcStatement(const OdbcStatement&) = delete;
  OdbcStatement& operator=(const OdbcStatement&) = delete;
  SQLHSTMT handle() const noexcept { return stmt_; }
  /// Throws IoError unless rc is SQL_SUCCESS or SQL_SUCCESS_WITH_INFO (SQL_NO_DATA passes too
  /// when allowNoData).
  void check(SQLRETURN rc, const std::string& context, bool allowNoData = false) const;

 private:
  OdbcConnection& connection_;
  SQLHSTMT stmt_ = SQL_NULL_HSTMT;
};

/// One ODBC connection (an environment of its own). Not thread-safe; use one per thread.
class OdbcConnection {
 public:
  /// Connects with an `odbc:` source (see odbcConnectionString). Throws IoError naming the
  /// redacted source.
  explicit OdbcConnection(const std::string& source);
  ~OdbcConnection();
  OdbcConnection(const OdbcConnection&) = delete;
  OdbcConnection& operator=(const OdbcConnection&) = delete;

  const std::string& description() const noexcept { return description_; }
  SQLHDBC handle() const noexcept { return dbc_; }
  /// Runs one statement without results. Throws IoError.
  void exec(const std::string& sql, const std::string& context);
  /// Switches autocommit; with it off, commit() / rollback() end each transaction.
  void setAutocommit(bool on);
  void commit();
  void rollback() noexcept;
  /// The database's identifier quote character ('"' by default).
  std::string quoteIdentifier(const std::string& name);
  /// Throws IoError("ODBC <description>: <context>: <diagnostics>").
  [[noreturn]] void fail(SQLSMALLINT handleType, SQLHANDLE handle,
                         const std::string& context) const;

 private:
  SQLHENV env_ = SQL_NULL_HENV;
  SQLHDBC dbc_ = SQL_NULL_HDBC;
  bool connected_ = false;
  std::string description_;
  std::string quote_;
};

}  // namespace rwb
