// Fuzz target: the HTTP endpoint's request handling (core/export/model_server). Input: the raw
// bytes a client sends on one connection (one request, several pipelined, a cut-off one,
// chunked bodies...). They go through a socketpair to ModelServer::serveConnection, which reads,
// parses, routes and answers exactly as for an accepted connection, on this thread. Checked on
// what comes back: every answer is a well-formed HTTP/1.1 response, none is a 500 (an internal
// error is a bug: bad input gets a 4xx), and access-log lines hold no control characters.
//
// cpp-httplib is Debian's prebuilt library, so libFuzzer's coverage counts the server's own code
// (connection stream, limits, routes, handlers), not httplib's parser.

#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/export/model_package.h"
#include "core/export/model_server.h"
#include "core/models/registry.h"
#include "fuzz_support.h"

namespace {

/// A SAR package over users u0..u19 and items i0..i14 (ids the seed corpus uses).
std::string makePackage() {
  rwb::Dataset d;
  for (int i = 0; i < 15; ++i) d.items.intern("i" + std::to_string(i));
  for (int u = 0; u < 20; ++u) d.users.intern("u" + std::to_string(u));
  std::int64_t t = 1'600'000'000;
  for (int u = 0; u < 20; ++u) {
    for (int n = 0; n < 5; ++n) {
      d.interactions.push(static_cast<rwb::Index>(u), static_cast<rwb::Index>((u * 3 + n * 2) % 15),
                          1.0f, t += 60);
    }
  }
  auto model = rwb::createModel("sar");
  rwb::TaskContext ctx;
  model->fit({d, nullptr, 42, 1}, ctx);
  const auto path = (rwb::fuzz::scratchDir() / "server.rwbm").string();
  rwb::writePackage(path, *model, d.users, d.items);
  return path;
}

rwb::ModelServer& server() {
  static rwb::ModelServer* s = [] {
    rwb::ServerOptions o;
    o.port = 0;  // bound (serveConnection needs a bound server) but never listening
    o.threads = 1;
    o.maxBodyBytes = 4096;
    o.requestTimeoutSeconds = 2;
    o.readTimeoutSeconds = 1;
    o.writeTimeoutSeconds = 1;
    o.keepAliveTimeoutSeconds = 1;
    o.accessLog = [](const std::string& line) {
      for (const char c : line) {
        rwb::fuzz::check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f,
                         "access log line without control characters");
      }
    };
    // Lives for the process: leak-checking runs at exit, and the server is still reachable.
    return std::make_unique<rwb::ModelServer>(makePackage(), o).release();
  }();
  return *s;
}

/// Checks the byte stream the server sent back: zero or more complete responses, each with a
/// Content-Length body (none after HEAD), none with status 500.
void checkResponses(std::string_view out) {
  while (!out.empty()) {
    if (!out.starts_with("HTTP/1.1 ") || out.size() < 12) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(std::min<std::size_t>(out.size(), 300)),
                   out.data());
      rwb::fuzz::check(false, "a status line");
    }
    const std::string_view status = out.substr(9, 3);
    const auto headEnd = out.find("\r\n\r\n");
    rwb::fuzz::check(headEnd != std::string_view::npos, "a complete response head");
    if (status == "500") {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(out.size()), out.data());
      rwb::fuzz::check(false, "no 500 answer (bad input must get a 4xx)");
    }
    std::string head(out.substr(0, headEnd));
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto cl = head.find("\r\ncontent-length: ");
    std::size_t body = 0;
    if (cl != std::string::npos) body = std::stoull(head.substr(cl + 18));
    // An answer to HEAD has a Content-Length but no body (bodies are JSON or /metrics text):
    // another answer or nothing follows its head.
    const std::string_view rest = out.substr(headEnd + 4);
    if (rest.empty() || rest.starts_with("HTTP/1.1 ")) body = 0;
    rwb::fuzz::check(out.size() >= headEnd + 4 + body, "the whole body sent");
    out.remove_prefix(headEnd + 4 + body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rwb::ModelServer& s = server();
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::abort();
  std::string received;
  // The client: sends the input, half-closes, and reads every answer until the server closes.
  std::thread client([&] {
    std::size_t sent = 0;
    while (sent < size) {
      const ssize_t n = ::send(fds[0], data + sent, size - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // the server closed early (e.g. a head over the limit)
      sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fds[0], SHUT_WR);
    char buf[16384];
    ssize_t n;
    while ((n = ::recv(fds[0], buf, sizeof buf, 0)) > 0) received.append(buf, n);
    ::close(fds[0]);
  });
  s.serveConnection(fds[1]);  // closes fds[1]
  client.join();
  checkResponses(received);
  return 0;
}
