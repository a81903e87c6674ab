#include "core/export/model_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <regex>
#include <thread>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "export_fixtures.h"
#include "test_support.h"

using namespace rwb;
using json = nlohmann::json;

namespace {

/// A server on a free loopback port, running on its own thread for the test's lifetime.
struct RunningServer {
  explicit RunningServer(const std::string& path, ServerOptions o = options())
      : server(path, std::move(o)) {
    thread = std::thread([this] { server.run(); });
    // Wait until the listener accepts (bounded, no sleeps).
    httplib::Client probe("127.0.0.1", server.port());
    for (int i = 0; i < 2000 && !probe.Get("/health"); ++i) std::this_thread::yield();
  }
  ~RunningServer() {
    server.stop();
    thread.join();
  }
  static ServerOptions options() {
    ServerOptions o;
    o.port = 0;
    o.threads = 4;
    o.maxBodyBytes = 4096;
    return o;
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(5, 0);
    return c;
  }
  ModelServer server;
  std::thread thread;
};

std::string makePackage(const test::TempDir& dir, const char* name, const char* model,
                        const char* params = "{}") {
  const Dataset d = test::exportFixture();
  auto m = createModel(model, json::parse(params));
  TaskContext ctx;
  m->fit({d, nullptr, 42, 1}, ctx);  // one thread: see cold_start_test.cpp
  const auto path = (dir / name).string();
  writePackage(path, *m, d.users, d.items);
  return path;
}

/// A raw loopback connection for what httplib's client cannot send (partial, pipelined or
/// chunked requests). Every receive and send waits at most `bound` seconds.
struct RawConnection {
  explicit RawConnection(int port, int bound = 10) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{bound, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  ~RawConnection() { ::close(fd); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  /// True if all of `data` was sent.
  bool send(const std::string& data) const {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  /// Everything received until the server closes (or the bound passes, or a reset).
  std::string receiveAll() const {
    std::string got;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
    return got;
  }
  int fd = -1;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::size_t countOf(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

/// Slow clients: each sends the start of a request, then one more header byte every `pace`
/// until `stop` is set or `maxBytes` bytes were trickled (bounded), like a slowloris attack.
struct Slowloris {
  Slowloris(int port, int connections, std::chrono::milliseconds pace, int maxBytes = 100) {
    for (int i = 0; i < connections; ++i) {
      conns.push_back(std::make_unique<RawConnection>(port));
      conns.back()->send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    }
    thread = std::thread([this, pace, maxBytes] {
      for (int b = 0; b < maxBytes && !stop.load(); ++b) {
        std::unique_lock lock(mutex);
        if (cv.wait_for(lock, pace, [&] { return stop.load(); })) break;
        for (auto& c : conns) (void)::send(c->fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
    });
  }
  ~Slowloris() {
    stop = true;
    cv.notify_all();
    thread.join();
  }
  std::vector<std::unique_ptr<RawConnection>> conns;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable cv;
  std::thread thread;
};
}  // namespace

TEST_CASE("endpoint: every route answers over a real loopback socket", "[export][server]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"));
  auto c = rs.client();

  auto health = c.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(json::parse(health->body)["status"] == "ok");

  auto meta = c.Get("/metadata");
  REQUIRE(meta);
  CHECK(json::parse(meta->body)["model_type"] == "most_popular");

  auto rec = c.Get("/recommend?user=u3&k=4");
  REQUIRE(rec);
  CHECK(rec->status == 200);
  const auto r = json::parse(rec->body);
  CHECK(r["fallback"] == false);
  REQUIRE(r["items"].size() == 4);
  CHECK(r["items"][0]["rank"] == 1);

  auto unknown = c.Get("/recommend?user=never-seen&k=3");
  REQUIRE(unknown);
  CHECK(unknown->status == 200);
  CHECK(json::parse(unknown->body)["fallback"] == true);

  auto excl =
      c.Get(("/recommend?user=u3&k=4&exclude=" + r["items"][0]["item"].get<std::string>()).c_str());
  REQUIRE(excl);
  CHECK(json::parse(excl->body)["items"][0]["item"] == r["items"][1]["item"]);

  auto score =
      c.Post("/score", R"({"user":"u3","items":["item-1","item-25","nope"]})", "application/json");
  REQUIRE(score);
  CHECK(score->status == 200);
  const auto s = json::parse(score->body);
  REQUIRE(s["scores"].size() == 3);
  CHECK(s["scores"][0]["score"].is_number());
  CHECK(s["scores"][2]["unknown_item"] == true);
  CHECK(s["scores"][2]["score"].is_null());

  auto sim = c.Get("/similar?item=item-3&k=2");
  REQUIRE(sim);
  CHECK(sim->status == 200);
  CHECK(json::parse(sim->body)["items"].size() == 2);
}

TEST_CASE("endpoint: /recommend items= ranks only the listed items; bad ids are 400s",
          "[export][server][candidates]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"));
  auto c = rs.client();
  // u3's catalogue list, then the same user restricted to three items outside its top two.
  const auto full = json::parse(c.Get("/recommend?user=u3&k=5")->body);
  REQUIRE(full["items"].size() == 5);
  const std::string a = full["items"][2]["item"], b = full["items"][3]["item"],
                    d = full["items"][4]["item"];
  auto res = c.Get(("/recommend?user=u3&k=2&items=" + d + "," + a + "," + b).c_str());
  REQUIRE(res);
  CHECK(res->status == 200);
  const auto r = json::parse(res->body);
  REQUIRE(r["items"].size() == 2);
  CHECK(r["items"][0]["item"] == a);  // same order as the catalogue ranking
  CHECK(r["items"][1]["item"] == b);
  CHECK(r["items"][0]["rank"] == 1);
  auto expect = [&](const std::string& target, const char* fragment) {
    auto e = c.Get(target.c_str());
    REQUIRE(e);
    CHECK(e->status == 400);
    CHECK_THAT(json::parse(e->body)["error"].get<std::string>(), Catch::Contains(fragment));
  };
  expect("/recommend?user=u3&items=" + a + ",no-such-item", "item 'no-such-item'");
  expect("/recommend?user=u3&items=" + a + "," + a, "listed twice");
  expect("/recommend?user=u3&items=", "empty id");
}

TEST_CASE("endpoint: every error code with a JSON message", "[export][server]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"));
  auto c = rs.client();
  auto expect = [&](const httplib::Result& res, int status, const char* fragment) {
    REQUIRE(res);
    CHECK(res->status == status);
    const auto body = json::parse(res->body);
    CHECK_THAT(body["error"].get<std::string>(), Catch::Contains(fragment));
  };
  expect(c.Get("/recommend?user=u1&k=0"), 400, "k must be");
  expect(c.Get("/recommend?user=u1&k=abc"), 400, "k must be");
  expect(c.Get("/recommend?user=u1&k=5000"), 400, "k must be");
  expect(c.Get("/recommend?k=3"), 400, "missing parameter 'user'");
  expect(c.Get("/recommend?user=u1&colour=red"), 400, "unknown parameter 'colour'");
  expect(c.Get("/recommend?user=u1&exclude_seen=maybe"), 400, "true or false");
  expect(c.Post("/score", "{not json", "application/json"), 400, "malformed JSON");
  expect(c.Post("/score", R"({"user":"u1"})", "application/json"), 400, "items");
  expect(c.Post("/score", R"({"user":"u1","items":[1]})", "application/json"), 400, "string");
  expect(c.Post("/score", R"({"user":"u1","items":["a"],"x":1})", "application/json"), 400,
         "unknown field");
  expect(c.Post("/score", std::string(10000, ' '), "application/json"), 413, "too large");
  expect(c.Get("/similar?item=missing"), 404, "unknown item");
  expect(c.Get("/no/such/route"), 404, "no such route");
  expect(c.Post("/recommend", "", "text/plain"), 405, "method not allowed");
  expect(c.Get("/score"), 405, "method not allowed");
}

TEST_CASE("hot reload under concurrent requests loses none", "[export][server]") {
  test::TempDir dir;
  const auto path = makePackage(dir, "live.rwbm", "most_popular");
  const auto original = makePackage(dir, "original.rwbm", "most_popular");
  const auto other = makePackage(dir, "other.rwbm", "most_popular");
  RunningServer rs(path);
  std::atomic<int> ok{0}, bad{0}, sent{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      auto c = rs.client();
      // Keep requesting until every reload has happened (at least 150 each, bounded).
      for (int i = 0; i < 20000 && (i < 150 || !done); ++i) {
        auto res = c.Get(("/recommend?user=u" + std::to_string((t * 7 + i) % 60) + "&k=5").c_str());
        sent.fetch_add(1);
        (res && res->status == 200 ? ok : bad).fetch_add(1);
      }
    });
  }
  auto admin = rs.client();
  int reloads = 0;
  for (int i = 0; i < 20; ++i) {
    // Alternate the file on disk (atomic rename, as writePackage does) and reload.
    std::filesystem::copy_file(i % 2 ? original : other, dir / "staging.rwbm",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(dir / "staging.rwbm", path);
    auto res = admin.Post("/admin/reload", "", "application/json");
    if (res && res->status == 200) ++reloads;
  }
  done = true;
  for (auto& t : clients) t.join();
  CHECK(bad == 0);
  CHECK(ok == sent);
  CHECK(ok >= 600);
  CHECK(reloads == 20);
  CHECK(rs.server.reloads() == 20);
}

