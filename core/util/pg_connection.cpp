#include "core/util/pg_connection.h"

#include <poll.h>

#include <cstdlib>

#include "core/util/connection_string.h"
#include "core/util/error.h"
#include "core/util/task_context.h"

namespace rwb {

namespace {

std::string trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  // libpq's multi-line messages read better on one line.
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

PgConnection::PgConnection(const std::string& uri) : description_(redactConnectionString(uri)) {
  // The URI is expanded as "dbname" after the default timeout, so a connect_timeout in the URI
  // overrides it; PGCONNECT_TIMEOUT is honoured by leaving the default out.
  const std::string timeout = std::to_string(kDefaultConnectTimeoutSeconds);
  const bool envTimeout = std::getenv("PGCONNECT_TIMEOUT") != nullptr;
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), uri.c_str(), nullptr};
  conn_ = PQconnectdbParams(envTimeout ? keys + 1 : keys, envTimeout ? values + 1 : values, 1);
  if (conn_ == nullptr) throw IoError("PostgreSQL " + description_ + ": out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = redactConnectionString(trimmed(PQerrorMessage(conn_)));
    PQfinish(conn_);
    conn_ = nullptr;
    throw IoError("cannot connect to PostgreSQL " + description_ + ": " + message);
  }
  // Server notices (e.g. "drop cascades to ...") are not errors; they are not printed.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  // Values are exchanged as text in a fixed form, whatever the server's defaults.
  exec("SET client_encoding = 'UTF8'; SET DateStyle = 'ISO'; SET extra_float_digits = 3",
       "setting up the session");
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

void PgConnection::fail(const std::string& context) const {
  throw IoError("PostgreSQL " + description_ + ": " + context + ": " +
                redactConnectionString(trimmed(PQerrorMessage(conn_))));
}

PgResult PgConnection::exec(const std::string& sql, const std::string& context,
                            const TaskContext* ctx) {
  if (ctx == nullptr) {
    PgResult r(PQexec(conn_, sql.c_str()));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(context);
    return r;
  }
  if (PQsendQuery(conn_, sql.c_str()) == 0) fail(context);
  bool cancelled = false;
  while (true) {
    if (PQconsumeInput(conn_) == 0) fail(context);
    if (PQisBusy(conn_) == 0) break;
    if (!cancelled && ctx->stopRequested()) {
      // Ask the server to stop; the statement then ends with an error that is dropped below.
      if (PGcancel* cancel = PQgetCancel(conn_)) {
        char err[256];
        PQcancel(cancel, err, sizeof err);
        PQfreeCancel(cancel);
      }
      cancelled = true;
    }
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    poll(&fd, 1, 50);
  }
  PgResult last;
  while (PGresult* r = PQgetResult(conn_)) last.reset(r);
  if (cancelled) throw Cancelled();
  const auto status = last ? PQresultStatus(last.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(context);
  return last;
}

PgResult PgConnection::execParams(const std::string& sql, const std::vector<const char*>& values,
                                  const std::string& context) {
  PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, 0));
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(context);
  return r;
}

void PgConnection::copyIn(const std::string& copySql, std::string_view data,
                          const std::string& context) {
  PgResult start(PQexec(conn_, copySql.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) fail(context);
  // Sent in pieces of at most 1 MiB; libpq buffers and flushes as needed.
  constexpr std::size_t kPiece = 1u << 20;
  for (std::size_t at = 0; at < data.size(); at += kPiece) {
    const auto n = std::min(kPiece, data.size() - at);
    if (PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) != 1) fail(context);
  }
  if (PQputCopyEnd(conn_, nullptr) != 1) fail(context);
  PgResult last;
  while (PGresult* r = PQgetResult(conn_)) last.reset(r);
  if (!last || PQresultStatus(last.get()) != PGRES_COMMAND_OK) fail(context);
}

std::string PgConnection::quoteIdentifier(std::string_view name) const {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    const auto part = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    if (!out.empty()) out += '.';
    out += '"';
    for (char c : part) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

void appendCopyText(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace rwb
