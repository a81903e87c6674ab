// recwb: the RecWorkbench command line. Thin: parses arguments, runs one subcommand, maps
// engine errors to exit codes (1 = error, 2 = bad input data or usage, 128 + signal when stopped
// by a signal: 130 for SIGINT, 143 for SIGTERM).
#include <csignal>
#include <iostream>
#include <new>

#include "cli.h"
#include "core/util/error.h"
#include "rwb_version.h"

namespace {

int runAction(const rwb::cli::Action& action) {
  try {
    return action ? action() : 2;
  } catch (const rwb::Cancelled&) {
    if (rwb::cli::receivedSignal() == 0) std::cerr << "recwb: cancelled" << std::endl;
    return 130;
  } catch (const rwb::ParseError& e) {
    std::cerr << "recwb: error: " << e.what() << std::endl;
    return 2;
  } catch (const rwb::SpecError& e) {
    std::cerr << "recwb: error: " << e.what() << std::endl;
    return 2;
  } catch (const rwb::Error& e) {
    std::cerr << "recwb: error: " << e.what() << std::endl;
    return 1;
  } catch (const std::bad_alloc&) {
    // Sizes come from the input and the options (e.g. generate --items 1000000000).
    std::cerr << "recwb: error: out of memory: the input or the options need more memory than "
                 "this machine can give"
              << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "recwb: internal error: " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // First, before any thread starts: one watcher thread takes SIGINT, SIGTERM and SIGHUP.
  rwb::cli::SignalWatcher signals;
  CLI::App app{"recwb: build, evaluate and export recommendation models"};
  app.set_version_flag("--version",
                       std::string("recwb ") + RWB_VERSION + " (" + RWB_GIT_DESCRIBE + ")");
  app.require_subcommand(1);
  rwb::cli::Common common;
  rwb::cli::Action action;
  for (const auto& cmd : rwb::cli::commands()) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.description);
    sub->add_flag("--json", common.json, "Machine-readable JSON output on stdout");
    sub->add_flag("-q,--quiet", common.quiet, "No progress bar");
    auto run = cmd.registrar(*sub, common);
    sub->callback([&action, run] { action = run; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command word as "A subcommand is required": name the word.
    const auto rest = app.remaining();
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && !rest.empty() &&
        !rest.front().starts_with("-")) {
      const CLI::App* parent = &app;
      std::string path = "recwb";
      while (!parent->get_subcommands().empty()) {
        parent = parent->get_subcommands().front();
        path += " " + parent->get_name();
      }
      std::string known;
      for (const CLI::App* s : parent->get_subcommands([](const CLI::App*) { return true; })) {
        known += (known.empty() ? "" : ", ") + s->get_name();
      }
      std::cerr << "recwb: error: unknown command '" << rest.front() << "' for '" << path
                << "' (one of: " << known << ")" << std::endl;
      return 2;
    }
    return app.exit(e) == 0 ? 0 : 2;
  }
  const int code = runAction(action);
  // A command stopped by a signal exits 128 + signal, whatever it was doing when it stopped.
  if (const int sig = rwb::cli::receivedSignal(); sig != 0) {
    const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
    std::cerr << "recwb: cancelled (" << name << ")" << std::endl;
    return 128 + sig;
  }
  return code;
}
