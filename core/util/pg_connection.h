#pragma once
/// \file
/// A thin RAII wrapper over libpq: one connection, results, COPY FROM STDIN. Every failure throws
/// IoError with the server's message and the redacted source (never a credential). Credentials
/// come from the URI, the environment (PGPASSWORD, PGUSER, ...) or ~/.pgpass, as libpq reads them.

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rwb {

class TaskContext;

/// Owns a PGresult.
struct PgResultDeleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

/// One PostgreSQL connection. Not thread-safe; use one per thread.
class PgConnection {
 public:
  /// Seconds a connection may take (TCP, TLS, start-up and authentication) unless the URI
  /// (`?connect_timeout=N`) or PGCONNECT_TIMEOUT says otherwise: libpq itself waits for ever
  /// for a server that accepts the connection and never answers.
  static constexpr int kDefaultConnectTimeoutSeconds = 10;

  /// Connects to a libpq URI (postgresql://...). Throws IoError naming the redacted URI.
  explicit PgConnection(const std::string& uri);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  /// The URI without credentials (redactConnectionString): for messages and records.
  const std::string& description() const noexcept { return description_; }
  PGconn* handle() const noexcept { return conn_; }

  /// Runs SQL (one or more statements) and returns the last result. Throws IoError("PostgreSQL
  /// <description>: <context>: <message>") unless it ends with COMMAND_OK or TUPLES_OK. With
  /// `ctx`, waits for the answer in slices of 50 ms and asks the server to cancel the statement
  /// when ctx is stopped (then throws Cancelled).
  PgResult exec(const std::string& sql, const std::string& context,
                const TaskContext* ctx = nullptr);
  /// Runs a statement with text parameters ($1, $2...; nullptr = NULL). Same errors as exec().
  PgResult execParams(const std::string& sql, const std::vector<const char*>& values,
                      const std::string& context);
  /// Sends `data` (COPY text format) to a `COPY ... FROM STDIN` statement and waits for it to
  /// end. Throws IoError on failure.
  void copyIn(const std::string& copySql, std::string_view data, const std::string& context);

  /// "identifier" quoted for SQL; a dotted name ("schema.table") is quoted part by part.
  std::string quoteIdentifier(std::string_view name) const;

  /// Throws IoError with the connection's last message.
  [[noreturn]] void fail(const std::string& context) const;

 private:
  PGconn* conn_ = nullptr;
  std::string description_;
};

/// Appends `text` escaped for the COPY text format (backslash, tab, newline, carriage return).
void appendCopyText(std::string& out, std::string_view text);

}  // namespace rwb
