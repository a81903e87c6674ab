#include "core/export/model_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <iterator>
#include <map>
#include <semaphore>
#include <set>
#include <thread>
#include <unordered_set>

#include "core/data/item_set.h"
#include "core/export/batch_scorer.h"
#include "core/features/feature_pipeline.h"
#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

namespace {

using json = nlohmann::json;

using Clock = std::chrono::steady_clock;

/// Longest request line plus headers; a longer head is cut off (431).
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
/// Blocking waits wake at least this often to notice stop().
constexpr int kWaitSliceMs = 100;

/// Why a connection's request was cut off by the server (kNone: it was not).
enum class Cut { kNone, kTimeout, kHeadTooLarge, kBodyTooLarge };

/// The limits every connection is held to (from ServerOptions).
struct ConnectionLimits {
  std::chrono::milliseconds request;    ///< whole request (head and body), from its first byte
  std::chrono::milliseconds read;       ///< longest silence within a request
  std::chrono::milliseconds write;      ///< longest wait for the client to take response bytes
  std::chrono::milliseconds keepAlive;  ///< longest idle wait for the next request
  std::size_t maxBody = 0;              ///< raw bytes after the head (chunk framing included)
};

/// One client connection as cpp-httplib's Stream. Unlike httplib's own socket stream it lives as
/// long as the connection, so bytes read ahead (pipelined requests) are kept for the next
/// request; and every read is held to the request's deadline and byte budgets, whatever the
/// framing, so neither a slow client nor a long body can hold a thread or memory for long.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, const std::atomic<socket_t>& listener, const ConnectionLimits& limits)
      : sock_(sock), listener_(listener), limits_(limits) {}

  /// Starts the accounting for the next request, which must be complete by `deadline`.
  void beginRequest(Clock::time_point deadline) {
    deadline_ = deadline;
    cut_ = Cut::kNone;
    headDone_ = bodyFramed_ = false;
    linePrefix_.clear();
    headBytes_ = bodyBytes_ = lineBytes_ = 0;
    lastByte_ = 0;
  }
  /// Waits up to the keep-alive time for the next request's first byte (true) or for the client
  /// to close, an error or stop() (false).
  bool waitForNextRequest() {
    if (pos_ < len_) return true;  // pipelined: already here
    deadline_ = Clock::now() + limits_.keepAlive;
    const bool more = fill(limits_.keepAlive);
    cut_ = Cut::kNone;  // an idle connection closing is no cut
    return more;
  }
  Cut cut() const noexcept { return cut_; }
  /// When the current request's first byte was read (for its latency).
  Clock::time_point firstByte() const noexcept { return firstByte_; }

  /// Ends the connection. If the client may still be sending (a cut body, or pipelined
  /// requests past the last one served), what it sends after our FIN is read and dropped
  /// (bounded: 1 s, 16 MiB) so that the answers reach it instead of a connection reset.
  void close() {
    ::shutdown(sock_, SHUT_WR);
    pollfd unread{sock_, POLLIN, 0};
    if (cut_ == Cut::kBodyTooLarge || cut_ == Cut::kHeadTooLarge || pos_ < len_ ||
        ::poll(&unread, 1, 0) > 0) {
      const auto until = Clock::now() + std::chrono::seconds(1);
      std::size_t drained = 0;
      char buf[16384];
      while (drained < (std::size_t{16} << 20) && Clock::now() < until) {
        pollfd p{sock_, POLLIN, 0};
        if (::poll(&p, 1, kWaitSliceMs) <= 0) continue;
        const ssize_t n = ::recv(sock_, buf, sizeof buf, 0);
        if (n <= 0) break;
        drained += static_cast<std::size_t>(n);
      }
    }
    ::close(sock_);
  }

