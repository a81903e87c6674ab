#include "ui/per_user_page.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

PerUserPage::PerUserPage(QWidget* parent) : ComparePage(tr("Per-user distribution"), parent) {
  setObjectName("PerUserPage");
}

void PerUserPage::draw(const CompareContext& c) {
  chart_->reset();
  const std::string field = c.metric.toStdString();
  int drawn = 0;
  int color = 0;
  for (const SessionRun& r : c.session->runs()) {
    if (!c.compared(r)) continue;
    auto it = r.record.perUser.find(field);
    if (it == r.record.perUser.end() || it->second.empty()) continue;
    const auto& v = it->second;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double d : v) {
      if (std::isnan(d)) continue;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    if (!std::isfinite(lo)) continue;
    constexpr int kBins = 20;
    const double w = hi > lo ? (hi - lo) / kBins : 1.0;
    QVector<double> x(kBins), y(kBins, 0.0);
    for (int b = 0; b < kBins; ++b) x[b] = lo + (b + 0.5) * w;
    std::size_t n = 0;
    for (double d : v) {
      if (std::isnan(d)) continue;
      y[std::clamp(static_cast<int>((d - lo) / w), 0, kBins - 1)] += 1.0;
      ++n;
    }
    for (double& c : y) c /= static_cast<double>(n);
    auto* g = chart_->addGraph();
    g->setName(tr("%1 (%L2 users)").arg(r.displayName).arg(n));
    g->setData(x, y, true);
    g->setLineStyle(QCPGraph::lsStepCenter);
    g->setPen(QPen(comparePalette()[color++ % comparePalette().size()], 1.8));
    ++drawn;
  }
  if (drawn == 0) {
    chart_->setMessage(
        tr("no per-user values of %1 in these runs").arg(QString::fromStdString(field)));
    return;
  }
  chart_->xAxis->setLabel(QString::fromStdString(field));
  chart_->yAxis->setLabel(tr("share of users"));
  chart_->fit();
}

}  // namespace rwb::ui
