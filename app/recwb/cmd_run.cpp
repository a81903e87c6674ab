// recwb run SPEC.json: runs an experiment, prints a comparison table, writes metrics.json and
// the top-k lists, and records the runs in a project file when asked.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli.h"
#include "core/experiment/runner.h"
#include "core/models/fitted_summary.h"
#include "core/store/project_store.h"
#include "core/util/atomic_file.h"
#include "core/util/connection_string.h"
#include "core/util/delimited_text.h"
#include "core/util/error.h"

namespace rwb::cli {

namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string spec;
  std::string project;
  std::string out;
  int threads = -1;
  double tune = 0.0;
};

std::string systemReason(int err) { return std::generic_category().message(err); }

// <folder>/<run name>.tsv: user, item, score, rank (1-based), external ids quoted per RFC 4180
// where they hold a tab, a quote or a line break.
void writeRecommendations(const fs::path& folder, const RunRecord& run, const Dataset& ids) {
  std::string text;
  text.reserve(run.recUsers.size() * 10 * 24);
  char score[32];
  for (std::size_t i = 0; i < run.recUsers.size(); ++i) {
    const std::string& user = ids.users.external(run.recUsers[i]);
    const auto& items = run.recommendations[i].items;
    for (std::size_t r = 0; r < items.size(); ++r) {
      std::snprintf(score, sizeof score, "%.17g", items[r].score);
      appendDelimitedField(text, user, '\t');
      text += '\t';
      appendDelimitedField(text, ids.items.external(items[r].item), '\t');
      text += '\t';
      text += score;
      text += '\t';
      text += std::to_string(r + 1);
      text += '\n';
    }
  }
  writeFileAtomically(folder / (run.name + ".tsv"), text);
}

// Checks, before any model is fitted, that `file` can be written: an existing file is opened for
// writing without truncating it; otherwise the nearest existing folder must be writable.
void checkWritable(const fs::path& file) {
  std::error_code ec;
  const auto st = fs::status(file, ec);
  if (fs::exists(st)) {
    if (fs::is_directory(st)) {
      throw IoError("cannot write '" + file.string() + "': " + systemReason(EISDIR));
    }
    // Non-blocking: a FIFO without a reader fails instead of hanging.
    const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw IoError("cannot write '" + file.string() + "': " + systemReason(errno));
    ::close(fd);
    return;
  }
  fs::path dir = fs::absolute(file).parent_path();
  while (!fs::exists(dir) && dir.has_relative_path()) dir = dir.parent_path();
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw IoError("cannot write '" + file.string() + "': folder '" + dir.string() +
                  "': " + systemReason(errno));
  }
}

// An output folder that cannot be created (a file in its place or its parent chain) is found
// before any model is fitted, not after.
void checkFolderCreatable(const fs::path& dir) {
  fs::path p = fs::absolute(dir);
  while (!fs::exists(p) && p.has_relative_path()) p = p.parent_path();
  if (!fs::is_directory(p)) {
    throw IoError("cannot create folder '" + dir.string() + "': '" + p.string() +
                  "' is not a folder");
  }
}

void createFolder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw IoError("cannot create folder '" + dir.string() +
                  "': " + (ec ? ec.message() : std::string("not a folder")));
  }
}

