// GUI tests of the workbench (QtTest, offscreen platform). Run from the source root so that
// ../shared/data resolves; tests that need it skip when it is absent.
#include <sqlite3.h>

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QMenuBar>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolButton>
#include <QtTest>
#include <algorithm>
#include <atomic>
#include <fstream>
#include <numeric>
#include <random>
#include <thread>

#include "core/data/dataset_options_json.h"
#include "core/data/dataset_summary.h"
#include "core/eval/metric.h"
#include "core/experiment/evaluation_protocol.h"
#include "core/experiment/experiment_spec.h"
#include "core/experiment/pipeline_stages.h"
#include "core/export/model_package.h"
#include "core/models/registry.h"
#include "core/prep/prep_spec.h"
#include "core/prep/splitter.h"
#include "core/store/project_store.h"
#include "ui/chart_view.h"
#include "ui/compare_view.h"
#include "ui/curves_page.h"
#include "ui/data_view.h"
#include "ui/experiment_view.h"
#include "ui/import_dialog.h"
#include "ui/log_pane.h"
#include "ui/main_window.h"
#include "ui/metric_at_k_page.h"
#include "ui/metric_info.h"
#include "ui/param_form.h"
#include "ui/run_actions.h"
#include "ui/run_engine.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/significance_page.h"
#include "ui/start_guide.h"
#include "ui/stored_runs.h"
#include "ui/table_dialog.h"
#include "ui/table_view.h"
#include "ui/task_indicators.h"
#include "ui/task_runner.h"
#include "ui/users_view.h"

using namespace rwb;
using namespace rwb::ui;

namespace {

QString sharedData() {
  // RWB_SHARED_DATA names it where the source tree is not beside it (a worktree).
  QString dir = qEnvironmentVariable("RWB_SHARED_DATA");
  if (dir.isEmpty()) dir = QDir(QStringLiteral(RWB_SOURCE_DIR)).filePath("../shared/data");
  return QFileInfo(dir + "/ml-100k/u.data").exists() ? QDir(dir).canonicalPath() : QString();
}

/// A synthetic dataset big enough that fitting takes a noticeable time (seconds in Release).
std::shared_ptr<const Dataset> bigDataset(std::size_t n) {
  auto d = std::make_shared<Dataset>();
  d->name = "synthetic";
  std::mt19937 rng(7);
  const int users = 200000, items = 50000;
  for (int u = 0; u < users; ++u) d->users.intern(std::to_string(u));
  for (int i = 0; i < items; ++i) d->items.intern(std::to_string(i));
  d->interactions.reserve(n);
  std::uniform_int_distribution<int> uu(0, users - 1);
  for (std::size_t k = 0; k < n; ++k) {
    // A skewed item distribution: the square of a uniform draw favours low indices.
    const double r = std::uniform_real_distribution<double>(0, 1)(rng);
    d->interactions.push(static_cast<Index>(uu(rng)), static_cast<Index>(r * r * (items - 1)), 1.0f,
                         1000000000 + static_cast<std::int64_t>(k));
  }
  return d;
}

bool waitFor(const std::function<bool()>& cond, int ms) {
  QElapsedTimer t;
  t.start();
  while (!cond()) {
    if (t.elapsed() > ms) return false;
    QTest::qWait(10);  // processes events and sleeps: a bare processEvents loop spins a core
  }
  return true;
}

bool hasSampleData() { return QFileInfo(QStringLiteral(RWB_SAMPLE_DATA_DIR)).isDir(); }

/// Runs the recwb CLI (built beside the tests); returns its exit code, output in `out`.
int recwb(const QStringList& args, QString* out = nullptr) {
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(QStringLiteral(RWB_RECWB), args);
  if (!p.waitForFinished(300000)) return -1;
  if (out) *out = QString::fromUtf8(p.readAll());
  return p.exitCode();
}

/// Every meta entry and blob of a model package, without the creation time and the checksum
/// over it (the only entries two exports of the same run may differ in: docs/export.md).
std::map<std::string, std::string> packageContent(const QString& file) {
  std::map<std::string, std::string> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  for (const char* sql :
       {"SELECT 'meta:' || key, value FROM meta", "SELECT 'blob:' || name, data FROM blobs"}) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW) {
      const std::string key = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(s, 1));
      out[key] =
          std::string(bytes ? bytes : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 1)));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  out.erase("meta:created_at");
  out.erase("meta:checksum");
  return out;
}

