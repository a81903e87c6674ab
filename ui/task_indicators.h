#pragma once
/// \file
/// TaskIndicators: the status bar's strip of background tasks, one indicator per task of a
/// TaskRunner (label, progress bar, stage and ETA in the tooltip, a cancel button).

#include <QWidget>
#include <map>

class QHBoxLayout;

namespace rwb::ui {

class TaskRunner;

class TaskIndicators : public QWidget {
  Q_OBJECT
 public:
  explicit TaskIndicators(TaskRunner* runner, QWidget* parent = nullptr);
  /// Indicators shown (tasks running).
  int count() const { return static_cast<int>(indicators_.size()); }

 signals:
  void logMessage(const QString& text);
  void logError(const QString& text);

 private:
  void onStarted(int id, const QString& label);
  void onProgress(int id, double fraction, const QString& stage);
  void onFinished(int id, int status, const QString& message);
  TaskRunner* runner_;
  QHBoxLayout* layout_ = nullptr;
  std::map<int, QWidget*> indicators_;
  std::map<int, QString> labels_;  ///< what each task is, for the log line when it ends
};

}  // namespace rwb::ui
