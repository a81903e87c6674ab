#include "ui/calibration_page.h"

#include "core/eval/classification_metrics.h"
#include "core/experiment/engagement_evaluation.h"
#include "core/models/engagement_model.h"
#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

namespace {

/// Calibration bins of one engagement run.
struct RunCalibration {
  QString run;
  std::vector<CalibrationBin> bins;
  double brier = 0.0;
  double auc = 0.0;
};

}  // namespace

CalibrationPage::CalibrationPage(QWidget* parent)
    : ComparePage(tr("Calibration of P(engage)"), parent) {
  setObjectName("CalibrationPage");
}

void CalibrationPage::draw(const CompareContext& c) {
  chart_->reset();
  runs_ = 0;
  struct Job {
    QString run;
    std::shared_ptr<const Model> model;
    std::shared_ptr<const Dataset> test;
  };
  std::vector<Job> jobs;
  for (const SessionRun& r : c.session->runs()) {
    if (!c.compared(r) || !r.test) continue;
    if (dynamic_cast<const EngagementModel*>(r.record.fitted.get()) == nullptr) continue;
    jobs.push_back({r.displayName, r.record.fitted, r.test});
  }
  if (jobs.empty()) {
    chart_->setMessage(
        tr("Calibration is shown for engagement models (logistic_regression, gbdt), whose "
           "scores are probabilities: run one to see predicted P(engage) against the observed "
           "rate on held-out labelled pairs."));
    return;
  }
  if (task_ != 0) c.runner->cancel(task_);
  task_ = c.runner->start<std::vector<RunCalibration>>(
      tr("Calibration"),
      [jobs](TaskContext& ctx) {
        // The engine's P(engage) evaluation: the test split's positives against sampled
        // negatives at the model's own training ratio, so the observed rate answers the
        // question the model was trained on.
        std::vector<RunCalibration> out;
        for (const Job& job : jobs) {
          const auto* em = dynamic_cast<const EngagementModel*>(job.model.get());
          EngagementEvalOptions opt;
          opt.negativeRatio = em->featurePipeline()->config().negatives.ratio;
          if (opt.negativeRatio <= 0.0) opt.negativeRatio = EngagementEvalOptions{}.negativeRatio;
          const EngagementEvalResult e = evaluateEngagement(*em, *job.test, opt, ctx);
          out.push_back({job.run, e.calibration, e.brier, e.auc});
        }
        return out;
      },
      this,
      [this](std::vector<RunCalibration> all) {
        task_ = 0;
        chart_->reset();
        auto* diag = chart_->addGraph();
        diag->setName(tr("perfectly calibrated"));
        diag->setData(QVector<double>{0.0, 1.0}, QVector<double>{0.0, 1.0}, true);
        diag->setPen(QPen(Qt::gray, 1.0, Qt::DashLine));
        int color = 0;
        for (const RunCalibration& rc : all) {
          QVector<double> x, y;
          for (const CalibrationBin& b : rc.bins) {
            if (b.count == 0) continue;
            x << b.meanPredicted;
            y << b.fractionPositive;
          }
          auto* g = chart_->addGraph();
          g->setName(tr("%1 (Brier %2, AUC %3)")
                         .arg(rc.run)
                         .arg(rc.brier, 0, 'f', 4)
                         .arg(rc.auc, 0, 'f', 3));
          g->setData(x, y, true);
          const QColor c = comparePalette()[color++ % comparePalette().size()];
          g->setPen(QPen(c, 1.8));
          g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, c, 6));
          ++runs_;
        }
        // Points of a calibrated model run along the diagonal up to the top-right corner.
        chart_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
        chart_->xAxis->setLabel(tr("mean predicted P(engage) in bin"));
        chart_->yAxis->setLabel(tr("observed share engaged (held-out pairs)"));
        chart_->xAxis->setRange(0.0, 1.0);
        chart_->yAxis->setRange(0.0, 1.0);
        chart_->replot();
      },
      [this](const QString& e) { showFailure(e); });
}

}  // namespace rwb::ui
