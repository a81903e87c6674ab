#include "ui/session.h"

#include <cmath>
#include <set>

#include "core/experiment/run_record.h"

namespace rwb::ui {

QString runStateName(RunState state) {
  switch (state) {
    case RunState::kQueued:
      return QStringLiteral("queued");
    case RunState::kRunning:
      return QStringLiteral("running");
    case RunState::kDone:
      return QStringLiteral("done");
    case RunState::kFailed:
      return QStringLiteral("failed");
    case RunState::kCancelled:
      return QStringLiteral("cancelled");
  }
  return {};
}

RunState stateOf(const rwb::RunRecord& record) {
  switch (record.status) {
    case RunStatus::kOk:
      return RunState::kDone;
    case RunStatus::kFailed:
      return RunState::kFailed;
    case RunStatus::kCancelled:
      return RunState::kCancelled;
  }
  return RunState::kFailed;
}

QString runLabel(const std::string& name, std::int64_t storeId, int sessionId) {
  const QString n = QString::fromStdString(name);
  return storeId != 0 ? QStringLiteral("%1 #%2").arg(n).arg(storeId)
                      : QObject::tr("%1 (unsaved %2)").arg(n).arg(sessionId);
}

bool RunFilter::accepts(const SessionRun& run) const {
  if (run.archived && !showArchived) return false;
  switch (by) {
    case By::kAll:
      return true;
    case By::kDataset:
      return run.dataset.toStdString() == value;
    case By::kSplit:
      return run.record.splitHash == value;
    case By::kModel:
      return run.record.model == value;
    case By::kTag:
      return run.tags.count(value) > 0;
  }
  return true;
}

std::optional<MetricFigure> SessionRun::metric(const std::string& name) const {
  double v = 0.0;
  if (auto it = record.metrics.find(name); it != record.metrics.end()) {
    v = it->second;
  } else if (auto d = displayMetrics.find(name); d != displayMetrics.end()) {
    v = d->second;
  } else {
    return std::nullopt;
  }
  auto c = ci.find(name);
  return c == ci.end() ? MetricFigure{v, v, v, false}
                       : MetricFigure{v, c->second.first, c->second.second, true};
}

std::vector<std::string> SessionRun::metricNames() const {
  std::set<std::string> names;
  for (const auto& [k, v] : record.metrics) names.insert(k);
  for (const auto& [k, v] : displayMetrics) names.insert(k);
  return {names.begin(), names.end()};
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

int Session::addRun(SessionRun run) {
  run.id = nextRun_++;
  if (run.displayName.isEmpty()) {
    run.displayName =
        runLabel(run.record.name.empty() ? run.record.model : run.record.name, run.storeId, run.id);
  }
  runs_.push_back(std::move(run));
  emit runAdded(runs_.back().id);
  return runs_.back().id;
}

void Session::clearRuns() {
  runs_.clear();
  pickedSplit_.clear();
  emit runsCleared();
}

void Session::setProjectPath(const QString& path) {
  projectPath_ = path;
  emit projectChanged();
}

SessionRun* Session::run(int id) {
  for (auto& r : runs_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::string Session::comparedSplit() const {
  std::string champion, newest;
  bool anyDone = false, picked = false;
  for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
    if (!it->done()) continue;
    if (!anyDone) newest = comparisonKey(it->record);
    anyDone = true;
    if (it->champion) champion = comparisonKey(it->record);
    if (comparisonKey(it->record) == pickedSplit_) picked = true;
  }
  if (picked && !pickedSplit_.empty()) return pickedSplit_;
  return !champion.empty() ? champion : newest;
}

void Session::setPickedSplit(const std::string& splitHash) {
  pickedSplit_ = splitHash;
  emit comparedSplitChanged();
}

void Session::setChampion(int id) {
  const SessionRun* c = run(id);
  if (c == nullptr) return;
  const std::string fp = c->record.datasetFingerprint, split = c->record.splitHash;
  for (auto& r : runs_) {
    if (r.record.datasetFingerprint != fp || r.record.splitHash != split) continue;
    const bool was = r.champion;
    r.champion = r.id == id;
    if (was != r.champion) emit runChanged(r.id);
  }
}

void Session::setRecorded(int id, std::int64_t storeId) {
  SessionRun* r = run(id);
  if (r == nullptr) return;
  r->storeId = storeId;
  r->displayName = runLabel(r->record.name.empty() ? r->record.model : r->record.name, storeId, id);
  emit runChanged(id);
}

void Session::removeRun(int id) {
  const auto before = runs_.size();
  std::erase_if(runs_, [id](const SessionRun& r) { return r.id == id; });
  if (runs_.size() != before) emit runRemoved(id);
}

void Session::setRunFilter(const RunFilter& filter) {
  if (filter == filter_) return;
  filter_ = filter;
  emit runFilterChanged();
}

}  // namespace rwb::ui
