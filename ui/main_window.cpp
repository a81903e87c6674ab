#include "ui/main_window.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolButton>
#include <QUrl>
#include <QtConcurrent/QtConcurrentRun>
#include <filesystem>
#include <set>

#include "core/data/dataset_loader.h"
#include "core/experiment/runner.h"
#include "core/models/registry.h"
#include "core/store/project_store.h"
#include "core/util/error.h"
#include "ui/compare_view.h"
#include "ui/data_view.h"
#include "ui/experiment_view.h"
#include "ui/import_dialog.h"
#include "ui/log_pane.h"
#include "ui/run_engine.h"
#include "ui/session.h"
#include "ui/task_runner.h"
#include "ui/users_view.h"

namespace rwb::ui {

namespace {
constexpr int kMaxRecent = 8;
constexpr int kProjectWatchMs = 3000;

/// The result of a load task: the dataset plus its report.
struct Loaded {
  std::shared_ptr<Dataset> data;
  LoadResult report;
};

/// One stored run read back from a project, ready for the session.
struct StoredRunView {
  StoredRun stored;
  std::shared_ptr<const Model> fitted;
  std::map<std::string, std::pair<double, double>> ci;
  std::shared_ptr<const EvalResult> evaluation;
  std::string modelError;
};

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
};

DatasetSource toSource(const nlohmann::json& j) {
  DatasetSource src;
  src.path = j.value("path", std::string());
  src.format = j.value("format", std::string("auto"));
  src.columns = j.value("columns", nlohmann::json::object());
  src.options = j.value("options", nlohmann::json::object());
  return src;
}

QString absolute(const QString& path) { return QFileInfo(path).absoluteFilePath(); }

/// Reads the stored runs `ids` (in that order) with their models, CIs and evaluations; progress
/// over [from, to) of ctx. Runs deleted meanwhile are skipped.
std::vector<StoredRunView> readStoredRuns(const ProjectStore& store,
                                          const std::vector<std::int64_t>& ids, TaskContext& ctx) {
  std::vector<StoredRunView> out;
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
    out.push_back(std::move(v));
  }
  return out;
}

