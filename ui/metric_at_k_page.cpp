#include "ui/metric_at_k_page.h"

#include <map>
#include <set>

#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

MetricAtKPage::MetricAtKPage(QWidget* parent) : ComparePage(tr("Metric at k"), parent) {
  setObjectName("MetricAtKPage");
}

void MetricAtKPage::draw(const CompareContext& c) {
  chart_->reset();
  drawnRuns_.clear();
  // Curves over every cut-off the evaluation produced for the chosen metric family.
  const QString base = c.metric.section(QLatin1Char('@'), 0, 0);
  int drawn = 0;
  int color = 0;
  std::set<int> allKs;
  for (const SessionRun& r : c.session->runs()) {
    if (!c.compared(r)) continue;
    // The metric at the run's k and at the further cut-offs the runner evaluated in the
    // same pass (RunRecord::metricsAtK), ordered by k.
    std::map<int, double> points;
    for (const auto* metrics : {&r.record.metrics, &r.record.metricsAtK}) {
      for (const auto& [key, value] : *metrics) {
        const QString k = QString::fromStdString(key);
        if (k.section(QLatin1Char('@'), 0, 0) != base || !k.contains(QLatin1Char('@'))) continue;
        bool ok = false;
        const int kk = k.section(QLatin1Char('@'), 1).toInt(&ok);
        if (ok) points[kk] = value;
      }
    }
    QVector<double> ks, vs;
    for (const auto& [k, v] : points) {
      allKs.insert(k);
      ks << k;
      vs << v;
    }
    if (ks.size() < 2) continue;
    auto* g = chart_->addGraph();
    g->setName(r.displayName);
    g->setData(ks, vs, false);
    g->setPen(QPen(comparePalette()[color++ % comparePalette().size()], 1.8));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
    ++drawn;
    drawnRuns_ << r.displayName;
  }
  if (drawn == 0) {
    chart_->setMessage(
        tr("%1 was evaluated at one cut-off only; metric@k curves need the evaluation "
           "at several k")
            .arg(base.isEmpty() ? tr("no metric") : base));
    return;
  }
  chart_->xAxis->setLabel(tr("k"));
  chart_->yAxis->setLabel(base);
  chart_->xAxis->setScaleType(QCPAxis::stLogarithmic);
  auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
  for (const int k : allKs) ticker->addTick(k, QString::number(k));
  chart_->xAxis->setTicker(ticker);
  chart_->fit();
}

}  // namespace rwb::ui
