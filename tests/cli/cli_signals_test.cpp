// Every recwb command stops on SIGINT (exit 130) and SIGTERM (exit 143) within about a second,
// through the one signal watcher and TaskContext cancellation, and leaves no temporary file
// behind (issue 17, "Process and files").
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "cli_fixtures.h"
#include "cli_runner.h"

using namespace rwb::test;
namespace fs = std::filesystem;

namespace {

/// Generous bound on the time from the signal to the exit: the promise is "about a second" on
/// an idle machine; the test machines are shared and often loaded.
constexpr double kPromptSeconds = 3.0;

/// Sanitizer builds run several times slower: there the latency bound is reported, not checked
/// (exit status, messages and temporary files still are).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif
#else
constexpr bool kSanitizerBuild = false;
#endif

/// The hidden temporary files (".<name>.tmp...") in a folder and its subfolders.
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".") && name.find(".tmp") != std::string::npos) {
      found.push_back(it->path().string());
    }
  }
  return found;
}

/// Waits until a temporary file shows up under dir (the command is writing) or timeout.
bool waitForTemporary(const fs::path& dir, double timeoutSeconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
  while (std::chrono::steady_clock::now() < end) {
    if (!temporaries(dir).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

/// Waits until process pid has a handler installed for sig (bit sig-1 of SigCgt in
/// /proc/PID/status), i.e. recwb's main() has set up its signal watcher; a signal sent earlier
/// meets the default action, as in any program that has not started yet. Under a sanitizer on a
/// loaded machine that start took longer than the fixed delay these tests used to wait.
bool waitForSignalHandler(pid_t pid, int sig, double timeoutSeconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
  const std::string statusPath = "/proc/" + std::to_string(pid) + "/status";
  while (std::chrono::steady_clock::now() < end) {
    std::ifstream in(statusPath);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("SigCgt:", 0) != 0) continue;
      const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      if ((mask >> (sig - 1)) & 1ULL) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

struct Stopped {
  CliResult result;
  double latency = 0.0;  ///< seconds from the signal to the process's end
};

Stopped signalAndWait(RecwbProcess& p, int sig) {
  const auto t0 = std::chrono::steady_clock::now();
  Stopped s;
  s.result = p.stop(sig, 20.0);
  s.latency = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

void requireStoppedBy(const Stopped& s, int sig) {
  INFO(s.result.describe());
  INFO("latency " << s.latency << " s");
  REQUIRE(s.result.cleanExit());
  CHECK(s.result.exitCode == 128 + sig);
  if (kSanitizerBuild && s.latency >= kPromptSeconds) {
    WARN("sanitizer build: stopped after " << s.latency << " s (not checked against "
                                           << kPromptSeconds << " s)");
  } else {
    CHECK(s.latency < kPromptSeconds);
  }
  CHECK(s.result.err.find("internal error") == std::string::npos);
}

/// A package of most_popular over many generated users: scoring every user with -k 100 into
/// SQLite takes many seconds, so a signal always lands inside the scoring loop.
fs::path bigPackage(const TempDir& dir) {
  const auto gen = dir / "big";
  RWB_REQUIRE_SUCCESS(runRecwb({"generate", "--out", gen.string(), "--users", "60000", "--items",
                                "200", "--interactions", "120000", "--seed", "5", "-q"}));
  const auto pkg = dir / "big.rwbm";
  RWB_REQUIRE_SUCCESS(runRecwb({"export", "--data", (gen / "interactions.csv").string(), "--model",
                                "most_popular", "--out", pkg.string(), "-q"}));
  return pkg;
}

}  // namespace

TEST_CASE("score stops on SIGINT and SIGTERM promptly, exits 130 / 143, leaves no temporary file",
          "[cli][signals]") {
  TempDir dir;
  const auto pkg = bigPackage(dir);
  for (const auto& [sig, ext] :
       {std::pair{SIGINT, "sqlite"}, std::pair{SIGTERM, "sqlite"}, std::pair{SIGTERM, "tsv"}}) {
    DYNAMIC_SECTION(strsignal(sig) << " " << ext) {
      const auto outDir = dir / ("out-" + std::to_string(sig) + ext);
      fs::create_directories(outDir);
      const auto out = outDir / (std::string("recs.") + ext);
      RecwbProcess p({"score", "--model", pkg.string(), "-k", "100", "--out", out.string(), "-q"});
      REQUIRE(waitForTemporary(outDir, 30.0));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // well inside the loop
      const Stopped s = signalAndWait(p, sig);
      requireStoppedBy(s, sig);
      CHECK(temporaries(outDir).empty());
      CHECK_FALSE(fs::exists(out));  // an interrupted score publishes nothing
    }
  }
}

TEST_CASE("generate stops on SIGINT promptly and leaves no temporary file", "[cli][signals]") {
  TempDir dir;
  const auto out = dir / "gen";
  RecwbProcess p({"generate", "--out", out.string(), "--users", "200000", "--items", "5000",
                  "--interactions", "30000000", "-q"});
  REQUIRE(waitForSignalHandler(p.pid(), SIGINT, 30.0));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  REQUIRE(p.running());
  const Stopped s = signalAndWait(p, SIGINT);
  requireStoppedBy(s, SIGINT);
  CHECK(temporaries(dir.path()).empty());
}

TEST_CASE("run stops on SIGTERM promptly while a model trains", "[cli][signals]") {
  TempDir dir;
  // Big enough that 10,000 BPR epochs take minutes on any machine (generateSmall's 1,500 events
  // finished within the 1.5 s wait on an idle machine, and the test then found no process).
  RWB_REQUIRE_SUCCESS(
      runRecwb({"generate", "--out", (dir / "gen").string(), "--users", "2000", "--items", "1000",
                "--interactions", "60000", "--seed", "3", "-q"}));
  writeFile(dir / "spec.json",
            R"({"version": 1, "dataset": {"path": "gen"}, "split": {"method": "chronological",
                "ratio": 0.8}, "models": [{"name": "bpr", "params": {"epochs": 10000, "factors": 512}}]})");
  const auto project = dir / "p.rwbp";
  RecwbProcess p({"run", (dir / "spec.json").string(), "--project", project.string(), "--out",
                  (dir / "o").string(), "-q"},
                 dir.path());
  REQUIRE(waitForSignalHandler(p.pid(), SIGTERM, 30.0));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(p.running());
  const Stopped s = signalAndWait(p, SIGTERM);
  requireStoppedBy(s, SIGTERM);
  CHECK(temporaries(dir.path()).empty());
}

TEST_CASE("serve exits 130 on SIGINT and 143 on SIGTERM", "[cli][signals]") {
  TempDir dir;
  const auto [train, test] = splitSmall(dir);
  const auto pkg = dir / "m.rwbm";
  RWB_REQUIRE_SUCCESS(runRecwb(
      {"export", "--data", train, "--model", "most_popular", "--out", pkg.string(), "-q"}));
  for (const int sig : {SIGINT, SIGTERM}) {
    RecwbProcess server({"serve", "--model", pkg.string(), "--port", "0"});
    std::string err;
    REQUIRE(server.waitForStderr("on http://", 20.0, err));
    const Stopped s = signalAndWait(server, sig);
    requireStoppedBy(s, sig);
    CHECK(s.result.err.find("stopped after") != std::string::npos);
  }
}

TEST_CASE(
    "a score killed outright leaves its temporary file; the next score to the same file "
    "removes it, and keeps a live writer's",
    "[cli][signals]") {
  TempDir dir;
  const auto pkg = bigPackage(dir);
  const auto outDir = dir / "out";
  fs::create_directories(outDir);
  const auto out = outDir / "recs.sqlite";
  {
    RecwbProcess p({"score", "--model", pkg.string(), "-k", "100", "--out", out.string(), "-q"});
    REQUIRE(waitForTemporary(outDir, 30.0));
    p.stop(SIGKILL, 20.0);
  }
  const auto stale = temporaries(outDir);
  REQUIRE(stale.size() == 1);
  // A writer that is still alive (this test process) to the same destination, and a temporary
  // file of another destination: neither may be touched.
  const auto live = outDir / (".recs.sqlite.tmp-" + std::to_string(getpid()) + "-00000000000000aa");
  const auto other = outDir / (".other.tsv.tmp-999999999-00000000000000bb");
  writeFile(live, "live");
  writeFile(other, "other");
  writeFile(dir / "few.csv", "user_id\nU00001\nU00002\n");
  RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg.string(), "--users",
                                (dir / "few.csv").string(), "--out", out.string(), "-q"}));
  CHECK_FALSE(fs::exists(stale.front()));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other));
  CHECK(fs::exists(out));
}
