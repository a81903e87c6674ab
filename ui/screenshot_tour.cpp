#include "ui/screenshot_tour.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTabWidget>
#include <QTimer>

#include "core/models/registry.h"
#include "ui/compare_view.h"
#include "ui/data_view.h"
#include "ui/experiment_view.h"
#include "ui/import_dialog.h"
#include "ui/log_pane.h"
#include "ui/main_window.h"
#include "ui/session.h"
#include "ui/task_runner.h"
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

  ExperimentView* ev = w->experimentView();
  w->tabs()->setCurrentWidget(ev);
  const auto& reg = modelRegistry();
  // Up to three different models (the registry's order), or MostPopular twice with different
  // parameters when it is the only one.
  int added = 0;
  for (const auto& m : reg) {
    if (added == 3) break;
    ev->addModel(QString::fromStdString(m.name));
    ++added;
  }
  if (added < 2) ev->addModel(QString::fromStdString(reg.front().name));
  ev->runAll();
  QTimer::singleShot(400, this, [this] { save(window_, "3-experiment-running.png"); });
  waitThen([w] { return !w->runner()->busy(); },
           [this, w, ev] {
             save(w, "4-experiment-done.png");
             w->tabs()->setCurrentWidget(w->compareView());
             if (!w->session()->runs().empty())
               w->compareView()->selectRun(w->session()->runs().front().id);
             QTimer::singleShot(300, this, [this, w] {
               save(w, "5-compare.png");
               UsersView* uv = w->usersView();
               w->tabs()->setCurrentWidget(uv);
               const auto data = w->session()->dataset();
               const QString user = data && data->numUsers() > 0
                                        ? QString::fromStdString(data->users.external(0))
                                        : QString();
               uv->showUser(user);
               if (data && data->numItems() > 0)
                 uv->showSimilar(QString::fromStdString(data->items.external(0)));
               QTimer::singleShot(300, this, [this, w] {
                 save(w, "6-users.png");
                 QApplication::exit(failures_ == 0 ? 0 : 1);
               });
             });
           });
}

}  // namespace rwb::ui