  bool is_readable() const override {
    if (pos_ < len_) return true;
    pollfd p{sock_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(remaining(limits_.read).count())) > 0;
  }
  bool is_writable() const override {
    pollfd p{sock_, POLLOUT, 0};
    return ::poll(&p, 1, static_cast<int>(limits_.write.count())) > 0 && !(p.revents & POLLERR);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (cut_ != Cut::kNone) return -1;
    // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3): httplib
    // would read one until the client closes, so a bodiless POST waited for the read timeout.
    if (headDone_ && !bodyFramed_) return 0;
    if (pos_ == len_) {
      if (!fill(limits_.read)) return eof_ ? 0 : -1;
    }
    std::size_t n = std::min(size, len_ - pos_);
    std::size_t i = 0;
    // Request line and headers: find the blank line that ends them (httplib reads them a byte
    // at a time, so what is served here is exactly what it has parsed).
    for (; i < n && !headDone_; ++i) {
      const char c = buf_[pos_ + i];
      if (++headBytes_ == 1) firstByte_ = Clock::now();
      if (headBytes_ > kMaxHeadBytes) {
        cut_ = Cut::kHeadTooLarge;
        return -1;
      }
      if (c == '\n') {
        headDone_ = lineBytes_ == 1 && lastByte_ == '\r';
        bodyFramed_ = bodyFramed_ || linePrefix_.starts_with("content-length:") ||
                      linePrefix_.starts_with("transfer-encoding:");
        lineBytes_ = 0;
        linePrefix_.clear();
      } else {
        if (linePrefix_.size() < 20) {
          linePrefix_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        ++lineBytes_;
      }
      lastByte_ = c;
    }
    if (headDone_ && !bodyFramed_) n = i;  // the rest belongs to the next request
    if (n > i) {                           // body bytes, however framed
      if (bodyBytes_ + (n - i) > limits_.maxBody) {
        cut_ = Cut::kBodyTooLarge;
        return -1;
      }
      bodyBytes_ += n - i;
    }
    std::copy_n(buf_ + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address(true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address(false, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  /// Time left until the request's deadline, at most `cap`, at least 0.
  std::chrono::milliseconds remaining(std::chrono::milliseconds cap) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::clamp(left, std::chrono::milliseconds(0), cap);
  }

  /// Reads what has arrived into the (empty) buffer, waiting at most `silence` for it and never
  /// past the deadline. False on timeout (cut_ = kTimeout), end of stream (eof_), error or stop.
  bool fill(std::chrono::milliseconds silence) {
    pos_ = len_ = 0;
    const auto quietUntil = Clock::now() + silence;
    while (true) {
      if (listener_.load() == INVALID_SOCKET) return false;  // stop()
      const auto now = Clock::now();
      if (now >= deadline_ || now >= quietUntil) {
        cut_ = Cut::kTimeout;
        return false;
      }
      const auto wait = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::min(deadline_, quietUntil) - now) +
                                     std::chrono::milliseconds(1),
                                 std::chrono::milliseconds(kWaitSliceMs));
      pollfd p{sock_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(wait.count()));
      if (r < 0 && errno != EINTR) return false;
      if (r <= 0) continue;
      const ssize_t n = ::recv(sock_, buf_, sizeof buf_, 0);
      if (n > 0) {
        len_ = static_cast<std::size_t>(n);
        return true;
      }
      if (n == 0) {
        eof_ = true;
        return false;
      }
      if (errno != EINTR && errno != EAGAIN) return false;
    }
  }

  void address(bool remote, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    auto* sa = reinterpret_cast<sockaddr*>(&addr);
    if ((remote ? ::getpeername(sock_, sa, &len) : ::getsockname(sock_, sa, &len)) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
      ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
      port = ntohs(a->sin6_port);
    }
    ip = text;
  }

  int sock_;
  const std::atomic<socket_t>& listener_;
  const ConnectionLimits& limits_;
  char buf_[4096];
  std::size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
  Clock::time_point deadline_ = Clock::now();
  Clock::time_point firstByte_ = Clock::now();
  Cut cut_ = Cut::kNone;
  bool headDone_ = false;
  bool bodyFramed_ = false;  ///< the head has Content-Length or Transfer-Encoding
  std::string linePrefix_;   ///< the current head line's start, lower case
  std::size_t headBytes_ = 0, bodyBytes_ = 0, lineBytes_ = 0;
  char lastByte_ = 0;
};

/// Upper bounds (seconds) of the latency histogram's buckets (Prometheus `le`), +Inf implied.
constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                      0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
constexpr std::size_t kNumBuckets = std::size(kLatencyBuckets);
/// The routes counted by name; every other path is counted as "other", so that clients cannot
/// grow the metrics without bound.
constexpr const char* kRoutes[] = {"/health",  "/metadata",     "/recommend", "/score",
                                   "/similar", "/admin/reload", "/metrics"};

std::string routeLabel(const std::string& path) {
  for (const char* r : kRoutes) {
    if (path == r) return r;
  }
  return "other";
}

/// Request counts by route and status and latency histograms by route (thread-safe).
class RequestMetrics {
 public:
  void record(const std::string& route, int status, double seconds) {
    std::lock_guard lock(mutex_);
    ++counts_[{route, status}];
    Histogram& h = latency_[route];
    for (std::size_t b = 0; b < kNumBuckets; ++b) h.buckets[b] += seconds <= kLatencyBuckets[b];
    h.sum += seconds;
    ++h.count;
  }
  void rejected() { rejected_.fetch_add(1, std::memory_order_relaxed); }

  /// The Prometheus text exposition (format 0.0.4) of everything recorded.
  void write(std::string& out) const {
    std::lock_guard lock(mutex_);
    out += "# HELP rwb_http_requests_total HTTP requests answered, by route and status.\n";
    out += "# TYPE rwb_http_requests_total counter\n";
    for (const auto& [key, n] : counts_) {
      out += "rwb_http_requests_total{route=\"" + key.first + "\",status=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
    }
    out += "# HELP rwb_http_request_duration_seconds From a request's first byte to its answer.\n";
    out += "# TYPE rwb_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      const std::string name = "rwb_http_request_duration_seconds";
      const std::string label = "route=\"" + route + "\"";
      for (std::size_t b = 0; b < kNumBuckets; ++b) {
        char le[32];
        std::snprintf(le, sizeof le, "%g", kLatencyBuckets[b]);
        out += name + "_bucket{" + label + ",le=\"" + le + "\"} " + std::to_string(h.buckets[b]) +
               "\n";
      }
      out += name + "_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
      char sum[64];
      std::snprintf(sum, sizeof sum, "%.9g", h.sum);
      out += name + "_sum{" + label + "} " + sum + "\n";
      out += name + "_count{" + label + "} " + std::to_string(h.count) + "\n";
    }
    out += "# HELP rwb_http_connections_rejected_total Connections answered 503 (queue full).\n";
    out += "# TYPE rwb_http_connections_rejected_total counter\n";
    out += "rwb_http_connections_rejected_total " + std::to_string(rejected_.load()) + "\n";
  }

 private:
  struct Histogram {
    std::uint64_t buckets[kNumBuckets] = {};
    double sum = 0;
    std::uint64_t count = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> counts_;
  std::map<std::string, Histogram> latency_;
  std::atomic<std::uint64_t> rejected_{0};
};

/// A Prometheus label value: backslash, double quote and line feed escaped.
std::string promLabel(const std::string& v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

/// One access-log line: UTC time, client, method, path, status, latency in ms.
std::string accessLogLine(const httplib::Request& req, int status, double seconds) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[40];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  char tail[64];
  std::snprintf(tail, sizeof tail, " %d %.3f ms", status, seconds * 1000.0);
  char msText[8];
  std::snprintf(msText, sizeof msText, ".%03dZ ", static_cast<int>(ms.count()));
  return std::string(stamp) + msText + req.remote_addr + " " + printableText(req.method, 16) + " " +
         printableText(req.path, 200) + tail;
}

/// The connection being served on this thread (for the error handler), or null.
thread_local const ConnectionStream* tConnection = nullptr;
/// Set while a connection that found the queue full is turned away on the accepting thread.
thread_local bool tRejectConnection = false;

/// Connection threads with a bounded queue: at most `threads` connections are served at once
/// and at most `maxQueued` wait; any further connection is answered 503 at once and closed.
class ConnectionQueue final : public httplib::TaskQueue {
 public:
  ConnectionQueue(std::size_t threads, std::size_t maxQueued) : maxQueued_(maxQueued) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(mutex_);
      if (!shutdown_ && jobs_.size() < maxQueued_) {
        jobs_.push_back(std::move(fn));
        cond_.notify_one();
        return;
      }
    }
    // httplib's task owns the socket: run it, in reject mode, so that it is answered and closed.
    tRejectConnection = true;
    fn();
    tRejectConnection = false;
  }
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    cond_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void work() {
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mutex_);
        cond_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // shut down and drained
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
    }
  }
  std::size_t maxQueued_;
  std::mutex mutex_;
  std::condition_variable cond_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool shutdown_ = false;
};

}  // namespace

