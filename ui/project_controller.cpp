#include "ui/project_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QSettings>
#include <QStandardPaths>
#include <QTimer>
#include <QUrl>
#include <QtConcurrent/QtConcurrentRun>

#include "core/experiment/runner.h"
#include "core/store/project_store.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"
#include "ui/data_controller.h"
#include "ui/run_engine.h"
#include "ui/session.h"
#include "ui/stored_runs.h"
#include "ui/task_runner.h"

namespace rwb::ui {

namespace {
constexpr int kMaxRecent = 8;
constexpr int kProjectWatchMs = 3000;

/// What opening a project reads: its runs, oldest first, and the spec last worked with.
struct ProjectContents {
  std::vector<StoredRunView> runs;
  nlohmann::json spec;  ///< null when the project holds no spec
};

/// Stored runs whose data was rebuilt: storeId -> (train, test, lists).
struct RestoredRun {
  std::int64_t storeId = 0;
  std::shared_ptr<const Dataset> train, test;
  std::vector<Index> users;
  std::vector<RecList> lists;
  std::map<std::string, double> beyond;  ///< coverage and novelty of the lists
};

QString absolute(const QString& path) { return QFileInfo(path).absoluteFilePath(); }

QString specKey(const QString& project) {
  return QStringLiteral("projects/%1/spec")
      .arg(QString::fromUtf8(QUrl::toPercentEncoding(project)));
}
}  // namespace

ProjectController::ProjectController(Session* session, TaskRunner* runner, DataController* data,
                                     QObject* parent)
    : QObject(parent), session_(session), runner_(runner), data_(data) {
  connect(runner_, &TaskRunner::taskFinished, this,
          [this](int id, TaskStatus, const QString&) { readTasks_.erase(id); });
  connect(runner_, &TaskRunner::taskProgress, this,
          [this](int id, double fraction, const QString& stage) {
            if (readTasks_.count(id)) emit progress(fraction, stage);
          });
  // The project remembers its data: whenever data (and its test file) arrive, the project
  // records them and reconnects its stored runs to them.
  connect(data_, &DataController::dataReady, this, &ProjectController::onDataReady);
  // Runs that `recwb run --project` (or another window) records in the open project appear
  // without a reload: a cheap id listing off the GUI thread every few seconds.
  watch_ = new QTimer(this);
  watch_->setInterval(kProjectWatchMs);
  connect(watch_, &QTimer::timeout, this, &ProjectController::checkForNewRuns);
  watch_->start();
}

void ProjectController::setSpecHooks(std::function<nlohmann::json()> current,
                                     std::function<QString(const nlohmann::json&)> apply) {
  currentSpec_ = std::move(current);
  applySpec_ = std::move(apply);
}

void ProjectController::setWatchInterval(int ms) {
  if (ms <= 0) {
    watch_->stop();
    return;
  }
  watch_->start(ms);
}

void ProjectController::checkForNewRuns() {
  const QString project = session_->projectPath();
  if (project.isEmpty() || !readTasks_.empty() || watchInFlight_) return;
  // A run of this window is written to the store before its record learns its store id: wait
  // until none is in flight so that it is not taken for another process's run.
  for (const SessionRun& r : session_->runs()) {
    if (r.state == RunState::kQueued || r.state == RunState::kRunning) return;
  }
  watchInFlight_ = true;
  auto* watcher = new QFutureWatcher<std::vector<std::int64_t>>(this);
  const std::string file = project.toStdString();
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, project] {
    watcher->deleteLater();
    watchInFlight_ = false;
    std::vector<std::int64_t> ids;
    try {
      ids = watcher->result();
    } catch (const std::exception&) {
      return;  // the project is busy or gone: the next tick (or F5) tells
    }
    if (project != session_->projectPath() || !readTasks_.empty()) return;
    std::set<std::int64_t> known;
    for (const SessionRun& r : session_->runs()) {
      if (r.storeId != 0) known.insert(r.storeId);
      if (r.state == RunState::kQueued || r.state == RunState::kRunning) return;
    }
    std::vector<std::int64_t> fresh;
    for (auto id : ids) {
      if (!known.count(id)) fresh.push_back(id);
    }
    if (!fresh.empty()) readNewRuns(project, fresh);
  });
  watcher->setFuture(QtConcurrent::run([file] {
    const ProjectStore store(file, false);
    return storedRunIds(store);
  }));
}

