#include "cli.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

namespace rwb::cli {

namespace {
std::atomic<TaskContext*> gCurrent{nullptr};  // the context Ctrl-C stops (signal handler only)
std::chrono::steady_clock::time_point gStart;

extern "C" void onSigint(int) {
  if (TaskContext* c = gCurrent.load()) c->requestStop();
}
}  // namespace

TerminalTask::TerminalTask(const Common& common) {
  gCurrent.store(&ctx_);
  std::signal(SIGINT, onSigint);
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

TerminalTask::~TerminalTask() {
  finish();
  gCurrent.store(nullptr);
  std::signal(SIGINT, SIG_DFL);
}

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