/// The first column of the first row of a query on a project file (-1 on error).
int sqlCount(const QString& file, const char* sql) {
  sqlite3* db = nullptr;
  int n = -1;
  if (sqlite3_open_v2(file.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
      n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return n;
}

/// Loads the bundled sample folder into w and waits for it.
bool loadSample(MainWindow& w) {
  QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
  if (!w.openSampleData()) return false;
  return loaded.wait(60000);
}

/// Adds models to the experiment view, runs all of its models and waits until they end; true
/// when all are done.
bool runModels(MainWindow& w, const QStringList& models, int timeoutMs = 180000) {
  ExperimentView* ev = w.experimentView();
  for (const QString& m : models) {
    if (!ev->addModel(m)) return false;
  }
  QSignalSpy finished(ev, &ExperimentView::runFinished);
  const int before = static_cast<int>(w.session()->runs().size());
  ev->runAll();
  // Every model of the editor runs (those added by earlier calls too).
  const int started = static_cast<int>(w.session()->runs().size()) - before;
  if (!waitFor([&] { return finished.count() >= started; }, timeoutMs)) return false;
  for (std::size_t i = static_cast<std::size_t>(before); i < w.session()->runs().size(); ++i) {
    const auto& r = w.session()->runs()[i];
    if (!r.done()) {
      qWarning("%s: %s %s", qPrintable(r.displayName), qPrintable(r.stateName()),
               r.record.error.c_str());
      return false;
    }
  }
  return true;
}

/// A small time-stamped dataset (300 users, 120 items, 12,000 interactions): runs take
/// well under a second.
std::shared_ptr<const Dataset> smallDataset() {
  auto d = std::make_shared<Dataset>();
  d->name = "small";
  std::mt19937 rng(11);
  for (int u = 0; u < 300; ++u) d->users.intern("u" + std::to_string(u));
  for (int i = 0; i < 120; ++i) d->items.intern("i" + std::to_string(i));
  std::uniform_int_distribution<int> uu(0, 299);
  std::uniform_real_distribution<double> r01(0, 1);
  for (int k = 0; k < 12000; ++k) {
    const double r = r01(rng);
    d->interactions.push(static_cast<Index>(uu(rng)), static_cast<Index>(r * r * 119), 1.0f,
                         1000000000 + static_cast<std::int64_t>(k) * 3600);
  }
  return d;
}

/// A finished session run as the runner would report it: `users` evaluated users with the
/// given nDCG@10 values, on the split with hash `splitHash`.
SessionRun finishedRun(const std::string& name, const std::string& splitHash,
                       const std::vector<double>& ndcg, const QString& dataset) {
  rwb::RunRecord rec;
  rec.name = name;
  rec.model = "most_popular";
  rec.status = RunStatus::kOk;
  rec.splitHash = splitHash;
  for (std::size_t u = 0; u < ndcg.size(); ++u) rec.evaluatedUsers.push_back(static_cast<Index>(u));
  rec.perUser["ndcg@10"] = ndcg;
  rec.metrics["ndcg@10"] = std::accumulate(ndcg.begin(), ndcg.end(), 0.0) / ndcg.size();
  SessionRun run;
  run.state = RunState::kDone;
  run.evaluation = evaluationOf(rec);
  run.record = std::move(rec);
  run.displayName = QString::fromStdString(name);
  run.dataset = dataset;
  return run;
}
}  // namespace

class GuiTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
  }

  /// Gap 5: a RecWorkbench folder loads with its attribute tables (items.csv, users.csv).
  void sampleFolderLoadsAttributes() {
    if (!hasSampleData()) QSKIP("sample-data/ not generated yet");
    MainWindow w;
    w.setQuiet(true);
    QVERIFY(loadSample(w));
    auto d = w.session()->dataset();
    QCOMPARE(d->numInteractions(), std::size_t{100000});
    QCOMPARE(d->itemAttributes.columns.size(), std::size_t{4});  // category brand price description
    QCOMPARE(d->userAttributes.columns.size(), std::size_t{3});  // segment age_band region
    QCOMPARE(QString::fromStdString(w.session()->sourceSpec().value("format", std::string())),
             QStringLiteral("auto"));
    QVERIFY(QFileInfo(w.session()->datasetPath()).isDir());
  }

  /// Gap 1: first start creates the default project over the sample data; New / Save As /
  /// Open / recent projects; runs made in the GUI are in the project file, and runs made by
  /// `recwb run --project` appear in the GUI with identical numbers.
  void projectsHoldGuiAndCliRuns() {
    if (!hasSampleData()) QSKIP("sample-data/ not generated yet");
    QTemporaryDir dir;
    QSettings().clear();
    QFile::remove(MainWindow::defaultProjectPath());  // a first start, whatever ran before
    QString cliSpec, projectB, guiNdcgText;
    double guiNdcg = 0.0;
    std::map<std::string, double> guiMetrics;
    {
      MainWindow w;
      w.setQuiet(true);
      QSignalSpy opened(&w, &MainWindow::projectOpened);
      QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
      QVERIFY(w.openStartupProject());
      QVERIFY(loaded.wait(60000));
      QCOMPARE(w.session()->projectPath(), MainWindow::defaultProjectPath());
      QVERIFY(QFileInfo::exists(MainWindow::defaultProjectPath()));
      QCOMPARE(w.recentProjects().value(0), MainWindow::defaultProjectPath());

      const QString projectA = dir.filePath("a.rwbproj");
      QCOMPARE(w.newProject(projectA), QString());
      QCOMPARE(w.session()->projectPath(), projectA);
      QVERIFY(runModels(w, {"most_popular"}));
      const auto& run = w.session()->runs().back();
      QVERIFY(run.storeId > 0);
      guiMetrics.clear();
      guiMetrics = run.record.metrics;
      guiNdcg = run.record.metrics.at("ndcg@10");
      // The CLI lists the GUI's run.
      QString out;
      QCOMPARE(recwb({"runs", "--project", projectA, "list"}, &out), 0);
      QVERIFY2(out.contains("most_popular"), qPrintable(out));
      // The spec the GUI ran, for the CLI to run into another project.
      cliSpec = dir.filePath("spec.json");
      QCOMPARE(w.experimentView()->saveSpec(cliSpec), QString());

      projectB = dir.filePath("b.rwbproj");
      QCOMPARE(w.saveProjectAs(projectB), QString());
      QCOMPARE(w.session()->projectPath(), projectB);
      QCOMPARE(w.recentProjects().value(0), projectB);
      QCOMPARE(w.recentProjects().value(1), projectA);
      QCOMPARE(ProjectStore(projectB.toStdString(), false).countRuns(), std::int64_t{1});
    }
    QString out;
    QCOMPARE(recwb({"run", cliSpec, "--project", projectB, "--out", dir.path()}, &out), 0);
    QCOMPARE(ProjectStore(projectB.toStdString(), false).countRuns(), std::int64_t{2});

    MainWindow w;
    w.setQuiet(true);
    QSignalSpy opened(&w, &MainWindow::projectOpened);
    QSignalSpy restored(&w, &MainWindow::projectRunsRestored);
    // Last project of the previous window.
    QVERIFY(w.openStartupProject());
    QVERIFY(opened.wait(60000));
    QCOMPARE(w.session()->projectPath(), projectB);
    QCOMPARE(static_cast<int>(w.session()->runs().size()), 2);
    const auto& gui = w.session()->runs()[0];
    const auto& cli = w.session()->runs()[1];
    // One engine: the CLI's run of the GUI's spec has the GUI run's numbers exactly.
    QCOMPARE(gui.record.datasetFingerprint, cli.record.datasetFingerprint);
    QCOMPARE(gui.record.splitHash, cli.record.splitHash);
    for (const auto& [k, v] : guiMetrics) {
      if (k == "catalog_coverage" || k == "novelty") continue;  // GUI-only display figures
      QVERIFY2(cli.record.metrics.count(k), k.c_str());
      QCOMPARE(cli.record.metrics.at(k), v);
    }
    QCOMPARE(cli.record.perUser, gui.record.perUser);
    QVERIFY(cli.metric("ndcg@10")->hasCi);
    QCOMPARE(gui.record.metrics.at("ndcg@10"), guiNdcg);
    QVERIFY(cli.record.fitted != nullptr);
    // Both stored runs get their training data back from the project's data.
    QVERIFY(restored.wait(120000) || restored.count() > 0);
    QCOMPARE(restored.last().first().toInt(), 2);
    QVERIFY(w.session()->runs()[1].train != nullptr);
    QVERIFY(!w.session()->runs()[1].record.recommendations.empty());
    UsersView* uv = w.usersView();
    w.tabs()->setCurrentWidget(uv);
    QVERIFY(uv->showUser("U00001"));
    QCOMPARE(uv->listRows(0), 10);
    QCOMPARE(uv->listRows(1), 10);
    // A run the CLI records while the project is open appears without a reload, once, with
    // its data reconnected.
    w.setProjectWatchInterval(200);
    QSignalSpy external(&w, &MainWindow::externalRunsAdded);
    QCOMPARE(recwb({"run", cliSpec, "--project", projectB, "--out", dir.path()}, &out), 0);
    QVERIFY(external.wait(30000));
    QCOMPARE(external.first().first().toInt(), 1);
    QCOMPARE(static_cast<int>(w.session()->runs().size()), 3);
    QCOMPARE(w.session()->runs()[2].storeId,
             ProjectStore(projectB.toStdString(), false).listRuns().front().id);
    QCOMPARE(w.session()->runs()[2].record.perUser, w.session()->runs()[0].record.perUser);
    QVERIFY(waitFor([&] { return w.session()->runs()[2].train != nullptr; }, 60000));
    QTest::qWait(600);  // further checks find nothing new
    QCOMPARE(external.count(), 1);
    QCOMPARE(static_cast<int>(w.session()->runs().size()), 3);
    // Opening a missing project fails with the store's text, and keeps the current one.
    QSignalSpy failed(&w, &MainWindow::projectFailed);
    w.openProject(dir.filePath("missing.rwbproj"));
    QVERIFY(failed.wait(10000));
    QVERIFY(failed.first().first().toString().contains("missing.rwbproj"));
    QCOMPARE(w.session()->projectPath(), projectB);
  }

  /// Gaps 3, 4, 6: on the sample data, an engagement model and a CF model: Compare defaults to
  /// nDCG, shows slices, calibration and importance; Users explains items both ways and lists
  /// an item's similar items; Export writes what `recwb export --project` writes.
  void compareUsersAndExportOnSampleProject() {
    if (!hasSampleData()) QSKIP("sample-data/ not generated yet");
    QTemporaryDir dir;
    MainWindow w;
    w.setQuiet(true);
    w.show();
    QVERIFY(loadSample(w));
    const QString project = dir.filePath("p.rwbproj");
    QCOMPARE(w.newProject(project), QString());
    QVERIFY(runModels(w, {"itemknn", "logistic_regression"}));

    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->refresh();
    QCOMPARE(cv->findChild<QComboBox*>("metric")->currentText(), QStringLiteral("ndcg@10"));
    QVERIFY(waitFor([&] { return cv->sliceValues().size() == 2; }, 60000));
    for (const auto& [run, slices] : cv->sliceValues()) {
      QVERIFY2(slices.count("users: cold") || slices.count("users: light"), qPrintable(run));
      QVERIFY2(slices.count("items: head"), qPrintable(run));
      QVERIFY2(slices.count("items: tail"), qPrintable(run));
      for (const auto& [name, v] : slices) QVERIFY(v >= 0.0 && v <= 1.0);
    }
    QVERIFY(waitFor([&] { return cv->calibrationRuns() == 1; }, 60000));
    QVERIFY(cv->calibrationChart()->graphCount() == 2);  // the diagonal and the LR run
    cv->selectRun(w.session()->runs()[1].id);
    QVERIFY(cv->importanceFeatures() > 0);
    QVERIFY(cv->importanceChart()->plottableCount() == 1);
    QVERIFY(waitFor([&] { return cv->charts()[3]->plottableCount() == 1; }, 30000));

    UsersView* uv = w.usersView();
    w.tabs()->setCurrentWidget(uv);
    QVERIFY(uv->showUser("U00002"));
    uv->setPanelRun(0, w.session()->runs()[0].id);  // itemknn
    uv->setPanelRun(1, w.session()->runs()[1].id);  // logistic_regression
    QCOMPARE(uv->listRows(1), 10);
    // The LR run explains with signed feature contributions that add up to its output.
    const auto& lr = w.session()->runs()[1];
    const Index u = *lr.train->users.find("U00002");
    const RecList recs = lr.record.fitted->recommend(u, 1, true);
    const QString top = QString::fromStdString(lr.train->items.external(recs.items[0].item));
    QVERIFY(uv->explainItem(1, top) > 0);
    QCOMPARE(uv->explanationKind(), QStringLiteral("features"));
    const QList<double> contrib = uv->explanationValues();
    bool anyNegative = false, anyPositive = false;
    for (double c : contrib) (c < 0 ? anyNegative : anyPositive) = true;
    QVERIFY(anyPositive || anyNegative);
    // The item-based run explains with the history items that drove the recommendation.
    const auto& knn = w.session()->runs()[0];
    const RecList kr = knn.record.fitted->recommend(*knn.train->users.find("U00002"), 1, true);
    const QString ktop = QString::fromStdString(knn.train->items.external(kr.items[0].item));
    QVERIFY(uv->explainItem(0, ktop) > 0);
    QCOMPARE(uv->explanationKind(), QStringLiteral("history"));
    for (double c : uv->explanationValues()) QVERIFY(c > 0.0);
    // Item mode.
    QCOMPARE(uv->showSimilar("I00001"), 10);
    QCOMPARE(uv->showSimilar("nope"), 0);

    // Export through the project equals `recwb export --project P --run R`.
    w.tabs()->setCurrentWidget(cv);
    cv->selectRun(w.session()->runs()[0].id);
    const QString gui = dir.filePath("gui.rwbm"), cli = dir.filePath("cli.rwbm");
    QSignalSpy exported(cv, &CompareView::exported);
    QVERIFY(cv->exportRun(gui));
    QVERIFY(exported.wait(60000));
    QCOMPARE(exported.first().at(1).toString(), QString());
    QString out;
    QCOMPARE(recwb({"export", "--project", project, "--run",
                    QString::number(w.session()->runs()[0].storeId), "--out", cli},
                   &out),
             0);
    const auto a = packageContent(gui), b = packageContent(cli);
    QVERIFY(a.size() > 8);
    QVERIFY(a == b);
    auto package = ModelPackage::load(gui.toStdString());
    const Index pu = *package->users().find("U00002");
    QCOMPARE(package->model().recommend(pu, 10).items, knn.record.fitted->recommend(pu, 10).items);
  }

  void taskRunnerDeliversResultsOnGuiThread() {
    TaskRunner runner;
    QThread* worker = nullptr;
    int result = 0;
    QSignalSpy finished(&runner, &TaskRunner::taskFinished);
    runner.start<int>(
        "sum",
        [&worker](TaskContext& ctx) {
          worker = QThread::currentThread();
          ctx.progress(0.5, "half");
          return 42;
        },
        this,
        [&result](int v) {
          QCOMPARE(QThread::currentThread(), qApp->thread());
          result = v;
        });
    QVERIFY(finished.wait(5000));
    QCOMPARE(result, 42);
    QVERIFY(worker != nullptr && worker != qApp->thread());
    QCOMPARE(finished.first().at(1).value<TaskStatus>(), TaskStatus::kSucceeded);
  }

  void taskRunnerReportsEngineErrorText() {
    TaskRunner runner;
    QString error;
    QSignalSpy finished(&runner, &TaskRunner::taskFinished);
    runner.start<int>(
        "fail", [](TaskContext&) -> int { throw ModelError("sar: the training set is empty"); },
        this, [](int) { QFAIL("no result expected"); }, [&error](const QString& e) { error = e; });
    QVERIFY(finished.wait(5000));
    QCOMPARE(error, QStringLiteral("sar: the training set is empty"));
    QCOMPARE(finished.first().at(1).value<TaskStatus>(), TaskStatus::kFailed);
  }

  void cancelStopsARunningTask() {
    TaskRunner runner;
    std::atomic<bool> started{false};
    bool gotResult = false;
    QSignalSpy finished(&runner, &TaskRunner::taskFinished);
    const int id = runner.start<int>(
        "spin",
        [&started](TaskContext& ctx) {
          started = true;
          // Works until told to stop, as every engine loop does.
          while (true) ctx.throwIfStopped();
          return 0;
        },
        this, [&gotResult](int) { gotResult = true; });
    QVERIFY(waitFor([&] { return started.load(); }, 5000));
    QElapsedTimer t;
    t.start();
    runner.cancel(id);
    QVERIFY(finished.wait(5000));
    QVERIFY2(t.elapsed() < 1000, "cancel took longer than a second");
    QCOMPARE(finished.first().at(1).value<TaskStatus>(), TaskStatus::kCancelled);
    QVERIFY(!gotResult);
    QVERIFY(!runner.busy());
  }

  void destroyingTheRunnerCancelsAndWaits() {
    std::atomic<bool> started{false}, ended{false};
    {
      TaskRunner runner;
      runner.start<int>(
          "spin",
          [&](TaskContext& ctx) {
            started = true;
            try {
              while (true) ctx.throwIfStopped();
            } catch (...) {
              ended = true;
              throw;
            }
            return 0;
          },
          this, [](int) {});
      QVERIFY(waitFor([&] { return started.load(); }, 5000));
    }
    QVERIFY(ended.load());
  }

  void importPreviewFlagsTheBadRow() {
    QTemporaryDir dir;
    const QString path = dir.filePath("ratings.csv");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        "user,item,rating,timestamp\n"
        "u1,i1,4,1000\n"
        "u1,i2,5,1001\n"
        "u2,i1,abc,1002\n"
        "u2,i3,3,1003\n");
    f.close();
    ImportDialog dialog(path);
    QCOMPARE(dialog.previewRowCount(), 4);
    QCOMPARE(dialog.rejectedRows(), QList<int>{2});
    QVERIFY2(dialog.rejectedReasons().first().contains("value is not a number"),
             qPrintable(dialog.rejectedReasons().join("; ")));
    QVERIFY(dialog.rejectedReasons().first().contains("line 4"));
    QVERIFY(dialog.previewStatus().contains("3 loaded"));
    // Changing a setting re-parses: forcing "no header" turns the header into a bad row too.
    auto* header = dialog.findChild<QComboBox*>("header");
    QVERIFY(header);
    header->setCurrentIndex(2);
    QCOMPARE(dialog.rejectedRows().size(), 2);
    QCOMPARE(dialog.options().interactions.header, HeaderMode::kNo);
  }

  /// Issue 19: the import dialog offers core/data's words and gives the options a spec's
  /// dataset entry with the same settings gives; the dataset entry the GUI keeps (and saves in
  /// specs) is datasetSourceToJson of those options, so recwb run reads the data the same way.
  void importDialogMatchesSpec() {
    QTemporaryDir dir;
    const QString path = dir.filePath("ratings.csv");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("u1,i1,4,1000\nu1,i2,5,1001\nu2,i1,3,1002\n");
    f.close();
    ImportDialog dialog(path);
    const auto choose = [&](const char* box, const QVariant& data) {
      auto* b = dialog.findChild<QComboBox*>(box);
      QVERIFY(b);
      const int i = b->findData(data);
      QVERIFY2(i >= 0, box);
      b->setCurrentIndex(i);
    };
    // The boxes list exactly core's words.
    auto* enc = dialog.findChild<QComboBox*>("encoding");
    QVERIFY(enc);
    QCOMPARE(enc->count(), static_cast<int>(textEncodingWords().size()));
    choose("delimiter", QStringLiteral("comma"));
    choose("header", QStringLiteral("no"));
    choose("encoding", QStringLiteral("latin-1"));
    choose("user", 0);
    choose("item", 1);
    choose("value", 2);
    choose("timestamp", 3);
    const DatasetOptions spec = datasetOptionsFromJson(nlohmann::json::parse(R"({
        "format": "delimited", "columns": {"user": 0, "item": 1, "value": 2, "timestamp": 3},
        "options": {"delimiter": ",", "header": "no", "encoding": "latin1", "strict": false}})"),
                                                       "$.dataset");
    QVERIFY(dialog.options() == spec);

    MainWindow w;
    w.setQuiet(true);
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    w.loadData(dialog.filePath(), dialog.options());
    QVERIFY(loaded.wait(30000));
    const nlohmann::json entry = w.session()->sourceSpec();
    QCOMPARE(
        QString::fromStdString(entry.dump()),
        QString::fromStdString(
            datasetSourceToJson({QFileInfo(path).absoluteFilePath().toStdString(), spec}).dump()));
    QCOMPARE(QString::fromStdString(entry["options"]["encoding"].get<std::string>()),
             QStringLiteral("latin-1"));
    QCOMPARE(w.session()->dataset()->numInteractions(), std::size_t{3});
  }

  void paramFormFollowsTheSchema() {
    const ModelInfo* info = findModel("most_popular");
    QVERIFY(info);
    ParamForm form;
    form.setSchema(info->schema, Params::object());
    QCOMPARE(form.editorCount(), static_cast<int>(info->schema.params.size()));
    // The form's values are exactly the schema's defaults and resolve without error.
    QCOMPARE(form.values(), info->schema.resolve(Params::object()));
    // Every model's defaults survive the form exactly (a 6-decimal box turned logistic
    // regression's tol = 1e-7 into 0, so GUI runs differed from `recwb run`).
    for (const ModelInfo& m : modelRegistry()) {
      form.setSchema(m.schema, Params::object());
      if (form.values() != m.schema.resolve(Params::object())) {
        QFAIL(qPrintable(QStringLiteral("%1: form %2 vs defaults %3")
                             .arg(QString::fromStdString(m.name),
                                  QString::fromStdString(form.values().dump()),
                                  QString::fromStdString(m.schema.resolve({}).dump()))));
      }
    }
  }

  void specRoundTripsThroughJson() {
    MainWindow w;
    w.setQuiet(true);
    ExperimentView* ev = w.experimentView();
    QVERIFY(ev->addModel("most_popular"));
    QVERIFY(!ev->addModel("no_such_model"));
    QTemporaryDir dir;
    const QString path = dir.filePath("spec.json");
    QCOMPARE(ev->saveSpec(path), QString());
    const nlohmann::json saved = ev->spec();
    QCOMPARE(saved["version"].get<int>(), 1);
    QCOMPARE(saved["models"][0]["name"].get<std::string>(), std::string("most_popular"));
    MainWindow w2;
    QCOMPARE(w2.experimentView()->loadSpec(path), QString());
    QCOMPARE(w2.experimentView()->spec()["models"], saved["models"]);
    // A bad spec is rejected with the path of the offending field.
    QFile bad(dir.filePath("bad.json"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write(R"({"version": 1, "models": [{"name": "most_popular", "params": {"nope": 1}}]})");
    bad.close();
    QVERIFY(w2.experimentView()->loadSpec(bad.fileName()).contains("$.models[0].params"));
  }

  /// Issue 13.3: a control the chosen split method does not show never reaches the spec. The
  /// benchmark spec's "Stratify: per item" (recommenders) once stayed in force after switching
  /// to the chronological split, which then split by item (472 of 943 ml-100k users evaluated).
  void hiddenSplitControlsDoNotReachTheSpec() {
    MainWindow w;
    w.setQuiet(true);
    ExperimentView* ev = w.experimentView();
    const nlohmann::json benchmark = {
        {"version", 1},
        {"split", {{"method", "recommenders"}, {"ratio", 0.75}, {"by", "item"}, {"seed", 42}}},
        {"models", nlohmann::json::array({{{"name", "most_popular"}}})}};
    QCOMPARE(ev->setSpec(benchmark), QString());
    QCOMPARE(ev->spec()["split"]["by"].get<std::string>(), std::string("item"));
    ev->setSplitMethod("chronological");
    nlohmann::json spec = ev->spec();
    QCOMPARE(spec["split"]["method"].get<std::string>(), std::string("chronological"));
    // What the engine does with it: a chronological split per user.
    spec["dataset"] = {{"path", "memory"}};
    const ExperimentSpec parsed = parseExperimentSpec(spec, ".");
    QCOMPARE(parsed.split.options.method, SplitMethod::kChronological);
    QVERIFY(parsed.split.options.by == SplitBy::kUser);
    QVERIFY2(!spec["split"].contains("seed"), "the chronological split takes no seed");
    // Random rows take no group; given files take none of ratio, group and seed.
    ev->setSplitMethod("random");
    QVERIFY(!ev->spec()["split"].contains("by"));
    ev->setSplitMethod("files");
    QCOMPARE(ev->spec()["split"].size(), std::size_t{2});  // train and test
    // Loading sets the visible controls: a chronological split per item stays per item.
    nlohmann::json byItem = benchmark;
    byItem["split"] = {{"method", "chronological"}, {"ratio", 0.8}, {"by", "item"}};
    QCOMPARE(ev->setSpec(byItem), QString());
    QCOMPARE(ev->spec()["split"]["by"].get<std::string>(), std::string("item"));
    QCOMPARE(ev->spec()["split"]["ratio"].get<double>(), 0.8);
    // What the view cannot show is refused with the key, not dropped.
    nlohmann::json lastN = benchmark;
    lastN["split"] = {{"method", "leave_last_n"}, {"n", 2}};
    QVERIFY(ev->setSpec(lastN).contains("$.split.method"));
    nlohmann::json minRating = benchmark;
    minRating["split"]["min_rating"] = 5;
    QVERIFY(ev->setSpec(minRating).contains("$.split.min_rating"));
    nlohmann::json prep = benchmark;
    prep["prep"] = nlohmann::json::array({{{"step", "binarize"}, {"threshold", 4}}});
    QVERIFY(ev->setSpec(prep).contains("$.prep"));
    // The refused specs left the editor as it was.
    QCOMPARE(ev->spec()["split"]["by"].get<std::string>(), std::string("item"));
  }

  /// Issue 13.3: a spec's "search" block runs the search (the runner's, on a validation split
  /// of train) and its "run_name" labels the run; both were silently dropped.
  void specSearchRunsAndKeepsRunName() {
    MainWindow w;
    w.setQuiet(true);
    LoadResult report;
    w.session()->setDataset(smallDataset(), std::move(report), "small");
    ExperimentView* ev = w.experimentView();
    const nlohmann::json doc = {
        {"version", 1},
        {"split", {{"method", "random"}, {"ratio", 0.8}, {"seed", 42}}},
        {"models",
         nlohmann::json::array(
             {{{"name", "most_popular"},
               {"run_name", "most_popular_decayed"},
               {"search", {{"method", "grid"}, {"space", {{"half_life_days", {7, 30, 90}}}}}}}})},
        {"metrics", {{"k", 10}, {"names", {"precision", "ndcg"}}}}};
    QCOMPARE(ev->setSpec(doc), QString());
    const nlohmann::json model = ev->spec()["models"][0];
    QCOMPARE(model["run_name"].get<std::string>(), std::string("most_popular_decayed"));
    QVERIFY(model.contains("search"));
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 1; }, 60000));
    QCOMPARE(static_cast<int>(w.session()->runs().size()), 1);
    const auto& run = w.session()->runs().front();
    QVERIFY2(run.done(), qPrintable(run.stateName() + " " + run.record.error.c_str()));
    // No project: labelled by its run_name and the session's number (issue 18: "#<id>" is
    // only ever the project's run id).
    QCOMPARE(run.displayName, QStringLiteral("most_popular_decayed (unsaved %1)").arg(run.id));
    QVERIFY(run.record.search.has_value());
    QCOMPARE(run.record.search->trials.size(), std::size_t{3});
    const double best = run.record.params["half_life_days"].get<double>();
    QVERIFY(best == 7 || best == 30 || best == 90);
    QVERIFY(ev->queueText(run.id).contains("search"));
  }

  /// Issue 13.3: Compare marks the best value and runs paired tests only among runs on the
  /// same split (same split hash); a toy run on another split is shown, greyed, and the view
  /// says why it is not compared.
  void compareOnlyWithinOneSplit() {
    MainWindow w;
    w.setQuiet(true);
    w.show();
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u01(0, 1);
    std::vector<double> a1(100), a2(100);
    for (auto& v : a1) v = 0.2 + 0.2 * u01(rng);
    for (auto& v : a2) v = 0.1 + 0.2 * u01(rng);
    const std::string hashA = "a1a1a1a1a1a1a1a1", hashB = "b2b2b2b2b2b2b2b2";
    Session* s = w.session();
    s->addRun(finishedRun("toy", hashB, std::vector<double>(42, 0.9), "toy"));
    const int runA1 = s->addRun(finishedRun("itemknn", hashA, a1, "ml-100k"));
    s->addRun(finishedRun("sar", hashA, a2, "ml-100k"));
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->refresh();
    QComboBox* splits = cv->splitSelector();
    QVERIFY(splits != nullptr);
    QCOMPARE(splits->count(), 2);
    // The newest run's split is compared: the toy run's 0.9 is not marked best.
    QCOMPARE(splits->currentData().toString().toStdString(), hashA);
    QCOMPARE(cv->model()->runId(cv->model()->bestRun("ndcg@10")), runA1);
    const int col = static_cast<int>(cv->model()->fields().indexOf("ndcg@10"));
    QVERIFY(!cv->model()->data(cv->model()->index(0, col), Qt::BackgroundRole).isValid());
    QVERIFY(cv->model()->data(cv->model()->index(1, col), Qt::BackgroundRole).isValid());
    QCOMPARE(cv->model()->data(cv->model()->index(0, col), Qt::ToolTipRole).toString(),
             QStringLiteral("not compared: different splits or protocols (hash "
                            "b2b2b2b2b2b2b2b2 vs a1a1a1a1a1a1a1a1)"));
    QVERIFY2(cv->splitNote().contains("toy (hash b2b2b2b2b2b2b2b2)"), qPrintable(cv->splitNote()));
    // Paired tests over the two runs on that split only.
    QVERIFY(waitFor([&] { return cv->charts()[3]->plottableCount() == 1; }, 30000));
    QCOMPARE(cv->significanceRuns(), (QStringList{"itemknn", "sar"}));
    // The toy run's split alone: it is the best there, and no pair is tested.
    const int b = splits->findData(QString::fromStdString(hashB));
    splits->setCurrentIndex(b);
    emit splits->activated(b);
    QCOMPARE(cv->model()->runId(cv->model()->bestRun("ndcg@10")), s->runs()[0].id);
    QVERIFY(cv->significanceRuns().isEmpty());
    QCOMPARE(cv->charts()[3]->plottableCount(), 0);
    QVERIFY(cv->splitNote().contains("itemknn (hash a1a1a1a1a1a1a1a1)"));
  }

  /// Issue 19 (rooms): the runs table model in its own file passes Qt's model tester through
  /// refreshes, transposition, a change of the compared split and clearing.
  void runsModelPassesModelTester() {
    Session session;
    RunsModel model(&session);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    session.addRun(finishedRun("a", "h1", {0.1, 0.2, 0.3}, "d"));
    session.addRun(finishedRun("b", "h2", {0.3, 0.2}, "d"));
    model.refresh();
    QCOMPARE(model.rowCount(), 2);
    QVERIFY(model.columnCount() > 10);
    model.setSplitGroup("h1");
    QCOMPARE(model.runId(model.bestRun("ndcg@10")), session.runs()[0].id);
    model.setTransposed(true);
    QCOMPARE(model.columnCount(), 2);
    for (int r = 0; r < model.rowCount(); ++r) {
      for (int c = 0; c < model.columnCount(); ++c) {
        for (int role : {Qt::DisplayRole, Qt::ToolTipRole, Qt::BackgroundRole, Qt::FontRole,
                         Qt::ForegroundRole, Qt::TextAlignmentRole}) {
          model.data(model.index(r, c), role);
        }
      }
    }
    model.setTransposed(false);
    session.clearRuns();
    model.refresh();
    QCOMPARE(model.rowCount(), 0);
  }

  /// Issue 18: the runs table put raw parameter JSON first and metrics off-screen, and showed
  /// no CI numbers. Metrics come right after the run; each shows "value [lo, hi]" (also in the
  /// CSV), sorts as a number, and the parameters are summarised (full JSON in the tooltip).
  void runsTableShowsMetricsFirstWithCis() {
    Session session;
    RunsModel model(&session);
    SessionRun a = finishedRun("a", "h1", {0.1, 0.2, 0.3}, "d");
    a.ci["ndcg@10"] = {0.1234, 0.2987};
    a.record.model = "itemknn";
    const ModelInfo* knn = findModel("itemknn");
    QVERIFY(knn != nullptr);
    auto number = std::find_if(knn->schema.params.begin(), knn->schema.params.end(),
                               [](const ParamSpec& p) { return p.type == ParamType::kFloat; });
    QVERIFY(number != knn->schema.params.end());
    const ParamSpec& first = *number;
    a.record.params = knn->schema.resolve(Params::object());
    SessionRun b = finishedRun("b", "h1", {0.9, 0.8}, "d");
    b.record.model = "itemknn";
    b.record.params = a.record.params;
    // One parameter changed from its default.
    b.record.params[first.name] = first.max ? *first.max : first.defaultValue.get<double>() + 1;
    session.addRun(std::move(a));
    session.addRun(std::move(b));
    model.refresh();
    model.setSplitGroup("h1");
    const QStringList& f = model.fields();
    QVERIFY(f.indexOf("ndcg@10") < f.indexOf("params"));
    QVERIFY(f.indexOf("ndcg@10") < f.indexOf("model"));
    QVERIFY(f.indexOf("ndcg@10") <= 3);
    const int metric = static_cast<int>(f.indexOf("ndcg@10"));
    const int params = static_cast<int>(f.indexOf("params"));
    QCOMPARE(model.data(model.index(0, metric), Qt::DisplayRole).toString(),
             QStringLiteral("0.2000 [0.1234, 0.2987]"));
    QCOMPARE(model.data(model.index(1, metric), Qt::DisplayRole).toString(),
             QStringLiteral("0.8500"));
    QCOMPARE(model.data(model.index(0, metric), kSortRole).toDouble(), 0.2);
    QVERIFY(model.data(model.index(0, metric), Qt::ToolTipRole).toString().contains("0.298700"));
    QCOMPARE(model.data(model.index(0, params), Qt::DisplayRole).toString(),
             QStringLiteral("defaults"));
    const QString summary = model.data(model.index(1, params), Qt::DisplayRole).toString();
    QVERIFY2(summary.startsWith(QString::fromStdString(first.name) + "=") &&
                 !summary.contains(QLatin1Char(',')),
             qPrintable(summary));
    QVERIFY(model.data(model.index(1, params), Qt::ToolTipRole)
                .toString()
                .contains(QString::fromStdString(knn->schema.params.back().name)));
    // The CSV export has the CI numbers and, transposed, the field names as row labels.
    TableView table(QStringLiteral("runs"));
    table.setSourceModel(&model);
    QTemporaryDir dir;
    QVERIFY(table.exportTo(dir.filePath("runs.csv")));
    QFile csv(dir.filePath("runs.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QVERIFY(QString::fromUtf8(csv.readAll()).contains("\"0.2000 [0.1234, 0.2987]\""));
    model.setTransposed(true);
    table.view()->verticalHeader()->setVisible(true);
    QVERIFY(table.exportTo(dir.filePath("t.csv")));
    QFile t(dir.filePath("t.csv"));
    QVERIFY(t.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(t.readAll()).split('\n');
    QVERIFY(lines.size() > 4);
    QVERIFY2(lines[1].startsWith("run,a,b"), qPrintable(lines[1]));
    QVERIFY(lines[metric + 1].startsWith("ndcg@10,"));
  }

  /// Issue 18: the runs table jumped back to its first column whenever a run was added.
  /// What a tuned model learned during fit (core/models/fitted_summary.h) shows in the runs
  /// table's "fitted" column for a run read back from a project, as `recwb run` prints it;
  /// runs without a summary (and runs stored before summaries were) leave the cell empty.
  void fittedColumnShowsWhatStoredRunsTuned() {
    QTemporaryDir dir;
    const auto file = std::filesystem::path(dir.filePath("p.rwbproj").toStdString());
    std::vector<std::int64_t> ids;
    {
      ProjectStore store(file);
      SessionRun blend = finishedRun("blend", "h1", {0.2, 0.4}, "d");
      blend.record.model = "blend";
      blend.record.fittedSummary =
          R"({"tuned":true,"weights":{"ease":0.1,"ials":0.8,"rp3beta":0.1}})";
      ids.push_back(store.saveRun(blend.record));
      ids.push_back(store.saveRun(finishedRun("pop", "h1", {0.1, 0.3}, "d").record));
    }
    const ProjectStore store(file);
    TaskContext ctx;
    auto views = readStoredRuns(store, ids, ctx);
    QCOMPARE(static_cast<int>(views.size()), 2);
    Session session;
    addStoredRuns(session, views, {});
    RunsModel model(&session);
    model.refresh();
    model.setSplitGroup("h1");
    const int col = static_cast<int>(model.fields().indexOf("fitted"));
    QVERIFY(col >= 0);
    QVERIFY(model.fields().indexOf("params") < col);  // with the descriptive fields, last
    QCOMPARE(model.data(model.index(0, col), Qt::DisplayRole).toString(),
             QStringLiteral("weights ease 0.10, ials 0.80, rp3beta 0.10"));
    const QString tip = model.data(model.index(0, col), Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains("weights ease 0.10") && tip.contains("\"ials\": 0.8"), qPrintable(tip));
    QVERIFY(model.data(model.index(1, col), Qt::DisplayRole).toString().isEmpty());
    QVERIFY(model.data(model.index(1, col), Qt::ToolTipRole).isNull());
  }

  void compareTableKeepsItsScrollPosition() {
    MainWindow w;
    w.setQuiet(true);
    w.resize(1024, 700);
    w.show();
    Session* s = w.session();
    for (const char* name : {"first", "second"}) {
      SessionRun r = finishedRun(name, "h", {0.1, 0.2, 0.3}, "d");
      for (const char* m : {"precision@10", "recall@10", "map@10", "hit_rate@10", "map"}) {
        r.record.metrics[m] = 0.25;
        r.ci[m] = {0.2, 0.3};
      }
      s->addRun(std::move(r));
    }
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->refresh();
    cv->selectRun(s->runs()[0].id);
    QScrollBar* bar = cv->table()->view()->horizontalScrollBar();
    QVERIFY(bar->maximum() > 0);
    bar->setValue(bar->maximum());
    const int pos = bar->value();
    s->addRun(finishedRun("third", "h", {0.3, 0.3, 0.3}, "d"));
    cv->refresh();
    QCOMPARE(bar->value(), pos);
    QCOMPARE(cv->selectedRun(), s->runs()[0].id);
  }

  /// Issue 18: the significance matrix had dark navy cells with black text, no scale and no
  /// tooltip. Cells are light when not significant, saturated (with white text) when they
  /// are, coloured by the direction of the effect; a colour scale explains them; each cell's
  /// tooltip gives the p-values and effect sizes.
  void significanceMatrixIsReadable() {
    MainWindow w;
    w.setQuiet(true);
    w.resize(1700, 1100);
    w.show();
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u01(0, 1);
    std::vector<double> good(200), bad(200), alsoBad(200);
    for (std::size_t i = 0; i < good.size(); ++i) {
      bad[i] = 0.2 * u01(rng);
      alsoBad[i] = bad[i] + 0.02 * (u01(rng) - 0.5);
      good[i] = bad[i] + 0.2 + 0.05 * u01(rng);
    }
    Session* s = w.session();
    s->addRun(finishedRun("good", "h", good, "d"));
    s->addRun(finishedRun("bad", "h", bad, "d"));
    s->addRun(finishedRun("alsoBad", "h", alsoBad, "d"));
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->chartTabs()->setCurrentWidget(cv->significancePage());
    cv->refresh();
    ChartView* chart = cv->significancePage()->chart();
    QVERIFY(waitFor([&] { return chart->plottableCount() == 1; }, 30000));
    SignificancePage* page = cv->significancePage();
    // good (0) vs bad (1): significant, good better -> saturated, white text.
    const QColor better = page->cellColor(0, 1);
    const QColor worse = page->cellColor(1, 0);
    QVERIFY(better.isValid() && worse.isValid());
    QVERIFY(better.lightness() < 140);
    QCOMPARE(page->textColor(0, 1), QColor(Qt::white));
    QVERIFY(better.blue() > better.red());  // blue: A better
    QVERIFY(worse.red() > worse.blue());    // orange: A worse
    // bad (1) vs alsoBad (2): not significant -> muted, dark text.
    const QColor muted = page->cellColor(1, 2);
    QVERIFY2(muted.lightness() > 200, qPrintable(muted.name()));
    QVERIFY(page->textColor(1, 2).lightness() < 60);
    // A legend: the colour scale beside the matrix.
    bool scale = false;
    for (int i = 0; i < chart->plotLayout()->elementCount(); ++i) {
      scale = scale || qobject_cast<QCPColorScale*>(chart->plotLayout()->elementAt(i)) != nullptr;
    }
    QVERIFY(scale);
    chart->replot();
    const QPointF cell(chart->xAxis->coordToPixel(0), chart->yAxis->coordToPixel(1));
    const QString tip = chart->tooltipAt(cell);
    QVERIFY2(tip.contains("A = good, B = bad") && tip.contains("Wilcoxon") &&
                 tip.contains("Cohen's d") && tip.contains("mean difference") &&
                 tip.contains("good is better than bad"),
             qPrintable(tip));
    // Redrawn after a reset, the chart keeps one colour scale only.
    cv->refresh();
    QVERIFY(waitFor([&] { return chart->plottableCount() == 1; }, 30000));
    QCOMPARE(chart->plotLayout()->columnCount(), 2);
  }

  /// Issue 18: Metric@k was always empty (one k per run). A GUI run evaluates its metrics at
  /// 1, 5, 10, 20, 50 and 100 in the same pass (core's RunnerOptions::curveCutoffs), its
  /// numbers at k unchanged, and the page draws a curve per run.
  void metricAtKCurvesFromOnePass() {
    MainWindow w;
    w.setQuiet(true);
    w.show();
    LoadResult report;
    w.session()->setDataset(smallDataset(), std::move(report), "small");
    ExperimentView* ev = w.experimentView();
    nlohmann::json doc = {
        {"version", 1},
        {"split", {{"method", "random"}, {"ratio", 0.8}, {"seed", 42}}},
        {"seeds", {42}},
        {"models", nlohmann::json::array({{{"name", "most_popular"}}, {{"name", "itemknn"}}})}};
    QCOMPARE(ev->setSpec(doc), QString());
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 2; }, 60000));
    for (const SessionRun& r : w.session()->runs()) {
      QVERIFY(r.done());
      QVERIFY(r.record.metrics.count("ndcg@10") == 1);
      for (const char* k : {"ndcg@1", "ndcg@5", "ndcg@20", "ndcg@50", "ndcg@100"})
        QVERIFY2(r.record.metricsAtK.count(k) == 1, k);
      QVERIFY(r.record.metricsAtK.count("ndcg@10") == 0);
    }
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->refresh();
    QCOMPARE(cv->metricAtKPage()->drawnRuns().size(), 2);
    QCOMPARE(cv->metricAtKPage()->chart()->graphCount(), 2);
    QCOMPARE(cv->metricAtKPage()->chart()->graph(0)->dataCount(), 6);
    // The cut-offs are not columns of the runs table.
    QVERIFY(!cv->model()->fields().contains("ndcg@50"));
  }

  /// Issue 18: at 1024x700 the Users panels showed only "#" and "item", "Load spec..." was
  /// clipped and showing a user widened the window (its minimum was 814x722).
  void usableAt1024x700() {
    MainWindow w;
    w.setQuiet(true);
    w.resize(1024, 700);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    LoadResult report;
    w.session()->setDataset(smallDataset(), std::move(report), "small");
    ExperimentView* ev = w.experimentView();
    nlohmann::json doc = {
        {"version", 1},
        {"split", {{"method", "random"}, {"ratio", 0.8}, {"seed", 42}}},
        {"seeds", {42}},
        {"models", nlohmann::json::array({{{"name", "most_popular"}}, {{"name", "itemknn"}}})}};
    QCOMPARE(ev->setSpec(doc), QString());
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 2; }, 60000));
    for (int i = 0; i < w.tabs()->count(); ++i) {
      w.tabs()->setCurrentIndex(i);
      QTest::qWait(20);
      const QSize min = w.minimumSizeHint();
      QVERIFY2(
          min.width() <= 1024 && min.height() <= 700,
          qPrintable(
              QStringLiteral("tab %1: minimum %2x%3").arg(i).arg(min.width()).arg(min.height())));
      QCOMPARE(w.size(), QSize(1024, 700));
    }
    // The editor's buttons are inside the visible width of its scroll area.
    w.tabs()->setCurrentWidget(ev);
    QTest::qWait(20);
    QPushButton* load = nullptr;
    for (auto* b : ev->findChildren<QPushButton*>()) {
      if (b->text() == "Load spec...") load = b;
    }
    QVERIFY(load != nullptr);
    auto* area = qobject_cast<QScrollArea*>(load->parentWidget()->parentWidget()->parentWidget());
    QVERIFY(area != nullptr);
    const QPoint right = load->mapTo(area->viewport(), QPoint(load->width(), 0));
    QVERIFY2(right.x() <= area->viewport()->width(),
             qPrintable(QStringLiteral("%1 > %2").arg(right.x()).arg(area->viewport()->width())));
    QVERIFY(load->width() >= load->sizeHint().width());
    // Showing a user keeps the window's size, and each panel shows rank, item, score and a
    // title column wide enough to read.
    UsersView* uv = w.usersView();
    w.tabs()->setCurrentWidget(uv);
    QTest::qWait(20);
    QVERIFY(uv->showUser("u1"));
    QTest::qWait(50);
    QCOMPARE(w.size(), QSize(1024, 700));
    QVERIFY(w.minimumSizeHint().width() <= 1024 && w.minimumSizeHint().height() <= 700);
    for (int p = 0; p < 2; ++p) {
      QTableView* view = uv->panelView(p);
      QVERIFY(uv->listRows(p) > 0);
      const int vw = view->viewport()->width();
      QVERIFY2(view->columnViewportPosition(3) + 100 <= vw,
               qPrintable(QStringLiteral("panel %1: title at %2 of %3")
                              .arg(p)
                              .arg(view->columnViewportPosition(3))
                              .arg(vw)));
    }
  }

  /// Issue 18: the queue's Model column showed raw JSON, the factorization machine read
  /// "(hybrid) (hybrid)", a repeated Add added a model again, the log said "Task 22
  /// cancelled", and the learning curves kept the previous run's axes.
  void queueLabelsPickerAndLogNameRuns() {
    MainWindow w;
    w.setQuiet(true);
    w.show();
    ExperimentView* ev = w.experimentView();
    auto* picker = ev->findChild<QComboBox*>();
    for (auto* box : ev->findChildren<QComboBox*>()) {
      if (box->findData("factorization_machine") >= 0) picker = box;
    }
    QVERIFY(picker != nullptr);
    for (int i = 0; i < picker->count(); ++i)
      QVERIFY2(!picker->itemText(i).contains("(hybrid) (hybrid)"), qPrintable(picker->itemText(i)));
    // A repeated Add of the same model with its defaults is refused with a message.
    const int before = ev->modelCount();
    picker->setCurrentIndex(picker->findData("itemknn"));
    QVERIFY(ev->addPickedModel());
    QVERIFY(!ev->addPickedModel());
    QCOMPARE(ev->modelCount(), before + 1);
    QVERIFY2(ev->modelMessage().contains("already in the list"), qPrintable(ev->modelMessage()));
    picker->setCurrentIndex(picker->findData("most_popular"));
    QVERIFY(ev->modelMessage().isEmpty());
    QVERIFY(ev->addPickedModel());
    QCOMPARE(ev->modelCount(), before + 2);

    LoadResult report;
    w.session()->setDataset(smallDataset(), std::move(report), "small");
    nlohmann::json doc = {
        {"version", 1},
        {"split", {{"method", "random"}, {"ratio", 0.8}, {"seed", 42}}},
        {"seeds", {42}},
        {"models", nlohmann::json::array({{{"name", "bpr"}, {"params", {{"epochs", 5}}}},
                                          {{"name", "most_popular"}}})}};
    QCOMPARE(ev->setSpec(doc), QString());
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 2; }, 60000));
    const QList<int> ids = ev->queuedRuns();
    QCOMPARE(ids.size(), 2);
    const QString bprRow = ev->queueText(ids[0]);
    QVERIFY2(bprRow.contains("BPR") && bprRow.contains("epochs=5") && !bprRow.contains('{'),
             qPrintable(bprRow));
    QVERIFY2(ev->queueText(ids[1]).contains("(defaults)"), qPrintable(ev->queueText(ids[1])));
    // Curves of the iterative run, then the non-iterative run's: no axes of the first remain.
    auto* queue = ev->findChild<QTableWidget*>("queue");
    QVERIFY(queue != nullptr);
    queue->setCurrentCell(0, 0);
    ChartView* curves = ev->learningCurves();
    QVERIFY(curves->graphCount() > 0);
    QVERIFY(curves->yAxis2->visible());
    queue->setCurrentCell(1, 0);
    QCOMPARE(curves->graphCount(), 0);
    QVERIFY(!curves->yAxis2->visible());
    QCOMPARE(curves->xAxis->range().lower, 0.0);
    QCOMPARE(curves->xAxis->range().upper, 1.0);
    QVERIFY(curves->xAxis->label().isEmpty());

    // The log names a cancelled task by its label.
    QSignalSpy logged(w.findChild<TaskIndicators*>(), &TaskIndicators::logMessage);
    std::atomic<bool> started{false};
    const int task = w.runner()->start<int>(
        QStringLiteral("itemknn #7"),
        [&](TaskContext& ctx) {
          started = true;
          while (!ctx.stopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
          throw Cancelled();
          return 0;
        },
        &w, [](int) {});
    QVERIFY(waitFor([&] { return started.load(); }, 10000));
    w.runner()->cancel(task);
    QVERIFY(waitFor([&] { return logged.count() > 0; }, 10000));
    QCOMPARE(logged.first().first().toString(), QStringLiteral("itemknn #7 cancelled."));
  }

  /// Issue 18: the ETA grew during a run (7.9 s shown, 17.8 s taken): elapsed / fraction
  /// assumed the fast first stages' pace. The measured recent rate gives the time left.
  void etaFollowsTheMeasuredRate() {
    EtaEstimator eta;
    QCOMPARE(eta.etaSeconds(), -1.0);
    eta.observe(0.5, 1.0);  // preparation: half the bar in a second
    for (int t = 2; t <= 11; ++t) eta.observe(0.5 + 0.01 * (t - 1), t);  // the fit: 1 % / s
    // 40 % left at 1 % per second: about 40 s (elapsed / fraction would say 7.3 s).
    QVERIFY2(eta.etaSeconds() > 25.0 && eta.etaSeconds() < 60.0,
             qPrintable(QString::number(eta.etaSeconds())));
    // Bursts of reports a few milliseconds apart do not swing it.
    const double before = eta.etaSeconds();
    eta.observe(0.61, 11.01);
    QCOMPARE(eta.etaSeconds(), before);
  }

  /// Issue 18: the load report counted ml-100k's attribute rows as "rows read" (102,625 for
  /// 100,000 ratings). Interaction rows and attribute rows are counted apart.
  void loadReportSeparatesAttributeRows() {
    if (!hasSampleData()) QSKIP("sample-data/ not generated yet");
    MainWindow w;
    w.setQuiet(true);
    w.show();
    QVERIFY(loadSample(w));
    const LoadResult& r = w.session()->loadReport();
    QVERIFY(r.attributeRows().rowsRead > 0);
    const QString text = w.dataView()->reportText();
    QVERIFY2(text.contains(
                 QStringLiteral("Interaction rows read %L1").arg(r.interactionRows().rowsRead)) &&
                 text.contains(QStringLiteral("Attribute rows (items, users) read %L1")
                                   .arg(r.attributeRows().rowsRead)),
             qPrintable(text));
    QCOMPARE(static_cast<std::size_t>(r.interactionRows().rowsLoaded),
             w.session()->dataset()->numInteractions());
  }

  /// Issue 18: a first start gave no hint what to do. The start guide walks the sample data
  /// (load -> split -> three models -> compare), and Help opens the documents.
  void startGuideAndHelp() {
    if (!hasSampleData()) QSKIP("sample-data/ not generated yet");
    QSettings().remove(QStringLiteral("startGuide/hidden"));
    MainWindow w;
    w.setQuiet(true);
    w.show();
    StartGuide* guide = w.startGuide();
    QVERIFY(guide->isVisible());
    QCOMPARE(guide->nextStep(), StartGuide::kLoad);
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    emit guide->stepRequested(StartGuide::kLoad);
    QVERIFY(loaded.wait(60000));
    QCOMPARE(guide->nextStep(), StartGuide::kSplit);
    QVERIFY(guide->stepsText().startsWith(QStringLiteral("\u2713 1.")));
    emit guide->stepRequested(StartGuide::kSplit);
    QCOMPARE(w.tabs()->currentWidget(), w.experimentView());
    QCOMPARE(guide->nextStep(), StartGuide::kRun);
    emit guide->stepRequested(StartGuide::kRun);
    // The three models are queued with the editor's split (how long they take is the models'
    // business: they are cancelled, and three finished runs stand in for them).
    QCOMPARE(static_cast<int>(w.session()->runs().size()), 3);
    QStringList queued;
    for (const SessionRun& r : w.session()->runs())
      queued << QString::fromStdString(r.record.model);
    QCOMPARE(queued, StartGuide::guideModels());
    QCOMPARE(guide->nextStep(), StartGuide::kRun);
    w.runner()->cancelAll();
    w.runner()->waitForAll();
    QTest::qWait(50);
    for (const char* name : {"a", "b", "c"})
      w.session()->addRun(finishedRun(name, "h", {0.1, 0.2}, "sample"));
    QCOMPARE(guide->nextStep(), StartGuide::kCompare);
    emit guide->stepRequested(StartGuide::kCompare);
    QCOMPARE(w.tabs()->currentWidget(), w.compareView());
    QCOMPARE(guide->nextStep(), StartGuide::kDone);
    // Closing it is remembered.
    guide->findChild<QToolButton*>("startClose")->click();
    QVERIFY(!guide->isVisible());
    QVERIFY(QSettings().value(QStringLiteral("startGuide/hidden")).toBool());
    // Help opens the README and the GUI guide.
    QList<QUrl> opened;
    w.setUrlOpener([&](const QUrl& u) {
      opened << u;
      return true;
    });
    for (QAction* a : w.menuBar()->actions()) {
      if (a->menu() == nullptr || !a->text().contains("Help")) continue;
      for (QAction* item : a->menu()->actions()) {
        if (item->text().contains("README") || item->text().contains("docs/gui.md"))
          item->trigger();
      }
    }
    QCOMPARE(opened.size(), 2);
    for (const QUrl& u : opened)
      QVERIFY2(QFileInfo::exists(u.toLocalFile()), qPrintable(u.toString()));
    QVERIFY(MainWindow::helpDocument("docs/gui.md").endsWith("docs/gui.md"));
    QVERIFY(MainWindow::helpDocument("docs/no-such-file.md").isEmpty());
    QSettings().remove(QStringLiteral("startGuide/hidden"));
  }

  /// Issue 19 (rooms), gap a: the Users view showed runs of different splits side by side as
  /// if comparable. Empty panels take runs on the split compared in Compare only; a run on
  /// another split is listed as such and, when chosen, a line says its hits are not comparable.
  void usersViewSaysWhenPanelsAreOnDifferentSplits() {
    MainWindow w;
    w.setQuiet(true);
    w.show();
    LoadResult report;
    w.session()->setDataset(smallDataset(), std::move(report), "small");
    ExperimentView* ev = w.experimentView();
    nlohmann::json doc = {{"version", 1},
                          {"split", {{"method", "random"}, {"ratio", 0.8}, {"seed", 42}}},
                          {"seeds", {42}},
                          {"models", nlohmann::json::array({{{"name", "most_popular"}}})}};
    QCOMPARE(ev->setSpec(doc), QString());
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 1; }, 60000));
    doc["split"]["seed"] = 7;
    doc["seeds"] = {7};
    QCOMPARE(ev->setSpec(doc), QString());
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 2; }, 60000));
    const auto& runs = w.session()->runs();
    QCOMPARE(static_cast<int>(runs.size()), 2);
    QVERIFY(runs[0].done() && runs[1].done());
    QVERIFY(runs[0].record.splitHash != runs[1].record.splitHash);
    const int older = runs[0].id, newer = runs[1].id;

    UsersView* uv = w.usersView();
    w.tabs()->setCurrentWidget(uv);
    uv->refreshRuns();
    // The newest run's split is compared: only its run fills a panel.
    QCOMPARE(uv->panelRun(0), newer);
    QCOMPARE(uv->panelRun(1), 0);
    QCOMPARE(uv->splitNote(), QString());
    auto* box = uv->findChild<QComboBox*>("panelRun1");
    QVERIFY(box != nullptr);
    const int olderItem = box->findData(older);
    QVERIFY(box->itemText(olderItem).contains("other split"));
    QVERIFY(uv->showUser("u1"));
    // Chosen by hand, the other split's run is shown, and the view says so.
    uv->setPanelRun(1, older);
    QCOMPARE(uv->panelRun(1), older);
    QVERIFY(uv->listRows(1) > 0);
    const QString note = uv->splitNote();
    QVERIFY2(note.contains("Different splits") &&
                 note.contains(QString::fromStdString(runs[0].record.splitHash)) &&
                 note.contains(QString::fromStdString(runs[1].record.splitHash)) &&
                 note.contains(runs[0].displayName),
             qPrintable(note));
    // Picking the older run's split in Compare makes it the compared one for Users too.
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->refresh();
    QComboBox* splits = cv->splitSelector();
    const int i = splits->findData(QString::fromStdString(runs[0].record.splitHash));
    splits->setCurrentIndex(i);
    emit splits->activated(i);
    w.tabs()->setCurrentWidget(uv);
    uv->refreshRuns();
    QVERIFY2(uv->splitNote().contains("panel 1: " + runs[1].displayName),
             qPrintable(uv->splitNote()));
    uv->setPanelRun(0, 0);
    QCOMPARE(uv->splitNote(), QString());
  }

  /// Issue 19 (rooms), gap b: loading a spec ignored its dataset (the GUI ran it on whatever
  /// data was loaded) and its output. Now the view says when the spec's data is not the loaded
  /// data, refuses to run until the spec's data is loaded or the loaded data is chosen, and
  /// says that the output block is written by `recwb run` only.
  void specNamingOtherDataIsNotRunSilently() {
    QTemporaryDir dir;
    auto writeData = [&](const QString& name, unsigned seed) {
      QFile f(dir.filePath(name));
      if (!f.open(QIODevice::WriteOnly)) return false;
      std::mt19937 rng(seed);
      f.write("user,item,rating,timestamp\n");
      for (int k = 0; k < 3000; ++k) {
        f.write(QStringLiteral("u%1,i%2,1,%3\n")
                    .arg(rng() % 200)
                    .arg(rng() % 80)
                    .arg(1000000000 + k * 60)
                    .toUtf8());
      }
      return true;
    };
    QVERIFY(writeData("a.csv", 1));
    QVERIFY(writeData("b.csv", 2));
    MainWindow w;
    w.setQuiet(true);
    w.show();
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    DatasetOptions opt;
    opt.interactions.strict = false;
    w.loadData(dir.filePath("b.csv"), opt);
    QVERIFY(loaded.wait(30000));
    ExperimentView* ev = w.experimentView();
    w.tabs()->setCurrentWidget(ev);
    QFile specFile(dir.filePath("spec.json"));
    QVERIFY(specFile.open(QIODevice::WriteOnly));
    specFile.write(R"({"version": 1, "dataset": {"path": "a.csv"},
      "split": {"method": "random", "ratio": 0.8, "seed": 42},
      "models": [{"name": "most_popular"}], "output": {"dir": "results"}})");
    specFile.close();
    QCOMPARE(ev->loadSpec(specFile.fileName()), QString());
    // Said visibly, before running.
    const QString warning = ev->specDataWarning();
    QVERIFY2(warning.contains(dir.filePath("a.csv")) && warning.contains("b.csv"),
             qPrintable(warning));
    auto* label = ev->findChild<QLabel*>("specDataWarning");
    QVERIFY(label != nullptr && label->isVisible());
    QCOMPARE(label->text(), warning);
    QVERIFY(ev->specOutputNote().contains("recwb run"));
    // Never run on the other data.
    QSignalSpy errors(ev, &ExperimentView::errorMessage);
    ev->runAll();
    QCOMPARE(errors.count(), 1);
    QCOMPARE(errors.first().first().toString(), warning);
    QVERIFY(w.session()->runs().empty());
    // Saving keeps the spec's own data and output.
    QCOMPARE(QFileInfo(QString::fromStdString(ev->spec()["dataset"]["path"])).fileName(),
             QStringLiteral("a.csv"));
    QCOMPARE(ev->spec()["output"]["dir"].get<std::string>(), std::string("results"));
    // Loading the spec's data (as `recwb run` reads it) clears the warning; then it runs there.
    auto* loadButton = ev->findChild<QPushButton*>("loadSpecData");
    QVERIFY(loadButton != nullptr);
    QTest::mouseClick(loadButton, Qt::LeftButton);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(QFileInfo(w.session()->datasetPath()).fileName(), QStringLiteral("a.csv"));
    QCOMPARE(ev->specDataWarning(), QString());
    QVERIFY(!label->isVisible());
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 1; }, 60000));
    QCOMPARE(static_cast<int>(w.session()->runs().size()), 1);
    QVERIFY(w.session()->runs()[0].done());
    QCOMPARE(
        QFileInfo(QString::fromStdString(w.session()->runs()[0].record.datasetSource)).fileName(),
        QStringLiteral("a.csv"));
    // A spec naming other data, run on the loaded data by the user's explicit choice.
    QFile other(dir.filePath("other.json"));
    QVERIFY(other.open(QIODevice::WriteOnly));
    other.write(
        R"({"version": 1, "dataset": {"path": "b.csv"}, "models": [{"name": "most_popular"}]})");
    other.close();
    QCOMPARE(ev->loadSpec(other.fileName()), QString());
    QVERIFY(ev->specDataWarning().contains("b.csv"));
    QTest::mouseClick(ev->findChild<QPushButton*>("useLoadedData"), Qt::LeftButton);
    QCOMPARE(ev->specDataWarning(), QString());
    QCOMPARE(QFileInfo(QString::fromStdString(ev->spec()["dataset"]["path"])).fileName(),
             QStringLiteral("a.csv"));
    QVERIFY(!ev->spec().contains("output"));
  }

  /// Issue 19: the Data view shows core's DatasetSummary (the figures and the value histogram
  /// of `recwb inspect`); it used to recompute them with its own histogram rule (one bar per
  /// value up to 64 distinct values, where core bins more than 20 into 10).
  void dataViewShowsCoreSummary() {
    MainWindow w;
    w.setQuiet(true);
    auto d = std::make_shared<Dataset>();
    d->name = "graded";
    for (int u = 0; u < 40; ++u) d->users.intern("u" + std::to_string(u));
    for (int i = 0; i < 25; ++i) d->items.intern("i" + std::to_string(i));
    // 30 distinct values: core's summary bins them into 10 equal bins.
    for (int k = 0; k < 1200; ++k) {
      d->interactions.push(static_cast<Index>(k % 40), static_cast<Index>((k * 7) % 25),
                           static_cast<float>(k % 30) * 0.5f, 1000000000 + k * 600);
    }
    const DatasetSummary core = summarizeDataset(*d);
    QCOMPARE(core.valueHistogram.size(), std::size_t{10});
    LoadResult report;
    w.session()->setDataset(d, std::move(report), "graded");
    QVERIFY(waitFor([&] { return w.dataView()->profileReady(); }, 30000));
    ChartView* values = w.dataView()->charts()[2];
    QCOMPARE(values->plottableCount(), 1);
    auto* bars = qobject_cast<QCPBars*>(values->plottable(0));
    QVERIFY(bars != nullptr);
    QCOMPARE(bars->data()->size(), static_cast<int>(core.valueHistogram.size()));
    for (int b = 0; b < bars->data()->size(); ++b) {
      const HistogramBin& bin = core.valueHistogram[static_cast<std::size_t>(b)];
      QCOMPARE(bars->data()->at(b)->value, static_cast<double>(bin.count));
      QCOMPARE(bars->data()->at(b)->key, (bin.lower + bin.upper) / 2.0);
    }
    const QString text = w.dataView()->summaryText();
    QVERIFY2(text.contains(QString::number(core.perUser.median, 'g', 6)), qPrintable(text));
    QVERIFY(text.contains(QString::number(core.top20ItemShare * 100.0, 'f', 1) + "%"));
  }

  /// Issue 19: the runs table's "best" direction is core's metric metadata, not a list of its
  /// own (which took Recommenders' alias log_loss for a score).
  void metricDirectionIsCores() {
    std::vector<std::string> names = knownMetricNames();
    for (const char* alias : {"log_loss", "rsquared", "exp_var", "coverage", "RMSE"})
      names.push_back(alias);
    for (const std::string& name : names) {
      std::string key = name;
      if (key.size() > 2 && key.compare(key.size() - 2, 2, "@k") == 0)
        key.replace(key.size() - 1, 1, "10");
      const bool core = createMetric(key, 10)->higherIsBetter();
      QVERIFY2(higherIsBetter(QString::fromStdString(key)) == core, key.c_str());
    }
    QVERIFY(!higherIsBetter("fit seconds"));
    QVERIFY(!higherIsBetter("model MB"));
  }

  void sampleDataOpensOnFirstStart() {
    if (!QFileInfo(QStringLiteral(RWB_SAMPLE_DATA_DIR)).isDir()) {
      QSKIP("sample-data/ not generated yet");
    }
    MainWindow w;
    w.setQuiet(true);
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    QVERIFY(w.openSampleData());
    QVERIFY(loaded.wait(30000));
    QVERIFY(w.session()->dataset()->numInteractions() > 0);
  }

  /// The sample project records the sample data's path; when that path is gone (the data moved
  /// with a new build), opening the project follows the bundled sample data instead of showing
  /// an empty window. A user's project with gone data keeps its runs and says so.
  void sampleProjectFollowsMovedSampleData() {
    if (!hasSampleData()) QSKIP("sample-data/ not generated yet");
    QSettings().clear();
    const QString project = MainWindow::defaultProjectPath();
    QFile::remove(project);
    QDir().mkpath(QFileInfo(project).absolutePath());
    const nlohmann::json spec = {{"version", 1},
                                 {"name", "sample"},
                                 {"dataset", {{"path", "/nonexistent/moved/sample-data"}}},
                                 {"split", {{"method", "random"}, {"ratio", 0.8}}},
                                 {"models", nlohmann::json::array({{{"name", "most_popular"}}})}};
    ProjectStore(project.toStdString(), true).putSpec(spec);
    {
      MainWindow w;
      w.setQuiet(true);
      QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
      QVERIFY(w.openStartupProject());
      QVERIFY(loaded.wait(60000));
      QCOMPARE(w.session()->projectPath(), project);
      QCOMPARE(QFileInfo(w.session()->datasetPath()).canonicalFilePath(),
               QFileInfo(QStringLiteral(RWB_SAMPLE_DATA_DIR)).canonicalFilePath());
      QVERIFY(w.session()->dataset()->numInteractions() > 0);
    }
    // Another project whose data is gone: no sample data is substituted.
    QTemporaryDir dir;
    const QString other = dir.filePath("other.rwbproj");
    ProjectStore(other.toStdString(), true).putSpec(spec);
    MainWindow w;
    w.setQuiet(true);
    QSignalSpy opened(&w, &MainWindow::projectOpened);
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    w.openProject(other);
    QVERIFY(opened.wait(30000));
    QTest::qWait(300);
    QCOMPARE(loaded.count(), 0);
    QVERIFY(w.session()->datasetPath().isEmpty());
    QFile::remove(project);
  }

  /// The end-to-end walk: open data, run two models, compare, open a user, champion, export.
  void endToEndOnMovieLens() {
    const QString shared = sharedData();
    if (shared.isEmpty()) QSKIP("skipped: reference data absent (../shared/data not found)");
    MainWindow w;
    w.setQuiet(true);
    w.show();
    QTemporaryDir projectDir;
    QCOMPARE(w.newProject(projectDir.filePath("e2e.rwbproj")), QString());
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    DatasetOptions opt;
    opt.interactions.strict = false;
    w.loadData(shared + "/ml-100k-recsplit/train.tsv", opt);
    QVERIFY(loaded.wait(30000));
    auto data = w.session()->dataset();
    QCOMPARE(data->numInteractions(), std::size_t{75066});
    // The matching test.tsv is picked up as the held-out test set.
    QVERIFY(waitFor([&] { return w.session()->testSet() != nullptr; }, 30000));
    QCOMPARE(w.session()->testSet()->numInteractions(), std::size_t{24934});
    QVERIFY(waitFor([&] { return w.dataView()->profileReady(); }, 30000));
    QVERIFY(w.dataView()->summaryText().contains("75,066"));
    QVERIFY(w.dataView()->charts()[0]->graphCount() == 1);
    QVERIFY(waitFor([&] { return !w.experimentView()->leakageWarning().isEmpty(); }, 30000));
    QVERIFY(w.experimentView()->leakageWarning().contains("Leakage"));

    // Two models (two configurations when the registry has a single model).
    ExperimentView* ev = w.experimentView();
    const auto& reg = modelRegistry();
    QVERIFY(ev->addModel(QString::fromStdString(reg[0].name)));
    QVERIFY(ev->addModel(QString::fromStdString(reg.size() > 1 ? reg[1].name : reg[0].name)));
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 2; }, 120000));
    for (const auto& r : w.session()->runs()) {
      QVERIFY2(r.done(), qPrintable(r.displayName + ": " + r.stateName() + " " +
                                    QString::fromStdString(r.record.error)));
    }
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    QCOMPARE(cv->model()->rowCount(), 2);
    // Both runs were evaluated on the given test file, with bootstrap CIs around the means.
    for (const auto& r : w.session()->runs()) {
      const auto m = r.metric("ndcg@10");
      QVERIFY2(m.has_value(), qPrintable(r.displayName));
      QVERIFY(m->hasCi);
      QVERIFY(m->lo <= m->value && m->value <= m->hi);
      QVERIFY(m->value > 0.0 && m->value < 1.0);
      QVERIFY(!r.record.perUser.at("ndcg@10").empty());
    }
    QVERIFY(cv->model()->bestRun("ndcg@10") >= 0);
    cv->findChild<QComboBox*>("metric")->setCurrentText("ndcg@10");
    QVERIFY(waitFor([&] { return cv->charts()[3]->plottableCount() == 1; }, 30000));
    QVERIFY(cv->model()->value(0, "fit seconds") >= 0.0);
    cv->model()->setTransposed(true);
    QCOMPARE(cv->model()->columnCount(), 2);
    cv->model()->setTransposed(false);

    UsersView* uv = w.usersView();
    w.tabs()->setCurrentWidget(uv);
    QVERIFY(!uv->showUser("no-such-user"));
    QVERIFY(uv->showUser("196"));
    QVERIFY(uv->historyRows() > 0);
    QCOMPARE(uv->listRows(0), 10);
    QCOMPARE(uv->listRows(1), 10);
    QCOMPARE(uv->showSimilar("50"), 10);
    QCOMPARE(uv->showSimilar("no-such-item"), 0);

    w.tabs()->setCurrentWidget(cv);
    cv->selectRun(w.session()->runs()[1].id);
    QVERIFY(cv->markChampion());
    QVERIFY(w.session()->runs()[1].champion);
    QVERIFY(!w.session()->runs()[0].champion);
    QTemporaryDir dir;
    const QString modelPath = dir.filePath("champion.rwbm");
    QSignalSpy exported(cv, &CompareView::exported);
    QVERIFY(cv->exportRun(modelPath));
    QVERIFY(exported.wait(30000));
    QCOMPARE(exported.first().at(1).toString(), QString());
    auto package = ModelPackage::load(modelPath.toStdString());
    const Index u0 = *package->users().find("196");
    QCOMPARE(package->model().recommend(u0, 10).items,
             w.session()->runs()[1].record.fitted->recommend(u0, 10).items);
    // The package is the project's run: its recorded name and metrics.
    const StoredRun stored = ProjectStore(projectDir.filePath("e2e.rwbproj").toStdString(), false)
                                 .loadRun(w.session()->runs()[1].storeId);
    QCOMPARE(package->info().runName, stored.record.name);
    QCOMPARE(package->info().metrics.at("ndcg@10").get<double>(),
             stored.record.metrics.at("ndcg@10"));
    QVERIFY(cv->table()->exportTo(dir.filePath("runs.csv")));
    QVERIFY(QFileInfo(dir.filePath("runs.csv")).size() > 0);
    QVERIFY(w.dataView()->charts()[0]->exportTo(dir.filePath("users.png")));
    QVERIFY(w.dataView()->charts()[0]->exportTo(dir.filePath("users.pdf")));
    QVERIFY(QFileInfo(dir.filePath("users.png")).size() > 1000);
    QVERIFY(QFileInfo(dir.filePath("users.pdf")).size() > 1000);
  }

  void loadErrorShowsTheEngineText() {
    MainWindow w;
    w.setQuiet(true);
    QSignalSpy failed(&w, &MainWindow::loadFailed);
    DatasetOptions opt;
    w.loadData("/nonexistent/ratings.csv", opt);
    QVERIFY(failed.wait(10000));
    // The text of core/experiment's loader (the one `recwb run` reads specs' data with).
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains("dataset path '/nonexistent/ratings.csv' does not exist"),
             qPrintable(message));
    QVERIFY(w.logPane()->text().contains("does not exist"));
    // A file that exists but is not readable data: the parser's text with the place.
    QTemporaryDir dir;
    QFile bad(dir.filePath("bad.csv"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("user,item,rating\nu1,i1,notanumber\n");
    bad.close();
    DatasetOptions strict;
    strict.interactions.strict = true;
    w.loadData(bad.fileName(), strict);
    QVERIFY(failed.wait(10000));
    const QString parse = failed.last().first().toString();
    QVERIFY2(parse.contains("bad.csv") && parse.contains("2"), qPrintable(parse));
  }

  /// The GUI thread never stalls for more than 100 ms while long training runs in the pool.
  void heartbeatStaysUnder100msDuringTraining() {
    MainWindow w;
    w.setQuiet(true);
    w.show();
    LoadResult report;
    auto big = bigDataset(4'000'000);
    w.session()->setDataset(big, std::move(report), "synthetic");
    // A small held-out file (same id maps) keeps the evaluation step short: the test is about
    // the GUI thread while fitting runs, not about evaluation speed.
    std::vector<std::uint32_t> rows(500);
    std::iota(rows.begin(), rows.end(), 0u);
    w.session()->setTestSet(std::make_shared<const Dataset>(big->withRows(rows)), "synthetic-test");
    QVERIFY(waitFor([&] { return w.dataView()->profileReady(); }, 60000));
    ExperimentView* ev = w.experimentView();
    for (int i = 0; i < 4; ++i) QVERIFY(ev->addModel("most_popular"));
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    QElapsedTimer clock, total;
    qint64 last = 0, worst = 0, worstAt = 0;
    int worstAfter = 0;
    QTimer heartbeat;
    heartbeat.setInterval(10);
    connect(&heartbeat, &QTimer::timeout, this, [&] {
      const qint64 now = clock.elapsed();
      if (now - last > worst) {
        worst = now - last;
        worstAt = now;
        worstAfter = static_cast<int>(finished.count());
      }
      last = now;
    });
    clock.start();
    total.start();
    heartbeat.start();
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 4; }, 120000));
    heartbeat.stop();
    qInfo("training took %lld ms, worst heartbeat gap %lld ms at %lld ms (after %d runs ended)",
          total.elapsed(), worst, worstAt, worstAfter);
    QVERIFY2(total.elapsed() > 300, "training too short to measure responsiveness");
    QVERIFY2(worst < 100, qPrintable(QString("GUI thread stalled %1 ms").arg(worst)));
  }

  /// Cancel buttons of the run queue stop the runs; they end as cancelled, not failed.
  void cancelButtonCancelsRuns() {
    MainWindow w;
    w.setQuiet(true);
    w.show();
    LoadResult report;
    w.session()->setDataset(bigDataset(4'000'000), std::move(report), "synthetic");
    ExperimentView* ev = w.experimentView();
    for (int i = 0; i < 3; ++i) QVERIFY(ev->addModel("most_popular"));
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    const QList<int> runs = ev->queuedRuns();
    QCOMPARE(runs.size(), 3);
    QElapsedTimer t;
    t.start();
    for (int id : runs) {
      auto* button = ev->findChild<QToolButton*>(QStringLiteral("cancel%1").arg(id));
      QVERIFY(button);
      QTest::mouseClick(button, Qt::LeftButton);
    }
    QVERIFY(waitFor([&] { return finished.count() >= 3; }, 30000));
    qInfo("3 runs cancelled in %lld ms", t.elapsed());
    for (const auto& r : w.session()->runs()) QCOMPARE(r.state, RunState::kCancelled);
    for (int id : runs) QCOMPARE(ev->taskOfRun(id), 0);
    QVERIFY(w.session()->runs()[0].record.fitted == nullptr);
  }

  /// Issue 18, defect 1: reopening a project restores everything the window showed: the
  /// store's run ids in the labels (the id `recwb export --run` takes), the champion, the split
  /// column, coverage and novelty, and the Trade-off chart.
  void reopenedProjectRestoresEverything() {
    if (!hasSampleData()) QSKIP("sample-data/ not generated yet");
    QSettings().clear();
    QTemporaryDir dir;
    const QString project = dir.filePath("p.rwbproj");
    struct Seen {
      QString label, split;
      std::int64_t storeId = 0;
      bool champion = false;
      std::map<std::string, double> display, atK;
    };
    std::vector<Seen> before;
    int tradeoffPoints = 0;
    {
      MainWindow w;
      w.setQuiet(true);
      w.show();
      QCOMPARE(w.newProject(project), QString());
      QVERIFY(loadSample(w));
      // A run deleted first: the labels carry the store's ids, whatever the session counted.
      QVERIFY(runModels(w, {"most_popular"}));
      const int gone = w.session()->runs().front().id;
      QSignalSpy deleted(w.compareView()->actions(), &RunActions::deleted);
      w.compareView()->actions()->deleteRun(gone);
      QVERIFY(deleted.wait(10000));
      QCOMPARE(deleted.first().at(1).toString(), QString());
      QVERIFY(w.session()->run(gone) == nullptr);
      QVERIFY(runModels(w, {"itemknn"}));  // most_popular again, and itemknn
      CompareView* cv = w.compareView();
      w.tabs()->setCurrentWidget(cv);
      const auto& runs = w.session()->runs();
      QCOMPARE(static_cast<int>(runs.size()), 2);
      cv->selectRun(runs[1].id);
      QVERIFY(cv->markChampion());
      cv->refresh();
      tradeoffPoints = cv->charts()[4]->graphCount();
      QCOMPARE(tradeoffPoints, 2);
      for (const auto& r : runs) {
        QVERIFY(r.storeId > 0);
        QCOMPARE(
            r.displayName,
            QStringLiteral("%1 #%2").arg(QString::fromStdString(r.record.name)).arg(r.storeId));
        QVERIFY(!r.split.isEmpty());
        QVERIFY(r.displayMetrics.count("catalog_coverage"));
        QVERIFY(!r.record.metricsAtK.empty());  // the Metric@k curves
        before.push_back(
            {r.displayName, r.split, r.storeId, r.champion, r.displayMetrics, r.record.metricsAtK});
      }
      QVERIFY(before[1].champion);
      QCOMPARE(w.saveProject(), QString());
    }
    MainWindow w;
    w.setQuiet(true);
    w.show();
    QSignalSpy opened(&w, &MainWindow::projectOpened);
    QSignalSpy restored(&w, &MainWindow::projectRunsRestored);
    w.openProject(project);
    QVERIFY(opened.wait(60000));
    QVERIFY(restored.wait(120000) || restored.count() > 0);
    const auto& runs = w.session()->runs();
    QCOMPARE(runs.size(), before.size());
    for (std::size_t i = 0; i < runs.size(); ++i) {
      QCOMPARE(runs[i].displayName, before[i].label);
      QCOMPARE(runs[i].storeId, before[i].storeId);
      QCOMPARE(runs[i].split, before[i].split);
      QCOMPARE(runs[i].champion, before[i].champion);
      QVERIFY(runs[i].record.metricsAtK == before[i].atK);
      for (const auto& [k, v] : before[i].display) {
        QVERIFY2(runs[i].displayMetrics.count(k), k.c_str());
        QVERIFY(std::abs(runs[i].displayMetrics.at(k) - v) < 1e-12);
      }
    }
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->refresh();
    QCOMPARE(cv->charts()[4]->graphCount(), tradeoffPoints);
    // The label's id is the CLI's: `recwb runs show` names the same run.
    QString out;
    QCOMPARE(
        recwb({"runs", "--project", project, "show", QString::number(before[1].storeId), "--json"},
              &out),
        0);
    const auto shown = nlohmann::json::parse(out.toStdString());
    QCOMPARE(QString::fromStdString(shown.at("name").get<std::string>()),
             before[1].label.section(QStringLiteral(" #"), 0, 0));
  }

  /// Issue 18, defect 2: data imported while the bundled sample project is open gets its own
  /// project; the sample project is not written to. File > Save (Ctrl+S) saves the project.
  void newDataGetsItsOwnProject() {
    if (!hasSampleData()) QSKIP("sample-data/ not generated yet");
    QSettings().clear();
    QFile::remove(MainWindow::defaultProjectPath());
    const QDir appData = QFileInfo(MainWindow::defaultProjectPath()).absoluteDir();
    for (const QString& f : appData.entryList({QStringLiteral("shop*.rwbproj")}))
      QFile::remove(appData.filePath(f));
    QTemporaryDir dir;
    const QString csv = dir.filePath("shop.csv");
    {
      std::ofstream f(csv.toStdString());
      f << "user,item,rating\n";
      for (int u = 0; u < 40; ++u) {
        for (int i = 0; i < 12; ++i) f << "u" << u << ",i" << (u * 7 + i * 3) % 30 << ",1\n";
      }
    }
    MainWindow w;
    w.setQuiet(true);
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    QVERIFY(w.openStartupProject());
    QVERIFY(loaded.wait(60000));
    const QString sample = MainWindow::defaultProjectPath();
    QCOMPARE(w.session()->projectPath(), sample);
    QVERIFY(runModels(w, {"most_popular"}));
    QCOMPARE(ProjectStore(sample.toStdString(), false).countRuns(), std::int64_t{1});
    const std::int64_t specsBefore = ProjectStore(sample.toStdString(), false).latestSpecId();

    DatasetOptions opt;
    opt.interactions.strict = false;
    w.loadData(csv, opt);
    QVERIFY(loaded.wait(30000));
    const QString own = w.session()->projectPath();
    QVERIFY(own != sample);
    QVERIFY(QFileInfo::exists(own));
    QCOMPARE(QFileInfo(own).completeBaseName(), QStringLiteral("shop"));
    QVERIFY(w.session()->runs().empty());  // the sample project's runs stay with it
    QVERIFY(runModels(w, {}));             // the editor's most_popular, on the new data
    QCOMPARE(ProjectStore(own.toStdString(), false).countRuns(), std::int64_t{1});
    // Nothing of the new data went into the sample project.
    QCOMPARE(ProjectStore(sample.toStdString(), false).countRuns(), std::int64_t{1});
    QCOMPARE(ProjectStore(sample.toStdString(), false).latestSpecId(), specsBefore);
    QCOMPARE(sqlCount(sample, "SELECT count(*) FROM specs WHERE json LIKE '%shop.csv%'"), 0);
    QCOMPARE(sqlCount(own, "SELECT count(*) FROM specs WHERE json LIKE '%shop.csv%'") > 0, true);
    QVERIFY(w.windowTitle().contains(QStringLiteral("shop")));

    // A plain Save with Ctrl+S beside Save As.
    QAction* save = w.findChild<QAction*>(QStringLiteral("saveProject"));
    QVERIFY(save != nullptr);
    QCOMPARE(save->shortcut(), QKeySequence(QKeySequence::Save));
    QCOMPARE(w.saveProject(), QString());
    const ProjectStore store(own.toStdString(), false);
    const auto spec = store.loadSpec(store.latestSpecId());
    QVERIFY(QString::fromStdString(spec.dump()).contains(QStringLiteral("shop.csv")));
    QFile::remove(sample);
    QFile::remove(own);
  }

  /// Issue 18, workflow: runs are renamed, tagged, noted, archived and deleted in the project
  /// (the CLI sees it), filtered by tag with the charts following, their configurations diffed,
  /// their learning curves overlaid, the champion kept with its history and exported from the
  /// menu, and the comparison written as a self-contained HTML report.
  void runWorkflowInProject() {
    MainWindow w;
    w.setQuiet(true);
    w.show();
    QTemporaryDir dir;
    const QString project = dir.filePath("wf.rwbproj");
    QCOMPARE(w.newProject(project), QString());
    // Data from a file, so that runs are recorded and export can rebuild the training data.
    const QString csv = dir.filePath("log.csv");
    {
      std::ofstream f(csv.toStdString());
      f << "user,item,rating,timestamp\n";
      std::mt19937 rng(5);
      for (int u = 0; u < 150; ++u) {
        for (int k = 0; k < 25; ++k)
          f << "u" << u << ",i" << (rng() % 80) << ",1," << 1000000 + u * 100 + k << "\n";
      }
    }
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    DatasetOptions opt;
    opt.interactions.strict = false;
    w.loadData(csv, opt);
    QVERIFY(loaded.wait(30000));
    QVERIFY(runModels(w, {"most_popular", "bpr", "bpr"}));
    const auto& runs = w.session()->runs();
    const int pop = runs[0].id, bpr1 = runs[1].id, bpr2 = runs[2].id;
    CompareView* cv = w.compareView();
    RunActions* a = cv->actions();
    w.tabs()->setCurrentWidget(cv);

    QCOMPARE(a->rename(pop, "baseline"), QString());
    QCOMPARE(w.session()->run(pop)->displayName,
             QStringLiteral("baseline #%1").arg(w.session()->run(pop)->storeId));
    QCOMPARE(a->addTag(bpr1, "mf"), QString());
    QCOMPARE(a->addTag(bpr2, "mf"), QString());
    QCOMPARE(a->setNote(pop, "the bar to beat"), QString());
    QVERIFY(!a->addTag(bpr1, "a,b").isEmpty());  // the store's refusal comes back as text
    QString out;
    QCOMPARE(recwb({"runs", "--project", project, "list", "--json"}, &out), 0);
    const auto listed = nlohmann::json::parse(out.toStdString());
    for (const auto& r : listed) {
      if (r.at("id") == w.session()->run(pop)->storeId) {
        QCOMPARE(QString::fromStdString(r.at("name").get<std::string>()),
                 QStringLiteral("baseline"));
        QCOMPARE(QString::fromStdString(r.at("note").get<std::string>()),
                 QStringLiteral("the bar to beat"));
      } else {
        QCOMPARE(r.at("tags"), nlohmann::json::array({"mf"}));
      }
    }

    // Filter by tag: the table hides the others, the charts draw only the tagged runs.
    cv->refresh();
    const int tagEntry = cv->runFilterSelector()->findText(QStringLiteral("tag: mf (2)"));
    QVERIFY2(tagEntry >= 0, qPrintable(cv->runFilterSelector()->itemText(1)));
    cv->runFilterSelector()->setCurrentIndex(tagEntry);
    emit cv->runFilterSelector()->activated(tagEntry);
    QCOMPARE(cv->shownRuns(), (QList<int>{bpr1, bpr2}));
    const QModelIndex popRow = cv->table()->proxy()->mapFromSource(cv->model()->index(0, 0));
    QVERIFY(cv->table()->view()->isRowHidden(popRow.row()));
    QVERIFY(!cv->table()->view()->isRowHidden(
        cv->table()->proxy()->mapFromSource(cv->model()->index(1, 0)).row()));
    cv->chartTabs()->setCurrentWidget(cv->curvesPage());
    cv->refresh();
    // Learning curves of both tagged runs on the same axes.
    QCOMPARE(cv->curvesPage()->runs().size(), 2);
    QCOMPARE(cv->curvesPage()->chart()->graphCount(), 2);
    QCOMPARE(cv->charts()[4]->graphCount(), 2);  // trade-off: the filter's runs only

    // The configuration diff: the two bpr runs ran the same configuration (nothing differs);
    // the baseline differs from them in model and parameters.
    QStringList labels;
    const auto same = a->diff({bpr1, bpr2}, &labels);
    QCOMPARE(labels.size(), 2);
    QVERIFY2(same.empty(), same.empty() ? "" : same.front().key.c_str());
    const auto rows = a->diff({pop, bpr1}, &labels);
    bool model = false, factors = false;
    for (const auto& row : rows) {
      model = model || row.key == "model";
      factors = factors || row.key.rfind("params.", 0) == 0;
    }
    QVERIFY(model);
    QVERIFY(factors);
    QDialog* d = cv->showDiff(false);
    QVERIFY(d != nullptr);
    d->close();

    // Archive hides a run unless archived runs are shown.
    cv->runFilterSelector()->setCurrentIndex(0);
    emit cv->runFilterSelector()->activated(0);
    QCOMPARE(a->setArchived(bpr2, true), QString());
    QCOMPARE(cv->shownRuns(), (QList<int>{pop, bpr1}));
    cv->archivedToggle()->setChecked(true);
    QCOMPARE(cv->shownRuns().size(), 3);

    // The champion and its history persist; Export Champion exports it.
    QCOMPARE(a->setChampion(pop), QString());
    QCOMPARE(a->setChampion(bpr1), QString());
    const auto history = a->championHistory();
    QCOMPARE(history.size(), std::size_t{2});
    QCOMPARE(history[1].runId, w.session()->run(bpr1)->storeId);
    QCOMPARE(a->currentChampion(), bpr1);
    // Run > Champion History shows one row per crowning, newest last.
    auto* historyDialog = qobject_cast<TableDialog*>(w.showChampionHistory());
    QVERIFY(historyDialog != nullptr);
    QCOMPARE(historyDialog->table()->rowCount(), 2);
    QVERIFY(historyDialog->table()->item(1, 1)->text().endsWith(
        QStringLiteral("#%1").arg(w.session()->run(bpr1)->storeId)));
    historyDialog->close();
    QSignalSpy exported(cv, &CompareView::exported);
    const QString pkg = dir.filePath("champion.rwbm");
    QCOMPARE(w.exportChampion(pkg), QString());
    QVERIFY(exported.wait(60000));
    QCOMPARE(exported.first().at(1).toString(), QString());
    QVERIFY(QFileInfo(pkg).size() > 0);

    // The HTML report of the shown runs: one self-contained file with their numbers.
    QSignalSpy written(a, &RunActions::reportWritten);
    const QString html = dir.filePath("report.html");
    w.exportReport(html);
    QVERIFY(written.wait(60000));
    QCOMPARE(written.first().at(1).toString(), QString());
    QFile f(html);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(f.readAll());
    QVERIFY(!text.contains("http://") && !text.contains("https://") && !text.contains("src="));
    for (int id : {pop, bpr1, bpr2}) {
      const double ndcg = w.session()->run(id)->record.metrics.at("ndcg@10");
      QVERIFY(text.contains(QString::number(ndcg, 'f', 6)));
    }

    // Delete: gone from the session and the project.
    QSignalSpy deleted(a, &RunActions::deleted);
    const std::int64_t storeId = w.session()->run(bpr2)->storeId;
    a->deleteRun(bpr2);
    QVERIFY(deleted.wait(10000));
    QVERIFY(w.session()->run(bpr2) == nullptr);
    QCOMPARE(recwb({"runs", "--project", project, "show", QString::number(storeId)}, &out), 1);
  }

  /// Closing with work in flight asks, and cancels cleanly on yes.
  void closeWithWorkInFlightAsksThenCancels() {
    auto* w = new MainWindow;
    w->setQuiet(true);
    w->show();
    std::atomic<bool> started{false};
    w->runner()->start<int>(
        "spin",
        [&started](TaskContext& ctx) {
          started = true;
          while (true) ctx.throwIfStopped();
          return 0;
        },
        w, [](int) {});
    QVERIFY(waitFor([&] { return started.load(); }, 5000));
    int asked = 0;
    w->setCloseConfirmer([&asked](int running) {
      asked = running;
      return false;
    });
    QVERIFY(!w->close());
    QCOMPARE(asked, 1);
    QVERIFY(w->runner()->busy());
    w->setCloseConfirmer([](int) { return true; });
    QVERIFY(w->close());
    QVERIFY(!w->runner()->busy());
    delete w;
  }

  /// Issue 14: the split designer offers cold items, picks held-out candidates for them and
  /// shows core's count of the held-out items; a spec with a cold_items split, held-out
  /// candidates and a feature configuration loads and runs through the runner; Compare labels
  /// the runs by protocol and compares them only with runs under the same protocol.
  void coldItemsSplitRunsAndIsLabelled() {
    QTemporaryDir dir;
    {
      // 80 users, 60 items in 4 categories; each user mostly picks one category.
      QFile items(dir.filePath("items.csv"));
      QVERIFY(items.open(QIODevice::WriteOnly));
      items.write("item_id,category\n");
      for (int i = 0; i < 60; ++i)
        items.write(QStringLiteral("I%1,c%2\n").arg(i).arg(i % 4).toUtf8());
      QFile inter(dir.filePath("interactions.csv"));
      QVERIFY(inter.open(QIODevice::WriteOnly));
      inter.write("user_id,item_id,value,timestamp\n");
      std::mt19937 rng(5);
      for (int u = 0; u < 80; ++u) {
        for (int k = 0; k < 12; ++k) {
          const int cat = k < 9 ? u % 4 : static_cast<int>(rng() % 4);
          const int item = cat + 4 * static_cast<int>(rng() % 15);
          inter.write(QStringLiteral("U%1,I%2,1,%3\n")
                          .arg(u)
                          .arg(item)
                          .arg(1000000000 + u * 1000 + k)
                          .toUtf8());
        }
      }
    }
    MainWindow w;
    w.setQuiet(true);
    w.show();
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    DatasetOptions opt;
    opt.interactions.strict = false;
    w.loadData(dir.path(), opt);
    QVERIFY(loaded.wait(30000));
    auto data = w.session()->dataset();
    QCOMPARE(data->itemAttributes.columns.size(), std::size_t{1});
    // What core's splitter holds out for a cold_items split.
    const auto heldOut = [&](double ratio, int seed) {
      TaskContext ctx;
      const SplitOptions so = splitOptionsFromJson(
          {{"method", "cold_items"}, {"ratio", ratio}, {"seed", seed}}, "$.split");
      const SplitDatasets parts = materializeSplit(*data, splitDataset(*data, so, ctx));
      return heldOutItems(parts.train, parts.test).size();
    };
    ExperimentView* ev = w.experimentView();
    w.tabs()->setCurrentWidget(ev);
    QCOMPARE(ev->candidates(), QStringLiteral("catalogue"));
    QCOMPARE(ev->heldOutText(), QString());
    ev->setSplitMethod(QStringLiteral("cold_items"));
    QCOMPARE(ev->candidates(), QStringLiteral("held_out"));
    const std::size_t held75 = heldOut(0.75, 42);
    QVERIFY(held75 > 0);
    QVERIFY(waitFor([&] { return ev->heldOutText().startsWith("Held out"); }, 30000));
    QVERIFY2(ev->heldOutText().contains(QStringLiteral("%1 of 60 items").arg(held75)),
             qPrintable(ev->heldOutText()));
    QCOMPARE(ev->spec()["evaluation"]["candidates"].get<std::string>(), std::string("held_out"));
    // Cold users: the users held out (core's splitter), scored as new users, with a history.
    ev->setSplitMethod(QStringLiteral("cold_users"));
    QCOMPARE(ev->candidates(), QStringLiteral("catalogue"));
    QVERIFY(waitFor([&] { return ev->heldOutText().startsWith("Held out"); }, 30000));
    {
      TaskContext ctx;
      const SplitOptions so = splitOptionsFromJson(
          {{"method", "cold_users"}, {"ratio", 0.75}, {"seed", 42}}, "$.split");
      const SplitDatasets parts = materializeSplit(*data, splitDataset(*data, so, ctx));
      const std::size_t users = usersWithInteractions(parts.test).size();
      QVERIFY(users > 0);
      QVERIFY2(ev->heldOutText().contains(QStringLiteral("%1 of 80 users").arg(users)),
               qPrintable(ev->heldOutText()));
    }
    auto* history = ev->findChild<QSpinBox*>("coldUserHistory");
    QVERIFY(history != nullptr && history->isVisible());
    history->setValue(2);
    QCOMPARE(ev->spec()["evaluation"]["cold_user_history"].get<int>(), 2);
    // Back to a warm split: the catalogue, no count.
    ev->setSplitMethod(QStringLiteral("random"));
    QVERIFY(!history->isVisible());
    QCOMPARE(ev->candidates(), QStringLiteral("catalogue"));
    QVERIFY(!ev->spec().contains("evaluation"));

    const nlohmann::json doc = {
        {"version", 1},
        {"split", {{"method", "cold_items"}, {"ratio", 0.8}, {"seed", 3}}},
        {"evaluation", {{"candidates", "held_out"}}},
        {"features", {{"item", {{{"column", "category"}, {"kind", "onehot"}}}}}},
        {"models",
         {{{"name", "random"}},
          {{"name", "attribute_popularity"}, {"params", {{"columns", "category"}}}}}},
        {"metrics", {{"k", 5}, {"names", {"ndcg", "precision"}}}},
        {"seed", 3}};
    QFile specFile(dir.filePath("cold.json"));
    QVERIFY(specFile.open(QIODevice::WriteOnly));
    specFile.write(QByteArray::fromStdString(doc.dump(2)));
    specFile.close();
    QCOMPARE(ev->loadSpec(specFile.fileName()), QString());
    QCOMPARE(ev->candidates(), QStringLiteral("held_out"));
    QVERIFY2(ev->featuresNote().contains("item: category"), qPrintable(ev->featuresNote()));
    QVERIFY(ev->spec()["features"] == doc["features"]);
    const std::size_t held = heldOut(0.8, 3);
    QVERIFY(waitFor([&] { return ev->heldOutText().startsWith("Held out"); }, 30000));
    QVERIFY2(ev->heldOutText().contains(QStringLiteral("%1 of 60 items").arg(held)),
             qPrintable(ev->heldOutText()));

    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 2; }, 120000));
    const std::string label = "cold items, " + std::to_string(held) + " held-out candidates";
    for (const SessionRun& r : w.session()->runs()) {
      QVERIFY2(r.done(), r.record.error.c_str());
      QCOMPARE(r.record.splitMethod, std::string("cold_items"));
      QCOMPARE(r.record.candidates, std::string("held_out"));
      QCOMPARE(r.record.candidateItems, held);
      QCOMPARE(protocolLabel(r.record), label);
    }
    // The same split ranked over the catalogue: another protocol.
    ev->setCandidates(QStringLiteral("catalogue"));
    QCOMPARE(ev->spec()["evaluation"]["candidates"].get<std::string>(), std::string("catalogue"));
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 4; }, 120000));
    const auto& runs = w.session()->runs();
    QCOMPARE(runs.size(), std::size_t{4});
    QCOMPARE(runs[0].record.splitHash, runs[2].record.splitHash);
    QCOMPARE(protocolLabel(runs[2].record), std::string("cold items, catalogue"));

    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->refresh();
    RunsModel* m = cv->model();
    const int col = static_cast<int>(m->fields().indexOf("protocol"));
    QVERIFY(col >= 0);
    QCOMPARE(m->data(m->index(0, col), Qt::DisplayRole).toString().toStdString(), label);
    QCOMPARE(m->data(m->index(3, col), Qt::DisplayRole).toString(),
             QStringLiteral("cold items, catalogue"));
    // One entry per split and protocol; the newest (catalogue) runs are compared, the held-out
    // ones are not, and the note says why.
    QCOMPARE(cv->splitSelector()->count(), 2);
    QVERIFY(!m->compared(0) && !m->compared(1) && m->compared(2) && m->compared(3));
    QVERIFY2(cv->splitNote().contains(QString::fromStdString(label)), qPrintable(cv->splitNote()));
    const int heldGroup =
        cv->splitSelector()->findData(QString::fromStdString(comparisonKey(runs[0].record)));
    QVERIFY(heldGroup >= 0);
    cv->splitSelector()->setCurrentIndex(heldGroup);
    emit cv->splitSelector()->activated(heldGroup);
    QVERIFY(m->compared(0) && m->compared(1) && !m->compared(2) && !m->compared(3));
  }

  /// Issue 14.4: resources/specs/ml100k-coldstart.json (reduced to its baselines) loads with
  /// "Load spec...", its data loads, and it runs with the held-out candidate set.
  void coldstartSpecLoadsAndRuns() {
    const QString shared = sharedData();
    if (shared.isEmpty()) QSKIP("../shared/data (or RWB_SHARED_DATA) absent");
    QTemporaryDir dir;
    QFile in(
        QDir(QStringLiteral(RWB_SOURCE_DIR)).filePath("resources/specs/ml100k-coldstart.json"));
    QVERIFY(in.open(QIODevice::ReadOnly));
    nlohmann::json doc = nlohmann::json::parse(in.readAll().toStdString());
    doc["dataset"]["path"] = (shared + "/ml-100k").toStdString();
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : doc["models"]) {
      if (m["name"] != "gbdt") models.push_back(m);  // the hybrid takes minutes
    }
    QCOMPARE(models.size(), std::size_t{2});
    doc["models"] = models;
    QFile specFile(dir.filePath("coldstart.json"));
    QVERIFY(specFile.open(QIODevice::WriteOnly));
    specFile.write(QByteArray::fromStdString(doc.dump(2)));
    specFile.close();

    MainWindow w;
    w.setQuiet(true);
    w.show();
    ExperimentView* ev = w.experimentView();
    w.tabs()->setCurrentWidget(ev);
    QCOMPARE(ev->loadSpec(specFile.fileName()), QString());
    QCOMPARE(ev->candidates(), QStringLiteral("held_out"));
    QVERIFY(ev->featuresNote().contains("genres"));
    QCOMPARE(ev->modelCount(), 2);
    QVERIFY(!ev->specDataWarning().isEmpty());
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    ev->loadSpecData();
    QVERIFY(loaded.wait(60000));
    QCOMPARE(ev->specDataWarning(), QString());
    QVERIFY(w.session()->dataset()->itemAttributes.columns.size() > 0);
    QVERIFY(waitFor([&] { return ev->heldOutText().startsWith("Held out"); }, 60000));
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 2; }, 300000));
    for (const SessionRun& r : w.session()->runs()) {
      QVERIFY2(r.done(), r.record.error.c_str());
      QCOMPARE(r.record.candidates, std::string("held_out"));
      QVERIFY(r.record.candidateItems > 0);
      // The count the split designer showed is the run's candidate count.
      QVERIFY2(ev->heldOutText().contains(
                   QStringLiteral("Held out: %L1 of").arg(r.record.candidateItems)),
               qPrintable(ev->heldOutText()));
      QVERIFY(r.record.metrics.count("ndcg@10") == 1);
    }
    // attribute_popularity ranks the new items better than random (issue 14's bar).
    QVERIFY(w.session()->runs()[1].record.metrics.at("ndcg@10") >
            w.session()->runs()[0].record.metrics.at("ndcg@10"));
  }
};

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("RecWorkbenchTest");
  QApplication::setApplicationName("RecWorkbenchTest");
  GuiTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "gui_test.moc"