void ProjectController::readNewRuns(const QString& project, const std::vector<std::int64_t>& ids) {
  const std::string file = project.toStdString();
  const int readTask = runner_->start<std::vector<StoredRunView>>(
      tr("Reading new runs of %1").arg(QFileInfo(project).fileName()),
      [file, ids](TaskContext& ctx) {
        const ProjectStore store(file, false);
        return readStoredRuns(store, ids, ctx);
      },
      this,
      [this, project](std::vector<StoredRunView> runs) {
        if (project != session_->projectPath()) return;
        std::set<std::int64_t> known;
        for (const SessionRun& r : session_->runs()) known.insert(r.storeId);
        std::erase_if(runs, [&](const StoredRunView& v) { return known.count(v.stored.id) > 0; });
        if (runs.empty()) return;
        addStoredRuns(*session_, runs, [this](const QString& e) { emit logError(e); });
        emit logMessage(tr("%n run(s) recorded by another process added from %1.", "",
                           static_cast<int>(runs.size()))
                            .arg(QFileInfo(project).fileName()));
        emit externalRunsAdded(static_cast<int>(runs.size()));
        restoreRuns();
      },
      [this, project](const QString& e) {
        emit logError(tr("Reading new runs of %1: %2").arg(QFileInfo(project).fileName(), e));
      });
  readTasks_.insert(readTask);
}

void ProjectController::onDataReady() {
  // The sample project holds the sample data only: other data gets a project of its own
  // (beside the sample project, named after the data), so nothing else is written into it.
  if (isSampleProject(session_->projectPath()) && !session_->datasetPath().isEmpty() &&
      !isSampleData(session_->datasetPath())) {
    const QDir dir = QFileInfo(defaultProjectPath()).absoluteDir();
    QString base = QFileInfo(session_->datasetPath()).completeBaseName();
    if (base.isEmpty() || base == QStringLiteral("sample")) base = QStringLiteral("project");
    QString path = dir.filePath(base + QStringLiteral(".rwbproj"));
    for (int n = 2; QFileInfo::exists(path); ++n)
      path = dir.filePath(QStringLiteral("%1-%2.rwbproj").arg(base).arg(n));
    const QString err = newProject(path);
    if (err.isEmpty()) {
      emit logMessage(tr("%1 is not the sample data: it gets its own project %2 (the sample "
                         "project keeps the sample data). File > Save Project As moves it.")
                          .arg(QFileInfo(session_->datasetPath()).fileName(), path));
      emit ownProjectCreated(path);
      return;
    }
    emit logError(tr("Cannot create a project for the new data: %1").arg(err));
  }
  rememberData();
  restoreRuns();
}

bool ProjectController::isSampleProject(const QString& path) {
  return !path.isEmpty() &&
         QFileInfo(path).absoluteFilePath() == QFileInfo(defaultProjectPath()).absoluteFilePath();
}

bool ProjectController::isSampleData(const QString& path) {
  const QString sample = QFileInfo(QStringLiteral(RWB_SAMPLE_DATA_DIR)).canonicalFilePath();
  const QString data = QFileInfo(path).canonicalFilePath();
  return !sample.isEmpty() && (data == sample || data.startsWith(sample + QLatin1Char('/')));
}

QString ProjectController::saveProject() {
  const QString project = session_->projectPath();
  if (project.isEmpty()) return tr("no project is open");
  if (!QFileInfo::exists(project)) return tr("the project file %1 is gone").arg(project);
  rememberData();
  emit logMessage(tr("Project %1 saved (runs are recorded as they end).").arg(project));
  return {};
}

QString ProjectController::defaultProjectPath() {
  return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
      .filePath(QStringLiteral("sample.rwbproj"));
}

QStringList ProjectController::recentProjects() const {
  return QSettings().value(QStringLiteral("recent/projects")).toStringList();
}

void ProjectController::addRecent(const QString& path) {
  QStringList list = recentProjects();
  list.removeAll(path);
  list.prepend(path);
  while (list.size() > kMaxRecent) list.removeLast();
  QSettings settings;
  settings.setValue(QStringLiteral("recent/projects"), list);
  settings.setValue(QStringLiteral("project/last"), path);
  emit recentProjectsChanged();
}

