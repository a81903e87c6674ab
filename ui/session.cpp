#include "ui/session.h"

namespace rwb::ui {

Session::Session(QObject* parent) : QObject(parent) {}

void Session::setDataset(std::shared_ptr<const Dataset> data, LoadResult report,
                         const QString& path) {
  dataset_ = std::move(data);
  report_ = std::move(report);
  report_.dataset = Dataset{};  // the report keeps counts and issues, not a second copy
  datasetPath_ = path;
  test_.reset();
  testPath_.clear();
  runs_.clear();
  emit runsCleared();
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