/// Adds stored runs to the session, in order, as "<name> #<id>".
void addStoredRuns(Session& session, LogPane& log, std::vector<StoredRunView>& runs) {
  for (StoredRunView& v : runs) {
    SessionRun r;
    r.record = std::move(v.stored.record);
    r.record.fitted = v.fitted;
    r.state = stateOf(r.record);
    r.ci = std::move(v.ci);
    r.displayName =
        QStringLiteral("%1 #%2").arg(QString::fromStdString(r.record.name)).arg(v.stored.id);
    r.storeId = v.stored.id;
    r.specId = v.stored.specId;
    r.experiment = QString::fromStdString(v.stored.experiment);
    r.dataset =
        QString::fromStdString(std::filesystem::path(r.record.datasetSource).filename().string());
    r.started = QDateTime::fromString(QString::fromStdString(v.stored.createdAt),
                                      QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    r.evaluation = v.evaluation;
    if (!v.modelError.empty()) {
      log.error(MainWindow::tr("%1: stored model unreadable: %2")
                    .arg(r.displayName, QString::fromStdString(v.modelError)));
    }
    session.addRun(std::move(r));
  }
}

/// Ids of the stored runs, oldest first.
std::vector<std::int64_t> storedRunIds(const ProjectStore& store) {
  std::vector<std::int64_t> ids;
  for (const RunSummary& s : store.listRuns()) ids.push_back(s.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setObjectName("MainWindow");
  setWindowTitle(tr("RecWorkbench"));
  setAcceptDrops(true);
  session_ = new Session(this);
  runner_ = new TaskRunner(this);
  log_ = new LogPane(this);
  addDockWidget(Qt::BottomDockWidgetArea, log_);

  tabs_ = new QTabWidget(this);
  tabs_->setDocumentMode(true);
  data_ = new DataView(session_, runner_, tabs_);
  experiment_ = new ExperimentView(session_, runner_, tabs_);
  compare_ = new CompareView(session_, runner_, tabs_);
  users_ = new UsersView(session_, tabs_);
  tabs_->addTab(data_, tr("&Data"));
  tabs_->addTab(experiment_, tr("&Experiment"));
  tabs_->addTab(compare_, tr("&Compare"));
  tabs_->addTab(users_, tr("&Users"));
  setCentralWidget(tabs_);

  statusText_ = new QLabel(tr("Ready"), this);
  statusBar()->addWidget(statusText_, 1);
  taskArea_ = new QWidget(this);
  taskLayout_ = new QHBoxLayout(taskArea_);
  taskLayout_->setContentsMargins(0, 0, 0, 0);
  statusBar()->addPermanentWidget(taskArea_);

  connect(runner_, &TaskRunner::taskStarted, this, &MainWindow::onTaskStarted);
  connect(runner_, &TaskRunner::taskProgress, this, &MainWindow::onTaskProgress);
  connect(runner_, &TaskRunner::taskFinished, this, [this](int id, TaskStatus s, const QString& m) {
    projectReadTasks_.erase(id);
    onTaskFinished(id, static_cast<int>(s), m);
  });
  connect(experiment_, &ExperimentView::logMessage, log_, &LogPane::info);
  connect(experiment_, &ExperimentView::errorMessage, this,
          [this](const QString& m) { showError(tr("Run failed"), m); });
  connect(compare_, &CompareView::logMessage, log_, &LogPane::info);
  connect(compare_, &CompareView::errorMessage, this,
          [this](const QString& m) { showError(tr("Export failed"), m); });
  connect(users_, &UsersView::itemRequested, this, [](const QString&) {});

  buildMenus();
  QSettings settings;
  resize(1400, 900);
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  // The log is a strip under the views unless the user made it taller (saved state).
  resizeDocks({log_}, {120}, Qt::Vertical);
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  updateRecentMenu();
  updateRecentProjectsMenu();
  connect(session_, &Session::projectChanged, this, [this] {
    const QString p = session_->projectPath();
    setWindowTitle(p.isEmpty() ? tr("RecWorkbench")
                               : tr("%1 - RecWorkbench").arg(QFileInfo(p).completeBaseName()));
  });
  // Runs that `recwb run --project` (or another window) records in the open project appear
  // without a reload: a cheap id listing off the GUI thread every few seconds.
  projectWatch_ = new QTimer(this);
  projectWatch_->setInterval(kProjectWatchMs);
  connect(projectWatch_, &QTimer::timeout, this, &MainWindow::checkProjectForNewRuns);
  projectWatch_->start();
  log_->info(tr("RecWorkbench started; %1 worker threads.").arg(runner_->pool()->maxThreadCount()));
}

void MainWindow::setProjectWatchInterval(int ms) {
  if (ms <= 0) {
    projectWatch_->stop();
    return;
  }
  projectWatch_->start(ms);
}

void MainWindow::checkProjectForNewRuns() {
  const QString project = session_->projectPath();
  if (project.isEmpty() || !projectReadTasks_.empty() || watchInFlight_) return;
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
    if (project != session_->projectPath() || !projectReadTasks_.empty()) return;
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

void MainWindow::readNewRuns(const QString& project, const std::vector<std::int64_t>& ids) {
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
        addStoredRuns(*session_, *log_, runs);
        log_->info(tr("%n run(s) recorded by another process added from %1.", "",
                      static_cast<int>(runs.size()))
                       .arg(QFileInfo(project).fileName()));
        emit externalRunsAdded(static_cast<int>(runs.size()));
        restoreProjectRuns();
      },
      [this, project](const QString& e) {
        log_->error(tr("Reading new runs of %1: %2").arg(QFileInfo(project).fileName(), e));
      });
  projectReadTasks_.insert(readTask);
}

MainWindow::~MainWindow() {
  runner_->cancelAll();
  runner_->waitForAll();
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&New Project..."), QKeySequence::New, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("New project"), "project.rwbproj",
                                                      tr("RecWorkbench project (*.rwbproj)"));
    if (path.isEmpty()) return;
    const QString err = newProject(path);
    if (!err.isEmpty()) showError(tr("Cannot create the project"), err);
  });
  file->addAction(tr("Open &Project..."), QKeySequence(tr("Ctrl+Shift+P")), this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open project"), QString(), tr("RecWorkbench project (*.rwbproj);;All files (*)"));
    if (!path.isEmpty()) openProject(path);
  });
  file->addAction(tr("Save Project &As..."), QKeySequence(tr("Ctrl+Shift+S")), this, [this] {
    if (session_->projectPath().isEmpty()) {
      showError(tr("No project"), tr("Create or open a project first."));
      return;
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Save project as"), QString(),
                                                      tr("RecWorkbench project (*.rwbproj)"));
    if (path.isEmpty()) return;
    const QString err = saveProjectAs(path);
    if (!err.isEmpty()) showError(tr("Cannot save the project"), err);
  });
  file->addAction(tr("Re&load Project"), QKeySequence::Refresh, this, [this] {
    // Picks up runs recorded meanwhile by `recwb run --project` (or another window).
    if (!session_->projectPath().isEmpty()) openProject(session_->projectPath());
  });
  recentProjectsMenu_ = file->addMenu(tr("Recent Pro&jects"));
  file->addSeparator();
  file->addAction(tr("&Import Data..."), QKeySequence::Open, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Import interactions"), QString(),
        tr("Delimited text (*.csv *.tsv *.txt *.data *.dat);;All files (*)"));
    if (!path.isEmpty()) importData(path);
  });
  file->addAction(tr("Import Data &Folder..."), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Import a data folder"));
    if (!dir.isEmpty()) importData(dir);
  });
  file->addAction(tr("Open &Test Set..."), this, [this] {
    if (!session_->dataset()) {
      showError(tr("No dataset"), tr("Load the training interactions first."));
      return;
    }
    const QString path = QFileDialog::getOpenFileName(this, tr("Open held-out test interactions"));
    if (!path.isEmpty()) {
      DelimitedOptions o;
      o.strict = false;
      loadTestSet(path, o);
    }
  });
  file->addAction(tr("Open &Sample Data"), this, [this] {
    if (!openSampleData()) {
      showError(tr("Sample data"), tr("The bundled sample data was not found in %1.")
                                       .arg(QStringLiteral(RWB_SAMPLE_DATA_DIR)));
    }
  });
  recentMenu_ = file->addMenu(tr("Open &Recent"));
  file->addSeparator();
  file->addAction(tr("&Open Spec..."), QKeySequence(tr("Ctrl+Shift+O")), experiment_,
                  &ExperimentView::loadSpecInteractive);
  file->addAction(tr("&Save Spec As..."), QKeySequence(tr("Ctrl+Alt+S")), experiment_,
                  &ExperimentView::saveSpecInteractive);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(tr("&Run Experiment"), QKeySequence(tr("Ctrl+R")), experiment_,
                 &ExperimentView::runAll);
  run->addAction(tr("&Cancel All"), QKeySequence(tr("Ctrl+.")), runner_, &TaskRunner::cancelAll);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  const QStringList names{tr("Data"), tr("Experiment"), tr("Compare"), tr("Users")};
  for (int i = 0; i < names.size(); ++i) {
    view->addAction(names[i], QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)), this,
                    [this, i] { tabs_->setCurrentIndex(i); });
  }
  view->addSeparator();
  view->addAction(log_->toggleViewAction());
  log_->toggleViewAction()->setShortcut(QKeySequence(tr("Ctrl+L")));

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About RecWorkbench"), this, [this] {
    QMessageBox::about(this, tr("About RecWorkbench"),
                       tr("<b>RecWorkbench</b><br>A workbench for building, comparing and "
                          "inspecting recommendation models. The same engine runs headless as "
                          "<tt>recwb</tt>."));
  });
}

