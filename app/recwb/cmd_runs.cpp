// recwb runs list|show|delete|drop-model|info --project FILE: browse the runs recorded in a project
// file.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "core/store/project_store.h"
#include "core/util/error.h"

namespace rwb::cli {

namespace {

struct RunsArgs {
  std::string project;
  std::int64_t id = 0;
  bool noCompact = false;
};

std::string sizeText(std::int64_t bytes) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(bytes < 1024 * 1024 ? 0 : 1);
  if (bytes < 1024) {
    s << bytes << " B";
  } else if (bytes < 1024 * 1024) {
    s << static_cast<double>(bytes) / 1024.0 << " KiB";
  } else {
    s << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  }
  return s.str();
}

nlohmann::json sizesJson(const ProjectSizes& z) {
  return {{"file_bytes", z.fileBytes},
          {"model_stored_bytes", z.modelStoredBytes},
          {"model_raw_bytes", z.modelRawBytes},
          {"runs_with_model", z.modelsReferenced},
          {"distinct_models", z.modelsDistinct}};
}

std::string sizesLine(const ProjectSizes& z) {
  return "file " + sizeText(z.fileBytes) + "; models " + sizeText(z.modelStoredBytes) +
         " stored (" + sizeText(z.modelRawBytes) + " uncompressed), " +
         std::to_string(z.modelsDistinct) + " distinct for " + std::to_string(z.modelsReferenced) +
         " runs with a model";
}

std::string metricText(double v) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(6) << v;
  return s.str();
}

int list(const RunsArgs& a, const Common& common) {
  ProjectStore store(a.project, false);
  const auto runs = store.listRuns();
  if (common.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs) {
      nlohmann::json m = nlohmann::json::object();
      for (const auto& [k, v] : r.metrics)
        m[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
      out.push_back({{"id", r.id},
                     {"experiment", r.experiment},
                     {"name", r.name},
                     {"model", r.model},
                     {"status", runStatusName(r.status)},
                     {"created_at", r.createdAt},
                     {"dataset_fingerprint", r.datasetFingerprint},
                     {"fit_seconds", r.fitSeconds},
                     {"recommend_seconds", r.recommendSeconds},
                     {"model_stored_bytes", r.modelStoredBytes},
                     {"model_dropped", r.modelDropped},
                     {"metrics", m}});
    }
    printJson(out);
    return 0;
  }
  if (runs.empty()) {
    std::cout << "no runs in " << a.project << "\n";
    return 0;
  }
  std::size_t expW = 10, runW = 3;
  for (const auto& r : runs) {
    expW = std::max(expW, r.experiment.size());
    runW = std::max(runW, r.name.size());
  }
  const int ew = static_cast<int>(expW) + 2, rw = static_cast<int>(runW) + 2;
  std::cout << std::left << std::setw(6) << "id" << std::setw(21) << "created (UTC)"
            << std::setw(ew) << "experiment" << std::setw(rw) << "run" << std::setw(11) << "status"
            << std::setw(11) << "model"
            << "metrics\n";
  for (const auto& r : runs) {
    std::cout << std::left << std::setw(6) << r.id << std::setw(21) << r.createdAt << std::setw(ew)
              << r.experiment << std::setw(rw) << r.name << std::setw(11) << runStatusName(r.status)
              << std::setw(11)
              << (r.modelDropped ? "dropped"
                                 : (r.modelStoredBytes > 0 ? sizeText(r.modelStoredBytes) : "-"));
    bool first = true;
    for (const auto& [k, v] : r.metrics) {
      std::cout << (first ? "" : "  ") << k << "=" << metricText(v);
      first = false;
    }
    std::cout << "\n";
  }
  std::cout << "project " << a.project << ": " << runs.size() << " runs; "
            << sizesLine(store.sizes()) << "\n";
  return 0;
}

int info(const RunsArgs& a, const Common& common) {
  ProjectStore store(a.project, false);
  const ProjectSizes z = store.sizes();
  if (common.json) {
    nlohmann::json j = sizesJson(z);
    j["project"] = a.project;
    j["runs"] = store.countRuns();
    printJson(j);
  } else {
    std::cout << "project " << a.project << ": " << store.countRuns() << " runs; " << sizesLine(z)
              << "\n";
  }
  return 0;
}

int dropModel(const RunsArgs& a, const Common& common) {
  ProjectStore store(a.project, false);
  const std::int64_t before = store.sizes().fileBytes;
  const std::int64_t freed = store.dropModel(a.id);
  if (!a.noCompact) store.compact();
  const ProjectSizes z = store.sizes();
  if (common.json) {
    nlohmann::json j = sizesJson(z);
    j["id"] = a.id;
    j["model_bytes_released"] = freed;
    j["file_bytes_before"] = before;
    printJson(j);
  } else {
    std::cout << "dropped the model of run " << a.id << " (" << sizeText(freed)
              << " stored; its metrics are kept); project file " << sizeText(before) << " -> "
              << sizeText(z.fileBytes) << "\n";
  }
  return 0;
}

