#include "ui/importance_page.h"

#include "core/models/explanation.h"
#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

ImportancePage::ImportancePage(QWidget* parent) : ComparePage(tr("Feature importance"), parent) {
  setObjectName("ImportancePage");
}

void ImportancePage::draw(const CompareContext& c) {
  chart_->reset();
  features_ = 0;
  // The selected run when it explains itself, else the first run that does.
  const SessionRun* chosen = nullptr;
  const int sel = c.selectedRun;
  for (const SessionRun& r : c.session->runs()) {
    if (!r.done() || dynamic_cast<const Explainable*>(r.record.fitted.get()) == nullptr) continue;
    if (chosen == nullptr || r.id == sel) chosen = &r;
  }
  if (chosen == nullptr) {
    chart_->setMessage(
        tr("Feature importance is shown for models that explain themselves "
           "(logistic_regression, gbdt, factorization_machine, content_similarity, two_stage)."));
    return;
  }
  const auto* ex = dynamic_cast<const Explainable*>(chosen->record.fitted.get());
  std::vector<FeatureImportance> imp = ex->globalImportance();
  if (imp.size() > 20) imp.resize(20);
  if (imp.empty()) {
    chart_->setMessage(tr("%1 reports no feature importance").arg(chosen->displayName));
    return;
  }
  QVector<double> pos, value;
  auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
  // Most important at the top.
  for (std::size_t i = 0; i < imp.size(); ++i) {
    const double y = static_cast<double>(imp.size() - i);
    pos << y;
    value << imp[i].meanAbsContribution;
    ticker->addTick(y, QString::fromStdString(imp[i].feature));
  }
  auto* bars = new QCPBars(chart_->yAxis, chart_->xAxis);
  bars->setName(tr("%1: mean |contribution|").arg(chosen->displayName));
  bars->setData(pos, value, true);
  bars->setWidth(0.7);
  bars->setBrush(QColor(44, 160, 44, 170));
  bars->setPen(QPen(QColor(30, 110, 30)));
  chart_->yAxis->setTicker(ticker);
  chart_->xAxis->setLabel(tr("mean |contribution| to the model output (training sample)"));
  chart_->yAxis->setLabel(QString());
  chart_->fit();
  chart_->yAxis->setRange(0.4, static_cast<double>(imp.size()) + 0.6);
  chart_->xAxis->setRangeLower(0.0);
  chart_->replot();
  features_ = static_cast<int>(imp.size());
}

}  // namespace rwb::ui