/// cpp-httplib's server with its connection loop replaced by one that keeps read-ahead bytes
/// (pipelining), holds each request to a deadline and a body budget, and turns away
/// connections beyond the queue; request parsing, routing and responses stay httplib's.
class HardenedServer final : public httplib::Server {
 public:
  HardenedServer(ConnectionLimits limits, int handlerThreads)
      : handlerSlots(std::clamp(handlerThreads, 1, 4096)), limits_(limits) {}

  std::counting_semaphore<4096> handlerSlots;
  RequestMetrics metrics;

  /// One connection, as the accept loop's task would serve it.
  void serve(socket_t sock) { process_and_close_socket(sock); }

  /// Deepens the bound socket's accept queue. httplib listens with a backlog of 5
  /// (CPPHTTPLIB_LISTEN_BACKLOG, fixed in Debian's build): a burst of connects, such as clients
  /// reconnecting after the per-connection request limit, overflowed it, and the kernel dropped
  /// the handshakes, so those clients stalled for its SYN retransmits (1 s, 3 s, ...). listen()
  /// on a listening socket only changes the backlog.
  void deepenAcceptQueue() { ::listen(svr_sock_, SOMAXCONN); }

 private:
  bool process_and_close_socket(socket_t sock) override {
    if (tRejectConnection) {
      static const std::string kBusy = [] {
        const std::string body = R"({"error":"server busy: too many connections"})";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
               "Content-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" +
               body;
      }();
      metrics.rejected();
      (void)::send(sock, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::shutdown(sock, SHUT_RDWR);
      ::close(sock);
      return false;
    }
    ConnectionStream strm(sock, svr_sock_, limits_);
    tConnection = &strm;
    bool ret = false;
    Clock::time_point deadline = Clock::now() + limits_.request;
    for (std::size_t left = std::max<std::size_t>(1, keep_alive_max_count_); left > 0; --left) {
      if (left != std::max<std::size_t>(1, keep_alive_max_count_)) {
        if (!strm.waitForNextRequest()) break;
        deadline = Clock::now() + limits_.request;
      }
      strm.beginRequest(deadline);
      bool closed = false;
      ret = process_request(strm, left == 1, closed, nullptr);
      if (!ret || closed || strm.cut() != Cut::kNone) break;
    }
    tConnection = nullptr;
    strm.close();
    return ret;
  }

  ConnectionLimits limits_;
};

namespace {

/// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool isValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t j = 1; j <= n; ++j) {
      const auto d = static_cast<unsigned char>(s[i + j]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

/// A request-level error: turned into {"error": message} with this HTTP status.
struct HttpError {
  int status;
  std::string message;
};

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Input is checked for UTF-8 before it is echoed; replacing is the safety net, so that an
  // answer can never fail to serialize.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void checkParams(const httplib::Request& req, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : req.params) {
    if (!isValidUtf8(key)) {
      throw HttpError{400, "a parameter name is not valid UTF-8 ('" + printableText(key) + "')"};
    }
    if (!isValidUtf8(value)) {
      throw HttpError{400, "parameter '" + printableText(key) +
                               "' is not valid UTF-8 (ids are UTF-8 text, percent-encoded)"};
    }
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      throw HttpError{400,
                      "unknown parameter '" + printableText(key) + "' (allowed: " + list + ")"};
    }
    if (req.get_param_value_count(key) > 1) {
      throw HttpError{400, "parameter '" + key + "' given more than once"};
    }
  }
}

