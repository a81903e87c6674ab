#include "cli.h"

namespace rwb::cli {

// Each subcommand lives in its own cmd_<name>.cpp.
Action registerModels(CLI::App&, Common&);
Action registerInspect(CLI::App&, Common&);
Action registerSplit(CLI::App&, Common&);
Action registerGenerate(CLI::App&, Common&);
Action registerExport(CLI::App&, Common&);
Action registerScore(CLI::App&, Common&);
Action registerExplain(CLI::App&, Common&);
Action registerServe(CLI::App&, Common&);
Action registerEvaluate(CLI::App&, Common&);
Action registerCompare(CLI::App&, Common&);
Action registerRun(CLI::App&, Common&);
Action registerRuns(CLI::App&, Common&);
Action registerReport(CLI::App&, Common&);

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"inspect", "Summarise a dataset: counts, density, quantiles, histogram, time span",
       registerInspect},
      {"models", "List the available models and their parameters", registerModels},
      {"split", "Split interactions into train / test (/ valid) TSV files", registerSplit},
      {"generate", "Write the seeded retail sample dataset (interactions, items, users)",
       registerGenerate},
      {"export", "Write a run (or a freshly fitted model) as one portable package file",
       registerExport},
      {"score", "Batch-score users with a model package (top-k to TSV, CSV or SQLite)",
       registerScore},
      {"serve", "Serve a model package over HTTP/JSON for near-real-time use", registerServe},
      {"evaluate", "Score a recommendations file against a test set", registerEvaluate},
      {"compare", "Compare recommendation files: CIs, paired tests, effect sizes", registerCompare},
      {"run", "Run an experiment spec: fit, recommend, evaluate, compare", registerRun},
      {"runs",
       "Browse and annotate a project's runs (list, show, delete, drop-model, info, rename, tag, "
       "note, archive, champion, diff)",
       registerRuns},
      {"report", "Write a comparison of stored runs as one self-contained HTML file",
       registerReport},
      {"explain", "Explain a model's recommendations for a user (feature contributions)",
       registerExplain},
  };
  return list;
}

}  // namespace rwb::cli