TEST_CASE("a failed reload keeps the previous model in service", "[export][server]") {
  test::TempDir dir;
  const auto path = makePackage(dir, "m.rwbm", "most_popular");
  RunningServer rs(path);
  const auto before = rs.server.package();
  test::writeFile(path, "garbage");
  auto c = rs.client();
  auto res = c.Post("/admin/reload", "", "application/json");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK_THAT(res->body, Catch::Contains("previous model kept"));
  CHECK(rs.server.package() == before);
  auto rec = c.Get("/recommend?user=u1&k=2");
  REQUIRE(rec);
  CHECK(rec->status == 200);
}

TEST_CASE("server refuses a bad package and a taken port", "[export][server]") {
  test::TempDir dir;
  test::writeFile(dir / "bad.rwbm", "nope");
  CHECK_THROWS_AS(ModelServer((dir / "bad.rwbm").string(), ServerOptions{}), Error);
  const auto path = makePackage(dir, "m.rwbm", "most_popular");
  RunningServer rs(path);
  ServerOptions same;
  same.port = rs.server.port();
  CHECK_THROWS_WITH(ModelServer(path, same), Catch::Contains("cannot listen"));
}

TEST_CASE("POST /score: new users from attributes, P(engage), fallback flags", "[export][server]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "gbdt.rwbm", "gbdt", test::kSegmentCrossParams));
  auto c = rs.client();
  const auto pkg = rs.server.package();
  const Model& model = pkg->model();
  auto post = [&](const std::string& body) {
    auto res = c.Post("/score", body, "application/json");
    REQUIRE(res);
    INFO(res->body);
    REQUIRE(res->status == 200);
    return json::parse(res->body);
  };
  // A new user described by attributes: the model's own new-user scores, with probabilities.
  const auto r = post(R"({"attributes":{"segment":"b"},"items":["item-1","item-25","nope"]})");
  CHECK(r["fallback"] == false);
  CHECK(r["source"] == "content");
  CHECK_FALSE(r.contains("user"));
  REQUIRE(r["scores"].size() == 3);
  AttributeTable attrs;
  AttributeColumn seg{"segment", ColumnType::kCategorical};
  seg.codes.push_back(seg.internCategory("b"));
  attrs.columns.push_back(seg);
  std::vector<Index> items{*pkg->items().find("item-1"), *pkg->items().find("item-25")};
  std::vector<float> expect(2);
  model.scoreNewUser(NewUser{&attrs, 0, {}}, items, expect);
  for (int j = 0; j < 2; ++j) {
    CHECK(r["scores"][j]["score"].get<float>() == expect[j]);
    const double p = r["scores"][j]["probability"].get<double>();
    CHECK(p == Approx(1.0 / (1.0 + std::exp(-static_cast<double>(expect[j])))));
    CHECK((p > 0.0 && p < 1.0));
  }
  CHECK(r["scores"][2]["unknown_item"] == true);
  // Segment b prefers item-25 (comedy) over item-1 (drama) more than segment a does.
  const auto ra =
      post(R"({"user":"brand-new","attributes":{"segment":"a"},"items":["item-1","item-25"]})");
  CHECK(ra["user"] == "brand-new");
  CHECK(ra["source"] == "content");
  const double marginB =
      r["scores"][1]["score"].get<double>() - r["scores"][0]["score"].get<double>();
  const double marginA =
      ra["scores"][1]["score"].get<double>() - ra["scores"][0]["score"].get<double>();
  CHECK(marginB > marginA);
  // A known user is scored from training data (attributes, if any, are not needed).
  const auto known = post(R"({"user":"u3","items":["item-1"]})");
  CHECK(known["source"] == "none");
  CHECK(known["scores"][0].contains("probability"));
  // An unknown user without attributes: popularity, flagged, no probability.
  const auto pop = post(R"({"user":"stranger","items":["item-1"]})");
  CHECK(pop["fallback"] == true);
  CHECK(pop["source"] == "popularity");
  CHECK(pop["scores"][0]["score"].get<float>() == model.itemPopularity()[items[0]]);
  CHECK_FALSE(pop["scores"][0].contains("probability"));
  // Null attribute values are missing values, not errors.
  CHECK(post(R"({"attributes":{"segment":null},"items":["item-1"]})")["source"] == "content");
}

