#pragma once
/// \file
/// StartGuide: the "start here" strip above the tabs on a first start: four steps on the
/// sample data (load, split, run three models, compare), each ticked when done, a button that
/// does the next step, and a close button (remembered in QSettings; Help > Start Here shows it
/// again). It only shows state and asks: MainWindow performs the steps.

#include <QFrame>

class QLabel;
class QPushButton;

namespace rwb::ui {

class StartGuide : public QFrame {
  Q_OBJECT
 public:
  enum Step { kLoad, kSplit, kRun, kCompare, kDone };
  /// The models the guide runs in step 3 (a baseline, a neighbourhood model, an engagement
  /// model): registry names.
  static const QStringList& guideModels();

  explicit StartGuide(QWidget* parent = nullptr);
  /// What is done: data loaded, the Experiment view seen, finished runs, Compare seen.
  void setProgress(bool dataLoaded, bool splitSeen, int runsDone, bool compared);
  Step nextStep() const { return next_; }
  /// The steps as shown (plain text, one per line, done ones prefixed with a tick).
  QString stepsText() const;

 signals:
  /// The user asked for the next step to be done.
  void stepRequested(rwb::ui::StartGuide::Step step);
  void dismissed();

 private:
  QLabel* steps_ = nullptr;
  QPushButton* next_button_ = nullptr;
  Step next_ = kLoad;
  QStringList lines_;
};

}  // namespace rwb::ui