QStringList MainWindow::recentFiles() const {
  return QSettings().value(QStringLiteral("recent/files")).toStringList();
}

void MainWindow::addRecent(const QString& path) {
  QStringList list = recentFiles();
  list.removeAll(path);
  list.prepend(path);
  while (list.size() > kMaxRecent) list.removeLast();
  QSettings().setValue(QStringLiteral("recent/files"), list);
  updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
  recentMenu_->clear();
  const QStringList list = recentFiles();
  for (int i = 0; i < list.size(); ++i) {
    const QString path = list[i];
    recentMenu_->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(path), this,
                           [this, path] { importData(path); });
  }
  recentMenu_->setEnabled(!list.isEmpty());
  if (!list.isEmpty()) {
    recentMenu_->addSeparator();
    recentMenu_->addAction(tr("Clear List"), this, [this] {
      QSettings().remove(QStringLiteral("recent/files"));
      updateRecentMenu();
    });
  }
}

void MainWindow::showError(const QString& title, const QString& message) {
  log_->error(title + QStringLiteral(": ") + message);
  if (!quiet_) QMessageBox::warning(this, title, message);
}

QString MainWindow::defaultDataFile(const QString& path) {
  QFileInfo fi(path);
  if (!fi.isDir()) return path;
  QDir dir(path);
  for (const QString& name :
       {QStringLiteral("interactions.csv"), QStringLiteral("u.data"), QStringLiteral("ratings.csv"),
        QStringLiteral("train.tsv"), QStringLiteral("train.csv")}) {
    if (dir.exists(name)) return dir.filePath(name);
  }
  const QStringList any = dir.entryList({"*.csv", "*.tsv"}, QDir::Files, QDir::Name);
  return any.isEmpty() ? path : dir.filePath(any.first());
}

