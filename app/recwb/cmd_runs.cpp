// recwb runs list|show|trials|delete|drop-model|info|rename|tag|untag|note|archive|unarchive|
// champion|diff --project FILE: browse and annotate the runs recorded in a project file.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "cli.h"
#include "core/experiment/run_diff.h"
#include "core/models/fitted_summary.h"
#include "core/store/project_store.h"
#include "core/store/run_annotations.h"
#include "core/util/error.h"

namespace rwb::cli {

namespace {

struct RunsArgs {
  std::string project;
  std::int64_t id = 0;
  std::vector<std::int64_t> ids;  ///< diff
  std::string text;               ///< rename: the name; tag/untag: the tag; note: the note
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
  const auto labels = RunAnnotations(store).allLabels();
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
      const auto l = labels.find(r.id);
      const RunLabels none;
      const RunLabels& lab = l == labels.end() ? none : l->second;
      out.back()["tags"] = lab.tags;
      out.back()["note"] = lab.note;
      out.back()["archived"] = lab.archived;
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
    const auto l = labels.find(r.id);
    std::string tags;
    if (l != labels.end()) {
      for (const auto& t : l->second.tags) tags += (tags.empty() ? "" : ",") + t;
      if (l->second.archived) tags += tags.empty() ? "archived" : ",archived";
    }
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
    if (!tags.empty()) std::cout << "  [" << tags << "]";
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
  {
    const RunLabels lab = RunAnnotations(store).labels(s.id);
    j["tags"] = lab.tags;
    j["note"] = lab.note;
    j["archived"] = lab.archived;
  }
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
            << "split hash    " << r.splitHash
            << (r.splitMethod.empty() ? "" : "  (" + r.splitMethod + ")") << "\n"
            << "protocol      " << protocolLabel(r) << "\n"
            << "code version  " << r.codeVersion << "\n"
            << "parameters    " << r.params.dump() << "\n"
            << "seed          " << r.seed << "   threads " << r.threads << "   k " << r.k << "\n"
            << "timings       fit " << r.fitSeconds << " s, recommend " << r.recommendSeconds
            << " s, evaluate " << r.evaluateSeconds << " s\n"
            << "memory        peak RSS " << withCommas(r.peakRssBytes) << " bytes, model "
            << withCommas(r.modelBytes) << " bytes"
            << (s.modelDropped ? " (dropped from the project: metrics only)" : "") << "\n";
  if (r.candidates != "catalogue" || r.newUsers) {
    std::cout << "candidates    per user min " << r.candidatesMin << ", max " << r.candidatesMax
              << ", mean " << r.candidatesMean << "; " << r.usersWithoutRelevantCandidate
              << " test users without a relevant candidate (not evaluated)\n";
  }
  if (const std::string fitted = fittedSummaryText(r.fittedSummary); !fitted.empty())
    std::cout << "fitted        " << fitted << "\n";
  if (!r.error.empty()) std::cout << "error         " << r.error << "\n";
  for (const auto& w : r.warnings) std::cout << "warning       " << w << "\n";
  const RunLabels lab = RunAnnotations(store).labels(s.id);
  if (!lab.tags.empty() || lab.archived) {
    std::cout << "tags          ";
    for (const auto& t : lab.tags) std::cout << t << " ";
    std::cout << (lab.archived ? "(archived)" : "") << "\n";
  }
  if (!lab.note.empty()) std::cout << "note          " << lab.note << "\n";
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

// rename, tag, untag, note, archive, unarchive: one change to one run's annotations.
int annotate(const std::string& what, const RunsArgs& a, const Common& common) {
  ProjectStore store(a.project, false);
  RunAnnotations notes(store);
  std::string done;
  if (what == "rename") {
    notes.rename(a.id, a.text);
    done = "renamed run " + std::to_string(a.id) + " to '" + a.text + "'";
  } else if (what == "tag") {
    notes.addTag(a.id, a.text);
    done = "tagged run " + std::to_string(a.id) + " '" + a.text + "'";
  } else if (what == "untag") {
    if (!notes.removeTag(a.id, a.text))
      throw StoreError("run " + std::to_string(a.id) + " has no tag '" + a.text + "'");
    done = "removed tag '" + a.text + "' from run " + std::to_string(a.id);
  } else if (what == "note") {
    notes.setNote(a.id, a.text);
    done = "note of run " + std::to_string(a.id) + (a.text.empty() ? " cleared" : " set");
  } else {
    notes.setArchived(a.id, what == "archive");
    done = (what == "archive" ? "archived run " : "restored run ") + std::to_string(a.id);
  }
  if (common.json) {
    const RunLabels l = notes.labels(a.id);
    printJson({{"id", a.id},
               {"name", store.loadRun(a.id).record.name},
               {"tags", l.tags},
               {"note", l.note},
               {"archived", l.archived}});
  } else {
    std::cout << done << "\n";
  }
  return 0;
}

// champion ID: make it the champion of its dataset and split; champion (no id): the history.
int champion(const RunsArgs& a, const Common& common) {
  ProjectStore store(a.project, false);
  RunAnnotations notes(store);
  if (a.id != 0) {
    const ChampionEntry e = notes.setChampion(a.id);
    if (common.json) {
      printJson({{"id", e.runId},
                 {"name", e.runName},
                 {"dataset_fingerprint", e.datasetFingerprint},
                 {"split_hash", e.splitHash},
                 {"since", e.since}});
    } else {
      std::cout << "run " << e.runId << " (" << e.runName << ") is the champion of dataset "
                << e.datasetFingerprint << ", split " << e.splitHash << " since " << e.since
                << " UTC\n";
    }
    return 0;
  }
  const auto history = notes.championHistory();
  // The current champion of a dataset and split is its newest entry, unless that run is gone.
  std::map<std::pair<std::string, std::string>, std::size_t> newest;
  for (std::size_t i = 0; i < history.size(); ++i)
    newest[{history[i].datasetFingerprint, history[i].splitHash}] = i;
  std::vector<bool> current(history.size(), false);
  for (const auto& [key, i] : newest) current[i] = !history[i].runDeleted;
  if (common.json) {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < history.size(); ++i) {
      const ChampionEntry& e = history[i];
      out.push_back({{"id", e.runId},
                     {"name", e.runName},
                     {"dataset_fingerprint", e.datasetFingerprint},
                     {"split_hash", e.splitHash},
                     {"since", e.since},
                     {"deleted", e.runDeleted},
                     {"current", static_cast<bool>(current[i])}});
    }
    printJson(out);
    return 0;
  }
  if (history.empty()) {
    std::cout << "no champion in " << a.project << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(21) << "since (UTC)" << std::setw(18) << "dataset"
            << std::setw(18) << "split"
            << "run\n";
  for (std::size_t i = 0; i < history.size(); ++i) {
    const ChampionEntry& e = history[i];
    std::cout << std::left << std::setw(21) << e.since << std::setw(18) << e.datasetFingerprint
              << std::setw(18) << e.splitHash << e.runId << " " << e.runName
              << (e.runDeleted ? "  (deleted)"
                  : current[i] ? "  (current)"
                               : "")
              << "\n";
  }
  return 0;
}

// diff ID ID...: the configuration keys on which the runs differ (core/experiment run_diff).
int diff(const RunsArgs& a, const Common& common) {
  if (a.ids.size() < 2) throw SpecError("recwb runs diff", "give two or more run ids");
  ProjectStore store(a.project, false);
  std::vector<RunConfig> configs;
  for (const auto id : a.ids) {
    const StoredRun s = store.loadRun(id);
    configs.push_back(runConfig(s.record, s.specId ? store.loadSpec(s.specId) : nlohmann::json(),
                                "#" + std::to_string(id) + " " + s.record.name));
  }
  const auto rows = diffConfigs(configs);
  if (common.json) {
    nlohmann::json out = {{"runs", a.ids}, {"differences", nlohmann::json::array()}};
    for (const auto& r : rows) {
      nlohmann::json values = nlohmann::json::array();
      for (const auto& v : r.values) values.push_back(v ? *v : nlohmann::json());
      out["differences"].push_back({{"key", r.key}, {"values", values}});
    }
    printJson(out);
    return 0;
  }
  if (rows.empty()) {
    std::cout << "the configurations are identical\n";
    return 0;
  }
  std::size_t keyW = 3;
  for (const auto& r : rows) keyW = std::max(keyW, r.key.size());
  std::vector<std::size_t> colW;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    std::size_t w = configs[i].label.size();
    for (const auto& r : rows) w = std::max(w, configValueText(r.values[i]).size());
    colW.push_back(std::min<std::size_t>(w, 40));
  }
  std::cout << std::left << std::setw(static_cast<int>(keyW) + 2) << "key";
  for (std::size_t i = 0; i < configs.size(); ++i)
    std::cout << std::setw(static_cast<int>(colW[i]) + 2) << configs[i].label;
  std::cout << "\n";
  for (const auto& r : rows) {
    std::cout << std::left << std::setw(static_cast<int>(keyW) + 2) << r.key;
    for (std::size_t i = 0; i < configs.size(); ++i)
      std::cout << std::setw(static_cast<int>(colW[i]) + 2) << configValueText(r.values[i]);
    std::cout << "\n";
  }
  return 0;
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
  struct Edit {
    const char* name;
    const char* help;
    const char* text;  ///< the second argument, nullptr when none
  };
  const Edit edits[] = {
      {"rename", "Rename a run", "New name"},
      {"tag", "Add a tag to a run", "Tag (no commas)"},
      {"untag", "Remove a tag from a run", "Tag"},
      {"note", "Set a run's note (\"\" clears it)", "Note text"},
      {"archive", "Archive a run (kept, hidden from the workbench's list)", nullptr},
      {"unarchive", "Restore an archived run", nullptr}};
  for (const Edit& e : edits) {
    auto* cmd = sub.add_subcommand(e.name, e.help);
    cmd->add_option("id", args->id, "Run id (from `runs list`)")->required();
    if (e.text) cmd->add_option("text", args->text, e.text)->required();
    cmd->fallthrough();
    cmd->callback([which, name = std::string(e.name)] { *which = name; });
  }
  auto* champ = sub.add_subcommand(
      "champion", "Make a run the champion of its dataset and split; without id: the history");
  champ->add_option("id", args->id, "Run id (from `runs list`)");
  champ->fallthrough();
  champ->callback([which] { *which = "champion"; });
  auto* diffCmd = sub.add_subcommand("diff", "Show only what differs between runs' configurations");
  diffCmd->add_option("ids", args->ids, "Two or more run ids")->required();
  diffCmd->fallthrough();
  diffCmd->callback([which] { *which = "diff"; });
  return [args, which, &common]() {
    if (*which == "show") return show(*args, common);
    if (*which == "delete") return remove(*args, common);
    if (*which == "trials") return trials(*args, common);
    if (*which == "drop-model") return dropModel(*args, common);
    if (*which == "info") return info(*args, common);
    if (*which == "champion") return champion(*args, common);
    if (*which == "diff") return diff(*args, common);
    if (*which != "list" && !which->empty()) return annotate(*which, *args, common);
    return list(*args, common);
  };
}

}  // namespace rwb::cli
