#include "ui/stored_runs.h"

#include <QCoreApplication>
#include <algorithm>
#include <filesystem>

#include "core/experiment/experiment_spec.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "ui/run_engine.h"
#include "ui/session.h"

namespace rwb::ui {

std::vector<std::int64_t> storedRunIds(const ProjectStore& store) {
  std::vector<std::int64_t> ids;
  for (const RunSummary& s : store.listRuns()) ids.push_back(s.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<StoredRunView> readStoredRuns(const ProjectStore& store,
                                          const std::vector<std::int64_t>& ids, TaskContext& ctx) {
  std::vector<StoredRunView> out;
  std::map<std::int64_t, RunLabels> labels;
  std::map<std::pair<std::string, std::string>, std::int64_t> champions;
  try {
    const RunAnnotations notes(store);
    labels = notes.allLabels();
    champions = notes.champions();
  } catch (const StoreError&) {
    // A read-only project file cannot get the annotation tables: its runs read without them.
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ctx.throwIfStopped();
    ctx.progress(static_cast<double>(i) / static_cast<double>(ids.size() + 1), "reading runs");
    StoredRunView v;
    try {
      v.stored = store.loadRun(ids[i], true);
    } catch (const StoreError& e) {
      // A model that fails its checksum: the run's figures still count, its model does not.
      try {
        v.stored = store.loadRun(ids[i], false);
        v.modelError = e.what();
      } catch (const StoreError&) {
        continue;  // deleted since it was listed
      }
    }
    if (!v.stored.record.modelBlob.empty()) {
      try {
        v.fitted = loadModelFromBytes(v.stored.record.modelBlob);
      } catch (const std::exception& e) {
        v.modelError = e.what();
      }
      v.stored.record.modelBlob.clear();
    }
    const double f = static_cast<double>(i + 1) / static_cast<double>(ids.size() + 1);
    TaskContext sub(ctx, f, f);
    v.ci = bootstrapIntervals(v.stored.record, sub);
    v.evaluation = evaluationOf(v.stored.record);
    if (auto l = labels.find(ids[i]); l != labels.end()) v.labels = l->second;
    const auto c = champions.find({v.stored.record.datasetFingerprint, v.stored.record.splitHash});
    v.champion = c != champions.end() && c->second == ids[i];
    if (v.stored.specId != 0) {
      try {
        v.split = splitDescription(parseExperimentSpec(store.loadSpec(v.stored.specId), "/"));
      } catch (const Error&) {
        // A spec this build cannot read: the split column stays empty, the hash says it.
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

void addStoredRuns(Session& session, std::vector<StoredRunView>& runs,
                   const std::function<void(const QString&)>& error) {
  for (StoredRunView& v : runs) {
    SessionRun r;
    r.record = std::move(v.stored.record);
    r.record.fitted = v.fitted;
    r.state = stateOf(r.record);
    r.ci = std::move(v.ci);
    r.storeId = v.stored.id;
    r.split = QString::fromStdString(v.split);
    r.tags = v.labels.tags;
    r.note = QString::fromStdString(v.labels.note);
    r.archived = v.labels.archived;
    r.champion = v.champion;
    r.specId = v.stored.specId;
    r.experiment = QString::fromStdString(v.stored.experiment);
    r.dataset =
        QString::fromStdString(std::filesystem::path(r.record.datasetSource).filename().string());
    r.started = QDateTime::fromString(QString::fromStdString(v.stored.createdAt),
                                      QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    r.evaluation = v.evaluation;
    if (!v.modelError.empty() && error) {
      error(QCoreApplication::translate("rwb::ui::MainWindow", "%1: stored model unreadable: %2")
                .arg(r.displayName, QString::fromStdString(v.modelError)));
    }
    session.addRun(std::move(r));
  }
}

}  // namespace rwb::ui