std::string fixed(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

void printTable(const ExperimentResult& result, const ExperimentSpec& spec) {
  std::vector<std::string> keys;
  for (const auto& n : spec.metrics.names) keys.push_back(metricKey(n, spec.metrics.k));
  std::size_t nameWidth = 4;
  for (const auto& r : result.runs) nameWidth = std::max(nameWidth, r.name.size());
  std::cout << std::left << std::setw(static_cast<int>(nameWidth) + 2) << "run" << std::setw(11)
            << "status";
  for (const auto& k : keys) std::cout << std::right << std::setw(14) << k;
  std::cout << std::setw(10) << "train s" << std::setw(14) << "recommend s"
            << "\n";
  for (const auto& r : result.runs) {
    std::cout << std::left << std::setw(static_cast<int>(nameWidth) + 2) << r.name << std::setw(11)
              << runStatusName(r.status) << std::right;
    for (const auto& k : keys) {
      const auto it = r.metrics.find(k);
      std::cout << std::setw(14) << (it == r.metrics.end() ? "-" : fixed(it->second, 6));
    }
    const bool ok = r.status == RunStatus::kOk;
    std::cout << std::setw(10) << (ok ? fixed(r.fitSeconds, 3) : "-") << std::setw(14)
              << (ok ? fixed(r.recommendSeconds, 3) : "-") << "\n";
  }
  for (const auto& r : result.runs) {
    if (r.search) {
      std::cout << r.name << ": " << r.search->method << " search, " << r.search->trials.size()
                << " trials, best " << r.search->metric << " on validation "
                << fixed(r.search->bestScore, 6) << " with " << r.search->best.dump();
      if (!r.search->stoppedBy.empty()) {
        std::cout << " (" << fixed(r.search->seconds, 1) << " s, stopped by " << r.search->stoppedBy
                  << ")";
      }
      std::cout << "\n";
    }
  }
  // What a model tuned for itself (blend weights, a kernel per column): one line per run.
  for (const auto& r : result.runs) {
    const std::string fitted = fittedSummaryText(r.fittedSummary);
    if (r.status == RunStatus::kOk && !fitted.empty())
      std::cout << r.name << ": " << fitted << "\n";
  }
  // Under a candidate set the numbers mean something else than over the catalogue: say so.
  for (const auto& r : result.runs) {
    if (r.status != RunStatus::kOk || (r.candidates == "catalogue" && !r.newUsers)) continue;
    if (r.newUsers) {
      std::cout << "test users scored as new users from their attributes";
      if (r.newUserHistory > 0) std::cout << " and first " << r.newUserHistory << " events";
      std::cout << "\n";
    }
    const std::string what = r.candidates == "held_out" ? "held-out"
                             : r.candidates == "file"   ? "listed"
                                                        : "catalogue";
    std::cout << "candidates " << r.candidates << ": ranked over ";
    if (r.candidatesMin == r.candidatesMax) {
      std::cout << r.candidatesMin << " " << what << " items per user";
    } else {
      std::cout << r.candidatesMin << ".." << r.candidatesMax << " (mean "
                << fixed(r.candidatesMean, 1) << ") of " << r.candidateItems << " " << what
                << " items per user";
    }
    if (r.usersWithoutRelevantCandidate > 0) {
      std::cout << "; " << r.usersWithoutRelevantCandidate
                << " test users without a relevant candidate not evaluated";
    }
    std::cout << "\n";
    break;
  }
  // What the evaluation could not vouch for, per run, where scripts and eyes both see it.
  for (const auto& r : result.runs) {
    for (const auto& w : r.warnings) std::cerr << "recwb: warning: " << r.name << ": " << w << "\n";
  }
  std::cout << "split " << result.data.splitHash << "  dataset " << result.data.datasetFingerprint
            << "  threads " << result.threads << "  " << fixed(result.seconds, 2) << " s";
  if (result.budgetSeconds > 0.0) {
    std::cout << "  budget " << fixed(result.budgetSeconds, 1) << " s, used "
              << fixed(result.seconds, 1) << " s";
    if (result.seconds > result.budgetSeconds) {
      std::cout << " (OVER by " << fixed(result.seconds - result.budgetSeconds, 1) << " s)";
    }
  }
  std::cout << "\n";
  if (result.budgetSeconds > 0.0 && result.seconds > result.budgetSeconds) {
    std::cerr << "recwb: warning: the run took " << fixed(result.seconds, 1)
              << " s, over its time budget of " << fixed(result.budgetSeconds, 1)
              << " s (final fits estimated at " << fixed(result.finalFitsEstimate, 1) << " s)\n";
  }
}

}  // namespace

