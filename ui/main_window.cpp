#include "ui/main_window.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QUrl>
#include <QVBoxLayout>

#include "core/util/connection_string.h"
#include "ui/compare_view.h"
#include "ui/data_controller.h"
#include "ui/data_view.h"
#include "ui/database_dialog.h"
#include "ui/experiment_view.h"
#include "ui/import_dialog.h"
#include "ui/log_pane.h"
#include "ui/project_controller.h"
#include "ui/run_actions.h"
#include "ui/session.h"
#include "ui/start_guide.h"
#include "ui/table_dialog.h"
#include "ui/task_indicators.h"
#include "ui/task_runner.h"
#include "ui/users_view.h"

namespace rwb::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setObjectName("MainWindow");
  setWindowTitle(tr("RecWorkbench"));
  setAcceptDrops(true);
  session_ = new Session(this);
  runner_ = new TaskRunner(this);
  dataController_ = new DataController(session_, runner_, this);
  projects_ = new ProjectController(session_, runner_, dataController_, this);
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
  auto* central = new QWidget(this);
  auto* centralLayout = new QVBoxLayout(central);
  centralLayout->setContentsMargins(0, 0, 0, 0);
  centralLayout->setSpacing(2);
  guide_ = new StartGuide(central);
  centralLayout->addWidget(guide_);
  centralLayout->addWidget(tabs_, 1);
  setCentralWidget(central);
  openUrl_ = [](const QUrl& url) { return QDesktopServices::openUrl(url); };

  statusText_ = new QLabel(tr("Ready"), this);
  statusBar()->addWidget(statusText_, 1);
  tasks_ = new TaskIndicators(runner_, this);
  statusBar()->addPermanentWidget(tasks_);

  wireControllers();
  buildMenus();
  QSettings settings;
  resize(1400, 900);
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  // The log is a strip under the views unless the user made it taller (saved state).
  resizeDocks({log_}, {120}, Qt::Vertical);
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  updateRecentMenu();
  updateRecentProjectsMenu();
  log_->info(tr("RecWorkbench started; %1 worker threads.").arg(runner_->pool()->maxThreadCount()));
}

MainWindow::~MainWindow() {
  runner_->cancelAll();
  runner_->waitForAll();
}

QString MainWindow::helpDocument(const QString& relativePath) {
  const QString path = QDir(QStringLiteral(RWB_DOCS_ROOT)).filePath(relativePath);
  return QFileInfo::exists(path) ? path : QString();
}

void MainWindow::openHelp(const QString& relativePath) {
  const QString path = helpDocument(relativePath);
  if (path.isEmpty()) {
    showError(tr("Help"), tr("%1 is not installed with this build (it is in the source "
                             "repository).")
                              .arg(relativePath));
    return;
  }
  if (!openUrl_(QUrl::fromLocalFile(path))) {
    showError(tr("Help"), tr("No application could open %1.").arg(path));
  }
}

void MainWindow::updateGuide() {
  int done = 0;
  for (const auto& r : session_->runs()) done += r.done() ? 1 : 0;
  const bool data = session_->dataset() != nullptr;
  if (tabs_->currentWidget() == experiment_ && data) splitSeen_ = true;
  if (tabs_->currentWidget() == compare_ && done >= StartGuide::guideModels().size()) {
    compareSeen_ = true;
  }
  guide_->setProgress(data, splitSeen_, done, compareSeen_);
}

void MainWindow::doGuideStep(int step) {
  switch (static_cast<StartGuide::Step>(step)) {
    case StartGuide::kLoad:
      if (!openSampleData()) {
        showError(tr("Sample data"), tr("The bundled sample data (sample-data/) is missing: "
                                        "import a data file instead (File > Import Data)."));
      }
      break;
    case StartGuide::kSplit:
      tabs_->setCurrentWidget(experiment_);
      break;
    case StartGuide::kRun: {
      // The editor's spec (split, metrics) with the guide's three models.
      nlohmann::json spec = experiment_->spec();
      spec["models"] = nlohmann::json::array();
      for (const QString& m : StartGuide::guideModels()) {
        spec["models"].push_back({{"name", m.toStdString()}});
      }
      const QString err = experiment_->setSpec(spec);
      if (!err.isEmpty()) {
        showError(tr("Start here"), err);
        break;
      }
      tabs_->setCurrentWidget(experiment_);
      experiment_->runAll();
      break;
    }
    case StartGuide::kCompare:
      tabs_->setCurrentWidget(compare_);
      break;
    case StartGuide::kDone:
      break;
  }
  updateGuide();
}

