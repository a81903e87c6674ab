#include "cli.h"

namespace rwb::cli {

// Each subcommand lives in its own cmd_<name>.cpp.
Action registerModels(CLI::App&, Common&);
Action registerInspect(CLI::App&, Common&);
Action registerEvaluate(CLI::App&, Common&);
Action registerCompare(CLI::App&, Common&);

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"inspect", "Summarise a dataset: counts, density, quantiles, histogram, time span",
       registerInspect},
      {"models", "List the available models and their parameters", registerModels},
      {"evaluate", "Score a recommendations file against a test set", registerEvaluate},
      {"compare", "Compare recommendation files: CIs, paired tests, effect sizes", registerCompare},
  };
  return list;
}

}  // namespace rwb::cli
