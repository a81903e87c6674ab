#include "ui/run_actions.h"

#include <QFileInfo>

#include "core/export/comparison_report.h"
#include "core/store/project_store.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

RunActions::RunActions(Session* session, TaskRunner* runner, QObject* parent)
    : QObject(parent), session_(session), runner_(runner) {}

std::int64_t RunActions::recorded(int runId, QString& error) const {
  const SessionRun* r = session_->run(runId);
  if (r == nullptr) {
    error = tr("no such run");
    return 0;
  }
  if (r->storeId == 0 || session_->projectPath().isEmpty()) {
    error = tr("%1 is not recorded in a project (open or create one, then run it again)")
                .arg(r->displayName);
    return 0;
  }
  return r->storeId;
}

namespace {
/// Runs one annotation change on the open project; returns the store's error text or "".
template <typename F>
QString annotate(const QString& project, F&& change) {
  try {
    const ProjectStore store(project.toStdString(), false);
    RunAnnotations notes(store);
    change(notes);
  } catch (const std::exception& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}
}  // namespace

QString RunActions::rename(int runId, const QString& name) {
  QString err;
  const std::int64_t id = recorded(runId, err);
  if (id == 0) return err;
  err = annotate(session_->projectPath(),
                 [&](RunAnnotations& n) { n.rename(id, name.trimmed().toStdString()); });
  if (!err.isEmpty()) return err;
  SessionRun* r = session_->run(runId);
  r->record.name = name.trimmed().toStdString();
  session_->setRecorded(runId, id);  // relabels: "<new name> #<id>"
  emit logMessage(tr("Run %1 renamed to %2.").arg(id).arg(r->displayName));
  return {};
}

QString RunActions::addTag(int runId, const QString& tag) {
  QString err;
  const std::int64_t id = recorded(runId, err);
  if (id == 0) return err;
  const std::string t = tag.trimmed().toStdString();
  err = annotate(session_->projectPath(), [&](RunAnnotations& n) { n.addTag(id, t); });
  if (!err.isEmpty()) return err;
  session_->run(runId)->tags.insert(t);
  session_->notifyRunChanged(runId);
  return {};
}

QString RunActions::removeTag(int runId, const QString& tag) {
  QString err;
  const std::int64_t id = recorded(runId, err);
  if (id == 0) return err;
  const std::string t = tag.trimmed().toStdString();
  err = annotate(session_->projectPath(), [&](RunAnnotations& n) { n.removeTag(id, t); });
  if (!err.isEmpty()) return err;
  session_->run(runId)->tags.erase(t);
  session_->notifyRunChanged(runId);
  return {};
}

QString RunActions::setNote(int runId, const QString& note) {
  QString err;
  const std::int64_t id = recorded(runId, err);
  if (id == 0) return err;
  err = annotate(session_->projectPath(),
                 [&](RunAnnotations& n) { n.setNote(id, note.toStdString()); });
  if (!err.isEmpty()) return err;
  session_->run(runId)->note = note;
  session_->notifyRunChanged(runId);
  return {};
}

QString RunActions::setArchived(int runId, bool archived) {
  QString err;
  const std::int64_t id = recorded(runId, err);
  if (id == 0) return err;
  err = annotate(session_->projectPath(), [&](RunAnnotations& n) { n.setArchived(id, archived); });
  if (!err.isEmpty()) return err;
  session_->run(runId)->archived = archived;
  session_->notifyRunChanged(runId);
  emit logMessage(archived ? tr("%1 archived.").arg(session_->run(runId)->displayName)
                           : tr("%1 restored.").arg(session_->run(runId)->displayName));
  return {};
}

QString RunActions::setChampion(int runId) {
  const SessionRun* r = session_->run(runId);
  if (r == nullptr || !r->done()) return tr("Select a finished run first.");
  if (r->storeId != 0 && !session_->projectPath().isEmpty()) {
    const std::int64_t id = r->storeId;
    const QString err =
        annotate(session_->projectPath(), [&](RunAnnotations& n) { n.setChampion(id); });
    if (!err.isEmpty()) return err;
  }
  session_->setChampion(runId);
  emit logMessage(tr("%1 marked as champion.").arg(session_->run(runId)->displayName));
  return {};
}

void RunActions::deleteRun(int runId) {
  const SessionRun* r = session_->run(runId);
  if (r == nullptr) return;
  if (r->state == RunState::kQueued || r->state == RunState::kRunning) {
    emit deleted(runId, tr("%1 is still running: cancel it first").arg(r->displayName));
    return;
  }
  const QString name = r->displayName;
  if (r->storeId == 0 || session_->projectPath().isEmpty()) {
    session_->removeRun(runId);
    emit logMessage(tr("%1 removed.").arg(name));
    emit deleted(runId, {});
    return;
  }
  const std::string file = session_->projectPath().toStdString();
  const std::int64_t id = r->storeId;
  runner_->start<bool>(
      tr("Deleting %1").arg(name),
      [file, id](TaskContext&) {
        ProjectStore store(file, false);
        return store.deleteRun(id);
      },
      this,
      [this, runId, name](bool) {
        // Deleted, or already gone from the file: either way not a run of the project any more.
        session_->removeRun(runId);
        emit logMessage(tr("%1 deleted from the project.").arg(name));
        emit deleted(runId, {});
      },
      [this, runId](const QString& e) { emit deleted(runId, e); });
}

std::vector<ConfigDiffRow> RunActions::diff(const QList<int>& runIds, QStringList* labels) const {
  std::vector<RunConfig> configs;
  std::unique_ptr<ProjectStore> store;
  if (!session_->projectPath().isEmpty()) {
    try {
      store = std::make_unique<ProjectStore>(session_->projectPath().toStdString(), false);
    } catch (const std::exception&) {
      // Without the file the diff still covers the records; the specs are missing.
    }
  }
  for (int id : runIds) {
    const SessionRun* r = session_->run(id);
    if (r == nullptr) continue;
    nlohmann::json spec;
    if (store && r->specId != 0) {
      try {
        spec = store->loadSpec(r->specId);
      } catch (const std::exception&) {
      }
    }
    configs.push_back(runConfig(r->record, spec, r->displayName.toStdString()));
    if (labels) *labels << r->displayName;
  }
  return diffConfigs(configs);
}

std::vector<ChampionEntry> RunActions::championHistory() const {
  if (session_->projectPath().isEmpty()) return {};
  try {
    const ProjectStore store(session_->projectPath().toStdString(), false);
    return RunAnnotations(store).championHistory();
  } catch (const std::exception&) {
    return {};
  }
}

int RunActions::currentChampion() const {
  const std::string split = session_->comparedSplit();
  for (const SessionRun& r : session_->runs()) {
    if (r.champion && r.done() && comparisonKey(r.record) == split) return r.id;
  }
  return 0;
}

void RunActions::writeReport(const QList<int>& runIds, const QString& path) {
  if (session_->projectPath().isEmpty()) {
    emit reportWritten(path, tr("open or create a project first: the report reads its runs"));
    return;
  }
  ReportOptions options;
  options.title = tr("Run comparison: %1")
                      .arg(QFileInfo(session_->projectPath()).completeBaseName())
                      .toStdString();
  for (int id : runIds) {
    const SessionRun* r = session_->run(id);
    if (r != nullptr && r->storeId != 0) options.runs.push_back(r->storeId);
  }
  if (options.runs.empty()) {
    emit reportWritten(path, tr("none of the runs shown is recorded in the project"));
    return;
  }
  const std::string project = session_->projectPath().toStdString(), file = path.toStdString();
  runner_->start<bool>(
      tr("Writing report"),
      [project, options, file](TaskContext& ctx) {
        const ProjectStore store(project, false);
        writeComparisonReport(store, options, file, ctx);
        return true;
      },
      this,
      [this, path](bool) {
        emit logMessage(tr("Report written to %1.").arg(path));
        emit reportWritten(path, {});
      },
      [this, path](const QString& e) { emit reportWritten(path, e); });
}

}  // namespace rwb::ui