void MainWindow::wireControllers() {
  guide_->setVisible(!QSettings().value(QStringLiteral("startGuide/hidden"), false).toBool());
  connect(guide_, &StartGuide::dismissed, this,
          [] { QSettings().setValue(QStringLiteral("startGuide/hidden"), true); });
  connect(guide_, &StartGuide::stepRequested, this,
          [this](StartGuide::Step step) { doGuideStep(step); });
  connect(tabs_, &QTabWidget::currentChanged, this, &MainWindow::updateGuide);
  connect(session_, &Session::runChanged, this, &MainWindow::updateGuide);
  connect(session_, &Session::runAdded, this, &MainWindow::updateGuide);
  connect(session_, &Session::runsCleared, this, &MainWindow::updateGuide);
  connect(session_, &Session::datasetChanged, this, &MainWindow::updateGuide);

  connect(tasks_, &TaskIndicators::logMessage, log_, &LogPane::info);
  connect(tasks_, &TaskIndicators::logError, log_, &LogPane::error);
  connect(experiment_, &ExperimentView::logMessage, log_, &LogPane::info);
  connect(experiment_, &ExperimentView::loadDataRequested, dataController_,
          &DataController::loadSource);
  connect(experiment_, &ExperimentView::errorMessage, this,
          [this](const QString& m) { showError(tr("Run failed"), m); });
  connect(compare_, &CompareView::logMessage, log_, &LogPane::info);
  connect(compare_, &CompareView::errorMessage, this,
          [this](const QString& m) { showError(tr("Compare"), m); });
  connect(compare_->actions(), &RunActions::reportWritten, this,
          [this](const QString& path, const QString& e) {
            if (!e.isEmpty())
              showError(tr("Report failed"), e);
            else
              statusText_->setText(tr("Report written to %1").arg(path));
          });

  connect(dataController_, &DataController::logMessage, log_, &LogPane::info);
  connect(dataController_, &DataController::status, statusText_, &QLabel::setText);
  connect(dataController_, &DataController::errorMessage, this, &MainWindow::showError);
  connect(dataController_, &DataController::recentFilesChanged, this,
          &MainWindow::updateRecentMenu);
  connect(dataController_, &DataController::datasetLoaded, this, &MainWindow::updateTitle);
  connect(dataController_, &DataController::datasetLoaded, this, &MainWindow::datasetLoaded);
  connect(dataController_, &DataController::loadFailed, this, &MainWindow::loadFailed);

  projects_->setSpecHooks(
      [this] { return experiment_->spec(); },
      [this](const nlohmann::json& spec) { return experiment_->setSpec(spec); });
  connect(projects_, &ProjectController::logMessage, log_, &LogPane::info);
  connect(projects_, &ProjectController::logError, log_, &LogPane::error);
  connect(projects_, &ProjectController::errorMessage, this, &MainWindow::showError);
  connect(projects_, &ProjectController::recentProjectsChanged, this,
          &MainWindow::updateRecentProjectsMenu);
  connect(projects_, &ProjectController::opened, this, &MainWindow::projectOpened);
  connect(projects_, &ProjectController::failed, this, &MainWindow::projectFailed);
  connect(projects_, &ProjectController::runsRestored, this, &MainWindow::projectRunsRestored);
  connect(projects_, &ProjectController::externalRunsAdded, this, &MainWindow::externalRunsAdded);
  connect(projects_, &ProjectController::ownProjectCreated, this, [this](const QString& path) {
    statusText_->setText(tr("The new data has its own project: %1").arg(path));
  });
  connect(session_, &Session::projectChanged, this, &MainWindow::updateTitle);
}

void MainWindow::updateTitle() {
  const QString p = session_->projectPath();
  const auto data = session_->dataset();
  if (!p.isEmpty()) {
    setWindowTitle(tr("%1 - RecWorkbench").arg(QFileInfo(p).completeBaseName()));
  } else if (data) {
    setWindowTitle(tr("%1 - RecWorkbench").arg(QString::fromStdString(data->name)));
  } else {
    setWindowTitle(tr("RecWorkbench"));
  }
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
  auto* save = file->addAction(tr("&Save Project"), QKeySequence::Save, this, [this] {
    const QString err = saveProject();
    if (!err.isEmpty()) showError(tr("Cannot save the project"), err);
  });
  save->setObjectName("saveProject");
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
  file->addAction(tr("Export &Champion..."), this, [this] {
    const int id = compare_->actions()->currentChampion();
    const SessionRun* r = id ? session_->run(id) : nullptr;
    if (r == nullptr) {
      showError(tr("No champion"), tr("Mark a run as champion in Compare first."));
      return;
    }
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export the champion"), QString::fromStdString(r->record.model) + ".rwbm",
        tr("RecWorkbench model package (*.rwbm)"));
    if (path.isEmpty()) return;
    const QString err = exportChampion(path);
    if (!err.isEmpty()) showError(tr("Export failed"), err);
  });
  file->addAction(tr("Export &Report..."), this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Write the comparison report"),
                                     QStringLiteral("report.html"), tr("HTML (*.html)"));
    if (!path.isEmpty()) exportReport(path);
  });
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
  file->addAction(tr("Open from &Database..."), this, [this] { openDatabase(); });
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
  run->addSeparator();
  run->addAction(tr("Compare Run &Configurations"), this, [this] {
    tabs_->setCurrentWidget(compare_);
    compare_->showDiff();
  });
  run->addAction(tr("Champion &History..."), this, [this] { showChampionHistory(); });

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
  help->addAction(tr("&Start Here"), this, [this] {
    QSettings().setValue(QStringLiteral("startGuide/hidden"), false);
    guide_->show();
    updateGuide();
  });
  help->addAction(tr("&Workbench Guide (docs/gui.md)"), QKeySequence::HelpContents, this,
                  [this] { openHelp(QStringLiteral("docs/gui.md")); });
  help->addAction(tr("&README"), this, [this] { openHelp(QStringLiteral("README.md")); });
  help->addAction(tr("&Metrics (docs/metrics.md)"), this,
                  [this] { openHelp(QStringLiteral("docs/metrics.md")); });
  help->addAction(tr("&Command Line (docs/cli.md)"), this,
                  [this] { openHelp(QStringLiteral("docs/cli.md")); });
  help->addSeparator();
  help->addAction(tr("&About RecWorkbench"), this, [this] {
    QMessageBox::about(this, tr("About RecWorkbench"),
                       tr("<b>RecWorkbench</b><br>A workbench for building, comparing and "
                          "inspecting recommendation models. The same engine runs headless as "
                          "<tt>recwb</tt>."));
  });
}

