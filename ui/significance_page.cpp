#include "ui/significance_page.h"

#include <algorithm>
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

namespace {

constexpr double kAlpha = 0.05;
/// Cell values: + when run A (the column) is better, - when worse; magnitude 1 at p <= 0.0005,
/// kSignificant at p = 0.05, kMuted for every p >= 0.05.
constexpr double kSignificant = 0.55;
constexpr double kMuted = 0.18;

double cellValue(double p, bool aBetter) {
  double strength = kMuted;
  if (p < kAlpha) {
    strength = kSignificant + (1.0 - kSignificant) * std::min(1.0, std::log10(kAlpha / p) / 2.0);
  }
  return aBetter ? strength : -strength;
}

/// Orange (A worse) through a light grey to blue (A better): readable in print and by
/// people with red-green colour blindness.
QCPColorGradient divergingGradient() {
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0.0, QColor(179, 88, 6));
  g.setColorStopAt(0.5, QColor(245, 245, 245));
  g.setColorStopAt(1.0, QColor(33, 102, 172));
  g.setColorInterpolation(QCPColorGradient::ciRGB);
  g.setNanHandling(QCPColorGradient::nhNanColor);
  g.setNanColor(QColor(225, 225, 225));
  return g;
}

QString number(double v) {
  return std::isnan(v) ? QStringLiteral("n/a") : QString::number(v, 'g', 3);
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
        colors_.clear();
        if (cmp.metrics.empty() || !cmp.metrics.front().perUser) {
          chart_->setMessage(tr("%1 has no per-user values").arg(QString::fromStdString(metric)));
          return;
        }
        drawMatrix(cmp);
      },
      [this](const QString& e) { showFailure(e); });
}

QColor SignificancePage::cellColor(int a, int b) const {
  auto it = colors_.find({a, b});
  return it == colors_.end() ? QColor() : it->second.first;
}

QColor SignificancePage::textColor(int a, int b) const {
  auto it = colors_.find({a, b});
  return it == colors_.end() ? QColor() : it->second.second;
}

