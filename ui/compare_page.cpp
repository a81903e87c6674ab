#include "ui/compare_page.h"

#include <QVBoxLayout>

#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"

namespace rwb::ui {

bool CompareContext::compared(const SessionRun& run) const {
  return run.done() && comparisonKey(run.record) == model->splitGroup() && session->shown(run);
}

ComparePage::ComparePage(const QString& title, QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  chart_ = new ChartView(title, this);
  layout->addWidget(chart_);
}

const QList<QColor>& comparePalette() {
  static const QList<QColor> palette{
      QColor(31, 119, 180),  QColor(255, 127, 14), QColor(44, 160, 44),   QColor(214, 39, 40),
      QColor(148, 103, 189), QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127)};
  return palette;
}

void ComparePage::showFailure(const QString& message) {
  task_ = 0;
  chart_->reset();
  chart_->setMessage(message);
}

}  // namespace rwb::ui
