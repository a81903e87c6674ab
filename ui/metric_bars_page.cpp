#include "ui/metric_bars_page.h"

#include <cmath>

#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

MetricBarsPage::MetricBarsPage(QWidget* parent) : ComparePage(tr("Metric by run"), parent) {
  setObjectName("MetricBarsPage");
}

void MetricBarsPage::draw(const CompareContext& c) {
  chart_->reset();
  const QString field = c.metric;
  const auto& runs = c.session->runs();
  QVector<double> x, y, errLo, errHi;
  auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
  bool anyCi = false;
  for (int i = 0; i < static_cast<int>(runs.size()); ++i) {
    if (!c.model->compared(i)) continue;
    const double v = c.model->value(i, field);
    if (std::isnan(v)) continue;
    const double pos = static_cast<double>(x.size() + 1);
    x << pos;
    y << v;
    ticker->addTick(pos, runs[static_cast<std::size_t>(i)].displayName);
    const auto m = runs[static_cast<std::size_t>(i)].metric(field.toStdString());
    if (m && m->hasCi) {
      errLo << v - m->lo;
      errHi << m->hi - v;
      anyCi = true;
    } else {
      errLo << 0.0;
      errHi << 0.0;
    }
  }
  if (x.isEmpty()) {
    chart_->setMessage(field.isEmpty() ? tr("no runs yet")
                                       : tr("no finished run has %1").arg(field));
    return;
  }
  auto* bars = new QCPBars(chart_->xAxis, chart_->yAxis);
  bars->setName(field);
  bars->setData(x, y, true);
  bars->setWidth(0.6);
  bars->setBrush(QColor(31, 119, 180, 170));
  bars->setPen(QPen(QColor(31, 90, 150)));
  if (anyCi) {
    auto* err = new QCPErrorBars(chart_->xAxis, chart_->yAxis);
    err->setName(tr("95% CI"));
    err->setDataPlottable(bars);
    err->setData(errLo, errHi);
    err->setPen(QPen(Qt::black, 1.2));
  } else {
    bars->setName(field + tr(" (no CI from this engine)"));
  }
  chart_->xAxis->setTicker(ticker);
  chart_->xAxis->setLabel(tr("run"));
  chart_->yAxis->setLabel(field);
  chart_->fit();
  chart_->xAxis->setRange(0.3, static_cast<double>(x.size()) + 0.7);
  chart_->yAxis->setRangeLower(std::min(0.0, chart_->yAxis->range().lower));
  chart_->replot();
}

}  // namespace rwb::ui
