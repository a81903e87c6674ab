#include "ui/screenshot_tour.h"

#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QScrollArea>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <map>

#include "core/models/registry.h"
#include "core/util/sqlite_db.h"
#include "ui/calibration_page.h"
#include "ui/chart_view.h"
#include "ui/compare_view.h"
#include "ui/curves_page.h"
#include "ui/data_view.h"
#include "ui/database_dialog.h"
#include "ui/experiment_view.h"
#include "ui/import_dialog.h"
#include "ui/importance_page.h"
#include "ui/log_pane.h"
#include "ui/main_window.h"
#include "ui/metric_at_k_page.h"
#include "ui/run_actions.h"
#include "ui/search_form.h"
#include "ui/session.h"
#include "ui/significance_page.h"
#include "ui/slices_page.h"
#include "ui/task_runner.h"
#include "ui/trials_page.h"
#include "ui/users_view.h"

namespace rwb::ui {

ScreenshotTour::ScreenshotTour(MainWindow* window, QString outDir, QObject* parent)
    : QObject(parent), window_(window), outDir_(std::move(outDir)) {}

void ScreenshotTour::save(QWidget* widget, const QString& name) {
  QApplication::processEvents();
  const QString path = QDir(outDir_).filePath(name);
  if (!widget->grab().save(path)) {
    ++failures_;
    qWarning("cannot write %s", qPrintable(path));
  } else {
    qInfo("saved %s", qPrintable(path));
  }
}

void ScreenshotTour::waitThen(std::function<bool()> ready, std::function<void()> next,
                              int timeoutMs) {
  auto* timer = new QTimer(this);
  auto clock = std::make_shared<QElapsedTimer>();
  clock->start();
  connect(timer, &QTimer::timeout, this, [this, timer, clock, ready, next, timeoutMs] {
    if (ready()) {
      timer->stop();
      timer->deleteLater();
      // Let pending redraws land before the next picture.
      QTimer::singleShot(300, this, next);
    } else if (clock->elapsed() > timeoutMs) {
      timer->stop();
      timer->deleteLater();
      ++failures_;
      qWarning("screenshot tour: a step timed out");
      QApplication::exit(1);
    }
  });
  timer->start(50);
}

void ScreenshotTour::start() {
  QDir().mkpath(outDir_);
  window_->setQuiet(true);
  waitThen([this] { return window_->dataView()->profileReady(); }, [this] { step(); });
}

void ScreenshotTour::step() {
  MainWindow* w = window_;
  w->tabs()->setCurrentWidget(w->dataView());
  save(w, "1-data.png");

  ImportDialog dialog(w->session()->datasetPath(), w);
  dialog.show();
  QApplication::processEvents();
  save(&dialog, "2-import.png");
  dialog.close();
  databaseShot();

  ExperimentView* ev = w->experimentView();
  w->tabs()->setCurrentWidget(ev);
  // A baseline, a collaborative model and an engagement model (calibration, importance and
  // feature explanations need one).
  for (const char* m : {"most_popular", "itemknn", "logistic_regression"}) {
    ev->addModel(QString::fromLatin1(m));
  }
  ev->runAll();
  QTimer::singleShot(400, this, [this] { save(window_, "3-experiment-running.png"); });
  waitThen([w] { return !w->runner()->busy(); }, [this] { compareStep(); });
}

void ScreenshotTour::databaseShot() {
  QTemporaryDir dir;
  const QString file = dir.filePath(QStringLiteral("shop.sqlite"));
  try {
    SqliteDb db(file.toStdString(), SqliteDb::Mode::kCreate);
    std::string sql =
        "CREATE TABLE purchases(customer TEXT, sku TEXT, amount REAL, bought_at TEXT);"
        "CREATE TABLE items(sku TEXT, category TEXT, price REAL);"
        "INSERT INTO purchases VALUES ";
    for (int k = 0; k < 400; ++k) {
      const QString when =
          QDateTime::fromSecsSinceEpoch(1714000000 + k * 5417, Qt::UTC).toString(Qt::ISODate);
      // Row 7 holds a price typed by hand: the preview flags it.
      const std::string amount = k == 6 ? "'12,50'" : std::to_string(5 + (k * 37) % 90) + ".5";
      sql += (k ? ",('c" : "('c") + std::to_string(100 + (k * 13) % 57) + "','sku-" +
             std::to_string(1000 + (k * 29) % 83) + "'," + amount + ",'" + when.toStdString() +
             "')";
    }
    sql += ";INSERT INTO items VALUES ('sku-1000','garden',19.9),('sku-1029','kitchen',4.5);";
    db.exec(sql);
  } catch (const std::exception& e) {
    ++failures_;
    qWarning("screenshot tour: %s", e.what());
    return;
  }
  DatabaseDialog dialog(QString(), window_);
  dialog.resize(1024, 700);
  dialog.show();
  dialog.setSource(file);
  dialog.setTable(0, QStringLiteral("purchases"));
  QEventLoop loop;
  QTimer guard;
  guard.setSingleShot(true);
  connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
  connect(&dialog, &DatabaseDialog::previewFinished, &loop, &QEventLoop::quit);
  const auto settle = [&] {
    // Each choice starts a preview (off the GUI thread); wait for it.
    guard.start(30000);
    while (dialog.previewRunning() && guard.isActive()) loop.exec();
  };
  settle();
  dialog.setLenient(true);
  settle();
  for (auto [role, column] : {std::pair{"user", "customer"}, std::pair{"item", "sku"},
                              std::pair{"value", "amount"}, std::pair{"timestamp", "bought_at"}}) {
    dialog.setColumn(QString::fromLatin1(role), QString::fromLatin1(column));
    settle();
  }
  if (dialog.previewModel()->rowCount() == 0) {
    ++failures_;
    qWarning("screenshot tour: the database preview stayed empty: %s",
             qPrintable(dialog.previewStatus()));
  }
  save(&dialog, QStringLiteral("14-database-preview-1024.png"));
  dialog.close();
}

void ScreenshotTour::compareStep() {
  MainWindow* w = window_;
  save(w, "4-experiment-done.png");
  CompareView* cv = w->compareView();
  w->tabs()->setCurrentWidget(cv);
  const auto& runs = w->session()->runs();
  if (!runs.empty()) cv->selectRun(runs.back().id);
  QTimer::singleShot(300, this, [this, w, cv] {
    save(w, "5-compare.png");
    cv->chartTabs()->setCurrentWidget(cv->metricAtKPage());
    QTimer::singleShot(300, this, [this, w, cv] {
      save(w, "5a-compare-metric-at-k.png");
      cv->chartTabs()->setCurrentWidget(cv->significancePage());
      waitThen([cv] { return cv->significancePage()->chart()->plottableCount() > 0; },
               [this, w, cv] {
                 save(w, "5b-compare-significance.png");
                 slicesStep();
               });
    });
  });
}

void ScreenshotTour::slicesStep() {
  MainWindow* w = window_;
  CompareView* cv = w->compareView();
  {
    cv->chartTabs()->setCurrentWidget(cv->slicesPage());
    waitThen([cv, w] { return cv->sliceValues().size() == w->session()->runs().size(); },
             [this, w, cv] {
               save(w, "6-compare-slices.png");
               cv->chartTabs()->setCurrentWidget(cv->calibrationPage());
               waitThen([cv] { return cv->calibrationRuns() > 0; },
                        [this, w, cv] {
                          save(w, "7-compare-calibration.png");
                          cv->chartTabs()->setCurrentWidget(cv->importancePage());
                          QTimer::singleShot(300, this, [this, w] {
                            save(w, "8-compare-importance.png");
                            usersStep();
                          });
                        });
             });
  }
}

void ScreenshotTour::usersStep() {
  MainWindow* w = window_;
  UsersView* uv = w->usersView();
  w->tabs()->setCurrentWidget(uv);
  const auto data = w->session()->dataset();
  const auto& runs = w->session()->runs();
  const QString user =
      data && data->numUsers() > 0 ? QString::fromStdString(data->users.external(1)) : QString();
  uv->showUser(user);
  // Panels: the runs in order; explain the engagement model's top item.
  for (int p = 0; p < UsersView::kPanels && p < static_cast<int>(runs.size()); ++p) {
    uv->setPanelRun(p, runs[static_cast<std::size_t>(p)].id);
  }
  const int last = std::min(UsersView::kPanels, static_cast<int>(runs.size())) - 1;
  if (last >= 0) {
    const auto& r = runs[static_cast<std::size_t>(last)];
    if (r.record.fitted && r.train) {
      const auto u = r.train->users.find(user.toStdString());
      if (u) {
        const RecList top = r.record.fitted->recommend(*u, 1, true);
        if (!top.items.empty()) {
          const QString item = QString::fromStdString(r.train->items.external(top.items[0].item));
          uv->explainItem(last, item);
          uv->showSimilar(item);
        }
      }
    }
  }
  QTimer::singleShot(300, this, [this, w] {
    save(w, "9-users.png");
    workflowStep();
  });
}

void ScreenshotTour::workflowStep() {
  MainWindow* w = window_;
  // Two iterative models for overlaid learning curves.
  ExperimentView* ev = w->experimentView();
  w->tabs()->setCurrentWidget(ev);
  for (const char* m : {"bpr", "ials"}) ev->addModel(QString::fromLatin1(m));
  ev->runAll();
  waitThen([w] { return !w->runner()->busy(); }, [this] { workflowShots(); });
}

void ScreenshotTour::workflowShots() {
  MainWindow* w = window_;
  CompareView* cv = w->compareView();
  RunActions* a = cv->actions();
  // The editor still holds the first three models, so they ran again: archive the repeats,
  // tag the factor models, name one, note the baseline and crown the item-based model.
  std::map<std::string, std::vector<int>> byModel;
  for (const auto& r : w->session()->runs()) byModel[r.record.model].push_back(r.id);
  if (!w->session()->projectPath().isEmpty()) {
    for (auto& [model, ids] : byModel) {
      for (std::size_t i = 1; i < ids.size(); ++i) a->setArchived(ids[i], true);
      if (model == "bpr" || model == "ials") a->addTag(ids[0], QStringLiteral("factor model"));
    }
    if (!byModel["most_popular"].empty()) {
      a->addTag(byModel["most_popular"][0], QStringLiteral("baseline"));
      a->setNote(byModel["most_popular"][0], QStringLiteral("popularity: the bar to beat"));
    }
    if (!byModel["ials"].empty()) a->rename(byModel["ials"][0], QStringLiteral("ials-default"));
    // Two crownings, so the champion history has a row per change.
    if (!byModel["ials"].empty()) a->setChampion(byModel["ials"][0]);
    if (!byModel["itemknn"].empty()) a->setChampion(byModel["itemknn"][0]);
  }
  w->tabs()->setCurrentWidget(cv);
  const auto shots = [this, w, cv](const QString& suffix) {
    RunFilter all;
    w->session()->setRunFilter(all);
    cv->chartTabs()->setCurrentIndex(0);
    cv->refresh();
    save(w, QStringLiteral("10-runs-managed-%1.png").arg(suffix));
    RunFilter tag;
    tag.by = RunFilter::By::kTag;
    tag.value = "factor model";
    w->session()->setRunFilter(tag);
    cv->chartTabs()->setCurrentWidget(cv->curvesPage());
    cv->refresh();
    save(w, QStringLiteral("11-filter-tag-curves-%1.png").arg(suffix));
    // The diff of the runs shown (the two factor models).
    if (QDialog* d = cv->showDiff(false)) {
      QApplication::processEvents();
      save(d, QStringLiteral("12-config-diff-%1.png").arg(suffix));
      d->close();
    }
    // The history dialog does not depend on the window size: one shot.
    QDialog* d = suffix == QLatin1String("1024") ? w->showChampionHistory() : nullptr;
    if (d != nullptr) {
      d->resize(d->sizeHint().expandedTo(QSize(640, 220)));
      QApplication::processEvents();
      save(d, QStringLiteral("12a-champion-history.png"));
      d->close();
    }
    w->session()->setRunFilter(all);
    cv->refresh();
  };
  w->showNormal();
  w->resize(1024, 700);
  QTimer::singleShot(400, this, [this, w, shots] {
    shots(QStringLiteral("1024"));
    w->resize(1700, 1100);
    QTimer::singleShot(400, this, [this, shots] {
      shots(QStringLiteral("1700"));
      coldStep();
    });
  });
}

void ScreenshotTour::coldStep() {
  // Issue 14: the split designer with cold items, at 1024x700, once core counted the held-out
  // items.
  MainWindow* w = window_;
  ExperimentView* ev = w->experimentView();
  w->tabs()->setCurrentWidget(ev);
  w->resize(1024, 700);
  ev->setSplitMethod(QStringLiteral("cold_items"));
  waitThen([ev] { return ev->heldOutText().startsWith(QStringLiteral("Held out")); },
           [this, w] {
             save(w, QStringLiteral("13-split-cold-items-1024.png"));
             searchStep();
           });
}

void ScreenshotTour::searchStep() {
  MainWindow* w = window_;
  ExperimentView* ev = w->experimentView();
  // iALS with a custom space started from its default one, a 10 s budget.
  const QString err = ev->setSpec(
      {{"version", 1},
       {"split", {{"method", "recommenders"}}},
       {"models", {{{"name", "ials"}, {"run_name", "ials-tuned"}}}},
       {"tuning", {{"budget_seconds", 10}, {"validation", {{"ratio", 0.8}, {"seed", 7}}}}}});
  if (!err.isEmpty()) {
    ++failures_;
    qWarning("screenshot tour: %s", qPrintable(err));
  }
  ev->selectEntry(0);
  SearchForm* form = ev->searchForm();
  form->setMode(QString::fromLatin1(SearchForm::kCustom));
  form->setRow(QStringLiteral("alpha"), true, 1, 50, true);
  const auto formShot = [this, w, ev, form](const QString& suffix) {
    // The search form and, under it, the tuning block.
    if (auto* scroll = ev->findChild<QScrollArea*>()) {
      scroll->ensureWidgetVisible(form, 0, 0);
      if (auto* tuning = ev->findChild<QWidget*>(QStringLiteral("tuning")))
        scroll->ensureWidgetVisible(tuning, 0, 0);
    }
    save(w, QStringLiteral("15-search-form-%1.png").arg(suffix));
  };
  w->resize(1700, 1100);
  QTimer::singleShot(400, this, [this, w, ev, formShot] {
    formShot(QStringLiteral("1700"));
    w->resize(1024, 700);
    QTimer::singleShot(400, this, [this, w, ev, formShot] {
      formShot(QStringLiteral("1024"));
      ev->runAll();
      // Live progress: a few fits in, with the best score so far.
      waitThen(
          [ev] {
            const QList<int> runs = ev->queuedRuns();
            return !runs.isEmpty() && ev->queueText(runs.back()).contains(QStringLiteral("best"));
          },
          [this, w, ev] {
            // The stage column, where the live progress is, in view.
            if (auto* queue = ev->findChild<QTableWidget*>(QStringLiteral("queue"))) {
              const int row = queue->rowCount() - 1;
              queue->selectRow(row);
              queue->scrollToItem(queue->item(row, 4));
            }
            save(w, QStringLiteral("16-search-running-1024.png"));
            waitThen([w] { return !w->runner()->busy(); }, [this] { searchShots(); });
          });
    });
  });
}

void ScreenshotTour::searchShots() {
  MainWindow* w = window_;
  CompareView* cv = w->compareView();
  w->tabs()->setCurrentWidget(cv);
  const auto& runs = w->session()->runs();
  if (!runs.empty()) cv->selectRun(runs.back().id);
  cv->chartTabs()->setCurrentWidget(cv->trialsPage());
  TrialsPage* page = cv->trialsPage();
  const auto shots = [this, w, cv, page](const QString& suffix) {
    cv->refresh();
    page->views()->setCurrentIndex(0);
    save(w, QStringLiteral("17-trials-table-%1.png").arg(suffix));
    page->views()->setCurrentIndex(1);
    save(w, QStringLiteral("18-trials-scatter-%1.png").arg(suffix));
    page->views()->setCurrentIndex(2);
    save(w, QStringLiteral("19-trials-parallel-%1.png").arg(suffix));
  };
  QTimer::singleShot(400, this, [this, w, shots] {
    shots(QStringLiteral("1024"));
    w->resize(1700, 1100);
    QTimer::singleShot(400, this, [this, shots] {
      shots(QStringLiteral("1700"));
      QApplication::exit(failures_ == 0 ? 0 : 1);
    });
  });
}

}  // namespace rwb::ui