/// POST routes take their input from the body; httplib also parses form-encoded bodies into
/// params, so query parameters are checked on the raw target instead.
void checkNoQuery(const httplib::Request& req) {
  if (req.target.find('?') != std::string::npos) {
    throw HttpError{400, "this route takes no query parameters; send a JSON body"};
  }
}

std::string requiredParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) throw HttpError{400, std::string("missing parameter '") + name + "'"};
  std::string v = req.get_param_value(name);
  if (v.empty()) throw HttpError{400, std::string("parameter '") + name + "' is empty"};
  return v;
}

std::size_t parseK(const httplib::Request& req, std::size_t maxK) {
  if (!req.has_param("k")) return 10;
  const std::string s = req.get_param_value("k");
  long long k = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), k);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || k < 1 ||
      k > static_cast<long long>(maxK)) {
    throw HttpError{400,
                    "k must be an integer from 1 to " + std::to_string(maxK) + ", got '" + s + "'"};
  }
  return static_cast<std::size_t>(k);
}

bool parseBool(const httplib::Request& req, const char* name, bool fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw HttpError{400, std::string("parameter '") + name + "' must be true or false"};
}

/// A parsed POST /score body. The attribute table lives here so newUser can point at it.
struct ScoreRequest {
  std::string user;
  AttributeTable attributes;
  bool hasAttributes = false;
  NewUser newUser;
  std::vector<Index> known;        ///< candidate items known to the model
  std::vector<std::size_t> where;  ///< their position in rows
  json rows = json::array();       ///< one answer row per requested item, in request order
  json unknownHistory = json::array();
  ScoreRequest() = default;
  ScoreRequest(const ScoreRequest&) = delete;
  ScoreRequest& operator=(const ScoreRequest&) = delete;
};