bool MainWindow::openSampleData() {
  const QString dir = QStringLiteral(RWB_SAMPLE_DATA_DIR);
  if (!QFileInfo(dir).isDir()) return false;
  if (defaultDataFile(dir) == dir) return false;
  DelimitedOptions o;
  o.strict = false;
  loadData(dir, o);
  return true;
}

void MainWindow::importData(const QString& path) {
  ImportDialog dialog(path, this);
  if (dialog.exec() != QDialog::Accepted) return;
  // A folder stays a folder: its layout brings the attribute files along.
  loadData(QFileInfo(path).isDir() ? path : dialog.filePath(), dialog.options());
}

void MainWindow::loadData(const QString& path, const DelimitedOptions& options) {
  // A folder with a known layout (RecWorkbench folder with items.csv / users.csv, MovieLens) is
  // loaded as a whole so that its attribute tables come with the interactions.
  QString target = path;
  std::string format = "delimited";
  if (QFileInfo(path).isDir()) {
    DataFormat f = DataFormat::kDelimited;
    try {
      f = detectDataFormat(path.toStdString());
    } catch (const std::exception&) {
      f = DataFormat::kDelimited;
    }
    if (f == DataFormat::kRecWorkbench || f == DataFormat::kMovieLens100K ||
        f == DataFormat::kMovieLens1M || f == DataFormat::kMovieLensLatest) {
      format = "auto";
    } else {
      target = defaultDataFile(path);
    }
  }
  nlohmann::json src = datasetSourceJson(absolute(target), options);
  src["format"] = format;
  // A recsplit-style file holds its own held-out test file: offer it as the test set.
  QString test;
  QFileInfo fi(target);
  if (format == "delimited" && fi.fileName().startsWith(QStringLiteral("train"))) {
    const QString candidate =
        fi.dir().filePath(fi.fileName().replace(0, 5, QStringLiteral("test")));
    if (QFileInfo::exists(candidate)) test = absolute(candidate);
  }
  loadSource(src, test);
}

