#include "ui/main_window.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolButton>

#include "ui/compare_view.h"
#include "ui/data_view.h"
#include "ui/experiment_view.h"
#include "ui/import_dialog.h"
#include "ui/log_pane.h"
#include "ui/session.h"
#include "ui/task_runner.h"
#include "ui/users_view.h"

namespace rwb::ui {

namespace {
constexpr int kMaxRecent = 8;

/// The result of a load task: the dataset plus its report.
struct Loaded {
  std::shared_ptr<Dataset> data;
  LoadResult report;
};
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
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  updateRecentMenu();
  log_->info(tr("RecWorkbench started; %1 worker threads.").arg(runner_->pool()->maxThreadCount()));
}

MainWindow::~MainWindow() {
  runner_->cancelAll();
  runner_->waitForAll();
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
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
  file->addAction(tr("&Save Spec As..."), QKeySequence::SaveAs, experiment_,
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
  const QString file = defaultDataFile(dir);
  if (file == dir) return false;
  DelimitedOptions o;
  o.strict = false;
  loadData(file, o);
  return true;
}

void MainWindow::importData(const QString& path) {
  ImportDialog dialog(path, this);
  if (dialog.exec() != QDialog::Accepted) return;
  loadData(dialog.filePath(), dialog.options());
}

void MainWindow::loadData(const QString& path, const DelimitedOptions& options) {
  const QString file = defaultDataFile(path);
  const std::string p = file.toStdString();
  QFileInfo fi(file);
  const std::string name = (fi.fileName() == QStringLiteral("u.data") ||
                                    fi.fileName().startsWith(QStringLiteral("train"))
                                ? fi.dir().dirName()
                                : fi.completeBaseName())
                               .toStdString();
  log_->info(tr("Loading %1 ...").arg(file));
  statusText_->setText(tr("Loading %1 ...").arg(fi.fileName()));
  runner_->start<Loaded>(
      tr("Loading %1").arg(fi.fileName()),
      [p, options, name](TaskContext& ctx) {
        Loaded out;
        out.report = loadDelimited(p, options, ctx);
        out.data = std::make_shared<Dataset>(std::move(out.report.dataset));
        out.data->name = name;
        return out;
      },
      this,
      [this, file, options](Loaded l) {
        const auto data = l.data;
        log_->info(tr("Loaded %1: %L2 users, %L3 items, %L4 interactions (%L5 rows skipped).")
                       .arg(file)
                       .arg(data->numUsers())
                       .arg(data->numItems())
                       .arg(data->numInteractions())
                       .arg(l.report.rowsSkipped()));
        statusText_->setText(tr("%1: %L2 interactions")
                                 .arg(QString::fromStdString(data->name))
                                 .arg(data->numInteractions()));
        session_->setSourceSpec(datasetSourceJson(file, options));
        session_->setDataset(std::const_pointer_cast<const Dataset>(data), std::move(l.report),
                             file);
        addRecent(file);
        setWindowTitle(tr("%1 - RecWorkbench").arg(QString::fromStdString(data->name)));
        // A recsplit-style folder holds its own held-out test file: offer it as the test set.
        QFileInfo fi(file);
        if (fi.fileName().startsWith(QStringLiteral("train"))) {
          const QString test =
              fi.dir().filePath(fi.fileName().replace(0, 5, QStringLiteral("test")));
          if (QFileInfo::exists(test)) {
            DelimitedOptions o;
            o.strict = false;
            loadTestSet(test, o);
          }
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
  const std::string p = path.toStdString();
  runner_->start<Loaded>(
      tr("Loading test set %1").arg(QFileInfo(path).fileName()),
      [p, options, base](TaskContext& ctx) {
        Loaded out;
        out.report = loadDelimited(p, options, ctx, base.get());
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
        session_->setTestSet(std::const_pointer_cast<const Dataset>(l.data), path);
      },
      [this, path](const QString& e) { showError(tr("Cannot load test set %1").arg(path), e); });
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