/// Builds one row of user attributes from JSON: number -> numeric, string -> categorical,
/// array of strings -> multi-valued, null -> missing. The model's pipeline then conforms the
/// columns to its encoders (e.g. a string for a numeric column is parsed).
AttributeTable attributesFromJson(const json& attrs, const Model& model) {
  if (!attrs.is_object()) throw HttpError{400, "field 'attributes' must be a JSON object"};
  const FeaturePipeline* pipeline = model.featurePipeline();
  AttributeTable table;
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    const std::string& name = it.key();
    if (pipeline != nullptr) {
      bool used = false;
      std::string names;
      for (const auto& e : pipeline->userEncoders()) {
        used = used || e.config().column == name;
        if (names.find("'" + e.config().column + "'") == std::string::npos)
          names += (names.empty() ? "" : ", ") + ("'" + e.config().column + "'");
      }
      if (!used) {
        throw HttpError{400, "unknown attribute '" + name + "' (the model uses: " +
                                 (names.empty() ? std::string("none") : names) + ")"};
      }
    }
    const json& v = it.value();
    AttributeColumn col;
    col.name = name;
    if (v.is_null()) continue;
    if (v.is_number()) {
      col.type = ColumnType::kNumeric;
      col.numeric.push_back(v.get<double>());
    } else if (v.is_string()) {
      col.type = ColumnType::kCategorical;
      const auto text = v.get<std::string>();
      col.codes.push_back(text.empty() ? -1 : col.internCategory(text));
    } else if (v.is_array()) {
      col.type = ColumnType::kMultiCategorical;
      col.offsets.push_back(0);
      for (const auto& e : v) {
        if (!e.is_string()) {
          throw HttpError{400, "attribute '" + name + "': every array entry must be a string"};
        }
        col.codes.push_back(col.internCategory(e.get<std::string>()));
      }
      col.offsets.push_back(col.codes.size());
    } else {
      throw HttpError{
          400, "attribute '" + name + "' must be a number, a string, an array of strings or null"};
    }
    table.columns.push_back(std::move(col));
  }
  return pipeline != nullptr ? pipeline->conformUserAttributes(table) : table;
}

/// Validates a POST /score body: {"user": "U", "attributes": {...}, "history": [...],
/// "items": [...]}; items is required, and user or attributes (or history) too.
void parseScoreRequestInto(const json& body, const ModelPackage& pkg, ScoreRequest& r) {
  if (!body.is_object()) throw HttpError{400, "body must be a JSON object"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "user" && it.key() != "items" && it.key() != "attributes" &&
        it.key() != "history") {
      throw HttpError{
          400, "unknown field '" + it.key() + "' (allowed: user, attributes, history, items)"};
    }
  }
  if (body.contains("user")) {
    if (!body["user"].is_string() || body["user"].get<std::string>().empty()) {
      throw HttpError{400, "field 'user' must be a non-empty string"};
    }
    r.user = body["user"].get<std::string>();
  }
  if (body.contains("attributes")) {
    r.attributes = attributesFromJson(body["attributes"], pkg.model());
    r.hasAttributes = true;
    r.newUser.attributes = &r.attributes;
    r.newUser.row = 0;
  }
  if (body.contains("history")) {
    if (!body["history"].is_array()) {
      throw HttpError{400, "field 'history' must be an array of item ids"};
    }
    for (const auto& h : body["history"]) {
      if (!h.is_string()) throw HttpError{400, "every entry of 'history' must be a string"};
      if (auto idx = pkg.items().find(h.get<std::string>())) {
        r.newUser.history.push_back(*idx);
      } else {
        r.unknownHistory.push_back(h);
      }
    }
  }
  if (r.user.empty() && !body.contains("attributes") && !body.contains("history")) {
    throw HttpError{400, "field 'user' (string) or 'attributes' (object) is required"};
  }
  if (!body.contains("items") || !body["items"].is_array() || body["items"].empty()) {
    throw HttpError{400, "field 'items' (non-empty array of item ids) is required"};
  }
  if (body["items"].size() > 100000) throw HttpError{400, "at most 100000 items per request"};
  for (const auto& it : body["items"]) {
    if (!it.is_string()) throw HttpError{400, "every entry of 'items' must be a string"};
    const auto name = it.get<std::string>();
    if (auto idx = pkg.items().find(name)) {
      r.known.push_back(*idx);
      r.where.push_back(r.rows.size());
      r.rows.push_back({{"item", name}, {"score", nullptr}});
    } else {
      r.rows.push_back({{"item", name}, {"score", nullptr}, {"unknown_item", true}});
    }
  }
}