void MainWindow::loadSource(const nlohmann::json& source, const QString& testPath) {
  const DatasetSource src = toSource(source);
  const QString file = QString::fromStdString(src.path);
  QFileInfo fi(file);
  const std::string name = (fi.isDir() || fi.fileName() == QStringLiteral("u.data") ||
                                    fi.fileName().startsWith(QStringLiteral("train"))
                                ? (fi.isDir() ? fi.fileName() : fi.dir().dirName())
                                : fi.completeBaseName())
                               .toStdString();
  log_->info(tr("Loading %1 ...").arg(file));
  statusText_->setText(tr("Loading %1 ...").arg(fi.fileName()));
  runner_->start<Loaded>(
      tr("Loading %1").arg(fi.fileName()),
      [src, name](TaskContext& ctx) {
        Loaded out;
        out.report = loadDatasetSource(src, ctx);
        out.data = std::make_shared<Dataset>(std::move(out.report.dataset));
        out.data->name = name;
        return out;
      },
      this,
      [this, file, source, testPath](Loaded l) {
        const auto data = l.data;
        log_->info(tr("Loaded %1: %L2 users, %L3 items, %L4 interactions (%L5 rows skipped); "
                      "%L6 item and %L7 user attribute columns.")
                       .arg(file)
                       .arg(data->numUsers())
                       .arg(data->numItems())
                       .arg(data->numInteractions())
                       .arg(l.report.rowsSkipped())
                       .arg(data->itemAttributes.columns.size())
                       .arg(data->userAttributes.columns.size()));
        statusText_->setText(tr("%1: %L2 interactions")
                                 .arg(QString::fromStdString(data->name))
                                 .arg(data->numInteractions()));
        session_->setSourceSpec(source);
        session_->setDataset(std::const_pointer_cast<const Dataset>(data), std::move(l.report),
                             file);
        addRecent(file);
        if (session_->projectPath().isEmpty()) {
          setWindowTitle(tr("%1 - RecWorkbench").arg(QString::fromStdString(data->name)));
        }
        if (!testPath.isEmpty()) {
          loadTestSet(testPath, DelimitedOptions{});
        } else {
          rememberProjectData();
          restoreProjectRuns();
        }
        emit datasetLoaded();
      },
      [this, file](const QString& e) {
        statusText_->setText(tr("Loading failed"));
        showError(tr("Cannot load %1").arg(QFileInfo(file).fileName()), e);
        emit loadFailed(e);
      });
}

void MainWindow::loadTestSet(const QString& path, const DelimitedOptions& options) {
  auto base = session_->dataset();
  if (!base) return;
  const std::string p = absolute(path).toStdString();
  // Read with the dataset entry's options, as `recwb run` reads a split's test file.
  const nlohmann::json source = session_->sourceSpec();
  const bool fromSpec = source.contains("path");
  runner_->start<Loaded>(
      tr("Loading test set %1").arg(QFileInfo(path).fileName()),
      [p, options, base, source, fromSpec](TaskContext& ctx) {
        Loaded out;
        out.report = fromSpec ? loadTestSource(toSource(source), p, *base, ctx)
                              : loadDelimited(p, options, ctx, base.get());
        out.data = std::make_shared<Dataset>(std::move(out.report.dataset));
        out.data->name = base->name + "-test";
        return out;
      },
      this,
      [this, path, base](Loaded l) {
        if (base != session_->dataset()) return;  // the dataset changed meanwhile
        const std::size_t newUsers = l.data->numUsers() - base->numUsers();
        const std::size_t newItems = l.data->numItems() - base->numItems();
        log_->info(tr("Test set %1: %L2 interactions; %L3 users and %L4 items not in the training "
                      "data.")
                       .arg(path)
                       .arg(l.data->numInteractions())
                       .arg(newUsers)
                       .arg(newItems));
        session_->setTestSet(std::const_pointer_cast<const Dataset>(l.data), absolute(path));
        rememberProjectData();
        restoreProjectRuns();
      },
      [this, path](const QString& e) { showError(tr("Cannot load test set %1").arg(path), e); });
}

QString MainWindow::defaultProjectPath() {
  return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
      .filePath(QStringLiteral("sample.rwbproj"));
}

QStringList MainWindow::recentProjects() const {
  return QSettings().value(QStringLiteral("recent/projects")).toStringList();
}

void MainWindow::addRecentProject(const QString& path) {
  QStringList list = recentProjects();
  list.removeAll(path);
  list.prepend(path);
  while (list.size() > kMaxRecent) list.removeLast();
  QSettings settings;
  settings.setValue(QStringLiteral("recent/projects"), list);
  settings.setValue(QStringLiteral("project/last"), path);
  updateRecentProjectsMenu();
}