// The project remembers its data twice: as a stored spec (so `recwb` and other machines see
// it) and in QSettings per project (the data last opened with it, even without runs).
void ProjectController::rememberData() {
  const QString project = session_->projectPath();
  if (project.isEmpty() || session_->datasetPath().isEmpty() || !currentSpec_) return;
  const nlohmann::json doc = storedSpec(currentSpec_(), {});
  QSettings().setValue(specKey(project), QString::fromStdString(doc.dump()));
  try {
    ProjectStore store(project.toStdString());
    store.putSpec(doc);
  } catch (const std::exception& e) {
    emit logError(tr("Cannot record the data in %1: %2").arg(project, QString::fromUtf8(e.what())));
  }
}

QString ProjectController::newProject(const QString& path) {
  try {
    ProjectStore store(path.toStdString(), true);
  } catch (const std::exception& e) {
    return QString::fromUtf8(e.what());
  }
  session_->clearRuns();
  session_->setProjectPath(absolute(path));
  addRecent(absolute(path));
  rememberData();
  emit logMessage(tr("Project %1 created.").arg(path));
  emit opened(absolute(path));
  return {};
}

QString ProjectController::saveProjectAs(const QString& path) {
  const QString from = session_->projectPath();
  if (from.isEmpty()) return tr("no project is open");
  try {
    ProjectStore store(from.toStdString(), false);
    store.copyTo(path.toStdString());
  } catch (const std::exception& e) {
    return QString::fromUtf8(e.what());
  }
  // The session's runs are the copy's runs (same ids): only the file changes.
  session_->setProjectPath(absolute(path));
  addRecent(absolute(path));
  rememberData();
  emit logMessage(tr("Project saved as %1.").arg(path));
  return {};
}

void ProjectController::openProject(const QString& pathIn) {
  const QString path = absolute(pathIn);
  const std::string file = path.toStdString();
  const std::string remembered = QSettings().value(specKey(path)).toString().toStdString();
  emit logMessage(tr("Opening project %1 ...").arg(path));
  emit openStarted(path);
  const int readTask = runner_->start<ProjectContents>(
      tr("Opening %1").arg(QFileInfo(path).fileName()),
      [file, remembered](TaskContext& ctx) {
        ProjectContents out;
        ProjectStore store(file, false);
        out.runs = readStoredRuns(store, storedRunIds(store), ctx);
        if (!remembered.empty()) {
          out.spec = nlohmann::json::parse(remembered, nullptr, false);
          if (out.spec.is_discarded()) out.spec = nullptr;
        }
        if (out.spec.is_null()) {
          const std::int64_t id = store.latestSpecId();
          if (id != 0) out.spec = store.loadSpec(id);
        }
        return out;
      },
      this,
      [this, path](ProjectContents c) {
        session_->clearRuns();
        session_->setProjectPath(path);
        addRecent(path);
        addStoredRuns(*session_, c.runs, [this](const QString& e) { emit logError(e); });
        emit logMessage(
            tr("Project %1: %n run(s).", "", static_cast<int>(c.runs.size())).arg(path));
        if (c.spec.is_object()) {
          const nlohmann::json src = c.spec.value("dataset", nlohmann::json::object());
          const nlohmann::json split = c.spec.value("split", nlohmann::json::object());
          nlohmann::json dataSrc = src;
          const bool files = split.contains("train") && split.contains("test");
          if (files) dataSrc["path"] = split["train"];
          const QString dataPath = QString::fromStdString(dataSrc.value("path", std::string()));
          const QString testPath =
              files ? QString::fromStdString(split.value("test", std::string())) : QString();
          // A database server's source is no file: it is only known gone when it fails to load.
          const bool gone = !dataPath.isEmpty() &&
                            databaseKind(dataPath.toStdString()) == DatabaseKind::kNone &&
                            !QFileInfo::exists(dataPath);
          const bool followSample = gone && path == defaultProjectPath();
          nlohmann::json spec = c.spec;
          // The sample project follows the bundled data wherever it is: its spec names that
          // data, not the path it was recorded with.
          if (followSample) spec.erase("dataset");
          if (applySpec_) {
            const QString err = applySpec_(spec);
            if (!err.isEmpty()) emit logError(tr("Project spec: %1").arg(err));
          }
          if (!dataPath.isEmpty() && !gone &&
              (session_->datasetPath() != dataPath ||
               session_->sourceSpec() != DataController::canonicalSource(dataSrc))) {
            data_->loadSource(dataSrc, testPath);
          } else {
            if (gone)
              emit logError(tr("The project's data %1 is not there any more.").arg(dataPath));
            if (followSample) {
              data_->openSampleData();
            } else {
              restoreRuns();
            }
          }
        } else if (path == defaultProjectPath()) {
          // The sample project before any run was saved in it (or with its settings lost):
          // show the bundled sample data rather than an empty window.
          data_->openSampleData();
        }
        emit opened(path);
      },
      [this, path](const QString& e) {
        emit errorMessage(tr("Cannot open project %1").arg(QFileInfo(path).fileName()), e);
        emit failed(e);
      });
  readTasks_.insert(readTask);
}

