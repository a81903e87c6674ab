#pragma once
// Shared plumbing of the recwb subcommands: registration, terminal progress, output helpers.

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/util/task_context.h"

namespace rwb::cli {

/// Options every subcommand has.
struct Common {
  bool json = false;   ///< machine-readable output on stdout
  bool quiet = false;  ///< no progress bar
};

/// A subcommand: registers its options on `sub` and returns the action run when it is chosen.
/// The action returns the process exit code.
using Action = std::function<int()>;
using Registrar = std::function<Action(CLI::App& sub, Common& common)>;

/// All subcommands in display order, defined in commands.cpp.
struct Command {
  const char* name;
  const char* description;
  Registrar registrar;
};
const std::vector<Command>& commands();

/// The process's one signal handling. Constructed first thing in main(), before any thread
/// starts: it blocks SIGINT, SIGTERM and SIGHUP in every thread and takes them in one watcher
/// thread (sigwait). SIGINT or SIGTERM stops processContext() (every TerminalTask is a child of
/// it, so the running command throws Cancelled at its next check and cleans up) and calls the
/// stop hook, if any; a second signal, or a command that has not ended kGraceSeconds later,
/// ends the process at once (its temporary files are then removed by the next write to the
/// same destination). SIGHUP calls the hangup hook (serve reloads), else it stops like SIGTERM.
/// main() maps a received signal to the exit code 128 + signal (130, 143, 129).
class SignalWatcher {
 public:
  static constexpr int kGraceSeconds = 3;
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::thread thread_;
};

/// The root of every command's TaskContext; stopped by SIGINT and SIGTERM.
TaskContext& processContext();
/// The stopping signal received (SIGINT, SIGTERM or SIGHUP), 0 when none.
int receivedSignal();

/// While alive, `onStop` runs (on the watcher thread) when SIGINT or SIGTERM arrives, e.g. to end
/// a server's accept loop; `onHangup` (optional) runs on SIGHUP instead of stopping.
class SignalHooks {
 public:
  explicit SignalHooks(std::function<void()> onStop, std::function<void()> onHangup = {});
  ~SignalHooks();
  SignalHooks(const SignalHooks&) = delete;
  SignalHooks& operator=(const SignalHooks&) = delete;
};

/// A TaskContext wired to a terminal progress bar on stderr (with ETA) unless quiet, json or
/// stderr is not a terminal. A child of processContext(): SIGINT and SIGTERM stop it.
class TerminalTask {
 public:
  explicit TerminalTask(const Common& common);
  ~TerminalTask();
  TaskContext& ctx() { return ctx_; }
  /// Ends the bar line (call before printing results).
  void finish();

 private:
  TaskContext ctx_;
  bool active_ = false;
  bool drawn_ = false;
};

/// Prints a JSON document (pretty, 2 spaces) to stdout.
void printJson(const nlohmann::json& j);

/// Formats a count with thousands separators: 1234567 -> "1,234,567".
std::string withCommas(std::uint64_t n);

}  // namespace rwb::cli
