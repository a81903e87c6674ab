#pragma once
/// \file
/// ScreenshotTour: walks the four views on the loaded data (import dialog, Data, Experiment with
/// two runs, Compare, Users) and saves a PNG of each, then quits. Used by
/// tests/ui/screenshots.sh under Xvfb to check the look by eye.

#include <QObject>
#include <QString>

namespace rwb::ui {

class MainWindow;

class ScreenshotTour : public QObject {
  Q_OBJECT
 public:
  ScreenshotTour(MainWindow* window, QString outDir, QObject* parent = nullptr);
  /// Starts once the window's dataset is loaded; quits the application at the end (exit code 0,
  /// or 1 when a step failed).
  void start();

 private:
  void step();
  /// File > Open from Database on a small SQLite file made here (no server needed): the
  /// preview with its mapping and a skipped bad row, at 1024x700.
  void databaseShot();
  void compareStep();
  void slicesStep();
  void usersStep();
  /// Issue 18's workflow: tags, a note, an archived run, the champion, the runs filter, the
  /// configuration diff and the overlaid learning curves, each at 1024x700 and 1700x1100.
  void workflowStep();
  void workflowShots();
  /// The split designer with a cold_items split and its held-out count (1024x700).
  void coldStep();
  /// Issue 15: the search form (custom space) and tuning block, a search running, and the
  /// trials views of its run (table, parameter vs metric, parallel coordinates), each at
  /// 1024x700 and 1700x1100.
  void searchStep();
  void searchShots();
  void save(QWidget* widget, const QString& name);
  void waitThen(std::function<bool()> ready, std::function<void()> next, int timeoutMs = 120000);
  MainWindow* window_;
  QString outDir_;
  int failures_ = 0;
};

}  // namespace rwb::ui
