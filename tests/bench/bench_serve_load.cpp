// Open-loop load generator for `recwb serve` (issue 17's soak test; run by serve_soak.sh).
// Sends GET /recommend for random MovieLens-100K users at a fixed rate over a pool of keep-alive
// connections (request n is due at start + n / rate and goes out on the next idle connection in
// turn, late if none is idle: unlike a closed loop, a slow answer does not lower the offered rate),
// while slowloris clients send a request one byte per second and reconnect whenever the server
// cuts them off. Every 10 s it samples the server's resident memory (/proc/PID/status).
//
// Usage: bench_serve_load PORT RATE CONNECTIONS SLOW SECONDS SERVER_PID
// Prints requests sent and answered, the achieved rate, errors by kind (anything but 200,
// connection failures, resets, answers over 5 s), latency percentiles from the scheduled time,
// the slow clients' fate and RSS growth from the 30 s sample to the last. Exits 1 on any error
// of a normal client.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int connectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

long rssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

struct Conn {
  int fd = -1;
  bool busy = false;
  Clock::time_point due;  ///< when the request in flight was scheduled
  std::string in;         ///< response bytes so far
};

struct Slow {
  int fd = -1;
  std::size_t sent = 0;
  std::string in;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: bench_serve_load PORT RATE CONNECTIONS SLOW SECONDS SERVER_PID\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const double rate = std::atof(argv[2]);
  const auto nConn = static_cast<std::size_t>(std::atoi(argv[3]));
  const auto nSlow = static_cast<std::size_t>(std::atoi(argv[4]));
  const double seconds = std::atof(argv[5]);
  const int pid = std::atoi(argv[6]);

  std::mt19937 rng(42);
  std::uniform_int_distribution<int> user(1, 943);
  const std::string slowRequest =
      "GET /recommend?user=1&k=10 HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'z') +
      "\r\n\r\n";

  std::vector<Conn> conns(nConn);
  std::vector<Slow> slow(nSlow);
  std::map<std::string, std::uint64_t> errors;
  std::map<std::string, std::uint64_t> slowFate;
  std::vector<double> latencyMs;
  std::uint64_t scheduled = 0, answered = 0, reconnects = 0, slowConnections = 0;
  std::size_t nextConn = 0;
  std::vector<long> rss;

