#include "ui/curves_page.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>
#include <set>

#include "ui/chart_view.h"
#include "ui/session.h"

namespace rwb::ui {

CurvesPage::CurvesPage(QWidget* parent) : ComparePage(tr("Learning curves"), parent) {
  setObjectName("CurvesPage");
  auto* row = new QHBoxLayout;
  curve_ = new QComboBox(this);
  curve_->setObjectName("curve");
  curve_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  row->addWidget(new QLabel(tr("Curve"), this));
  row->addWidget(curve_);
  row->addStretch();
  static_cast<QVBoxLayout*>(layout())->insertLayout(0, row);
  connect(curve_, &QComboBox::activated, this, [this] { redraw(); });
}

void CurvesPage::draw(const CompareContext& c) {
  last_ = c;
  // The curve names of the compared runs; the one shown stays when it still exists.
  std::set<QString> names;
  for (const SessionRun& r : c.session->runs()) {
    if (!c.compared(r)) continue;
    for (const auto& [epoch, metrics] : r.record.learningCurve) {
      for (const auto& [name, v] : metrics) names.insert(QString::fromStdString(name));
    }
  }
  const QString keep = curve_->currentText();
  curve_->blockSignals(true);
  curve_->clear();
  for (const QString& n : names) curve_->addItem(n);
  int idx = curve_->findText(keep);
  if (idx < 0) idx = curve_->findText(QStringLiteral("loss"));
  curve_->setCurrentIndex(std::max(0, idx));
  curve_->blockSignals(false);
  redraw();
}

void CurvesPage::redraw() {
  chart_->reset();
  runs_.clear();
  const CompareContext& c = last_;
  const QString name = curve_->currentText();
  if (c.session == nullptr || name.isEmpty()) {
    chart_->setMessage(tr("no learning curves: none of the compared runs is iterative"));
    return;
  }
  int color = 0;
  for (const SessionRun& r : c.session->runs()) {
    if (!c.compared(r)) continue;
    QVector<double> x, y;
    for (const auto& [epoch, metrics] : r.record.learningCurve) {
      for (const auto& [n, v] : metrics) {
        if (QString::fromStdString(n) != name) continue;
        x << epoch;
        y << v;
      }
    }
    if (x.isEmpty()) continue;
    auto* g = chart_->addGraph();
    g->setName(r.displayName);
    g->setData(x, y, true);
    const QColor col = comparePalette()[color++ % comparePalette().size()];
    g->setPen(QPen(col, r.id == c.selectedRun ? 3.0 : 1.8));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
    runs_ << r.displayName;
  }
  chart_->legend->setVisible(true);
  chart_->xAxis->setLabel(tr("epoch"));
  chart_->yAxis->setLabel(name);
  // Every redraw starts from the data's own range (another curve, other runs).
  chart_->fit();
}

}  // namespace rwb::ui
