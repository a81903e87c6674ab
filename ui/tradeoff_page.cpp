#include "ui/tradeoff_page.h"

#include <cmath>

#include "ui/chart_view.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

TradeoffPage::TradeoffPage(QWidget* parent) : ComparePage(tr("Accuracy vs coverage"), parent) {
  setObjectName("TradeoffPage");
}

void TradeoffPage::draw(const CompareContext& c) {
  chart_->reset();
  const QStringList fields = c.model->fields();
  QString coverage, accuracy;
  for (const QString& f : fields) {
    if (coverage.isEmpty() && (f.contains("coverage") || f == "novelty")) coverage = f;
    if (accuracy.isEmpty() && f.startsWith("ndcg")) accuracy = f;
  }
  if (accuracy.isEmpty()) {
    for (const QString& f : c.model->numericFields()) {
      if (f != "fit seconds" && f != "model MB" && f != coverage) {
        accuracy = f;
        break;
      }
    }
  }
  if (coverage.isEmpty() || accuracy.isEmpty()) {
    chart_->setMessage(
        tr("needs an accuracy metric and a coverage or novelty metric in the "
           "runs"));
    return;
  }
  int color = 0;
  for (int i = 0; i < static_cast<int>(c.session->runs().size()); ++i) {
    if (!c.model->compared(i)) continue;
    const double a = c.model->value(i, accuracy), cov = c.model->value(i, coverage);
    if (std::isnan(a) || std::isnan(cov)) continue;
    auto* g = chart_->addGraph();
    g->setName(c.session->runs()[static_cast<std::size_t>(i)].displayName);
    g->setData(QVector<double>{cov}, QVector<double>{a}, true);
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc,
                                       comparePalette()[color++ % comparePalette().size()], 10));
  }
  chart_->xAxis->setLabel(coverage);
  chart_->yAxis->setLabel(accuracy);
  chart_->fit();
}

}  // namespace rwb::ui
