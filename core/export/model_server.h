#pragma once
/// \file
/// The near-real-time endpoint: a model package served over HTTP/JSON (cpp-httplib).
///
/// Routes (answers are JSON, /metrics aside; errors are {"error": "..."} with the status below):
///   GET  /health                      200 {"status":"ok", ...}
///   GET  /metadata                    200 package info
///   GET  /recommend?user=U&k=10[&exclude=i1,i2][&exclude_seen=true|false]
///   POST /score  {"user": "U", "items": ["i1", ...]}       scores for candidate items
///   GET  /similar?item=I&k=10
///   POST /admin/reload                 re-reads the package file (atomic swap)
///   GET  /metrics                      Prometheus text format: requests by route and status,
///                                      latency histograms by route, model info, reloads
/// 400: bad or unknown parameters, a parameter that is not valid UTF-8, malformed JSON; 404:
/// unknown route or unknown item in /similar; 405: wrong method; 408: request not complete by
/// its deadline; 413: body over the size limit, however framed; 431: head over 64 KiB; 503: too
/// many connections. Unknown users are answered with the popularity fallback and
/// "fallback": true, never an error. Pipelined requests are answered in order.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/export/model_package.h"

namespace httplib {
class Server;
}

namespace rwb {

class HardenedServer;  // model_server.cpp: httplib::Server with a hardened connection loop

struct ServerOptions {
  std::string host = "127.0.0.1";  ///< loopback unless told otherwise
  int port = 8080;                 ///< 0 = any free port (see ModelServer::port())
  int threads = 4;  ///< route handlers computing at once (connections wait for a slot)
  /// Connections served at once, each on its own (mostly waiting) thread; as many more wait in
  /// a queue, and any beyond that are answered 503 and closed at once.
  int maxConnections = 64;
  /// Largest request body in bytes, however framed (Content-Length or chunked; chunk framing
  /// counts): larger bodies get 413 and the connection is closed.
  std::size_t maxBodyBytes = 1 << 20;
  /// Deadline for a whole request (line, headers and body) from its first byte, or from the
  /// start of a new connection: a client that has not sent it all by then gets 408 and is
  /// disconnected, however steadily it trickles bytes.
  int requestTimeoutSeconds = 10;
  int readTimeoutSeconds = 5;   ///< longest silence within a request (408, disconnected)
  int writeTimeoutSeconds = 5;  ///< longest wait for the client to take response bytes
  /// How long an idle keep-alive connection waits for its next request before it is closed.
  int keepAliveTimeoutSeconds = 5;
  std::size_t maxK = 1000;  ///< largest k accepted
  /// Access log: called with one line per answered request ("<UTC time> <client> <method>
  /// <path> <status> <latency> ms", latency from the request's first byte; no query string, so
  /// ids stay out of logs). Calls are serialized by the server; empty = no access log.
  std::function<void(const std::string& line)> accessLog;
  /// /recommend uses the package's approximate-retrieval index when it has one (also after a
  /// reload); false = always exact.
  bool useRetrievalIndex = true;
};

/// Serves one package; reload() swaps in a new one atomically: requests in flight finish with
/// the package they started with (held by shared_ptr), new requests see the new one.
class ModelServer {
 public:
  /// Loads the package (throws like ModelPackage::load) and binds the socket (throws IoError).
  ModelServer(std::string packagePath, ServerOptions options);
  ~ModelServer();
  ModelServer(const ModelServer&) = delete;
  ModelServer& operator=(const ModelServer&) = delete;

  /// Serves until stop() is called (blocks the calling thread).
  void run();
  /// Stops run() from any thread; safe to call more than once.
  void stop();
  /// Serves one connected stream socket on the calling thread, as run() serves an accepted
  /// connection (every request on it answered, under the same limits), then closes it. The
  /// server must be bound (it is once constructed); run() need not be running. For tests and
  /// the HTTP fuzz target, which feed raw bytes through a socketpair.
  void serveConnection(int socket);
  /// Re-reads the package file. On failure the current package stays in service and the error is
  /// rethrown. Safe to call from any thread while serving.
  void reload();
  /// The bound port (useful with port 0).
  int port() const noexcept { return port_; }
  std::shared_ptr<const ModelPackage> package() const;
  /// The index /recommend uses for this package: its retrieval index when it has one and
  /// ServerOptions::useRetrievalIndex, else nullptr (exact).
  const RetrievalIndex* retrievalIndex(const ModelPackage& pkg) const noexcept {
    return options_.useRetrievalIndex ? pkg.retrievalIndex() : nullptr;
  }
  std::uint64_t requestsServed() const noexcept { return served_.load(); }
  std::uint64_t reloads() const noexcept { return reloads_.load(); }

 private:
  void installRoutes(HardenedServer& server);

  std::string path_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  mutable std::mutex packageMutex_;
  std::shared_ptr<const ModelPackage> package_;
  std::atomic<std::uint64_t> served_{0};
  std::atomic<std::uint64_t> reloads_{0};
  std::mutex logMutex_;  ///< serializes options_.accessLog
  int port_ = 0;
};

}  // namespace rwb