json itemsJson(const ModelPackage& pkg, const std::vector<ScoredItem>& items) {
  json arr = json::array();
  int rank = 1;
  for (const auto& s : items) {
    arr.push_back({{"item", pkg.items().external(s.item)}, {"score", s.score}, {"rank", rank++}});
  }
  return arr;
}

/// Wraps a handler: HttpError -> its status; engine errors -> 400 with the engine's text;
/// anything else -> 500 (a bug, reported with its message).
template <typename F>
httplib::Server::Handler guarded(std::atomic<std::uint64_t>& served, HardenedServer& server, F f) {
  return [&served, &server, f](const httplib::Request& req, httplib::Response& res) {
    // A slot is held for the handler only: a guard, so that no exception can leak one.
    struct Slot {
      std::counting_semaphore<4096>& slots;
      explicit Slot(std::counting_semaphore<4096>& s) : slots(s) { slots.acquire(); }
      ~Slot() { slots.release(); }
    } slot(server.handlerSlots);
    try {
      f(req, res);
    } catch (const HttpError& e) {
      sendJson(res, e.status, {{"error", e.message}});
    } catch (const json::exception& e) {
      sendJson(res, 400, {{"error", std::string("malformed JSON: ") + e.what()}});
    } catch (const Error& e) {
      sendJson(res, 400, {{"error", e.what()}});
    } catch (const std::exception& e) {
      sendJson(res, 500, {{"error", std::string("internal error: ") + e.what()}});
    }
    served.fetch_add(1, std::memory_order_relaxed);
  };
}

}  // namespace

ModelServer::ModelServer(std::string packagePath, ServerOptions options)
    : path_(std::move(packagePath)), options_(std::move(options)) {
  package_ = ModelPackage::load(path_);
  ConnectionLimits limits;
  using std::chrono::milliseconds;
  limits.request = milliseconds(std::max(1, options_.requestTimeoutSeconds) * 1000);
  limits.read = milliseconds(std::max(1, options_.readTimeoutSeconds) * 1000);
  limits.write = milliseconds(std::max(1, options_.writeTimeoutSeconds) * 1000);
  limits.keepAlive = milliseconds(std::max(1, options_.keepAliveTimeoutSeconds) * 1000);
  limits.maxBody = options_.maxBodyBytes;
  auto hardened = std::make_unique<HardenedServer>(limits, options_.threads);
  HardenedServer& srv = *hardened;
  server_ = std::move(hardened);
  const auto connections = static_cast<std::size_t>(std::max(1, options_.maxConnections));
  // cpp-httplib owns the queue it is given and deletes it: its API requires a raw pointer.
  server_->new_task_queue = [connections] { return new ConnectionQueue(connections, connections); };
  server_->set_payload_max_length(options_.maxBodyBytes);
  // Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK add ~40 ms to every keep-alive response.
  server_->set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which would let a second server silently share
  // the port; keep only SO_REUSEADDR so a taken port is an error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->set_read_timeout(options_.readTimeoutSeconds, 0);
  server_->set_write_timeout(options_.writeTimeoutSeconds, 0);
  server_->set_keep_alive_timeout(options_.keepAliveTimeoutSeconds);
  installRoutes(srv);
  // Called by httplib after every answer it writes (routes, errors, 408/413/431 alike).
  srv.set_logger([this, &srv](const httplib::Request& req, const httplib::Response& res) {
    const double seconds =
        tConnection != nullptr
            ? std::chrono::duration<double>(Clock::now() - tConnection->firstByte()).count()
            : 0.0;
    srv.metrics.record(routeLabel(req.path), res.status, seconds);
    if (options_.accessLog) {
      const std::string line = accessLogLine(req, res.status, seconds);
      std::lock_guard lock(logMutex_);
      options_.accessLog(line);
    }
  });
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    // Binding fails for a host that is not an address of this machine far more often than
    // for a lack of free ports: say both.
    if (port_ < 0) {
      throw IoError("cannot listen on " + options_.host +
                    " (not an address of this machine, or no free port)");
    }
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      throw IoError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                    " (address in use or not available)");
    }
    port_ = options_.port;
  }
  srv.deepenAcceptQueue();
}