QStringList MainWindow::recentFiles() const { return dataController_->recentFiles(); }

void MainWindow::updateRecentMenu() {
  recentMenu_->clear();
  const QStringList list = recentFiles();
  for (int i = 0; i < list.size(); ++i) {
    const QString path = list[i];
    recentMenu_->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(path), this, [this, path] {
      if (databaseKind(path.toStdString()) != DatabaseKind::kNone) {
        openDatabase(path);
      } else {
        importData(path);
      }
    });
  }
  recentMenu_->setEnabled(!list.isEmpty());
  if (!list.isEmpty()) {
    recentMenu_->addSeparator();
    recentMenu_->addAction(tr("Clear List"), dataController_, &DataController::clearRecentFiles);
  }
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

void MainWindow::showError(const QString& title, const QString& message) {
  log_->error(title + QStringLiteral(": ") + message);
  if (!quiet_) QMessageBox::warning(this, title, message);
}

void MainWindow::importData(const QString& path) {
  ImportDialog dialog(path, this);
  if (dialog.exec() != QDialog::Accepted) return;
  // A folder stays a folder: its layout brings the attribute files along.
  loadData(QFileInfo(path).isDir() ? path : dialog.filePath(), dialog.options());
}

void MainWindow::openDatabase(const QString& source) {
  DatabaseDialog dialog(source, this);
  if (dialog.exec() != QDialog::Accepted) return;
  dataController_->loadDatabase(dialog.source(), dialog.password(), dialog.options());
}

void MainWindow::loadData(const QString& path, const DatasetOptions& options) {
  dataController_->loadData(path, options);
}
void MainWindow::loadTestSet(const QString& path, const DelimitedOptions& options) {
  dataController_->loadTestSet(path, options);
}
void MainWindow::loadSource(const nlohmann::json& source, const QString& testPath) {
  dataController_->loadSource(source, testPath);
}
QString MainWindow::defaultDataFile(const QString& path) {
  return DataController::defaultDataFile(path);
}
bool MainWindow::openSampleData() { return dataController_->openSampleData(); }

QString MainWindow::newProject(const QString& path) { return projects_->newProject(path); }
void MainWindow::openProject(const QString& path) { projects_->openProject(path); }
QString MainWindow::saveProjectAs(const QString& path) { return projects_->saveProjectAs(path); }
bool MainWindow::openStartupProject() { return projects_->openStartupProject(); }

QString MainWindow::saveProject() {
  if (session_->projectPath().isEmpty()) {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save project"), "project.rwbproj",
                                                      tr("RecWorkbench project (*.rwbproj)"));
    return path.isEmpty() ? QString() : newProject(path);
  }
  return projects_->saveProject();
}

QDialog* MainWindow::showChampionHistory() {
  std::vector<QStringList> rows;
  for (const auto& e : compare_->actions()->championHistory()) {
    rows.push_back({QString::fromStdString(e.since),
                    QStringLiteral("%1 #%2").arg(QString::fromStdString(e.runName)).arg(e.runId),
                    QString::fromStdString(e.datasetFingerprint),
                    QString::fromStdString(e.splitHash)});
  }
  auto* d =
      new TableDialog(tr("Champion history"),
                      rows.empty() ? tr("No champion was marked in this project yet.")
                                   : tr("Who was champion when, per dataset and split "
                                        "(newest last)."),
                      {tr("since (UTC)"), tr("run"), tr("dataset"), tr("split hash")}, rows, this);
  d->setAttribute(Qt::WA_DeleteOnClose);
  d->open();
  return d;
}

QString MainWindow::exportChampion(const QString& path) {
  const int id = compare_->actions()->currentChampion();
  if (id == 0) return tr("no champion on the compared split: mark one in Compare first");
  if (!compare_->exportRun(path, id)) return tr("the champion has not finished");
  return {};
}

void MainWindow::exportReport(const QString& path) {
  compare_->actions()->writeReport(compare_->shownRuns(), path);
}
QString MainWindow::defaultProjectPath() { return ProjectController::defaultProjectPath(); }
QStringList MainWindow::recentProjects() const { return projects_->recentProjects(); }
void MainWindow::setProjectWatchInterval(int ms) { projects_->setWatchInterval(ms); }

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