void SignificancePage::drawMatrix(const ComparisonResult& cmp) {
  const MetricComparison& mc = cmp.metrics.front();
  const QString metric = QString::fromStdString(mc.metric);
  const int n = static_cast<int>(cmp.runs.size());
  auto name = [&](std::size_t i) { return QString::fromStdString(cmp.runs[i]); };
  auto* map = new QCPColorMap(chart_->xAxis, chart_->yAxis);
  map->setName(tr("Wilcoxon p (Holm)"));
  map->data()->setSize(n, n);
  map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
  auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
  for (int i = 0; i < n; ++i) ticker->addTick(i, name(static_cast<std::size_t>(i)));
  QCPColorGradient gradient = divergingGradient();
  const QCPRange range(-1.0, 1.0);
  auto colorOf = [&](double v) {
    return std::isnan(v) ? gradient.nanColor() : QColor::fromRgb(gradient.color(v, range));
  };
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) map->data()->setCell(i, j, std::nan(""));
    auto* label = new QCPItemText(chart_);
    label->position->setCoords(i, i);
    label->setText(QStringLiteral("\u2014"));
    label->setColor(QColor(90, 90, 90));
    colors_[{i, i}] = {colorOf(std::nan("")), QColor(90, 90, 90)};
    chart_->setCellTooltip(i, i, tr("%1: the same run").arg(name(static_cast<std::size_t>(i))));
  }
  for (const PairComparison& p : mc.pairs) {
    const double pv = p.wilcoxonHolm;
    const bool significant = pv < kAlpha;
    for (auto [x, y] : {std::pair{p.a, p.b}, std::pair{p.b, p.a}}) {
      // compareRuns reports b - a; the cell at column A = x shows A - B.
      const double sign = x == p.a ? -1.0 : 1.0;
      const double diff = p.difference.estimate * sign;
      const double lo = (sign > 0 ? p.difference.lower : -p.difference.upper);
      const double hi = (sign > 0 ? p.difference.upper : -p.difference.lower);
      const bool aBetter = (diff > 0) == mc.higherIsBetter;
      const double v = diff == 0.0 || std::isnan(pv) ? 0.0 : cellValue(pv, aBetter);
      const int cx = static_cast<int>(x), cy = static_cast<int>(y);
      map->data()->setCell(cx, cy, v);
      const QColor fill = colorOf(v);
      // Dark text on light cells, white on saturated ones.
      const QColor ink = fill.lightness() < 140 ? QColor(Qt::white) : QColor(20, 20, 20);
      colors_[{cx, cy}] = {fill, ink};
      auto* label = new QCPItemText(chart_);
      label->position->setCoords(static_cast<double>(x), static_cast<double>(y));
      label->setText(QStringLiteral("p=%1%2\n\u0394=%3")
                         .arg(pv, 0, 'g', 3)
                         .arg(significant ? QStringLiteral(" *") : QString())
                         .arg(diff, 0, 'g', 3));
      label->setColor(ink);
      label->setFont(QFont(font().family(), 9, significant ? QFont::Bold : QFont::Normal));
      const double d = p.cohensD * sign;
      QString verdict;
      if (std::isnan(pv) || diff == 0.0) {
        verdict = tr("no difference");
      } else if (significant) {
        verdict = tr("%1 is %2 than %3 (significant at %4)")
                      .arg(name(x), aBetter ? tr("better") : tr("worse"), name(y))
                      .arg(kAlpha);
      } else {
        verdict = tr("no significant difference at %1 (%2 is nominally %3)")
                      .arg(kAlpha)
                      .arg(name(x), aBetter ? tr("better") : tr("worse"));
      }
      chart_->setCellTooltip(
          cx, cy,
          tr("A = %1, B = %2 (%3, %4 users)\n"
             "mean difference A \u2212 B: %5 (95% CI %6 .. %7)\n"
             "Wilcoxon signed-rank p: %8 (Holm), %9 (raw)\n"
             "paired t-test p: %10 (Holm), %11 (raw)\n"
             "Cohen's d: %12\n%13")
              .arg(name(x), name(y), metric)
              .arg(cmp.users.size())
              .arg(number(diff), number(lo), number(hi), number(pv), number(p.wilcoxon.pValue),
                   number(p.tTestHolm), number(p.tTest.pValue), number(d))
              .arg(verdict));
    }
  }
  map->setGradient(gradient);
  map->setDataRange(range);
  map->setInterpolate(false);
  // The legend: a colour scale whose ticks say what the colours mean.
  auto* scale = new QCPColorScale(chart_);
  chart_->plotLayout()->addElement(1, 1, scale);
  scale->setType(QCPAxis::atRight);
  scale->setGradient(gradient);
  scale->setDataRange(range);
  auto legendTicks = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
  legendTicks->addTick(-1.0, tr("A worse, p \u2264 0.0005"));
  legendTicks->addTick(-kSignificant, tr("A worse, p < 0.05"));
  legendTicks->addTick(-kMuted, tr("A worse, n.s."));
  legendTicks->addTick(kMuted, tr("A better, n.s."));
  legendTicks->addTick(kSignificant, tr("A better, p < 0.05"));
  legendTicks->addTick(1.0, tr("A better, p \u2264 0.0005"));
  scale->axis()->setTicker(legendTicks);
  scale->axis()->setLabel(
      tr("%1, %2 is better").arg(metric, mc.higherIsBetter ? tr("higher") : tr("lower")));
  chart_->xAxis->setTicker(ticker);
  chart_->yAxis->setTicker(ticker);
  chart_->xAxis->setLabel(tr("run A"));
  chart_->yAxis->setLabel(tr("run B"));
  chart_->legend->setVisible(false);
  chart_->xAxis->setRange(-0.5, n - 0.5);
  chart_->yAxis->setRange(-0.5, n - 0.5);
  chart_->replot();
}

}  // namespace rwb::ui
