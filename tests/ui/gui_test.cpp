// GUI tests of the workbench (QtTest, offscreen platform). Run from the source root so that
// ../shared/data resolves; tests that need it skip when it is absent.
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProgressBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolButton>
#include <QtTest>
#include <atomic>
#include <fstream>
#include <numeric>
#include <random>

#include "core/export/model_package.h"
#include "core/models/registry.h"
#include "ui/chart_view.h"
#include "ui/compare_view.h"
#include "ui/data_view.h"
#include "ui/experiment_view.h"
#include "ui/import_dialog.h"
#include "ui/log_pane.h"
#include "ui/main_window.h"
#include "ui/param_form.h"
#include "ui/session.h"
#include "ui/table_view.h"
#include "ui/task_runner.h"
#include "ui/users_view.h"

using namespace rwb;
using namespace rwb::ui;

namespace {

QString sharedData() {
  const QString dir = QDir(QStringLiteral(RWB_SOURCE_DIR)).filePath("../shared/data");
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
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
  }
  return true;
}

}  // namespace

class GuiTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

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
    QCOMPARE(dialog.options().header, HeaderMode::kNo);
  }

  void paramFormFollowsTheSchema() {
    const ModelInfo* info = findModel("most_popular");
    QVERIFY(info);
    ParamForm form;
    form.setSchema(info->schema, Params::object());
    QCOMPARE(form.editorCount(), static_cast<int>(info->schema.params.size()));
    // The form's values are exactly the schema's defaults and resolve without error.
    QCOMPARE(form.values(), info->schema.resolve(Params::object()));
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

  /// The end-to-end walk: open data, run two models, compare, open a user, champion, export.
  void endToEndOnMovieLens() {
    const QString shared = sharedData();
    if (shared.isEmpty()) QSKIP("skipped: reference data absent (../shared/data not found)");
    MainWindow w;
    w.setQuiet(true);
    w.show();
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    DelimitedOptions opt;
    opt.strict = false;
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
      QVERIFY2(r.status == "done", qPrintable(r.displayName + ": " + r.status + " " + r.message));
    }
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    QCOMPARE(cv->model()->rowCount(), 2);
    // Both runs were evaluated on the given test file, with bootstrap CIs around the means.
    for (const auto& r : w.session()->runs()) {
      auto it = r.metrics.find("ndcg@10");
      QVERIFY2(it != r.metrics.end(), qPrintable(r.displayName));
      QVERIFY(it->second.hasCi);
      QVERIFY(it->second.lo <= it->second.value && it->second.value <= it->second.hi);
      QVERIFY(it->second.value > 0.0 && it->second.value < 1.0);
      QVERIFY(!r.perUser.at("ndcg@10").empty());
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
             w.session()->runs()[1].fitted->recommend(u0, 10).items);
    QCOMPARE(package->info().runName, w.session()->runs()[1].displayName.toStdString());
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
    DelimitedOptions opt;
    w.loadData("/nonexistent/ratings.csv", opt);
    QVERIFY(failed.wait(10000));
    QVERIFY(failed.first().first().toString().contains("cannot open '/nonexistent/ratings.csv'"));
    QVERIFY(w.logPane()->text().contains("cannot open"));
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
    for (const auto& r : w.session()->runs()) QCOMPARE(r.status, QStringLiteral("cancelled"));
    for (int id : runs) QCOMPARE(ev->taskOfRun(id), 0);
    QVERIFY(w.session()->runs()[0].fitted == nullptr);
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
