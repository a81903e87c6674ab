#include "cli.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>

#include "core/util/atomic_file.h"

namespace rwb::cli {

namespace {
std::chrono::steady_clock::time_point gStart;

/// What the watcher thread shares with the rest of the process.
struct SignalState {
  std::mutex mutex;  // guards the hooks; held while one runs, so ~SignalHooks waits for it
  std::function<void()> onStop, onHangup;
  std::atomic<int> signal{0};
  std::atomic<bool> shuttingDown{false};
};

SignalState& signalState() {
  static SignalState state;
  return state;
}

// The watcher thread, for forward() below; valid while gWatcherAlive.
pthread_t gWatcher{};
std::atomic<bool> gWatcherAlive{false};
static_assert(std::atomic<bool>::is_always_lock_free, "read in a signal handler");

/// Signal handler for the handled signals. They are blocked in main() before the watcher starts,
/// so threads started later inherit the mask; but a shared library may start threads before
/// main() runs (Debian's pthread OpenBLAS starts its pool in its constructor), and those do not
/// block them. A process-directed signal can land there: without a handler its default action
/// would kill the process with no clean stop. The handler only passes the signal on to the
/// watcher thread, where it is blocked, stays pending and is taken by sigwait.
extern "C" void forward(int sig) {
  const int savedErrno = errno;
  if (gWatcherAlive.load()) pthread_kill(gWatcher, sig);
  errno = savedErrno;
}

sigset_t handledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

[[noreturn]] void exitNow(int sig, const char* why) {
  // Only async-signal-safe calls: other threads may hold any lock.
  char line[160];
  const int n = std::snprintf(line, sizeof line, "recwb: %s (%s); exiting\n", why, strsignal(sig));
  if (n > 0) [[maybe_unused]]
    auto w = ::write(STDERR_FILENO, line, static_cast<std::size_t>(n));
  ::_exit(128 + sig);
}

void watch(sigset_t set) {
  SignalState& st = signalState();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  while (true) {
    int sig = 0;
    if (deadline) {
      const auto left = *deadline - std::chrono::steady_clock::now();
      const auto ns = std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
      const timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
      sig = sigtimedwait(&set, nullptr, &ts);
      if (sig < 0) {
        if (st.shuttingDown.load()) return;
        if (errno == EAGAIN && std::chrono::steady_clock::now() >= *deadline) {
          // This is the watcher thread, not a signal handler: it may remove files. What the
          // stopped command was writing goes, so a forced exit leaves no temporary either.
          removeLiveTemporaries();
          exitNow(st.signal.load(), "the command did not stop in time after the signal");
        }
        continue;
      }
    } else if (sigwait(&set, &sig) != 0) {
      continue;
    }
    if (st.shuttingDown.load()) return;
    if (sig == SIGHUP) {
      std::lock_guard lock(st.mutex);
      if (st.onHangup) {
        st.onHangup();
        continue;
      }
    }
    if (st.signal.load() != 0) {
      removeLiveTemporaries();
      exitNow(sig, "second signal");
    }
    st.signal.store(sig);
    processContext().requestStop();
    {
      std::lock_guard lock(st.mutex);
      if (st.onStop) st.onStop();
    }
    deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(SignalWatcher::kGraceSeconds);
  }
}
}  // namespace

TaskContext& processContext() {
  static TaskContext root;
  return root;
}

int receivedSignal() { return signalState().signal.load(); }

SignalWatcher::SignalWatcher() {
  const sigset_t set = handledSignals();
  // Blocked here, before any other thread exists, so every thread inherits the mask and the
  // signals reach only the watcher.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread(watch, set);
  gWatcher = thread_.native_handle();
  gWatcherAlive.store(true);
  struct sigaction action {};
  action.sa_handler = forward;
  action.sa_mask = set;
  action.sa_flags = SA_RESTART;
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
}

SignalWatcher::~SignalWatcher() {
  signalState().shuttingDown.store(true);
  gWatcherAlive.store(false);
  // Wakes sigwait: the signal is blocked, so it stays pending for the watcher thread.
  pthread_kill(thread_.native_handle(), SIGHUP);
  thread_.join();
}

SignalHooks::SignalHooks(std::function<void()> onStop, std::function<void()> onHangup) {
  SignalState& st = signalState();
  std::lock_guard lock(st.mutex);
  st.onStop = std::move(onStop);
  st.onHangup = std::move(onHangup);
}

SignalHooks::~SignalHooks() {
  SignalState& st = signalState();
  std::lock_guard lock(st.mutex);
  st.onStop = nullptr;
  st.onHangup = nullptr;
}

TerminalTask::TerminalTask(const Common& common) : ctx_(processContext(), 0.0, 1.0) {
  active_ = !common.quiet && !common.json && isatty(STDERR_FILENO);
  gStart = std::chrono::steady_clock::now();
  if (active_) {
    ctx_.setProgressCallback(
        [this](double f, std::string_view stage) {
          const double elapsed =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - gStart).count();
          const int width = 30;
          const int filled = static_cast<int>(f * width);
          std::string bar(static_cast<std::size_t>(filled), '#');
          bar.resize(width, '.');
          char eta[32] = "";
          if (f > 0.02 && f < 1.0) {
            std::snprintf(eta, sizeof eta, " ETA %.0fs", elapsed * (1.0 - f) / f);
          }
          std::string s(stage.substr(0, 40));
          std::fprintf(stderr, "\r[%s] %3.0f%% %-40s%s\x1b[K", bar.c_str(), f * 100.0, s.c_str(),
                       eta);
          std::fflush(stderr);
          drawn_ = true;
        },
        std::chrono::milliseconds(100));
  }
}

TerminalTask::~TerminalTask() { finish(); }

void TerminalTask::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

void printJson(const nlohmann::json& j) { std::cout << j.dump(2) << std::endl; }

std::string withCommas(std::uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

}  // namespace rwb::cli
