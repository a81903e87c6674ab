// GUI tests of hyperparameter search (issue 15): the Experiment view's search form and tuning
// block write the spec `recwb run` reads, a search runs in the background with live progress
// and can be cancelled, and Compare shows a run's trials (table, parameter vs metric, parallel
// coordinates). QtTest on the offscreen platform.
#include <sqlite3.h>

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>
#include <cmath>

#include "core/experiment/experiment_spec.h"
#include "core/models/registry.h"
#include "core/store/project_store.h"
#include "ui/chart_view.h"
#include "ui/compare_view.h"
#include "ui/experiment_view.h"
#include "ui/main_window.h"
#include "ui/run_engine.h"
#include "ui/runs_model.h"
#include "ui/search_form.h"
#include "ui/session.h"
#include "ui/task_runner.h"
#include "ui/trials_page.h"

using namespace rwb;
using namespace rwb::ui;
using nlohmann::json;

namespace {

bool waitFor(const std::function<bool()>& cond, int ms) {
  QElapsedTimer t;
  t.start();
  while (!cond()) {
    if (t.elapsed() > ms) return false;
    QTest::qWait(10);
  }
  return true;
}

/// Generates a small event log with `recwb generate` into dir (seeded: the same every time).
bool generateData(const QString& dir, int interactions) {
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(QStringLiteral(RWB_RECWB),
          {"generate", "--out", dir, "--seed", "3", "--users", "400", "--items", "300",
           "--interactions", QString::number(interactions)});
  return p.waitForFinished(120000) && p.exitCode() == 0;
}

/// Loads a folder as `recwb run` reads a spec's {"path": folder} and waits for it.
bool loadFolder(MainWindow& w, const QString& dir) {
  QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
  w.loadSource(json{{"path", dir.toStdString()}});
  return loaded.wait(60000);
}

int countRuns(const QString& project) {
  sqlite3* db = nullptr;
  int n = -1;
  if (sqlite3_open_v2(project.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) ==
      SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM runs", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return n;
}

json defaults(const char* model) { return findModel(model)->schema.resolve(Params::object()); }

/// The queue row's stage cell of a run (the fourth field of queueText).
QString stageOf(ExperimentView* ev, int runId) { return ev->queueText(runId).section('\t', 3); }

/// A finished run with a hand-made iALS search: 6 trials over regularization (log) and
/// value_transform (a choice), Hyperband rungs at 5 and 15 iterations, one failed fit.
SessionRun searchedRun() {
  rwb::RunRecord rec;
  rec.name = "ials-tuned";
  rec.model = "ials";
  rec.status = RunStatus::kOk;
  rec.splitHash = "abc";
  rec.metrics["ndcg@10"] = 0.3;
  SearchHistory h;
  h.method = "auto";
  h.metric = "ndcg@10";
  const auto trial = [](double reg, const char* vt, long long its, int rung, int config,
                        double score) {
    SearchTrial t;
    t.params = defaults("ials");
    t.params["regularization"] = reg;
    t.params["value_transform"] = vt;
    t.params["iterations"] = its;
    t.rung = rung;
    t.budget = its;
    t.config = config;
    t.score = score;
    t.fitSeconds = 0.25 * (config + 1);
    return t;
  };
  h.trials = {trial(30.0, "binary", 5, 0, 0, 0.20), trial(0.01, "log", 5, 0, 1, 0.11),
              trial(300.0, "raw", 5, 0, 2, 0.15), trial(30.0, "binary", 15, 1, 0, 0.26),
              trial(2.0, "log", 5, 0, 3, std::nan(""))};
  h.trials.back().error = "diverged";
  h.trials.push_back(trial(2.0, "log", 15, 0, 4, 0.24));
  h.best = h.trials[3].params;
  h.bestScore = 0.26;
  rec.search = h;
  SessionRun run;
  run.state = RunState::kDone;
  run.record = std::move(rec);
  run.displayName = "ials-tuned";
  run.dataset = "small";
  return run;
}

}  // namespace

class SearchGuiTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  /// The search form and the tuning block produce exactly the spec one writes by hand for
  /// `recwb run` (defaults, "auto", a custom space), parsed to the same searches by core; the
  /// spec read back shows the same form.
  void searchFormWritesTheHandWrittenSpec() {
    MainWindow w;
    w.setQuiet(true);
    ExperimentView* ev = w.experimentView();
    QVERIFY(ev->addModel("most_popular"));
    QVERIFY(ev->addModel("ials"));
    QVERIFY(ev->addModel("itemknn"));
    SearchForm* form = ev->searchForm();

    ev->selectEntry(0);
    QCOMPARE(form->mode(), QString(SearchForm::kDefaults));
    ev->selectEntry(1);
    // A model with a default space offers every mode; iterations is the Hyperband budget.
    form->setMode(SearchForm::kAuto);
    ev->selectEntry(2);
    form->setMode(SearchForm::kCustom);
    // Starts from the default space: similarity, alpha, shrink, normalize are checked.
    QTableWidget* table = form->spaceTable();
    QVERIFY(form->rowOf("similarity") >= 0);
    QCOMPARE(table->item(form->rowOf("shrink"), SearchForm::kColumnParam)->checkState(),
             Qt::Checked);
    for (int r = 0; r < table->rowCount(); ++r)
      table->item(r, SearchForm::kColumnParam)->setCheckState(Qt::Unchecked);
    QVERIFY(form->problem().contains("at least one"));
    form->setRow("similarity", true, 0, 0, false, "cosine, asymmetric_cosine");
    form->setRow("alpha", true, 0.1, 0.5, false);
    form->setRow("shrink", true, 1, 100, true);
    QCOMPARE(form->problem(), QString());
    ev->tuningBudget()->setValue(8);
    ev->tuningTrials()->setValue(12);
    ev->tuningValidationRatio()->setValue(0.75);
    ev->tuningValidationSeed()->setValue(3);
    ev->selectEntry(0);  // leaving the entry keeps its search

    const json gui = ev->spec();
    const json handModels = json::parse(R"([
      {"name": "most_popular"},
      {"name": "ials", "search": "auto"},
      {"name": "itemknn", "search": {"method": "auto", "space": {
        "similarity": ["cosine", "asymmetric_cosine"],
        "alpha": {"min": 0.1, "max": 0.5, "log": false},
        "shrink": {"min": 1, "max": 100, "log": true}}}}])");
    const json handTuning = json::parse(
        R"({"budget_seconds": 8, "trials": 12, "validation": {"ratio": 0.75, "seed": 3}})");
    // The editor writes every parameter (their defaults here).
    json expected = handModels;
    for (auto& m : expected) m["params"] = defaults(m["name"].get<std::string>().c_str());
    // Equal as JSON values (a float parameter's bound 1 reads back as 1.0).
    QVERIFY2(gui["models"] == expected, (gui["models"].dump() + "\n" + expected.dump()).c_str());
    QVERIFY2(gui["tuning"] == handTuning,
             (gui["tuning"].dump() + "\n" + handTuning.dump()).c_str());

