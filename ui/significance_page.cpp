#include "ui/significance_page.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/eval/comparison.h"
#include "core/eval/evaluator.h"
#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

namespace {

/// True when one of the runs has no per-user values of the metric (no paired test possible).
bool metricMissing(const std::vector<const EvalResult*>& evals, const std::string& metric) {
  for (const EvalResult* e : evals) {
    const auto* m = e->find(metric);
    if (m == nullptr || !m->perUser) return true;
  }
  return false;
}

}  // namespace

SignificancePage::SignificancePage(QWidget* parent)
    : ComparePage(tr("Pairwise significance (Holm)"), parent) {
  setObjectName("SignificancePage");
}

void SignificancePage::draw(const CompareContext& c) {
  chart_->reset();
  std::vector<const EvalResult*> evals;
  std::vector<std::string> names;
  std::vector<std::shared_ptr<const EvalResult>> keep;
  runs_.clear();
  int elsewhere = 0;
  for (const SessionRun& r : c.session->runs()) {
    if (!r.done() || !r.evaluation) continue;
    // Paired tests pair each user's values of two runs: only runs on the same split.
    if (!c.compared(r)) {
      ++elsewhere;
      continue;
    }
    evals.push_back(r.evaluation.get());
    keep.push_back(r.evaluation);
    names.push_back(r.displayName.toStdString());
  }
  const std::string metric = c.metric.toStdString();
  if (evals.size() < 2 || metricMissing(evals, metric)) {
    chart_->setMessage(
        tr("Paired tests need two or more evaluated runs on the same split and a per-user "
           "metric (pick one above).") +
        (elsewhere > 0
             ? tr(" %n run(s) on other splits not compared: different splits.", nullptr, elsewhere)
             : QString()));
    return;
  }
  for (const std::string& n : names) runs_ << QString::fromStdString(n);
  if (task_ != 0) c.runner->cancel(task_);
  CompareOptions options;
  options.metrics = {metric};
  task_ = c.runner->start<ComparisonResult>(
      tr("Paired tests"),
      [evals, names, options, keep](TaskContext& ctx) {
        return compareRuns(evals, names, options, ctx);
      },
      this,
      [this, metric](ComparisonResult cmp) {
        task_ = 0;
        chart_->reset();
        if (cmp.metrics.empty() || !cmp.metrics.front().perUser) {
          chart_->setMessage(tr("%1 has no per-user values").arg(QString::fromStdString(metric)));
          return;
        }
        const MetricComparison& mc = cmp.metrics.front();
        const int n = static_cast<int>(cmp.runs.size());
        auto* map = new QCPColorMap(chart_->xAxis, chart_->yAxis);
        map->setName(tr("Wilcoxon p (Holm)"));
        map->data()->setSize(n, n);
        map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
        auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        for (int i = 0; i < n; ++i)
          ticker->addTick(i, QString::fromStdString(cmp.runs[static_cast<std::size_t>(i)]));
        for (int i = 0; i < n; ++i) {
          for (int j = 0; j < n; ++j) map->data()->setCell(i, j, i == j ? 1.0 : std::nan(""));
        }
        for (const PairComparison& p : mc.pairs) {
          const double pv = p.wilcoxonHolm;
          for (auto [x, y] : {std::pair{p.a, p.b}, std::pair{p.b, p.a}}) {
            map->data()->setCell(static_cast<int>(x), static_cast<int>(y), pv);
            auto* label = new QCPItemText(chart_);
            label->position->setCoords(static_cast<double>(x), static_cast<double>(y));
            label->setText(QStringLiteral("p=%1%2\n\u0394=%3")
                               .arg(pv, 0, 'g', 3)
                               .arg(pv < 0.05 ? QStringLiteral(" *") : QString())
                               .arg(p.difference.estimate * (x == p.a ? 1.0 : -1.0), 0, 'g', 3));
            label->setFont(QFont(font().family(), 9, pv < 0.05 ? QFont::Bold : QFont::Normal));
          }
        }
        map->setGradient(QCPColorGradient(QCPColorGradient::gpThermal).inverted());
        map->setDataRange(QCPRange(0.0, 0.2));
        map->setInterpolate(false);
        chart_->xAxis->setTicker(ticker);
        chart_->yAxis->setTicker(ticker);
        chart_->xAxis->setLabel(tr("run A"));
        chart_->yAxis->setLabel(tr("run B"));
        chart_->legend->setVisible(false);
        chart_->xAxis->setRange(-0.5, n - 0.5);
        chart_->yAxis->setRange(-0.5, n - 0.5);
        chart_->replot();
      },
      [this](const QString& e) { showFailure(e); });
}

}  // namespace rwb::ui
