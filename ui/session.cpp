#include "ui/session.h"

#include <cmath>

#include "core/experiment/run_record.h"

namespace rwb::ui {

void fillFromRecord(RunRecord& run, const rwb::RunRecord& record,
                    const std::map<std::string, std::pair<double, double>>& ci) {
  run.model = QString::fromStdString(record.model);
  run.params = record.params;
  run.status = record.status == RunStatus::kOk       ? QStringLiteral("done")
               : record.status == RunStatus::kFailed ? QStringLiteral("failed")
                                                     : QStringLiteral("cancelled");
  run.message = QString::fromStdString(record.error);
  run.fitSeconds = record.fitSeconds;
  run.recommendSeconds = record.recommendSeconds;
  run.memoryBytes = static_cast<std::size_t>(record.modelBytes);
  if (!record.learningCurve.empty()) run.epochs = record.learningCurve;
  run.fingerprint = record.datasetFingerprint;
  run.splitHash = record.splitHash;
  run.k = record.k;
  run.metrics.clear();
  for (const auto& [name, v] : record.metrics) {
    auto it = ci.find(name);
    run.metrics[name] = it == ci.end() ? MetricValue{v, v, v, false}
                                       : MetricValue{v, it->second.first, it->second.second, true};
  }
  run.perUser = record.perUser;
  run.evaluatedUsers = record.evaluatedUsers;
}

Session::Session(QObject* parent) : QObject(parent) {}

void Session::setDataset(std::shared_ptr<const Dataset> data, LoadResult report,
                         const QString& path) {
  dataset_ = std::move(data);
  report_ = std::move(report);
  report_.dataset = Dataset{};  // the report keeps counts and issues, not a second copy
  datasetPath_ = path;
  test_.reset();
  testPath_.clear();
  // Runs stay: each holds its own train/test snapshot, and a project's runs outlive the data.
  emit datasetChanged();
  emit testSetChanged();
}

void Session::setTestSet(std::shared_ptr<const Dataset> test, const QString& path) {
  test_ = std::move(test);
  testPath_ = path;
  emit testSetChanged();
}

int Session::addRun(RunRecord run) {
  run.id = nextRun_++;
  if (run.displayName.isEmpty())
    run.displayName = QStringLiteral("%1 #%2").arg(run.model).arg(run.id);
  runs_.push_back(std::move(run));
  emit runAdded(runs_.back().id);
  return runs_.back().id;
}

void Session::clearRuns() {
  runs_.clear();
  emit runsCleared();
}

void Session::setProjectPath(const QString& path) {
  projectPath_ = path;
  emit projectChanged();
}

RunRecord* Session::run(int id) {
  for (auto& r : runs_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

void Session::setChampion(int id) {
  for (auto& r : runs_) {
    const bool was = r.champion;
    r.champion = r.id == id;
    if (was != r.champion) emit runChanged(r.id);
  }
}

}  // namespace rwb::ui