    // Core reads both documents to the same searches (`recwb run` parses specs with it).
    QTemporaryDir dir;
    json hand = gui;
    hand["models"] = handModels;
    hand["tuning"] = handTuning;
    json g = gui;
    for (json* doc : {&hand, &g}) (*doc)["dataset"] = {{"path", "log.tsv"}};
    const ExperimentSpec a = parseExperimentSpec(g, dir.path().toStdString());
    const ExperimentSpec b = parseExperimentSpec(hand, dir.path().toStdString());
    QCOMPARE(a.models.size(), std::size_t{3});
    QVERIFY(!a.models[0].search && !b.models[0].search);
    for (std::size_t m = 1; m < 3; ++m) {
      const SearchSpec& x = *a.models[m].search;
      const SearchSpec& y = *b.models[m].search;
      QCOMPARE(x.method, std::string("auto"));
      QCOMPARE(x.method, y.method);
      QCOMPARE(x.trials, 12);
      QCOMPARE(x.trials, y.trials);
      QCOMPARE(x.budgetSeconds, 8.0);
      QCOMPARE(x.validationRatio, y.validationRatio);
      QCOMPARE(x.seed, std::uint64_t{3});
      QCOMPARE(x.budgetParam, y.budgetParam);
      QCOMPARE(x.space.size(), y.space.size());
      for (std::size_t i = 0; i < x.space.size(); ++i) {
        QCOMPARE(x.space[i].name, y.space[i].name);
        QVERIFY(x.space[i].values == y.space[i].values);
        QCOMPARE(x.space[i].range.has_value(), y.space[i].range.has_value());
        QCOMPARE(x.space[i].whenParam, y.space[i].whenParam);
      }
    }
    QCOMPARE(a.models[1].search->budgetParam, std::string("iterations"));
    QCOMPARE(a.models[2].search->space[1].whenParam, std::string("similarity"));