TEST_CASE("POST /score: models without features and content_similarity history",
          "[export][server]") {
  test::TempDir dir;
  {
    RunningServer rs(makePackage(dir, "pop.rwbm", "most_popular"));
    auto c = rs.client();
    auto res = c.Post("/score", R"({"attributes":{"anything":"x"},"items":["item-1"]})",
                      "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    const auto r = json::parse(res->body);
    CHECK(r["fallback"] == true);
    CHECK(r["source"] == "popularity");
  }
  RunningServer rs(makePackage(dir, "content.rwbm", "content_similarity"));
  auto c = rs.client();
  auto res =
      c.Post("/score", R"({"history":["item-21","item-30","zzz"],"items":["item-2","item-25"]})",
             "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto r = json::parse(res->body);
  CHECK(r["source"] == "content");
  CHECK(r["unknown_history"] == json::array({"zzz"}));
  CHECK(r["scores"][1]["score"].get<double>() > r["scores"][0]["score"].get<double>());
  CHECK_FALSE(r["scores"][0].contains("probability"));  // a cosine, not a logit
}

TEST_CASE("POST /score: every new-user input error is a 400 with a message", "[export][server]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "lr.rwbm", "logistic_regression"));
  auto c = rs.client();
  auto expect = [&](const std::string& body, int status, const char* fragment) {
    auto res = c.Post("/score", body, "application/json");
    REQUIRE(res);
    INFO(body << " -> " << res->body);
    CHECK(res->status == status);
    CHECK_THAT(json::parse(res->body)["error"].get<std::string>(), Catch::Contains(fragment));
  };
  expect(R"({"attributes":[1,2],"items":["item-1"]})", 400, "must be a JSON object");
  expect(R"({"attributes":{"segment":true},"items":["item-1"]})", 400, "must be a number");
  expect(R"({"attributes":{"segment":{"a":1}},"items":["item-1"]})", 400, "must be a number");
  expect(R"({"attributes":{"segment":["a",3]},"items":["item-1"]})", 400, "array entry");
  expect(R"({"attributes":{"age":30},"items":["item-1"]})", 400, "unknown attribute 'age'");
  expect(R"({"history":"item-1","items":["item-1"]})", 400, "'history' must be an array");
  expect(R"({"history":[5],"items":["item-1"]})", 400, "'history' must be a string");
  expect(R"({"user":7,"items":["item-1"]})", 400, "'user' must be a non-empty string");
  expect(R"({"user":"","items":["item-1"]})", 400, "'user' must be a non-empty string");
  expect(R"({"items":["item-1"]})", 400, "'user' (string) or 'attributes'");
  expect(R"({"attributes":{"segment":"a"},"items":[]})", 400, "items");
  expect(R"({"attributes":{"segment":"a"},"items":["item-1"],"extra":0})", 400,
         "unknown field 'extra'");
  expect(R"([1,2,3])", 400, "JSON object");
  expect(R"({"attributes":{"segment":"a"},"items":["item-1"])", 400, "malformed JSON");
  auto q = c.Post("/score?user=u1", R"({"user":"u1","items":["item-1"]})", "application/json");
  REQUIRE(q);
  CHECK(q->status == 400);
  // 413 for a large body with attributes, before any parsing.
  std::string big =
      R"({"attributes":{"segment":")" + std::string(8000, 'x') + R"("},"items":["item-1"]})";
  expect(big, 413, "too large");
}

TEST_CASE("a client that stalls mid-request is cut off by the read timeout", "[export][server]") {
  test::TempDir dir;
  ServerOptions o = RunningServer::options();
  o.readTimeoutSeconds = 1;
  o.keepAliveTimeoutSeconds = 1;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"), o);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(rs.server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{10, 0};  // the test's own bound: never waits longer than this
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string partial = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";  // no blank line
  REQUIRE(::send(fd, partial.data(), partial.size(), 0) == static_cast<ssize_t>(partial.size()));
  const auto start = std::chrono::steady_clock::now();
  char buf[512];
  ssize_t n = 0;
  std::string got;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  INFO("received: " << got);
  CHECK(n == 0);         // the server closed the connection ...
  CHECK(waited >= 0.5);  // ... after waiting for the rest of the request ...
  CHECK(waited < 6.0);   // ... about keep-alive + read timeout (1 s + 1 s), not forever
  CHECK(got.find("200 OK") == std::string::npos);  // and never answered the half request
  // The server still serves others.
  auto ok = rs.client().Get("/health");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("regression: slowloris clients do not hold the workers (issue 17)", "[export][server]") {
  test::TempDir dir;
  const auto path = makePackage(dir, "m.rwbm", "most_popular");
  SECTION("four trickling clients: others are answered at once, long before any deadline") {
    ServerOptions o = RunningServer::options();
    o.threads = 2;
    o.requestTimeoutSeconds = 60;  // the answer below cannot come from cutting the slow ones
    RunningServer rs(path, o);
    Slowloris slow(rs.server.port(), 4, std::chrono::milliseconds(200));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i) {  // more requests than handler threads
      auto res = rs.client().Get("/recommend?user=u1&k=3");
      REQUIRE(res);
      CHECK(res->status == 200);
    }
    CHECK(secondsSince(start) < 5.0);  // typically milliseconds; was: no answer at all
  }
  SECTION("a client trickling a byte every 200 ms is cut off by the whole-request deadline") {
    ServerOptions o = RunningServer::options();
    o.requestTimeoutSeconds = 2;  // per-read timeout stays 5 s: only the deadline can cut it
    RunningServer rs(path, o);
    Slowloris slow(rs.server.port(), 1, std::chrono::milliseconds(200));
    const auto start = std::chrono::steady_clock::now();
    const std::string got = slow.conns[0]->receiveAll();
    const double waited = secondsSince(start);
    INFO("received: " << got);
    CHECK(got.find("408") != std::string::npos);
    CHECK(waited >= 1.0);
    CHECK(waited < 8.0);  // 100 bytes at 5/s would take 20 s
  }
  SECTION("more slow clients than connections: the excess is turned away, service resumes") {
    ServerOptions o = RunningServer::options();
    o.maxConnections = 2;  // 2 served + 2 queued; the rest are answered 503 at once
    o.requestTimeoutSeconds = 2;
    RunningServer rs(path, o);
    Slowloris slow(rs.server.port(), 8, std::chrono::milliseconds(200));
    int busy = 0;
    for (int i = 4; i < 8; ++i) {
      const std::string got = slow.conns[static_cast<std::size_t>(i)]->receiveAll();
      if (got.find(" 503 ") == std::string::npos) continue;
      ++busy;
      // A well-formed answer: the body is exactly Content-Length bytes of JSON.
      const auto head = got.find("\r\n\r\n");
      const auto length = got.find("Content-Length: ");
      REQUIRE(head != std::string::npos);
      REQUIRE(length != std::string::npos);
      const std::string body = got.substr(head + 4);
      CHECK(std::stoul(got.substr(length + 16)) == body.size());
      CHECK_THAT(json::parse(body)["error"].get<std::string>(), Catch::Contains("busy"));
    }
    CHECK(busy >= 2);  // at most 4 of the 8 can be held
    // A normal client is answered within a bound: slow clients lose their slot at the deadline.
    const auto start = std::chrono::steady_clock::now();
    bool ok = false;
    for (int attempt = 0; attempt < 100 && !ok && secondsSince(start) < 15.0; ++attempt) {
      auto res = rs.client().Get("/health");
      ok = res && res->status == 200;
      if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // retry pacing
    }
    CHECK(ok);
    CHECK(secondsSince(start) < 10.0);
  }
}

TEST_CASE("regression: --max-body bounds chunked bodies too (issue 17)", "[export][server]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"));  // max body 4096
  auto chunked = [](const std::string& route, const std::string& body, std::size_t chunk) {
    std::string r = "POST " + route +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    for (std::size_t i = 0; i < body.size(); i += chunk) {
      const std::string part = body.substr(i, chunk);
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", part.size());
      r += size + part + "\r\n";
    }
    return r + "0\r\n\r\n";
  };
  SECTION("a chunked body within the limit is served") {
    RawConnection c(rs.server.port());
    REQUIRE(c.send(chunked("/score", R"({"user":"u1","items":["item-1","item-2"]})", 7)));
    const std::string got = c.receiveAll();
    INFO(got);
    CHECK(got.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(got.find("\"scores\"") != std::string::npos);
  }
  SECTION("a chunked body over the limit gets 413 on every route, and the connection closes") {
    for (const char* route : {"/score", "/health", "/no/such/route"}) {
      RawConnection c(rs.server.port());
      REQUIRE(c.send(chunked(route, std::string(64 * 1024, ' '), 1000)));
      const std::string got = c.receiveAll();
      INFO(route << ": " << got.substr(0, 300));
      CHECK(got.rfind("HTTP/1.1 413", 0) == 0);
      CHECK(got.find("too large") != std::string::npos);
    }
  }
  SECTION("an endless chunked body is refused, not buffered") {
    RawConnection c(rs.server.port(), 5);
    REQUIRE(c.send(chunked("/score", "", 1).substr(0, 200)));  // the head only
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    std::size_t sent = 0;
    const auto start = std::chrono::steady_clock::now();
    while (sent < (std::size_t{1} << 30) && secondsSince(start) < 20.0 && c.send(chunk)) {
      sent += chunk.size();
    }
    INFO("sent " << sent << " bytes");
    CHECK(sent < (std::size_t{256} << 20));  // was: 1000 MB accepted
    // And the server is fine.
    auto res = rs.client().Get("/health");
    REQUIRE(res);
    CHECK(res->status == 200);
  }
}

TEST_CASE("regression: pipelined requests are answered in order (issue 17)", "[export][server]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"));
  RawConnection c(rs.server.port());
  const std::string head = " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  REQUIRE(c.send("GET /health" + head + "\r\nGET /recommend?user=u1&k=2" + head +
                 "\r\nGET /similar?item=item-1&k=2" + head + "Connection: close\r\n\r\n"));
  const std::string got = c.receiveAll();
  INFO(got);
  CHECK(countOf(got, "HTTP/1.1 200 OK") == 3);
  const auto health = got.find("\"status\":\"ok\"");
  const auto recommend = got.find("\"user\":\"u1\"");
  const auto similar = got.find("\"item\":\"item-1\",\"items\"");
  REQUIRE(health != std::string::npos);
  REQUIRE(recommend != std::string::npos);
  REQUIRE(similar != std::string::npos);
  CHECK(health < recommend);
  CHECK(recommend < similar);
}