void MainWindow::updateRecentProjectsMenu() {
  recentProjectsMenu_->clear();
  const QStringList list = recentProjects();
  for (int i = 0; i < list.size(); ++i) {
    const QString path = list[i];
    recentProjectsMenu_->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(path), this,
                                   [this, path] { openProject(path); });
  }
  recentProjectsMenu_->setEnabled(!list.isEmpty());
}

// The project remembers its data twice: as a stored spec (so `recwb` and other machines see
// it) and in QSettings per project (the data last opened with it, even without runs).
void MainWindow::rememberProjectData() {
  const QString project = session_->projectPath();
  if (project.isEmpty() || session_->datasetPath().isEmpty()) return;
  const nlohmann::json doc = storedSpec(experiment_->spec(), {});
  QSettings settings;
  settings.setValue(
      QStringLiteral("projects/%1/spec").arg(QString::fromUtf8(QUrl::toPercentEncoding(project))),
      QString::fromStdString(doc.dump()));
  try {
    ProjectStore store(project.toStdString());
    store.putSpec(doc);
  } catch (const std::exception& e) {
    log_->error(tr("Cannot record the data in %1: %2").arg(project, QString::fromUtf8(e.what())));
  }
}

QString MainWindow::newProject(const QString& path) {
  try {
    ProjectStore store(path.toStdString(), true);
  } catch (const std::exception& e) {
    return QString::fromUtf8(e.what());
  }
  session_->clearRuns();
  session_->setProjectPath(absolute(path));
  addRecentProject(absolute(path));
  rememberProjectData();
  log_->info(tr("Project %1 created.").arg(path));
  emit projectOpened(absolute(path));
  return {};
}

QString MainWindow::saveProjectAs(const QString& path) {
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
  addRecentProject(absolute(path));
  rememberProjectData();
  log_->info(tr("Project saved as %1.").arg(path));
  return {};
}

void MainWindow::openProject(const QString& pathIn) {
  const QString path = absolute(pathIn);
  const std::string file = path.toStdString();
  const QString key =
      QStringLiteral("projects/%1/spec").arg(QString::fromUtf8(QUrl::toPercentEncoding(path)));
  const std::string remembered = QSettings().value(key).toString().toStdString();
  log_->info(tr("Opening project %1 ...").arg(path));
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
        addRecentProject(path);
        addStoredRuns(*session_, *log_, c.runs);
        log_->info(tr("Project %1: %n run(s).", "", static_cast<int>(c.runs.size())).arg(path));
        if (c.spec.is_object()) {
          const QString err = experiment_->setSpec(c.spec);
          if (!err.isEmpty()) log_->error(tr("Project spec: %1").arg(err));
          const nlohmann::json src = c.spec.value("dataset", nlohmann::json::object());
          const nlohmann::json split = c.spec.value("split", nlohmann::json::object());
          nlohmann::json dataSrc = src;
          const bool files = split.contains("train") && split.contains("test");
          if (files) {
            dataSrc["path"] = split["train"];
          }
          const QString dataPath = QString::fromStdString(dataSrc.value("path", std::string()));
          const QString testPath =
              files ? QString::fromStdString(split.value("test", std::string())) : QString();
          if (!dataPath.isEmpty() && QFileInfo::exists(dataPath) &&
              (session_->datasetPath() != dataPath || session_->sourceSpec() != dataSrc)) {
            loadSource(dataSrc, testPath);
          } else {
            const bool gone = !dataPath.isEmpty() && !QFileInfo::exists(dataPath);
            if (gone) log_->error(tr("The project's data %1 is not there any more.").arg(dataPath));
            if (gone && path == defaultProjectPath()) {
              openSampleData();  // the sample project follows the bundled data wherever it is
            } else {
              restoreProjectRuns();
            }
          }
        } else if (path == defaultProjectPath()) {
          // The sample project before any run was saved in it (or with its settings lost):
          // show the bundled sample data rather than an empty window.
          openSampleData();
        }
        emit projectOpened(path);
      },
      [this, path](const QString& e) {
        showError(tr("Cannot open project %1").arg(QFileInfo(path).fileName()), e);
        emit projectFailed(e);
      });
  projectReadTasks_.insert(readTask);
}