ModelServer::~ModelServer() { stop(); }

void ModelServer::run() { server_->listen_after_bind(); }

void ModelServer::serveConnection(int socket) {
  static_cast<HardenedServer&>(*server_).serve(socket);
}

void ModelServer::stop() {
  if (server_) server_->stop();
}

std::shared_ptr<const ModelPackage> ModelServer::package() const {
  std::lock_guard lock(packageMutex_);
  return package_;
}

void ModelServer::reload() {
  auto fresh = ModelPackage::load(path_);  // validated before it replaces anything
  {
    std::lock_guard lock(packageMutex_);
    package_ = std::move(fresh);
  }
  reloads_.fetch_add(1);
}

void ModelServer::installRoutes(HardenedServer& srv) {
  auto& s = srv;
  const std::size_t maxK = options_.maxK;

  s.Get("/health",
        guarded(served_, srv, [this](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {});
          const auto pkg = package();
          sendJson(res, 200,
                   {{"status", "ok"},
                    {"model_type", pkg->info().modelType},
                    {"checksum", pkg->info().checksum},
                    {"retrieval", retrievalIndex(*pkg) != nullptr ? "hnsw" : "exact"},
                    {"reloads", reloads_.load()}});
        }));

  s.Get("/metadata",
        guarded(served_, srv, [this](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {});
          sendJson(res, 200, package()->info().toJson());
        }));

  s.Get("/recommend",
        guarded(served_, srv, [this, maxK](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {"user", "k", "exclude", "exclude_seen", "items"});
          const std::string user = requiredParam(req, "user");
          const std::size_t k = parseK(req, maxK);
          const bool excludeSeen = parseBool(req, "exclude_seen", true);
          std::unordered_set<std::string> exclude;
          if (req.has_param("exclude")) {
            const std::string list = req.get_param_value("exclude");
            std::size_t start = 0;
            while (start <= list.size()) {
              const auto comma = std::min(list.find(',', start), list.size());
              if (comma > start) exclude.insert(list.substr(start, comma - start));
              start = comma + 1;
            }
          }
          const auto pkg = package();
          // Candidate items: the list is ranked among them only; a bad id is a 400 naming it.
          std::vector<Index> candidates;
          if (req.has_param("items")) {
            try {
              candidates = parseItemSetList(req.get_param_value("items"), pkg->items());
            } catch (const Error& e) {
              throw HttpError{400, std::string("parameter 'items': ") + e.what()};
            }
          }
          const ExternalRecList l =
              recommendExternal(*pkg, user, k, excludeSeen, exclude.empty() ? nullptr : &exclude,
                                nullptr, candidates, retrievalIndex(*pkg));
          sendJson(res, 200,
                   {{"user", user},
                    {"fallback", l.source == RecSource::kPopularity},
                    {"source", fallbackName(l.source)},
                    {"items", itemsJson(*pkg, l.list.items)}});
        }));

  s.Post("/score",
         guarded(served_, srv, [this](const httplib::Request& req, httplib::Response& res) {
           checkNoQuery(req);
           const json body = parseJson(req.body, "request body");
           const auto pkg = package();
           ScoreRequest r;
           parseScoreRequestInto(body, *pkg, r);
           const Model& model = pkg->model();
           std::vector<float> scores(r.known.size());
           RecSource source = RecSource::kPopularity;
           if (auto u = pkg->users().find(r.user); u && !r.user.empty()) {
             source = model.canScoreUser(*u) ? RecSource::kModel : RecSource::kPopularity;
             model.score(*u, r.known, scores);
           } else if (r.hasAttributes || !r.newUser.history.empty()) {
             if (model.canScoreNewUser(r.newUser)) source = RecSource::kContent;
             model.scoreNewUser(r.newUser, r.known, scores);
           } else {
             for (std::size_t j = 0; j < r.known.size(); ++j) {
               scores[j] = model.itemPopularity()[r.known[j]];
             }
           }
           json out = r.rows;
           const bool probability = source != RecSource::kPopularity && model.scoreIsLogit();
           for (std::size_t j = 0; j < r.known.size(); ++j) {
             json& row = out[r.where[j]];
             row["score"] = scores[j];
             if (probability) {
               row["probability"] = 1.0 / (1.0 + std::exp(-static_cast<double>(scores[j])));
             }
           }
           json answer = {{"fallback", source == RecSource::kPopularity},
                          {"source", fallbackName(source)},
                          {"scores", std::move(out)}};
           if (!r.user.empty()) answer["user"] = r.user;
           if (!r.unknownHistory.empty()) answer["unknown_history"] = r.unknownHistory;
           sendJson(res, 200, answer);
         }));

  s.Get("/similar",
        guarded(served_, srv, [this, maxK](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {"item", "k"});
          const std::string item = requiredParam(req, "item");
          const std::size_t k = parseK(req, maxK);
          const auto pkg = package();
          const auto idx = pkg->items().find(item);
          if (!idx) throw HttpError{404, "unknown item '" + item + "'"};
          sendJson(
              res, 200,
              {{"item", item}, {"items", itemsJson(*pkg, pkg->model().similarItems(*idx, k))}});
        }));

  s.Post("/admin/reload",
         guarded(served_, srv, [this](const httplib::Request& req, httplib::Response& res) {
           checkNoQuery(req);
           try {
             reload();
           } catch (const Error& e) {
             throw HttpError{500, std::string("reload failed, previous model kept: ") + e.what()};
           }
           sendJson(res, 200, {{"status", "reloaded"}, {"checksum", package()->info().checksum}});
         }));

  s.Get("/metrics",
        guarded(served_, srv, [this, &srv](const httplib::Request& req, httplib::Response& res) {
          checkParams(req, {});
          const auto pkg = package();
          std::string out;
          srv.metrics.write(out);
          out += "# HELP rwb_model_info The package in service (value 1).\n";
          out += "# TYPE rwb_model_info gauge\n";
          out += "rwb_model_info{model_type=\"" + promLabel(pkg->info().modelType) +
                 "\",checksum=\"" + promLabel(pkg->info().checksum) + "\",created_at=\"" +
                 promLabel(pkg->info().createdAt) + "\"} 1\n";
          out += "# HELP rwb_model_reloads_total Successful reloads of the package.\n";
          out += "# TYPE rwb_model_reloads_total counter\n";
          out += "rwb_model_reloads_total " + std::to_string(reloads_.load()) + "\n";
          out += "# HELP rwb_requests_served_total Requests answered by a route handler.\n";
          out += "# TYPE rwb_requests_served_total counter\n";
          out += "rwb_requests_served_total " + std::to_string(served_.load()) + "\n";
          res.status = 200;
          res.set_content(out, "text/plain; version=0.0.4; charset=utf-8");
        }));

  // Known routes with the wrong method: 405 rather than a bare 404.
  auto methodNotAllowed = [](const char* allowed) {
    return [allowed](const httplib::Request&, httplib::Response& res) {
      res.set_header("Allow", allowed);
      sendJson(res, 405, {{"error", std::string("method not allowed; use ") + allowed}});
    };
  };
  for (const char* p : {"/health", "/metadata", "/recommend", "/similar", "/metrics"}) {
    s.Post(p, methodNotAllowed("GET"));
  }
  for (const char* p : {"/score", "/admin/reload"}) s.Get(p, methodNotAllowed("POST"));

  const std::size_t maxBody = options_.maxBodyBytes;
  const int requestTimeout = std::max(1, options_.requestTimeoutSeconds);
  s.set_error_handler(
      [maxBody, requestTimeout](const httplib::Request& req, httplib::Response& res) {
        // httplib reports a read that the connection cut off as a bad request: say what happened.
        if (tConnection != nullptr && tConnection->cut() != Cut::kNone) {
          res.body.clear();
          res.status = tConnection->cut() == Cut::kBodyTooLarge   ? 413
                       : tConnection->cut() == Cut::kHeadTooLarge ? 431
                                                                  : 408;
        }
        if (!res.body.empty()) return;
        std::string msg =
            res.status == 404   ? "no such route: " + printableText(req.path)
            : res.status == 413 ? "request body too large (limit " + std::to_string(maxBody) +
                                      " bytes, chunk framing included)"
            : res.status == 431 ? "request line and headers too large (limit " +
                                      std::to_string(kMaxHeadBytes) + " bytes)"
            : res.status == 408 ? "request not received in time (" +
                                      std::to_string(requestTimeout) + " s for the whole request)"
                                : "HTTP " + std::to_string(res.status);
        sendJson(res, res.status, {{"error", msg}});
      });
}

}  // namespace rwb
