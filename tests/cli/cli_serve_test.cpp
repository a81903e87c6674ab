// recwb serve as a process: it answers over HTTP, stops on SIGTERM, and exits at once (non-zero,
// with the reason) when it cannot serve. Every server is started with --port 0 and killed by
// RecwbProcess's destructor if a check fails, so none is left running.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_fixtures.h"

using namespace rwb::test;
namespace fs = std::filesystem;

namespace {

/// The port from "on http://127.0.0.1:PORT" in serve's start-up line, or 0.
int announcedPort(const std::string& err) {
  const std::string tag = "http://127.0.0.1:";
  const auto at = err.find(tag);
  if (at == std::string::npos) return 0;
  return std::atoi(err.c_str() + at + tag.size());
}

/// A most_popular package fitted on the small generated data.
std::string makePackage(const TempDir& dir) {
  const auto data = generateSmall(dir);
  const auto pkg = (dir / "pop.rwbm").string();
  RWB_REQUIRE_SUCCESS(
      runRecwb({"export", "--data", data.string(), "--model", "most_popular", "--out", pkg, "-q"}));
  return pkg;
}

/// A listening TCP socket on 127.0.0.1 (any free port), closed on destruction.
struct TakenPort {
  int fd = -1;
  int port = 0;
  TakenPort() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~TakenPort() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

TEST_CASE(
    "serve answers /health and /recommend like score, and stops cleanly on SIGTERM (exit 143)",
    "[cli]") {
  TempDir dir;
  const auto pkg = makePackage(dir);
  const auto recs = dir / "recs.tsv";
  RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "-k", "3", "--out", recs.string(), "-q"}));
  const auto lists = readRecs(recs, '\t', true);
  const std::string user = lists.begin()->first;

  RecwbProcess server({"serve", "--model", pkg, "--port", "0", "--threads", "2"});
  std::string err;
  const bool up = server.waitForStderr("http://127.0.0.1:", 30.0, err);
  INFO("serve stderr: " << err);
  REQUIRE(up);
  const int port = announcedPort(err);
  REQUIRE(port > 0);
  CHECK(err.find("most_popular model") != std::string::npos);

  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  const auto health = client.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  const auto h = nlohmann::json::parse(health->body);
  CHECK(h.at("status") == "ok");
  CHECK(h.at("model_type") == "most_popular");

  const auto rec = client.Get(("/recommend?user=" + user + "&k=3").c_str());
  REQUIRE(rec);
  CHECK(rec->status == 200);
  const auto items = nlohmann::json::parse(rec->body).at("items");
  REQUIRE(items.size() == 3);
  for (std::size_t r = 0; r < 3; ++r) CHECK(items[r].at("item") == lists.at(user)[r].item);

  const auto missing = client.Get("/recommend?k=3");
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK(nlohmann::json::parse(missing->body).contains("error"));
  client.stop();

  const CliResult stopped = server.stop(SIGTERM, 10.0);
  RWB_REQUIRE_FAILURE(stopped, 143);
  CHECK(stopped.err.find("stopped after 3 requests") != std::string::npos);
}

TEST_CASE("serve exits non-zero at once for a bad port, a taken port, a bad or missing package",
          "[cli]") {
  TempDir dir;
  const auto pkg = makePackage(dir);
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "serve");
    // A server that starts would run until the time limit: 20 s means "did not exit".
    return runRecwb(args, {}, 20.0);
  };
  const auto quick = [](const CliResult& r) {
    INFO(r.describe());
    CHECK(r.seconds < 10.0);
  };

  const CliResult range = run({"--model", pkg, "--port", "70000"});
  RWB_REQUIRE_FAILURE(range, 2, "--port", "70000");
  quick(range);
  const CliResult text = run({"--model", pkg, "--port", "http"});
  RWB_REQUIRE_FAILURE(text, 2, "--port", "http");

  TakenPort taken;
  const CliResult inUse = run({"--model", pkg, "--port", std::to_string(taken.port)});
  RWB_REQUIRE_FAILURE(inUse, 1, "cannot listen on 127.0.0.1:" + std::to_string(taken.port));
  quick(inUse);

  const CliResult missing = run({"--model", (dir / "absent.rwbm").string(), "--port", "0"});
  RWB_REQUIRE_FAILURE(missing, 1, "absent.rwbm", "no such file");
  quick(missing);

  const std::string bytes = readFile(pkg);
  writeFile(dir / "cut.rwbm", bytes.substr(0, bytes.size() / 2));
  const CliResult cut = run({"--model", (dir / "cut.rwbm").string(), "--port", "0"});
  RWB_REQUIRE_FAILURE(cut, 1, "cut.rwbm");
  quick(cut);

  writeFile(dir / "text.rwbm", "user,item\n1,2\n");
  const CliResult foreign = run({"--model", (dir / "text.rwbm").string(), "--port", "0"});
  RWB_REQUIRE_FAILURE(foreign, 1, "text.rwbm");

  const CliResult threads = run({"--model", pkg, "--threads", "0"});
  RWB_REQUIRE_FAILURE(threads, 2, "--threads");
}

TEST_CASE(
    "serve reloads its package on SIGHUP; a damaged package is refused and the old model "
    "keeps serving",
    "[cli]") {
  TempDir dir;
  const auto data = generateSmall(dir);
  for (const char* model : {"most_popular", "sar"}) {
    RWB_REQUIRE_SUCCESS(runRecwb({"export", "--data", data.string(), "--model", model, "--out",
                                  (dir / (std::string(model) + ".rwbm")).string(), "-q"}));
  }
  const auto served = dir / "served.rwbm";
  fs::copy_file(dir / "most_popular.rwbm", served);
  // Replace the served file the way a deployment would: write beside it, then rename.
  const auto replace = [&](const std::string& bytes) {
    writeFile(dir / "next.rwbm", bytes);
    fs::rename(dir / "next.rwbm", served);
  };

  RecwbProcess server({"serve", "--model", served.string(), "--port", "0"});
  std::string err;
  const bool up = server.waitForStderr("http://127.0.0.1:", 30.0, err);
  INFO("serve stderr: " << err);
  REQUIRE(up);
  httplib::Client client("127.0.0.1", announcedPort(err));
  client.set_read_timeout(5);
  const auto modelType = [&] {
    const auto r = client.Get("/health");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return nlohmann::json::parse(r->body).at("model_type").get<std::string>();
  };
  CHECK(modelType() == "most_popular");

  replace(readFile(dir / "sar.rwbm"));
  kill(server.pid(), SIGHUP);
  REQUIRE(server.waitForStderr("recwb serve: reloaded", 30.0, err));
  CHECK(modelType() == "sar");

  const std::string sar = readFile(dir / "sar.rwbm");
  replace(sar.substr(0, sar.size() / 2));
  kill(server.pid(), SIGHUP);
  const bool refused = server.waitForStderr("reload failed, previous model kept", 30.0, err);
  INFO("serve stderr: " << err);
  REQUIRE(refused);
  CHECK(err.find(served.string()) != std::string::npos);
  CHECK(modelType() == "sar");
  client.stop();

  const CliResult stopped = server.stop(SIGTERM, 10.0);
  RWB_REQUIRE_FAILURE(stopped, 143);
}