// Stored runs come back with metrics, per-user vectors and models, but without the training
// data their users and items index into. Rebuild it from the current data with each run's own
// stored spec (same preparation and split), and attach it when the fingerprint and split hash
// match what was recorded; then the Users view, slices and export work on them as on new runs.
void MainWindow::restoreProjectRuns() {
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
            ++n;
            session_->notifyRunChanged(run->id);
            break;
          }
        }
        if (n > 0) log_->info(tr("%n stored run(s) reconnected to their training data.", "", n));
        emit projectRunsRestored(n);
      });
}

bool MainWindow::openStartupProject() {
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
  if (!newProject(path).isEmpty()) return openSampleData();
  return openSampleData();
}

void MainWindow::onTaskStarted(int id, const QString& label) {
  auto* w = new QWidget(taskArea_);
  auto* l = new QHBoxLayout(w);
  l->setContentsMargins(4, 0, 4, 0);
  auto* text = new QLabel(label, w);
  text->setMaximumWidth(220);
  auto* bar = new QProgressBar(w);
  bar->setObjectName("bar");
  bar->setRange(0, 1000);
  bar->setMaximumWidth(120);
  bar->setMaximumHeight(14);
  bar->setTextVisible(false);
  auto* stop = new QToolButton(w);
  stop->setText(QStringLiteral("\u2715"));
  stop->setToolTip(tr("Cancel %1").arg(label));
  stop->setAutoRaise(true);
  connect(stop, &QToolButton::clicked, runner_, [this, id] { runner_->cancel(id); });
  l->addWidget(text);
  l->addWidget(bar);
  l->addWidget(stop);
  w->setToolTip(label);
  taskLayout_->addWidget(w);
  indicators_[id] = w;
}

void MainWindow::onTaskProgress(int id, double fraction, const QString& stage) {
  auto it = indicators_.find(id);
  if (it == indicators_.end()) return;
  if (auto* bar = it->second->findChild<QProgressBar*>("bar")) {
    bar->setValue(static_cast<int>(fraction * 1000));
  }
  const TaskInfo* info = runner_->info(id);
  QString tip = info ? info->label : QString();
  if (!stage.isEmpty()) tip += QStringLiteral("\n") + stage;
  if (info && info->etaSeconds() >= 0)
    tip += tr("\nabout %1 s left").arg(qRound(info->etaSeconds()));
  it->second->setToolTip(tip);
}

void MainWindow::onTaskFinished(int id, int status, const QString& message) {
  auto it = indicators_.find(id);
  if (it != indicators_.end()) {
    it->second->deleteLater();
    indicators_.erase(it);
  }
  if (static_cast<TaskStatus>(status) == TaskStatus::kCancelled) {
    log_->info(tr("Task %1 cancelled.").arg(id));
  } else if (static_cast<TaskStatus>(status) == TaskStatus::kFailed) {
    log_->error(tr("Task %1 failed: %2").arg(id).arg(message));
  }
}

void MainWindow::closeEvent(QCloseEvent* event) {
  const int running = runner_->runningCount();
  if (running > 0) {
    bool ok = false;
    if (confirmClose_) {
      ok = confirmClose_(running);
    } else {
      ok = QMessageBox::question(this, tr("Work in progress"),
                                 tr("%n task(s) still running. Cancel them and quit?", "", running),
                                 QMessageBox::Yes | QMessageBox::No,
                                 QMessageBox::No) == QMessageBox::Yes;
    }
    if (!ok) {
      event->ignore();
      return;
    }
    runner_->cancelAll();
    runner_->waitForAll();
  }
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) {
    for (const QUrl& u : event->mimeData()->urls()) {
      if (u.isLocalFile()) {
        event->acceptProposedAction();
        return;
      }
    }
  }
}

void MainWindow::dropEvent(QDropEvent* event) {
  for (const QUrl& u : event->mimeData()->urls()) {
    if (u.isLocalFile()) {
      event->acceptProposedAction();
      const QString path = u.toLocalFile();
      // Open the dialog after the drop returns, so the drag source is not kept waiting.
      QMetaObject::invokeMethod(
          this, [this, path] { importData(path); }, Qt::QueuedConnection);
      return;
    }
  }
}

}  // namespace rwb::ui
