#include "ui/slices_page.h"

#include <algorithm>
#include <cmath>

#include "core/eval/evaluator.h"
#include "core/eval/slices.h"
#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

namespace {

/// The slices' evaluation of one run (computed off the GUI thread).
struct RunSlices {
  QString run;
  std::vector<SliceResult> slices;
};

}  // namespace

SlicesPage::SlicesPage(QWidget* parent)
    : ComparePage(tr("Slices: users by activity, items by popularity"), parent) {
  setObjectName("SlicesPage");
}

void SlicesPage::draw(const CompareContext& c) {
  chart_->reset();
  values_.clear();
  std::string metric = c.metric.toStdString();
  // Slices re-evaluate ranking metrics; fall back to nDCG@k for timings and global figures.
  if (metric.find('@') == std::string::npos || metric.rfind("catalog", 0) == 0) metric.clear();
  struct Job {
    QString run;
    std::shared_ptr<const Dataset> train, test;
    std::vector<Index> users;
    std::vector<RecList> lists;
    int k;
  };
  std::vector<Job> jobs;
  for (const SessionRun& r : c.session->runs()) {
    if (!c.compared(r) || !r.train || !r.test || r.record.recommendations.empty()) continue;
    jobs.push_back(
        {r.displayName, r.train, r.test, r.record.recUsers, r.record.recommendations, r.record.k});
  }
  if (jobs.empty()) {
    chart_->setMessage(
        tr("Slices need finished runs with their top-k lists (runs made in this "
           "session, or project runs reconnected to their data)."));
    return;
  }
  if (metric.empty()) metric = "ndcg@" + std::to_string(jobs.front().k);
  if (task_ != 0) c.runner->cancel(task_);
  chart_->setMessage(tr("evaluating slices ..."));
  task_ = c.runner->start<std::vector<RunSlices>>(
      tr("Slices"),
      [jobs, metric](TaskContext& ctx) {
        std::vector<RunSlices> out;
        for (std::size_t j = 0; j < jobs.size(); ++j) {
          const Job& job = jobs[j];
          EvalOptions eo;
          eo.k = static_cast<std::size_t>(job.k);
          eo.metrics = {metric};
          eo.oracle = false;
          TaskContext sub(ctx, static_cast<double>(j) / static_cast<double>(jobs.size()),
                          static_cast<double>(j + 1) / static_cast<double>(jobs.size()));
          out.push_back({job.run, evaluateSlices(*job.train, *job.test, job.users, job.lists, eo,
                                                 SliceOptions{}, sub)});
        }
        return out;
      },
      this,
      [this, metric](std::vector<RunSlices> all) {
        task_ = 0;
        chart_->reset();
        // One group per non-empty slice, one bar per run.
        std::vector<QString> names;
        for (const RunSlices& rs : all) {
          for (const SliceResult& s : rs.slices) {
            const rwb::MetricValue* mv = s.result.find(metric);
            if (s.result.users.empty() || mv == nullptr || std::isnan(mv->value)) continue;
            const QString key = QString::fromStdString(
                (s.dimension == "user_activity" ? "users: " : "items: ") + s.name);
            values_[rs.run][key] = mv->value;
            if (std::find(names.begin(), names.end(), key) == names.end()) names.push_back(key);
          }
        }
        if (names.empty()) {
          chart_->setMessage(tr("no slice has evaluated users"));
          return;
        }
        auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        for (std::size_t i = 0; i < names.size(); ++i) {
          ticker->addTick(static_cast<double>(i + 1), names[i]);
        }
        auto* group = new QCPBarsGroup(chart_);
        int color = 0;
        for (const RunSlices& rs : all) {
          QVector<double> x, y;
          for (std::size_t i = 0; i < names.size(); ++i) {
            auto it = values_[rs.run].find(names[i]);
            if (it == values_[rs.run].end()) continue;
            x << static_cast<double>(i + 1);
            y << it->second;
          }
          auto* bars = new QCPBars(chart_->xAxis, chart_->yAxis);
          bars->setName(rs.run);
          bars->setData(x, y, true);
          bars->setWidth(0.8 / static_cast<double>(all.size()));
          QColor c = comparePalette()[color++ % comparePalette().size()];
          bars->setPen(QPen(c.darker(130)));
          c.setAlpha(190);
          bars->setBrush(c);
          bars->setBarsGroup(group);
        }
        chart_->xAxis->setTicker(ticker);
        chart_->xAxis->setTickLabelRotation(0);
        chart_->xAxis->setLabel(
            tr("slice (users by training activity: cold <= 5 < light < 100 "
               "<= heavy; items by popularity share: head 20%, tail 20%)"));
        chart_->yAxis->setLabel(QString::fromStdString(metric));
        chart_->fit();
        chart_->xAxis->setRange(0.4, static_cast<double>(names.size()) + 0.6);
        chart_->yAxis->setRangeLower(0.0);
        chart_->replot();
      },
      [this](const QString& e) { showFailure(e); });
}

}  // namespace rwb::ui
