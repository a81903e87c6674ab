#pragma once
// Shared plumbing of the recwb subcommands: registration, terminal progress, output helpers.

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

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

/// A TaskContext wired to a terminal progress bar on stderr (with ETA) unless quiet, json or
/// stderr is not a terminal. Ctrl-C requests a stop on the context that is current.
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