Action registerRun(CLI::App& sub, Common& common) {
  auto args = std::make_shared<RunArgs>();
  sub.add_option("spec", args->spec, "Experiment spec (JSON)")->required();
  sub.add_option("--project", args->project, "Record the runs in this project file (SQLite)");
  sub.add_option("--out", args->out,
                 "Folder for metrics.json (and relative output paths); default: the spec's "
                 "output.dir, else the working directory");
  sub.add_option("--threads", args->threads, "Thread budget (default: the spec's threads)")
      ->check(CLI::Range(0, 1024));
  sub.add_option("--tune", args->tune,
                 "Tune every model without a search on \"auto\" within this many seconds in "
                 "all (the spec's tuning budget is replaced)")
      ->check(CLI::Range(1e-3, 1e7));
  return [args, &common]() {
    ExperimentSpec spec = loadExperimentSpec(args->spec);
    if (args->tune > 0) applyAutoTuning(spec, args->tune);
    const fs::path outDir = !args->out.empty()         ? fs::path(args->out)
                            : !spec.output.dir.empty() ? fs::path(spec.output.dir)
                                                       : fs::path(".");
    fs::path recDir;
    if (!spec.output.recommendations.empty()) {
      recDir = fs::path(spec.output.recommendations);
      if (recDir.is_relative()) recDir = outDir / recDir;
    }
    // Every output file is checked before anything runs: a write failure found after the fits
    // would waste them.
    checkFolderCreatable(outDir);
    checkWritable(outDir / "metrics.json");
    if (!recDir.empty()) {
      checkFolderCreatable(recDir);
      for (const auto& m : spec.models) {
        for (const auto seed : spec.seeds) {
          checkWritable(recDir / (runNameFor(m, seed, spec.seeds.size()) + ".tsv"));
        }
      }
    }
    // Open the project first: a bad file fails before any work is done.
    std::optional<ProjectStore> store;
    std::int64_t specId = 0;
    if (!args->project.empty()) {
      store.emplace(args->project);
      // Stored with absolute data paths, so `recwb export --project` can rebuild the exact
      // training data (and its id maps) from any working directory.
      nlohmann::json stored = spec.source;
      if (stored.contains("dataset")) {
        stored["dataset"]["path"] = redactConnectionString(spec.dataset.path);
      }
      if (spec.split.method == "files") {
        stored["split"]["train"] = spec.split.trainPath;
        stored["split"]["test"] = spec.split.testPath;
        if (!spec.split.validPath.empty()) stored["split"]["valid"] = spec.split.validPath;
      }
      specId = store->putSpec(stored);
    }
    const std::string experiment =
        spec.name.empty() ? fs::path(args->spec).stem().string() : spec.name;

    RunnerOptions opt;
    opt.threads = args->threads;
    opt.keepRecommendations = !recDir.empty();
    std::atomic<int> listsWritten{0};  // runs whose top-k lists were written (not cancelled)
    if (!recDir.empty()) {
      // Written as each run ends, before it is recorded: a list that cannot be written fails
      // its run. The list is released once written.
      opt.writeOutputs = [&](RunRecord& r, const PreparedData& data) {
        createFolder(recDir);
        writeRecommendations(recDir, r, *data.test);
        ++listsWritten;
        r.recUsers.clear();
        r.recommendations.clear();
      };
    }
    opt.keepModels = store.has_value();
    // Each run is recorded as soon as it ends, so Ctrl-C keeps the finished ones.
    std::vector<std::int64_t> runIds;
    std::string storeError;
    if (store) {
      opt.onRunFinished = [&](const RunRecord& r) {
        try {
          runIds.push_back(store->saveRun(r, experiment, specId));
        } catch (const StoreError& e) {
          if (storeError.empty()) storeError = e.what();
        }
      };
    }
    ExperimentResult result;
    {
      TerminalTask task(common);
      result = runExperiment(spec, opt, task.ctx());
      task.finish();
    }
    if (store && !result.runs.empty()) {
      store->putDataset(result.data.datasetFingerprint, result.data.datasetSource,
                        result.data.summary);
    }
    if (!storeError.empty()) throw StoreError(storeError);

    createFolder(outDir);
    nlohmann::json doc = {{"experiment", experiment},
                          {"spec", fs::absolute(args->spec).lexically_normal().string()},
                          {"dataset",
                           {{"fingerprint", result.data.datasetFingerprint},
                            {"source", result.data.datasetSource},
                            {"summary", result.data.summary},
                            {"notes", result.data.notes},
                            {"load_seconds", result.data.loadSeconds},
                            {"split_seconds", result.data.splitSeconds}}},
                          {"split_hash", result.data.splitHash},
                          {"threads", result.threads},
                          {"cancelled", result.cancelled},
                          {"seconds", result.seconds},
                          {"runs", nlohmann::json::array()}};
    if (result.budgetSeconds > 0.0) {
      doc["budget"] = {{"seconds", result.budgetSeconds},
                       {"used_seconds", result.seconds},
                       {"over_seconds", std::max(0.0, result.seconds - result.budgetSeconds)},
                       {"final_fits_estimate_seconds", result.finalFitsEstimate}};
    }
    if (store) doc["project"] = {{"file", args->project}, {"run_ids", runIds}};
    for (const auto& r : result.runs) doc["runs"].push_back(toJson(r));
    writeFileAtomically(outDir / "metrics.json", doc.dump(2) + "\n");

    if (common.json) {
      printJson(doc);
    } else {
      printTable(result, spec);
      std::cout << "wrote " << (outDir / "metrics.json").string();
      if (listsWritten > 0) {
        std::cout << " and top-" << spec.metrics.k << " lists of " << listsWritten << " run"
                  << (listsWritten == 1 ? "" : "s") << " in " << recDir.string();
      }
      if (store) std::cout << "; recorded " << runIds.size() << " runs in " << args->project;
      std::cout << "\n";
    }
    if (result.cancelled) {
      std::cerr << "recwb: cancelled (finished runs were kept)" << std::endl;
      return 130;
    }
    // A failed run is an error of this command: its reason goes to stderr like any other.
    bool failed = false;
    for (const auto& r : result.runs) {
      if (r.status != RunStatus::kFailed) continue;
      std::cerr << "recwb: error: run '" << r.name << "' failed: " << r.error << std::endl;
      failed = true;
    }
    return failed ? 1 : 0;
  };
}

}  // namespace rwb::cli
