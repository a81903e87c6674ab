// recwb runs list|show|trials|delete --project FILE: browse the runs recorded in a project file.
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
};

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
            << "metrics\n";
  for (const auto& r : runs) {
    std::cout << std::left << std::setw(6) << r.id << std::setw(21) << r.createdAt << std::setw(ew)
              << r.experiment << std::setw(rw) << r.name << std::setw(11)
              << runStatusName(r.status);
    bool first = true;
    for (const auto& [k, v] : r.metrics) {
      std::cout << (first ? "" : "  ") << k << "=" << metricText(v);
      first = false;
    }
    std::cout << "\n";
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
            << withCommas(r.modelBytes) << " bytes\n";
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

// The trials of a run's search: one line each in the order run (a configuration appears once
// per rung it reached), the winner marked with '*'.
int trials(const RunsArgs& a, const Common& common) {
  ProjectStore store(a.project, false);
  const StoredRun s = store.loadRun(a.id);
  if (!s.record.search) {
    throw SpecError("id", "run " + std::to_string(a.id) + " has no search");
  }
  const SearchHistory& h = *s.record.search;
  if (common.json) {
    printJson(toJson(h));
    return 0;
  }
  std::cout << "run " << s.id << "  " << s.record.name << "  " << h.method << " search on "
            << h.metric << " (validation), " << h.trials.size() << " trials in "
            << metricText(h.seconds) << " s";
  if (!h.stoppedBy.empty()) std::cout << ", stopped by " << h.stoppedBy;
  std::cout << "\n"
            << std::left << std::setw(6) << "trial" << std::setw(8) << "config" << std::setw(6)
            << "rung" << std::setw(8) << "budget" << std::setw(12) << h.metric << std::setw(10)
            << "fit s"
            << "parameters\n";
  for (std::size_t i = 0; i < h.trials.size(); ++i) {
    const SearchTrial& t = h.trials[i];
    const bool winner = std::isfinite(t.score) && t.score == h.bestScore && t.params == h.best;
    std::cout << std::left << std::setw(6) << i << std::setw(8) << t.config << std::setw(6)
              << t.rung << std::setw(8) << t.budget << std::setw(12)
              << (metricText(t.score) + (winner ? "*" : "")) << std::setw(10)
              << metricText(t.fitSeconds) << t.params.dump();
    if (!t.error.empty()) std::cout << "  error: " << t.error;
    std::cout << "\n";
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
  auto* trialsCmd = sub.add_subcommand("trials", "List the trials of a run's search");
  trialsCmd->add_option("id", args->id, "Run id (from `runs list`)")->required();
  trialsCmd->fallthrough();
  trialsCmd->callback([which] { *which = "trials"; });
  auto* deleteCmd = sub.add_subcommand("delete", "Delete a run and everything recorded with it");
  deleteCmd->add_option("id", args->id, "Run id (from `runs list`)")->required();
  deleteCmd->fallthrough();
  deleteCmd->callback([which] { *which = "delete"; });
  sub.get_subcommand("list")->fallthrough();
  return [args, which, &common]() {
    if (*which == "show") return show(*args, common);
    if (*which == "delete") return remove(*args, common);
    if (*which == "trials") return trials(*args, common);
    return list(*args, common);
  };
}

}  // namespace rwb::cli