    // The spec read back shows the same form and writes the same document.
    QCOMPARE(ev->setSpec(gui), QString());
    QCOMPARE(QString::fromStdString(ev->spec().dump()), QString::fromStdString(gui.dump()));
    ev->selectEntry(2);
    QCOMPARE(form->mode(), QString(SearchForm::kCustom));
    QCOMPARE(table->item(form->rowOf("normalize"), SearchForm::kColumnParam)->checkState(),
             Qt::Unchecked);

    // A value that is not one of the parameter's: said in the form, located by the parser.
    form->setRow("similarity", true, 0, 0, false, "cosine, jaccard");
    QVERIFY(form->problem().contains("jaccard"));
    json bad = ev->spec();
    bad["dataset"] = {{"path", "log.tsv"}};
    try {
      parseExperimentSpec(bad, dir.path().toStdString());
      QFAIL("a bad value was accepted");
    } catch (const SpecError& e) {
      QVERIFY2(QString(e.what()).contains("$.models[2].search.space.similarity[1]"), e.what());
    }
    // Back to defaults: no search; the tuning block stays while it is not the default one
    // (`recwb run --tune` reads it), and goes with the default settings.
    form->setMode(SearchForm::kDefaults);
    ev->selectEntry(1);
    form->setMode(SearchForm::kDefaults);
    QVERIFY(!ev->spec()["models"][1].contains("search"));
    QVERIFY(ev->spec()["tuning"] == handTuning);
    const TuningSpec standard;
    ev->tuningBudget()->setValue(standard.budgetSeconds);
    ev->tuningTrials()->setValue(standard.trials);
    ev->tuningValidationRatio()->setValue(standard.validationRatio);
    ev->tuningValidationSeed()->setValue(static_cast<int>(standard.seed));
    QVERIFY(!ev->spec().contains("tuning"));
    // A budget the control cannot show is refused by name, not rounded.
    json fractional = gui;
    fractional["tuning"]["budget_seconds"] = 7.5;
    QVERIFY(ev->setSpec(fractional).contains("$.tuning"));
  }

  /// The trials views of a run's search: the table lists every trial (winner marked), the
  /// scatter has a point per finished trial on a log axis for a log parameter, the parallel
  /// coordinates an axis per searched parameter plus the metric and a line per finished trial.
  void trialsViewsShowASearch() {
    MainWindow w;
    w.setQuiet(true);
    w.session()->addRun(searchedRun());
    CompareView* cv = w.compareView();
    w.tabs()->setCurrentWidget(cv);
    cv->refresh();
    TrialsPage* page = cv->trialsPage();
    QCOMPARE(page->runSelector()->count(), 1);

    QTableWidget* t = page->table();
    QCOMPARE(t->rowCount(), 6);
    QStringList headers;
    for (int c = 0; c < t->columnCount(); ++c) headers << t->horizontalHeaderItem(c)->text();
    QCOMPARE(headers, (QStringList{"#", "Config", "Rung", "iterations", "ndcg@10 (validation)",
                                   "Fit s", "regularization", "value_transform", "Error"}));
    QCOMPARE(t->item(3, 0)->text(), QStringLiteral("4 *"));  // the winner: 15 iterations
    QVERIFY(t->item(3, 0)->font().bold());
    QCOMPARE(t->item(3, 4)->text(), QStringLiteral("0.2600"));
    QCOMPARE(t->item(1, 6)->text(), QStringLiteral("0.01"));
    QCOMPARE(t->item(2, 7)->text(), QStringLiteral("raw"));
    QCOMPARE(t->item(4, 4)->text(), QStringLiteral("failed"));
    QCOMPARE(t->item(4, 8)->text(), QStringLiteral("diverged"));
    // Sorting by the metric puts the winner first.
    t->sortItems(4, Qt::DescendingOrder);
    QCOMPARE(t->item(0, 0)->text(), QStringLiteral("4 *"));

    QCOMPARE(page->paramSelector()->currentData().toString(), QStringLiteral("regularization"));
    QCOMPARE(page->scatterPoints(), 5);
    QCOMPARE(page->scatter()->xAxis->scaleType(), QCPAxis::stLogarithmic);
    // Two series (5 and 15 iterations) and the winner.
    QCOMPARE(page->scatter()->graphCount(), 3);
    QCOMPARE(page->scatter()->graph(1)->data()->size(), 2);
    page->paramSelector()->setCurrentIndex(1);
    emit page->paramSelector()->activated(1);
    QCOMPARE(page->scatter()->xAxis->scaleType(), QCPAxis::stLinear);
    QVERIFY(page->scatter()->xAxis->ticker().dynamicCast<QCPAxisTickerText>());
    QCOMPARE(page->scatterPoints(), 5);

    QCOMPARE(page->parallelAxes(), (QStringList{"regularization", "value_transform", "ndcg@10"}));
    QCOMPARE(page->parallelLines(), 5);
    QCOMPARE(page->parallel()->graphCount(), 5);
    // Every line crosses every axis inside [0, 1]: the best on top of the metric axis.
    for (int g = 0; g < page->parallel()->graphCount(); ++g) {
      const auto* data = page->parallel()->graph(g)->data().data();
      QCOMPARE(data->size(), 3);
      for (auto it = data->constBegin(); it != data->constEnd(); ++it)
        QVERIFY(it->value >= 0.0 && it->value <= 1.0);
    }
    const auto* best = page->parallel()->graph(4)->data().data();
    QCOMPARE((best->constBegin() + 2)->value, 1.0);

    // Usable at the smallest window the workbench supports.
    w.resize(1024, 700);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    cv->chartTabs()->setCurrentWidget(page);
    QVERIFY(page->views()->height() > 150);
    QVERIFY(page->views()->width() > 600);
  }

  /// A real search from the GUI path on a small generated dataset: most popular and iALS with
  /// the auto search and an 8 s budget. The queue shows the search's progress with the best
  /// score so far; the run's trials are recorded in the project, and Compare shows them.
  void searchRunsFromTheGuiEndToEnd() {
    QTemporaryDir dir;
    const QString data = dir.filePath("data");
    QVERIFY(generateData(data, 20000));
    MainWindow w;
    w.setQuiet(true);
    QVERIFY(loadFolder(w, data));
    const QString project = dir.filePath("p.rwbproj");
    QCOMPARE(w.newProject(project), QString());
    ExperimentView* ev = w.experimentView();
    QVERIFY(ev->addModel("most_popular"));
    QVERIFY(ev->addModel("ials"));
    ev->searchForm()->setMode(SearchForm::kAuto);
    ev->tuningBudget()->setValue(8);
    QCOMPARE(ev->spec()["tuning"]["budget_seconds"], json(8));

    QSignalSpy finished(ev, &ExperimentView::runFinished);
    QStringList stages;
    connect(w.runner(), &TaskRunner::taskProgress, this,
            [&](int, double, const QString& stage) { stages << stage; });
    QElapsedTimer clock;
    clock.start();
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 2; }, 120000));
    const double seconds = clock.elapsed() / 1000.0;
    const SessionRun& pop = w.session()->runs()[0];
    const SessionRun& ials = w.session()->runs()[1];
    QVERIFY2(pop.done() && ials.done(), ials.record.error.c_str());
    QVERIFY(!pop.record.search);
    QVERIFY(ials.record.search);
    const SearchHistory& h = *ials.record.search;
    QCOMPARE(h.method, std::string("auto"));
    QVERIFY2(h.trials.size() >= 3, std::to_string(h.trials.size()).c_str());
    // The budget bounds the whole run: the search's share is what is left of the 8 s after
    // loading and splitting (the share also covers its final fit).
    QVERIFY2(h.budgetSeconds > 0.0 && h.budgetSeconds <= 8.0,
             std::to_string(h.budgetSeconds).c_str());
    // The budget ends the search (a fit in flight finishes).
    QVERIFY2(h.seconds < 8.0 + 20.0, std::to_string(h.seconds).c_str());
    qInfo(
        "iALS auto search: %zu trials in %.1f s (stopped by %s), best ndcg@10 %.4f on "
        "validation, test ndcg@10 %.4f (most popular %.4f); both runs %.1f s",
        h.trials.size(), h.seconds, h.stoppedBy.c_str(), h.bestScore,
        ials.record.metrics.at("ndcg@10"), pop.record.metrics.at("ndcg@10"), seconds);
    // Live progress: the fits counted, the best so far named.
    const auto live = std::find_if(stages.begin(), stages.end(), [](const QString& s) {
      return s.contains("auto search: fit") && s.contains(", configuration ") &&
             s.contains("best ndcg@10");
    });
    QVERIFY2(live != stages.end(), qPrintable(stages.join('\n')));

    // Recorded in the project: the trials `recwb runs trials` lists.
    ProjectStore store(project.toStdString());
    const rwb::RunRecord stored = store.loadRun(ials.storeId).record;
    QVERIFY(stored.search);
    QCOMPARE(stored.search->trials.size(), h.trials.size());

    // Compare: a fresh window on the project shows the stored trials.
    MainWindow w2;
    w2.setQuiet(true);
    w2.openProject(project);
    QVERIFY(waitFor([&] { return w2.session()->runs().size() == 2; }, 30000));
    CompareView* cv = w2.compareView();
    w2.tabs()->setCurrentWidget(cv);
    cv->refresh();
    TrialsPage* page = cv->trialsPage();
    QCOMPARE(page->runSelector()->count(), 1);
    QCOMPARE(page->table()->rowCount(), static_cast<int>(h.trials.size()));
    for (std::size_t i = 0; i < h.trials.size(); ++i) {
      const SearchTrial& t = stored.search->trials[i];
      if (!std::isfinite(t.score)) continue;
      QCOMPARE(page->table()->item(static_cast<int>(i), 4)->text(),
               QString::number(t.score, 'f', 4));
    }
    int finite = 0;
    for (const SearchTrial& t : h.trials) finite += std::isfinite(t.score) ? 1 : 0;
    QCOMPARE(page->scatterPoints(), finite);
    QCOMPARE(page->parallelLines(), finite);
    QVERIFY(page->parallelAxes().size() >= 2);
    QCOMPARE(page->parallelAxes().back(), QStringLiteral("ndcg@10"));
  }

  /// The GUI's search and `recwb run` on the spec the GUI saves give the same trials (a custom
  /// space and a trial cap the budget does not reach: the search is reproducible).
  void guiSearchEqualsCliSearch() {
    QTemporaryDir dir;
    const QString data = dir.filePath("data");
    QVERIFY(generateData(data, 20000));
    MainWindow w;
    w.setQuiet(true);
    QVERIFY(loadFolder(w, data));
    QCOMPARE(w.newProject(dir.filePath("gui.rwbproj")), QString());
    ExperimentView* ev = w.experimentView();
    QVERIFY(ev->addModel("ials"));
    SearchForm* form = ev->searchForm();
    form->setMode(SearchForm::kCustom);
    for (int r = 0; r < form->spaceTable()->rowCount(); ++r)
      form->spaceTable()->item(r, SearchForm::kColumnParam)->setCheckState(Qt::Unchecked);
    form->setRow("regularization", true, 0.01, 100, true);
    form->setRow("value_transform", true, 0, 0, false, "binary, log");
    ev->tuningBudget()->setValue(600);
    ev->tuningTrials()->setValue(5);
    const QString spec = dir.filePath("spec.json");
    QCOMPARE(ev->saveSpec(spec), QString());
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    QVERIFY(waitFor([&] { return finished.count() >= 1; }, 120000));
    const SessionRun& gui = w.session()->runs()[0];
    QVERIFY2(gui.done(), gui.record.error.c_str());

    QProcess cli;
    cli.setProcessChannelMode(QProcess::MergedChannels);
    cli.start(QStringLiteral(RWB_RECWB), {"run", spec, "--project", dir.filePath("cli.rwbproj"),
                                          "--out", dir.filePath("out"), "-q"});
    QVERIFY(cli.waitForFinished(120000));
    QVERIFY2(cli.exitCode() == 0, cli.readAll().constData());
    ProjectStore store(dir.filePath("cli.rwbproj").toStdString());
    const auto runs = store.listRuns();
    QCOMPARE(runs.size(), std::size_t{1});
    const rwb::RunRecord cliRun = store.loadRun(runs.front().id).record;
    QVERIFY(cliRun.search && gui.record.search);
    const SearchHistory& a = *gui.record.search;
    const SearchHistory& b = *cliRun.search;
    QCOMPARE(a.stoppedBy, std::string("trials"));
    QCOMPARE(a.trials.size(), b.trials.size());
    for (std::size_t i = 0; i < a.trials.size(); ++i) {
      QVERIFY2(a.trials[i].params == b.trials[i].params, a.trials[i].params.dump().c_str());
      QCOMPARE(a.trials[i].score, b.trials[i].score);
      QCOMPARE(a.trials[i].budget, b.trials[i].budget);
    }
    QVERIFY(a.best == b.best);
    QCOMPARE(gui.record.metrics.at("ndcg@10"), cliRun.metrics.at("ndcg@10"));
  }

  /// Cancel during a search: the run ends as cancelled within seconds, nothing is recorded.
  void cancelStopsARunningSearch() {
    QTemporaryDir dir;
    const QString data = dir.filePath("data");
    QVERIFY(generateData(data, 60000));
    MainWindow w;
    w.setQuiet(true);
    QVERIFY(loadFolder(w, data));
    const QString project = dir.filePath("p.rwbproj");
    QCOMPARE(w.newProject(project), QString());
    ExperimentView* ev = w.experimentView();
    QVERIFY(ev->addModel("ials"));
    ev->searchForm()->setMode(SearchForm::kAuto);
    ev->tuningBudget()->setValue(600);
    QSignalSpy finished(ev, &ExperimentView::runFinished);
    ev->runAll();
    const int runId = ev->queuedRuns().front();
    // Cancel once the search is fitting candidates.
    QVERIFY(waitFor([&] { return stageOf(ev, runId).contains("auto search: fit"); }, 60000));
    auto* cancel = ev->findChild<QToolButton*>(QStringLiteral("cancel%1").arg(runId));
    QVERIFY(cancel != nullptr);
    QElapsedTimer clock;
    clock.start();
    cancel->click();
    QVERIFY(waitFor([&] { return finished.count() == 1; }, 30000));
    qInfo("search cancelled %lld ms after the click", static_cast<long long>(clock.elapsed()));
    QCOMPARE(w.session()->run(runId)->state, RunState::kCancelled);
    QCOMPARE(countRuns(project), 0);
  }
};

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("RecWorkbenchSearchTest");
  QApplication::setApplicationName("RecWorkbenchSearchTest");
  SearchGuiTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "search_gui_test.moc"
