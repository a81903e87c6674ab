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
          {"refit_estimate_seconds", h.refitSecondsEstimate},
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
  if (!r.warnings.empty()) j["warnings"] = r.warnings;
  if (r.search) j["search"] = toJson(*r.search);
  if (!r.fittedSummary.empty()) {
    auto fitted = nlohmann::json::parse(r.fittedSummary, nullptr, false);
    if (fitted.is_object()) j["fitted"] = std::move(fitted);
  }
  // Catalogue runs keep the record they always had.
  if (r.candidates != "catalogue" || r.newUsers) {
    j["evaluation"] = {
        {"candidates", r.candidates},
        {"candidate_items", r.candidateItems},
        {"candidates_per_user",
         {{"min", r.candidatesMin}, {"max", r.candidatesMax}, {"mean", number(r.candidatesMean)}}},
        {"users_without_relevant_candidate", r.usersWithoutRelevantCandidate}};
    if (r.newUsers) j["evaluation"]["new_users"] = {{"history_events", r.newUserHistory}};
    if (!r.candidatesFile.empty()) j["evaluation"]["candidates_file"] = r.candidatesFile;
    if (!r.splitMethod.empty()) j["evaluation"]["split_method"] = r.splitMethod;
  }
  return j;
}

nlohmann::json protocolToJson(const RunRecord& r) {
  nlohmann::json j = {{"split_method", r.splitMethod},
                      {"candidates", r.candidates},
                      {"candidate_items", r.candidateItems},
                      {"candidates_min", r.candidatesMin},
                      {"candidates_max", r.candidatesMax},
                      {"candidates_mean", number(r.candidatesMean)},
                      {"users_without_relevant_candidate", r.usersWithoutRelevantCandidate},
                      {"new_users", r.newUsers},
                      {"new_user_history", r.newUserHistory}};
  if (!r.candidatesFile.empty()) j["candidates_file"] = r.candidatesFile;
  if (!r.warnings.empty()) j["warnings"] = r.warnings;
  return j;
}

void protocolFromJson(const nlohmann::json& j, RunRecord& r) {
  if (!j.is_object()) return;
  try {
    r.splitMethod = j.value("split_method", "");
    r.candidates = j.value("candidates", "catalogue");
    r.candidatesFile = j.value("candidates_file", "");
    r.candidateItems = j.value("candidate_items", std::size_t{0});
    r.candidatesMin = j.value("candidates_min", std::size_t{0});
    r.candidatesMax = j.value("candidates_max", std::size_t{0});
    const auto mean = j.find("candidates_mean");
    r.candidatesMean = mean != j.end() && mean->is_number() ? mean->get<double>() : 0.0;
    r.usersWithoutRelevantCandidate = j.value("users_without_relevant_candidate", std::size_t{0});
    r.newUsers = j.value("new_users", false);
    r.newUserHistory = j.value("new_user_history", std::size_t{0});
    r.warnings = j.value("warnings", std::vector<std::string>{});
  } catch (const nlohmann::json::exception& e) {
    throw StoreError(std::string("project file: corrupt evaluation protocol: ") + e.what());
  }
}

std::string protocolLabel(const RunRecord& r) {
  std::string out;
  if (r.splitMethod == "cold_items") {
    out = "cold items, ";
  } else if (r.splitMethod == "cold_users" || r.newUsers) {
    out = r.newUserHistory > 0
              ? "cold users (first " + std::to_string(r.newUserHistory) + " events), "
              : "cold users (attributes only), ";
  }
  if (r.candidates == "held_out") {
    out += std::to_string(r.candidateItems) + " held-out candidates";
  } else if (r.candidates == "file") {
    out += std::to_string(r.candidateItems) + " candidates from " +
           (r.candidatesFile.empty() ? std::string("a file") : r.candidatesFile);
  } else {
    out += "catalogue";
  }
  return out;
}

std::string comparisonKey(const RunRecord& r) {
  if (r.candidates == "catalogue" && !r.newUsers) return r.splitHash;
  return r.splitHash + " / " + protocolLabel(r);
}

}  // namespace rwb