  for (auto& c : conns) {
    c.fd = connectTo(port);
    if (c.fd < 0) ++errors["connect failed"];
  }
  for (auto& s : slow) s.fd = connectTo(port), ++slowConnections;

  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto nextSlowTick = start;
  auto nextRss = start + std::chrono::seconds(10);
  auto due = [&](std::uint64_t n) {
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(n) / rate));
  };
  auto reconnect = [&](Conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    c = Conn{};
    c.fd = connectTo(port);
    if (c.fd < 0) ++errors["connect failed"];
    ++reconnects;
  };
  auto fail = [&](Conn& c, const char* why) {
    ++errors[why];
    reconnect(c);
  };

  char buf[65536];
  while (true) {
    const auto now = Clock::now();
    const bool sending = now < end;
    bool inFlight = false;
    for (const auto& c : conns) inFlight = inFlight || c.busy;
    if (!sending && !inFlight) break;

    // Send every request that is due, each on an idle connection.
    while (sending && due(scheduled) <= now) {
      // Round robin from the last connection used, so that every connection carries an equal
      // share (as each of wrk's does) instead of the first few carrying all.
      auto it = conns.end();
      for (std::size_t k = 0; k < conns.size() && it == conns.end(); ++k) {
        Conn& c = conns[(nextConn + k) % conns.size()];
        if (!c.busy && c.fd >= 0) it = conns.begin() + static_cast<long>(&c - conns.data());
      }
      if (it == conns.end()) break;  // all busy: it goes out late, on the next idle one
      nextConn = static_cast<std::size_t>(it - conns.begin()) + 1;
      const std::string req = "GET /recommend?user=" + std::to_string(user(rng)) +
                              "&k=10 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      it->due = due(scheduled++);
      it->busy = true;
      it->in.clear();
      if (::send(it->fd, req.data(), req.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(req.size())) {
        fail(*it, "send failed");
      }
    }
    if (sending && now >= nextSlowTick) {
      nextSlowTick += std::chrono::seconds(1);
      for (auto& s : slow) {
        if (s.fd < 0) continue;
        const char byte = slowRequest[s.sent % slowRequest.size()];
        if (::send(s.fd, &byte, 1, MSG_NOSIGNAL) == 1) ++s.sent;
      }
    }
    if (now >= nextRss) {
      nextRss += std::chrono::seconds(10);
      rss.push_back(rssKiB(pid));
    }

    std::vector<pollfd> fds;
    for (const auto& c : conns) fds.push_back({c.fd, POLLIN, 0});
    for (const auto& s : slow) fds.push_back({sending ? s.fd : -1, POLLIN, 0});
    const auto wake = std::min({due(scheduled), nextSlowTick, nextRss, end});
    const int waitMs = static_cast<int>(std::clamp<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now()).count(), 0, 10));
    ::poll(fds.data(), fds.size(), sending ? waitMs : 10);

    for (std::size_t i = 0; i < conns.size(); ++i) {
      Conn& c = conns[i];
      if (c.busy && Clock::now() - c.due > std::chrono::seconds(5)) {
        fail(c, "no answer within 5 s");
        continue;
      }
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) {
        if (c.busy) {
          fail(c, n == 0 ? "closed with a request in flight" : "connection reset");
        } else {  // keep-alive limit or idle timeout: the server closed between requests
          reconnect(c);
        }
        continue;
      }
      if (!c.busy) {
        ++errors["bytes without a request"];
        continue;
      }
      c.in.append(buf, static_cast<std::size_t>(n));
      const auto headEnd = c.in.find("\r\n\r\n");
      if (headEnd == std::string::npos) continue;
      const auto cl = c.in.find("Content-Length: ");
      const std::size_t body = cl < headEnd ? std::stoul(c.in.substr(cl + 16)) : 0;
      if (c.in.size() < headEnd + 4 + body) continue;
      ++answered;
      latencyMs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - c.due).count());
      if (!c.in.starts_with("HTTP/1.1 200")) ++errors["status " + c.in.substr(9, 3)];
      const bool close = c.in.find("Connection: close") < headEnd;
      c.busy = false;
      c.in.clear();
      if (close) reconnect(c);
    }
    for (std::size_t i = 0; i < slow.size(); ++i) {
      Slow& s = slow[i];
      if (!(fds[conns.size() + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
      if (n > 0) {
        s.in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      ++slowFate[s.in.empty() ? "closed without an answer" : "answered " + s.in.substr(9, 3)];
      ::close(s.fd);
      s = Slow{};
      s.fd = connectTo(port);
      ++slowConnections;
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencyMs.begin(), latencyMs.end());
  auto pct = [&](double p) {
    return latencyMs.empty() ? 0.0
                             : latencyMs[std::min(latencyMs.size() - 1,
                                                  static_cast<std::size_t>(p * latencyMs.size()))];
  };
  std::uint64_t errorCount = 0;
  for (const auto& [why, n] : errors) errorCount += n;
  std::printf(
      "normal clients: %llu requests sent, %llu answered in %.1f s = %.1f req/s "
      "(offered %.0f), %llu reconnects\n",
      static_cast<unsigned long long>(scheduled), static_cast<unsigned long long>(answered),
      elapsed, static_cast<double>(answered) / elapsed, rate,
      static_cast<unsigned long long>(reconnects));
  std::printf(
      "latency from scheduled time (ms): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
      pct(0.5), pct(0.9), pct(0.99), pct(0.999), latencyMs.empty() ? 0.0 : latencyMs.back());
  std::printf("errors: %llu", static_cast<unsigned long long>(errorCount));
  for (const auto& [why, n] : errors)
    std::printf("  [%s: %llu]", why.c_str(), static_cast<unsigned long long>(n));
  std::printf("\nslow clients: %llu connections", static_cast<unsigned long long>(slowConnections));
  for (const auto& [fate, n] : slowFate)
    std::printf("  [%s: %llu]", fate.c_str(), static_cast<unsigned long long>(n));
  std::printf("\n");
  if (rss.size() >= 3) {
    std::printf("server RSS (KiB, every 10 s):");
    for (const long r : rss) std::printf(" %ld", r);
    const long first = rss[2], last = rss.back();
    std::printf("\nRSS growth from 30 s to the end: %ld -> %ld KiB = %.2f%%, max %ld KiB\n", first,
                last, 100.0 * static_cast<double>(last - first) / static_cast<double>(first),
                *std::max_element(rss.begin(), rss.end()));
  }
  return errorCount == 0 ? 0 : 1;
}
