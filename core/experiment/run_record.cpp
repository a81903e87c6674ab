#include "core/experiment/run_record.h"

#include <cmath>

#include "core/util/error.h"

namespace rwb {

const char* runStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kOk:
      return "ok";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kCancelled:
      return "cancelled";
  }
  return "failed";
}

RunStatus parseRunStatus(const std::string& name) {
  if (name == "ok") return RunStatus::kOk;
  if (name == "failed") return RunStatus::kFailed;
  if (name == "cancelled") return RunStatus::kCancelled;
  throw StoreError("unknown run status '" + name + "'");
}

namespace {
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
}  // namespace

nlohmann::json toJson(const SearchHistory& h) {
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : h.trials) {
    nlohmann::json j = {{"params", t.params},          {"rung", t.rung},
                        {"budget", t.budget},          {"score", number(t.score)},
                        {"fit_seconds", t.fitSeconds}, {"config", t.config}};
    if (!t.error.empty()) j["error"] = t.error;
    trials.push_back(std::move(j));
  }
  return {{"method", h.method},
          {"metric", h.metric},
          {"validation_split_hash", h.validationSplitHash},
          {"best", h.best},
          {"best_score", number(h.bestScore)},
          {"seconds", h.seconds},
          {"budget_seconds", h.budgetSeconds},
          {"stopped_by", h.stoppedBy},
          {"trials", std::move(trials)}};
}

nlohmann::json toJson(const RunRecord& r) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [k, v] : r.metrics) metrics[k] = number(v);
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& [epoch, values] : r.learningCurve) {
    nlohmann::json e = {{"epoch", epoch}};
    for (const auto& [k, v] : values) e[k] = number(v);
    curve.push_back(std::move(e));
  }
  nlohmann::json j = {{"name", r.name},
                      {"model", r.model},
                      {"status", runStatusName(r.status)},
                      {"dataset_fingerprint", r.datasetFingerprint},
                      {"dataset_source", r.datasetSource},
                      {"split_hash", r.splitHash},
                      {"code_version", r.codeVersion},
                      {"params", r.params},
                      {"seed", r.seed},
                      {"threads", r.threads},
                      {"k", r.k},
                      {"timings",
                       {{"fit_seconds", r.fitSeconds},
                        {"recommend_seconds", r.recommendSeconds},
                        {"evaluate_seconds", r.evaluateSeconds}}},
                      {"peak_rss_bytes", r.peakRssBytes},
                      {"model_bytes", r.modelBytes},
                      {"metrics", std::move(metrics)},
                      {"evaluated_users", r.evaluatedUsers.size()},
                      {"learning_curve", std::move(curve)}};
  if (!r.metricsAtK.empty()) {
    // Only runs that asked for metric@k curves carry them (metrics.json of `recwb run` is
    // unchanged).
    nlohmann::json atK = nlohmann::json::object();
    for (const auto& [k, v] : r.metricsAtK) atK[k] = number(v);
    j["metrics_at_k"] = std::move(atK);
  }
  if (!r.error.empty()) j["error"] = r.error;
  if (r.search) j["search"] = toJson(*r.search);
  // Catalogue runs keep the record they always had.
  if (r.candidates != "catalogue" || r.newUsers) {
    j["evaluation"] = {
        {"candidates", r.candidates},
        {"candidate_items", r.candidateItems},
        {"candidates_per_user",
         {{"min", r.candidatesMin}, {"max", r.candidatesMax}, {"mean", number(r.candidatesMean)}}},
        {"users_without_relevant_candidate", r.usersWithoutRelevantCandidate}};
    if (r.newUsers) j["evaluation"]["new_users"] = {{"history_events", r.newUserHistory}};
  }
  return j;
}

}  // namespace rwb