TEST_CASE("regression: a POST without a body is answered at once", "[export][server]") {
  // No Content-Length and no Transfer-Encoding means no body (curl -X POST sends this);
  // httplib waited for one until the read timeout (5 s) and answered 400.
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"));
  RawConnection c(rs.server.port());
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(
      c.send("POST /admin/reload HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
             "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  const std::string got = c.receiveAll();
  INFO(got);
  CHECK(secondsSince(start) < 3.0);
  CHECK(got.rfind("HTTP/1.1 200", 0) == 0);
  CHECK_THAT(got, Catch::Contains("\"status\":\"reloaded\""));
  CHECK(countOf(got, "HTTP/1.1 200 OK") == 2);  // the next request was not taken as a body
}

TEST_CASE("a long pipeline is answered up to the per-connection limit, then closed cleanly",
          "[export][server]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"));
  RawConnection c(rs.server.port());
  std::string pipeline;
  for (int i = 0; i < 8; ++i) pipeline += "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(c.send(pipeline));
  std::string got;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(c.fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
  INFO(got);
  CHECK(n == 0);  // an orderly close (FIN), not a reset that could swallow answers
  CHECK(countOf(got, "HTTP/1.1 200 OK") == 5);    // httplib's 5 requests per connection ...
  CHECK(countOf(got, "Connection: close") == 1);  // ... the last of them says so
}

TEST_CASE("regression: invalid UTF-8 in an id is a 400 naming the parameter (issue 17)",
          "[export][server]") {
  test::TempDir dir;
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"));
  auto c = rs.client();
  auto expect = [&](const char* target, int status, const char* fragment) {
    auto res = c.Get(target);
    REQUIRE(res);
    INFO(target << " -> " << res->body);
    CHECK(res->status == status);
    const auto body = json::parse(res->body);  // always valid JSON
    CHECK_THAT(body["error"].get<std::string>(), Catch::Contains(fragment));
    CHECK_THAT(body["error"].get<std::string>(), !Catch::Contains("JSON"));
  };
  expect("/recommend?user=%FF", 400, "parameter 'user' is not valid UTF-8");
  expect("/recommend?user=u%C3%28", 400, "parameter 'user' is not valid UTF-8");
  expect("/recommend?user=u1&exclude=a,%ED%A0%80", 400, "parameter 'exclude' is not valid UTF-8");
  expect("/similar?item=%C0%AF", 400, "parameter 'item' is not valid UTF-8");
  expect("/recommend?user=u1&%FF=1", 400, "parameter name is not valid UTF-8");
  expect("/no/such/%FF", 404, "no such route");
  // Valid UTF-8 ids are fine: an unknown user gets the fallback.
  auto ok = c.Get("/recommend?user=%C3%A9l%C3%A8ve&k=2");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(json::parse(ok->body)["user"] == "\u00e9l\u00e8ve");
}

TEST_CASE("access log and /metrics: one line and one count per answered request",
          "[export][server]") {
  test::TempDir dir;
  std::mutex mutex;
  std::condition_variable logged;
  std::vector<std::string> lines;
  ServerOptions o = RunningServer::options();
  o.accessLog = [&](const std::string& line) {
    std::lock_guard lock(mutex);
    lines.push_back(line);
    logged.notify_all();
  };
  RunningServer rs(makePackage(dir, "m.rwbm", "most_popular"), o);
  // Lines containing `what` (call with the mutex held).
  auto count = [&](const char* what) {
    return std::count_if(lines.begin(), lines.end(),
                         [&](const std::string& l) { return l.find(what) != std::string::npos; });
  };
  auto c = rs.client();
  REQUIRE(c.Get("/recommend?user=u1&k=2")->status == 200);
  REQUIRE(c.Get("/recommend?user=secret-id&k=2")->status == 200);
  REQUIRE(c.Get("/recommend?k=2")->status == 400);
  REQUIRE(c.Get("/no/such/route")->status == 404);
  REQUIRE(c.Get("/another/unknown")->status == 404);
  REQUIRE(c.Post("/score", std::string(10000, ' '), "application/json")->status == 413);
  REQUIRE(c.Post("/admin/reload", "", "application/json")->status == 200);
  {
    // The logger runs after each answer is sent, on the server's threads, and the client opens
    // a connection per request: wait (bounded) for all seven lines, in whatever order.
    std::unique_lock lock(mutex);
    REQUIRE(logged.wait_for(lock, std::chrono::seconds(10), [&] {
      return lines.size() - static_cast<std::size_t>(count(" GET /health ")) >= 7;
    }));
    const std::regex format(
        R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1 (GET|POST) /[a-z/]* \d{3} \d+\.\d{3} ms)");
    for (const auto& line : lines) {
      INFO(line);
      CHECK(std::regex_match(line, format));
      CHECK(line.find("secret-id") == std::string::npos);  // no query strings in the log
    }
    CHECK(count(" GET /recommend 200 ") == 2);
    CHECK(count(" GET /recommend 400 ") == 1);
    CHECK(count(" GET /no/such/route 404 ") == 1);
    CHECK(count(" POST /score 413 ") == 1);
    CHECK(count(" POST /admin/reload 200 ") == 1);
  }

  auto res = c.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK_THAT(res->get_header_value("Content-Type"), Catch::StartsWith("text/plain; version=0.0.4"));
  const std::string& m = res->body;
  INFO(m);
  CHECK_THAT(m,
             Catch::Contains("rwb_http_requests_total{route=\"/recommend\",status=\"200\"} 2\n"));
  CHECK_THAT(m,
             Catch::Contains("rwb_http_requests_total{route=\"/recommend\",status=\"400\"} 1\n"));
  CHECK_THAT(m, Catch::Contains("rwb_http_requests_total{route=\"other\",status=\"404\"} 2\n"));
  CHECK_THAT(m, Catch::Contains("rwb_http_requests_total{route=\"/score\",status=\"413\"} 1\n"));
  CHECK(m.find("/no/such/route") == std::string::npos);  // unknown paths add no labels
  CHECK_THAT(m,
             Catch::Contains(
                 "rwb_http_request_duration_seconds_bucket{route=\"/recommend\",le=\"+Inf\"} 3\n"));
  CHECK_THAT(m,
             Catch::Contains("rwb_http_request_duration_seconds_count{route=\"/recommend\"} 3\n"));
  CHECK_THAT(m, Catch::Contains("# TYPE rwb_http_request_duration_seconds histogram\n"));
  CHECK_THAT(m, Catch::Contains("rwb_model_info{model_type=\"most_popular\",checksum=\"" +
                                rs.server.package()->info().checksum + "\""));
  CHECK_THAT(m, Catch::Contains("rwb_model_reloads_total 1\n"));
  // Buckets are cumulative: every bucket count is at most the next one's.
  std::regex bucket(
      R"(rwb_http_request_duration_seconds_bucket\{route="/recommend",le="[^"]+"\} (\d+))");
  long previous = 0;
  int buckets = 0;
  for (std::sregex_iterator it(m.begin(), m.end(), bucket), end; it != end; ++it, ++buckets) {
    const long n = std::stol((*it)[1]);
    CHECK(n >= previous);
    previous = n;
  }
  CHECK(buckets == 15);
}

TEST_CASE("regression: a burst of connects is not dropped by a 5-deep accept queue (issue 17)",
          "[export][server]") {
  // The soak test (tests/bench/serve_soak.sh) stalled clients for seconds: cpp-httplib listens
  // with a backlog of 5, and when many clients reconnect at once the kernel drops the excess
  // handshakes. Here no thread accepts (the server is bound but not running), so every connect
  // beyond the backlog would stay pending.
  test::TempDir dir;
  ServerOptions o = RunningServer::options();
  ModelServer server(makePackage(dir, "m.rwbm", "most_popular"), o);
  constexpr int kClients = 40;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int r = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    CHECK((r == 0 || errno == EINPROGRESS));
    fds.push_back(fd);
  }
  int connected = 0;
  for (const int fd : fds) {
    pollfd p{fd, POLLOUT, 0};
    int err = -1;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, 500) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
        err == 0) {
      ++connected;
    }
    ::close(fd);
  }
  CHECK(connected == kClients);  // was 6: backlog 5 + 1
}

