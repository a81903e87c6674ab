#include "core/export/model_server.h"

#include <httplib.h>

#include <atomic>
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
  explicit RunningServer(const std::string& path) : server(path, options()) {
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

std::string makePackage(const test::TempDir& dir, const char* name, const char* model) {
  const Dataset d = test::exportFixture();
  auto m = createModel(model);
  TaskContext ctx;
  m->fit({d}, ctx);
  const auto path = (dir / name).string();
  writePackage(path, *m, d.users, d.items);
  return path;
}

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
  std::atomic<int> ok{0}, bad{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      auto c = rs.client();
      for (int i = 0; i < 150; ++i) {
        auto res = c.Get(("/recommend?user=u" + std::to_string((t * 7 + i) % 60) + "&k=5").c_str());
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
  for (auto& t : clients) t.join();
  CHECK(bad == 0);
  CHECK(ok == 600);
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