int show(const RunsArgs& a, const Common& common) {
  ProjectStore store(a.project, false);
  const StoredRun s = store.loadRun(a.id);
  nlohmann::json j = toJson(s.record);
  j["id"] = s.id;
  j["experiment"] = s.experiment;
  j["created_at"] = s.createdAt;
  if (s.specId) j["spec"] = store.loadSpec(s.specId);
  j["per_user_metrics"] = nlohmann::json::array();
  for (const auto& [k, v] : s.record.perUser) j["per_user_metrics"].push_back(k);
  if (common.json) {
    printJson(j);
    return 0;
  }
  const RunRecord& r = s.record;
  std::cout << "run " << s.id << "  " << r.name << "  (" << r.model << ")  "
            << runStatusName(r.status) << "\n"
            << "experiment    " << s.experiment << "\n"
            << "created       " << s.createdAt << " UTC\n"
            << "dataset       " << r.datasetFingerprint << "  " << r.datasetSource << "\n"
            << "split hash    " << r.splitHash << "\n"
            << "code version  " << r.codeVersion << "\n"
            << "parameters    " << r.params.dump() << "\n"
            << "seed          " << r.seed << "   threads " << r.threads << "   k " << r.k << "\n"
            << "timings       fit " << r.fitSeconds << " s, recommend " << r.recommendSeconds
            << " s, evaluate " << r.evaluateSeconds << " s\n"
            << "memory        peak RSS " << withCommas(r.peakRssBytes) << " bytes, model "
            << withCommas(r.modelBytes) << " bytes"
            << (s.modelDropped ? " (dropped from the project: metrics only)" : "") << "\n";
  if (!r.error.empty()) std::cout << "error         " << r.error << "\n";
  for (const auto& [k, v] : r.metrics) {
    std::cout << "  " << std::left << std::setw(16) << k << metricText(v) << "\n";
  }
  std::cout << "per-user vectors: " << r.perUser.size() << " metrics x "
            << withCommas(r.evaluatedUsers.size())
            << " users; learning curve: " << r.learningCurve.size() << " epochs\n";
  if (r.search) {
    std::cout << "search: " << r.search->method << " on " << r.search->metric << ", "
              << r.search->trials.size() << " trials, best " << metricText(r.search->bestScore)
              << " with " << r.search->best.dump() << "\n";
  }
  return 0;
}

int remove(const RunsArgs& a, const Common& common) {
  ProjectStore store(a.project, false);
  const bool deleted = store.deleteRun(a.id);
  if (common.json) {
    printJson({{"id", a.id}, {"deleted", deleted}});
  } else if (deleted) {
    std::cout << "deleted run " << a.id << "\n";
  }
  // The failure is reported like every other error: on stderr, naming the project.
  if (!deleted) {
    std::cerr << "recwb: error: no run with id " << a.id << " in " << a.project << std::endl;
  }
  return deleted ? 0 : 1;
}

}  // namespace

Action registerRuns(CLI::App& sub, Common& common) {
  auto args = std::make_shared<RunsArgs>();
  auto which = std::make_shared<std::string>();
  sub.require_subcommand(1);
  sub.fallthrough();
  sub.add_option("--project", args->project, "Project file (SQLite)")->required();
  sub.add_subcommand("list", "List the runs, newest first")->callback([which] { *which = "list"; });
  auto* showCmd = sub.add_subcommand("show", "Show one run in full");
  showCmd->add_option("id", args->id, "Run id (from `runs list`)")->required();
  showCmd->fallthrough();
  showCmd->callback([which] { *which = "show"; });
  auto* deleteCmd = sub.add_subcommand("delete", "Delete a run and everything recorded with it");
  deleteCmd->add_option("id", args->id, "Run id (from `runs list`)")->required();
  deleteCmd->fallthrough();
  deleteCmd->callback([which] { *which = "delete"; });
  auto* dropCmd = sub.add_subcommand(
      "drop-model",
      "Remove a run's stored model, keeping its metrics and figures (it can no longer be "
      "exported); the file is compacted");
  dropCmd->add_option("id", args->id, "Run id (from `runs list`)")->required();
  dropCmd->add_flag("--no-compact", args->noCompact,
                    "Do not rewrite the file (the space is reused by later runs)");
  dropCmd->fallthrough();
  dropCmd->callback([which] { *which = "drop-model"; });
  sub.add_subcommand("info", "The project's size: file, stored models, distinct models")
      ->callback([which] { *which = "info"; });
  sub.get_subcommand("list")->fallthrough();
  sub.get_subcommand("info")->fallthrough();
  return [args, which, &common]() {
    if (*which == "show") return show(*args, common);
    if (*which == "delete") return remove(*args, common);
    if (*which == "drop-model") return dropModel(*args, common);
    if (*which == "info") return info(*args, common);
    return list(*args, common);
  };
}

}  // namespace rwb::cli
