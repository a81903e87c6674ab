#include "cli_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace rwb::test {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Polling interval while waiting for a child: short enough to keep the suite fast, long enough
// not to spin a core that the child needs.
void pause() {
  timespec ts{0, 2'000'000};
  nanosleep(&ts, nullptr);
}

std::string head(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n) + "\n[... " + std::to_string(s.size() - n) + " more]";
}

}  // namespace

std::filesystem::path recwbPath() { return std::filesystem::path(RWB_RECWB_PATH); }

std::filesystem::path sampleData() { return sourceDir() / "sample-data"; }

bool CliResult::cleanExit() const {
  if (timedOut || signal != 0) return false;
  for (const char* report : {"Sanitizer", "runtime error:", "terminate called", "Segmentation"}) {
    if (err.find(report) != std::string::npos) return false;
  }
  return true;
}

std::string CliResult::describe() const {
  std::ostringstream s;
  s << "recwb";
  for (const auto& a : args) s << " '" << a << "'";
  if (timedOut) {
    s << "\n-> killed after the time limit";
  } else if (signal != 0) {
    s << "\n-> ended by signal " << signal << " (" << strsignal(signal) << ")";
  } else {
    s << "\n-> exit " << exitCode;
  }
  s << " in " << seconds << " s\n--- stdout:\n"
    << head(out, 1500) << "\n--- stderr:\n"
    << head(err, 1500);
  return s.str();
}

RecwbProcess::RecwbProcess(std::vector<std::string> args, const std::filesystem::path& cwd)
    : args_(std::move(args)) {
  const std::string exe = recwbPath().string();
  const std::string outPath = (capture_ / "stdout").string();
  const std::string errPath = (capture_ / "stderr").string();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (auto& a : args_) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  const std::string dir = cwd.string();
  if (!dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  // The child starts with default signal handling and nothing blocked, whatever the test
  // framework installed.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  started_ = now();
  const int rc = posix_spawn(&pid_, exe.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + exe + ": " + std::strerror(rc));
  }
}

RecwbProcess::~RecwbProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

bool RecwbProcess::running() {
  if (reaped_) return false;
  const pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

bool RecwbProcess::waitForStderr(const std::string& needle, double timeoutSeconds,
                                 std::string& errText) {
  const double end = now() + timeoutSeconds;
  while (true) {
    errText = readFile(capture_ / "stderr");
    if (errText.find(needle) != std::string::npos) return true;
    if (!running() || now() > end) {
      errText = readFile(capture_ / "stderr");
      return errText.find(needle) != std::string::npos;
    }
    pause();
  }
}

CliResult RecwbProcess::stop(int sig, double timeoutSeconds) {
  if (running()) kill(pid_, sig);
  return wait(timeoutSeconds);
}

CliResult RecwbProcess::wait(double timeoutSeconds) {
  CliResult r;
  r.args = args_;
  const double end = now() + timeoutSeconds;
  while (running() && now() < end) pause();
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    reaped_ = true;
    r.timedOut = true;
  }
  r.seconds = now() - started_;
  if (WIFEXITED(status_)) {
    r.exitCode = WEXITSTATUS(status_);
  } else if (WIFSIGNALED(status_)) {
    r.signal = WTERMSIG(status_);
  }
  r.out = readFile(capture_ / "stdout");
  r.err = readFile(capture_ / "stderr");
  return r;
}

CliResult runRecwb(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                   double timeoutSeconds) {
  RecwbProcess p(args, cwd);
  return p.wait(timeoutSeconds);
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> fields(const std::string& line, char delimiter) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(delimiter, start);
    out.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace rwb::test