TEST_CASE("sustained paced load with slow clients: every normal request answered 200",
          "[export][server]") {
  // The suite's short version of the soak test (tests/bench/serve_soak.sh, docs/export.md):
  // 10 s of ~200 requests/s over 16 keep-alive connections (each reconnects after the
  // per-connection request limit) while 4 slowloris clients hold connections until their
  // deadline, again and again.
  test::TempDir dir;
  ServerOptions o = RunningServer::options();
  o.threads = 2;
  o.requestTimeoutSeconds = 2;
  RunningServer rs(makePackage(dir, "m.rwbm", "itemknn"), o);
  std::atomic<bool> stop{false};
  std::thread slow([&] {
    while (!stop.load()) {  // each round ends when the server cuts the four off
      Slowloris s(rs.server.port(), 4, std::chrono::milliseconds(250), 40);
      for (auto& c : s.conns) (void)c->receiveAll();
    }
  });
  constexpr int kConnections = 16;
  constexpr auto kPace = std::chrono::milliseconds(80);  // per connection: 12.5 requests/s
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client = rs.client();
      client.set_keep_alive(true);
      auto next = std::chrono::steady_clock::now();
      for (int i = 0; std::chrono::steady_clock::now() < end; ++i) {
        auto res = client.Get("/recommend?user=u" + std::to_string((c * 7 + i) % 60) + "&k=5");
        (res && res->status == 200 ? ok : failed).fetch_add(1);
        next += kPace;
        std::this_thread::sleep_until(next);  // pacing the load, not waiting for a result
      }
    });
  }
  for (auto& t : clients) t.join();
  stop = true;
  slow.join();
  INFO(ok.load() << " answered, " << failed.load() << " failed");
  CHECK(failed.load() == 0);
  CHECK(ok.load() > kConnections * 60);  // at least half the paced requests went out
}
