#include "cli.h"

namespace rwb::cli {

// Each subcommand lives in its own cmd_<name>.cpp.
Action registerModels(CLI::App&, Common&);
Action registerInspect(CLI::App&, Common&);
Action registerRun(CLI::App&, Common&);
Action registerRuns(CLI::App&, Common&);

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"inspect", "Summarise a dataset: counts, density, quantiles, histogram, time span",
       registerInspect},
      {"models", "List the available models and their parameters", registerModels},
      {"run", "Run an experiment spec: fit, recommend, evaluate, compare", registerRun},
      {"runs", "Browse the runs recorded in a project file (list, show, delete)", registerRuns},
  };
  return list;
}

}  // namespace rwb::cli