// Stored runs come back with metrics, per-user vectors and models, but without the training
// data their users and items index into. Rebuild it from the current data with each run's own
// stored spec (same preparation and split), and attach it when the fingerprint and split hash
// match what was recorded; then the Users view, slices and export work on them as on new runs.
void ProjectController::restoreRuns() {
  const QString project = session_->projectPath();
  auto data = session_->dataset();
  if (project.isEmpty() || !data) return;
  std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::shared_ptr<const Model>>>> bySpec;
  std::map<std::int64_t, std::pair<std::string, std::string>> expected;
  std::map<std::int64_t, int> kOf;
  for (const SessionRun& r : session_->runs()) {
    if (r.storeId == 0 || r.specId == 0 || r.train || !r.record.fitted || !r.done()) continue;
    bySpec[r.specId].emplace_back(r.storeId, r.record.fitted);
    expected[r.storeId] = {r.record.datasetFingerprint, r.record.splitHash};
    kOf[r.storeId] = r.record.k;
  }
  if (bySpec.empty()) return;
  InMemoryData mem;
  mem.data = data;
  mem.test = session_->testSet();
  mem.source = session_->datasetPath().toStdString();
  const std::string file = project.toStdString();
  runner_->start<std::vector<RestoredRun>>(
      tr("Restoring project runs"),
      [file, bySpec, expected, kOf, mem](TaskContext& ctx) {
        std::vector<RestoredRun> out;
        ProjectStore store(file, false);
        for (const auto& [specId, runs] : bySpec) {
          ctx.throwIfStopped();
          PreparedData prepared;
          try {
            const ExperimentSpec spec = parseExperimentSpec(store.loadSpec(specId), "/");
            if (spec.split.method == "files" && !mem.test) continue;
            TaskContext sub(ctx, 0.0, 0.5);
            prepared = prepareData(spec, mem, sub);
          } catch (const Cancelled&) {
            throw;
          } catch (const std::exception&) {
            continue;  // another dataset's spec: these runs stay metrics-only
          }
          const auto users = usersWithInteractions(*prepared.test);
          for (const auto& [storeId, model] : runs) {
            const auto& [fp, sh] = expected.at(storeId);
            if (fp != prepared.datasetFingerprint || sh != prepared.splitHash) continue;
            RestoredRun r;
            r.storeId = storeId;
            r.train = prepared.train;
            r.test = prepared.test;
            r.users = users;
            TaskContext sub(ctx, 0.5, 1.0);
            r.lists =
                model->recommendBatch(users, static_cast<std::size_t>(kOf.at(storeId)), true, sub);
            // The same display-only figures as a run made in the window (Trade-off chart).
            r.beyond = beyondAccuracy(*r.train, *r.test, r.users, r.lists, kOf.at(storeId), sub);
            out.push_back(std::move(r));
          }
        }
        return out;
      },
      this,
      [this, project](std::vector<RestoredRun> restored) {
        if (project != session_->projectPath()) return;
        int n = 0;
        for (RestoredRun& rr : restored) {
          for (const SessionRun& r : session_->runs()) {
            if (r.storeId != rr.storeId) continue;
            SessionRun* run = session_->run(r.id);
            run->train = rr.train;
            run->test = rr.test;
            run->record.recUsers = std::move(rr.users);
            run->record.recommendations = std::move(rr.lists);
            for (auto& [name, value] : rr.beyond) run->displayMetrics[name] = value;
            ++n;
            session_->notifyRunChanged(run->id);
            break;
          }
        }
        if (n > 0)
          emit logMessage(tr("%n stored run(s) reconnected to their training data.", "", n));
        emit runsRestored(n);
      });
}

bool ProjectController::openStartupProject() {
  const QString last = QSettings().value(QStringLiteral("project/last")).toString();
  if (!last.isEmpty() && QFileInfo::exists(last)) {
    openProject(last);
    return true;
  }
  const QString path = defaultProjectPath();
  QDir().mkpath(QFileInfo(path).absolutePath());
  if (QFileInfo::exists(path)) {
    openProject(path);
    return true;
  }
  newProject(path);
  return data_->openSampleData();
}

}  // namespace rwb::ui
