#include "ui/task_indicators.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

#include "ui/task_runner.h"

namespace rwb::ui {

TaskIndicators::TaskIndicators(TaskRunner* runner, QWidget* parent)
    : QWidget(parent), runner_(runner) {
  layout_ = new QHBoxLayout(this);
  layout_->setContentsMargins(0, 0, 0, 0);
  connect(runner_, &TaskRunner::taskStarted, this, &TaskIndicators::onStarted);
  connect(runner_, &TaskRunner::taskProgress, this, &TaskIndicators::onProgress);
  connect(runner_, &TaskRunner::taskFinished, this, [this](int id, TaskStatus s, const QString& m) {
    onFinished(id, static_cast<int>(s), m);
  });
}

void TaskIndicators::onStarted(int id, const QString& label) {
  auto* w = new QWidget(this);
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
  layout_->addWidget(w);
  indicators_[id] = w;
  labels_[id] = label;
}

void TaskIndicators::onProgress(int id, double fraction, const QString& stage) {
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

void TaskIndicators::onFinished(int id, int status, const QString& message) {
  auto it = indicators_.find(id);
  if (it != indicators_.end()) {
    it->second->deleteLater();
    indicators_.erase(it);
  }
  // The log names the task as the user knows it (the run's name), not by its internal id.
  const auto label = labels_.find(id);
  const QString what =
      label != labels_.end() && !label->second.isEmpty() ? label->second : tr("Task %1").arg(id);
  if (label != labels_.end()) labels_.erase(label);
  if (static_cast<TaskStatus>(status) == TaskStatus::kCancelled) {
    emit logMessage(tr("%1 cancelled.").arg(what));
  } else if (static_cast<TaskStatus>(status) == TaskStatus::kFailed) {
    emit logError(tr("%1 failed: %2").arg(what, message));
  }
}

}  // namespace rwb::ui
