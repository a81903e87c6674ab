#include "ui/trials_page.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/models/registry.h"
#include "ui/chart_view.h"
#include "ui/session.h"

namespace rwb::ui {

namespace {

enum Column { kColTrial, kColConfig, kColRung, kColBudget, kColScore, kColSeconds, kColParams };

/// A cell shown as text and sorted by its number (UserRole).
class NumberItem final : public QTableWidgetItem {
 public:
  NumberItem(const QString& text, double value) : QTableWidgetItem(text) {
    setData(Qt::UserRole, value);
    setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  }
  bool operator<(const QTableWidgetItem& other) const override {
    return data(Qt::UserRole).toDouble() < other.data(Qt::UserRole).toDouble();
  }
};

QString valueText(const nlohmann::json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_number_float()) return QString::number(v.get<double>(), 'g', 5);
  return QString::fromStdString(v.dump());
}

/// The trial the search chose: its score and its parameters (the budget aside).
int winnerIndex(const SearchHistory& h, const std::string& budgetParam) {
  Params best = h.best;
  if (!budgetParam.empty()) best.erase(budgetParam);
  for (std::size_t i = 0; i < h.trials.size(); ++i) {
    Params p = h.trials[i].params;
    if (!budgetParam.empty()) p.erase(budgetParam);
    if (h.trials[i].score == h.bestScore && p == best) return static_cast<int>(i);
  }
  return -1;
}

/// Position in [0, 1] of v on an axis lo..hi (log-scaled when asked).
double unit(double v, double lo, double hi, bool log) {
  if (log) {
    v = std::log(v);
    lo = std::log(lo);
    hi = std::log(hi);
  }
  return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}

QCPColorGradient metricGradient() {
  QCPColorGradient g;
  g.setColorStopAt(0.0, QColor(49, 54, 149));
  g.setColorStopAt(0.5, QColor(171, 217, 233));
  g.setColorStopAt(0.75, QColor(253, 174, 97));
  g.setColorStopAt(1.0, QColor(165, 0, 38));
  g.setColorInterpolation(QCPColorGradient::ciRGB);
  return g;
}

}  // namespace

TrialsLayout trialsLayout(const SearchHistory& history, const ModelInfo* model) {
  TrialsLayout out;
  if (model != nullptr) {
    for (const char* b : {"epochs", "iterations"}) {
      const ParamSpec* p = model->schema.find(b);
      if (p != nullptr && p->type == ParamType::kInt && out.budgetParam.empty())
        out.budgetParam = b;
    }
  }
  // The parameters whose values differ between trials.
  std::map<std::string, std::set<std::string>> seen;
  for (const SearchTrial& t : history.trials) {
    for (auto it = t.params.begin(); it != t.params.end(); ++it) seen[it.key()].insert(it->dump());
  }
  std::vector<std::string> names;
  if (model != nullptr) {
    for (const ParamSpec& p : model->schema.params) names.push_back(p.name);
  } else {
    for (const auto& [name, values] : seen) names.push_back(name);
  }
  for (const std::string& name : names) {
    if (name == out.budgetParam || seen[name].size() < 2) continue;
    const ParamSpec* spec = model != nullptr ? model->schema.find(name) : nullptr;
    std::vector<std::string> categories;
    bool allNumbers = true, allPositive = true;
    for (const SearchTrial& t : history.trials) {
      if (!t.params.contains(name)) continue;
      const auto& v = t.params[name];
      allNumbers = allNumbers && v.is_number();
      allPositive = allPositive && v.is_number() && v.get<double>() > 0.0;
    }
    if (!allNumbers) {
      if (spec != nullptr && spec->type == ParamType::kChoice) {
        categories = spec->choices;
      } else if (spec != nullptr && spec->type == ParamType::kBool) {
        categories = {"false", "true"};
      } else {
        std::set<std::string> values;
        for (const SearchTrial& t : history.trials) {
          if (t.params.contains(name)) values.insert(valueText(t.params[name]).toStdString());
        }
        categories.assign(values.begin(), values.end());
      }
    }
    bool log = false;
    if (spec != nullptr && allNumbers && allPositive) {
      log = spec->search && spec->search->min ? spec->search->logScale : spec->logScale;
    }
    out.params.push_back(name);
    out.logScale.push_back(log);
    out.categories.push_back(std::move(categories));
  }
  return out;
}

double trialValue(const SearchTrial& trial, const TrialsLayout& layout, std::size_t p) {
  const std::string& name = layout.params[p];
  if (!trial.params.contains(name)) return std::nan("");
  const auto& v = trial.params[name];
  if (layout.categories[p].empty()) return v.is_number() ? v.get<double>() : std::nan("");
  const std::string text = valueText(v).toStdString();
  const auto& cats = layout.categories[p];
  const auto it = std::find(cats.begin(), cats.end(), text);
  return it == cats.end() ? std::nan("") : static_cast<double>(it - cats.begin());
}

TrialsPage::TrialsPage(QWidget* parent)
    : ComparePage(tr("Parameter vs validation metric"), parent) {
  setObjectName("TrialsPage");
  auto* row = new QHBoxLayout;
  run_ = new QComboBox(this);
  run_->setObjectName("trialsRun");
  run_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  param_ = new QComboBox(this);
  param_->setObjectName("trialsParam");
  param_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  row->addWidget(new QLabel(tr("Search of"), this));
  row->addWidget(run_);
  row->addWidget(new QLabel(tr("Parameter"), this));
  row->addWidget(param_);
  row->addStretch();
  auto* layout = static_cast<QVBoxLayout*>(this->layout());
  layout->insertLayout(0, row);
  layout->removeWidget(chart_);
  views_ = new QTabWidget(this);
  views_->setObjectName("trialsViews");
  views_->setDocumentMode(true);
  table_ = new QTableWidget(this);
  table_->setObjectName("trialsTable");
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  parallel_ = new ChartView(tr("Parallel coordinates"), this);
  // The tabs name the charts: their height goes to the data (1024x700 leaves little).
  chart_->setTitleVisible(false);
  parallel_->setTitleVisible(false);
  // The scatter's legend (one entry per budget) in a row under the plot, never over points.
  chart_->axisRect()->insetLayout()->take(chart_->legend);
  chart_->plotLayout()->addElement(chart_->plotLayout()->rowCount(), 0, chart_->legend);
  chart_->legend->setFillOrder(QCPLegend::foColumnsFirst);
  chart_->legend->setBorderPen(Qt::NoPen);
  chart_->legend->setMargins(QMargins(4, 0, 4, 0));
  chart_->legend->setRowSpacing(0);
  chart_->legend->setColumnSpacing(16);
  chart_->plotLayout()->setRowStretchFactor(chart_->plotLayout()->rowCount() - 1, 0.001);
  views_->addTab(table_, tr("Trials"));
  views_->addTab(chart_, tr("Parameter vs metric"));
  views_->addTab(parallel_, tr("Parallel coordinates"));
  layout->addWidget(views_);
  connect(run_, &QComboBox::activated, this, [this] { showRun(run_->currentData().toInt()); });
  connect(param_, &QComboBox::activated, this, [this] { redraw(); });
  connect(views_, &QTabWidget::currentChanged, this, [this](int tab) {
    param_->setEnabled(tab == 1);  // only the scatter has one parameter
  });
  param_->setEnabled(false);
}

void TrialsPage::draw(const CompareContext& c) {
  last_ = c;
  // The compared runs with trials; the selected run's search when it has one, else the one
  // shown so far, else the first.
  run_->blockSignals(true);
  run_->clear();
  int pick = -1;
  if (c.session != nullptr) {
    for (const SessionRun& r : c.session->runs()) {
      if (!c.compared(r) || !r.record.search || r.record.search->trials.empty()) continue;
      run_->addItem(r.displayName, r.id);
      if (r.id == c.selectedRun) pick = run_->count() - 1;
    }
  }
  if (pick < 0) pick = std::max(0, run_->findData(shownRun_));
  run_->setCurrentIndex(run_->count() > 0 ? pick : -1);
  run_->blockSignals(false);
  shownRun_ = run_->count() > 0 ? run_->currentData().toInt() : 0;
  redraw();
}

void TrialsPage::showRun(int runId) {
  const int i = run_->findData(runId);
  if (i < 0) return;
  run_->setCurrentIndex(i);
  shownRun_ = runId;
  redraw();
}

void TrialsPage::redraw() {
  chart_->reset();
  parallel_->reset();
  table_->setSortingEnabled(false);
  table_->clear();
  table_->setRowCount(0);
  table_->setColumnCount(0);
  scatterPoints_ = 0;
  parallelLines_ = 0;
  axes_.clear();
  const SessionRun* r = last_.session != nullptr ? last_.session->run(shownRun_) : nullptr;
  if (r == nullptr || !r->record.search) {
    param_->clear();
    const QString none =
        tr("no search: run a model with Search = Auto or Custom space "
           "(Experiment view), or open a project with tuned runs");
    chart_->setMessage(none);
    parallel_->setMessage(none);
    return;
  }
  const SearchHistory& h = *r->record.search;
  const TrialsLayout layout = trialsLayout(h, findModel(r->record.model));
  const QString keep = param_->currentText();
  param_->blockSignals(true);
  param_->clear();
  for (std::size_t p = 0; p < layout.params.size(); ++p) {
    param_->addItem(QString::fromStdString(layout.params[p]) +
                    (layout.logScale[p] ? tr(" (log)") : QString()));
    param_->setItemData(param_->count() - 1, QString::fromStdString(layout.params[p]));
  }
  param_->setCurrentIndex(std::max(0, param_->findData(keep.section(' ', 0, 0))));
  param_->blockSignals(false);
  fillTable(h, layout);
  drawScatter(h, layout);
  drawParallel(h, layout);
}

void TrialsPage::fillTable(const SearchHistory& h, const TrialsLayout& layout) {
  QStringList headers{
      tr("#"),
      tr("Config"),
      tr("Rung"),
      layout.budgetParam.empty() ? tr("Budget") : QString::fromStdString(layout.budgetParam),
      tr("%1 (validation)").arg(QString::fromStdString(h.metric)),
      tr("Fit s")};
  for (const auto& p : layout.params) headers << QString::fromStdString(p);
  headers << tr("Error");
  table_->setColumnCount(static_cast<int>(headers.size()));
  table_->setHorizontalHeaderLabels(headers);
  table_->horizontalHeaderItem(kColScore)->setToolTip(
      tr("The selection metric on the validation split carved from train; the "
         "winner (bold, *) is the best at the largest budget reached"));
  table_->setRowCount(static_cast<int>(h.trials.size()));
  const int winner = winnerIndex(h, layout.budgetParam);
  const auto number = [](double v, const QString& text = {}) {
    return new NumberItem(text.isNull() ? QString::number(v) : text, v);
  };
  for (std::size_t i = 0; i < h.trials.size(); ++i) {
    const SearchTrial& t = h.trials[i];
    const int row = static_cast<int>(i);
    table_->setItem(row, kColTrial,
                    number(static_cast<double>(i + 1),
                           row == winner ? QStringLiteral("%1 *").arg(i + 1) : QString()));
    table_->setItem(row, kColConfig, number(t.config));
    table_->setItem(row, kColRung, number(t.rung));
    // Budget 0: the candidate's own value of the parameter (every epoch of the model).
    table_->setItem(row, kColBudget,
                    number(static_cast<double>(t.budget), t.budget > 0 ? QString() : tr("-")));
    // A failed fit sorts below every score.
    table_->setItem(row, kColScore,
                    std::isfinite(t.score) ? number(t.score, QString::number(t.score, 'f', 4))
                                           : number(-1.0, tr("failed")));
    table_->setItem(row, kColSeconds, number(t.fitSeconds, QString::number(t.fitSeconds, 'f', 2)));
    for (std::size_t p = 0; p < layout.params.size(); ++p) {
      const auto& name = layout.params[p];
      const bool has = t.params.contains(name);
      QTableWidgetItem* item =
          has && t.params[name].is_number()
              ? number(t.params[name].get<double>(), valueText(t.params[name]))
              : new QTableWidgetItem(has ? valueText(t.params[name]) : QString());
      table_->setItem(row, kColParams + static_cast<int>(p), item);
    }
    table_->setItem(row, kColParams + static_cast<int>(layout.params.size()),
                    new QTableWidgetItem(QString::fromStdString(t.error)));
    for (int c = 0; c < table_->columnCount(); ++c) {
      QTableWidgetItem* item = table_->item(row, c);
      item->setToolTip(QString::fromStdString(t.params.dump()));
      if (row == winner) {
        QFont f = item->font();
        f.setBold(true);
        item->setFont(f);
      }
    }
  }
  table_->resizeColumnsToContents();
  table_->setSortingEnabled(true);
}

void TrialsPage::drawScatter(const SearchHistory& h, const TrialsLayout& layout) {
  const std::string name = param_->currentData().toString().toStdString();
  const auto at = std::find(layout.params.begin(), layout.params.end(), name);
  if (at == layout.params.end()) {
    chart_->setMessage(tr("the search varied no parameter"));
    return;
  }
  const auto p = static_cast<std::size_t>(at - layout.params.begin());
  // One series per budget (Hyperband rung epochs): scores at few epochs are not comparable
  // with scores at many.
  std::map<long long, std::pair<QVector<double>, QVector<double>>> byBudget;
  for (const SearchTrial& t : h.trials) {
    const double x = trialValue(t, layout, p);
    if (!std::isfinite(t.score) || !std::isfinite(x)) continue;
    byBudget[t.budget].first << x;
    byBudget[t.budget].second << t.score;
    ++scatterPoints_;
  }
  int color = 0;
  for (auto& [budget, xy] : byBudget) {
    auto* g = chart_->addGraph();
    g->setLineStyle(QCPGraph::lsNone);
    const QColor col = comparePalette()[color++ % comparePalette().size()];
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, col, 6));
    g->setPen(QPen(col));
    g->setName(budget > 0 ? tr("%1 %2").arg(budget).arg(QString::fromStdString(layout.budgetParam))
                          : tr("trials"));
    g->setData(xy.first, xy.second);
  }
  const int winner = winnerIndex(h, layout.budgetParam);
  if (winner >= 0 && std::isfinite(trialValue(h.trials[winner], layout, p))) {
    auto* g = chart_->addGraph();
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssStar, QPen(Qt::black, 2), Qt::NoBrush, 14));
    g->setName(tr("winner"));
    g->setData({trialValue(h.trials[winner], layout, p)}, {h.trials[winner].score});
  }
  chart_->xAxis->setLabel(QString::fromStdString(name) +
                          (layout.logScale[p] ? tr(" (log scale)") : QString()));
  // Short: at 1024x700 the plot is not much taller than this label (the table says
  // "(validation)").
  chart_->yAxis->setLabel(QString::fromStdString(h.metric));
  if (!layout.categories[p].empty()) {
    auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
    for (std::size_t i = 0; i < layout.categories[p].size(); ++i)
      ticker->addTick(static_cast<double>(i), QString::fromStdString(layout.categories[p][i]));
    chart_->xAxis->setTicker(ticker);
  } else if (layout.logScale[p]) {
    chart_->xAxis->setScaleType(QCPAxis::stLogarithmic);
    chart_->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  }
  chart_->legend->setVisible(byBudget.size() > 1 || winner >= 0);
  chart_->fit();
  if (!layout.categories[p].empty()) {
    chart_->xAxis->setRange(-0.5, static_cast<double>(layout.categories[p].size()) - 0.5);
    chart_->replot();
  }
}

void TrialsPage::drawParallel(const SearchHistory& h, const TrialsLayout& layout) {
  const std::size_t dims = layout.params.size();
  if (dims == 0) {
    parallel_->setMessage(tr("the search varied no parameter"));
    return;
  }
  // Each axis spans the values the trials took.
  std::vector<double> lo(dims + 1, std::numeric_limits<double>::infinity());
  std::vector<double> hi(dims + 1, -std::numeric_limits<double>::infinity());
  std::vector<const SearchTrial*> shown;
  for (const SearchTrial& t : h.trials) {
    if (!std::isfinite(t.score)) continue;
    shown.push_back(&t);
    for (std::size_t p = 0; p <= dims; ++p) {
      const double v = p < dims ? trialValue(t, layout, p) : t.score;
      if (!std::isfinite(v)) continue;
      lo[p] = std::min(lo[p], v);
      hi[p] = std::max(hi[p], v);
    }
  }
  for (std::size_t p = 0; p < dims; ++p) {
    if (!layout.categories[p].empty()) {
      lo[p] = 0.0;
      hi[p] = static_cast<double>(layout.categories[p].size()) - 1.0;
    }
  }
  for (const auto& p : layout.params) axes_ << QString::fromStdString(p);
  axes_ << QString::fromStdString(h.metric);
  QCPColorGradient gradient = metricGradient();  // color() is not const in QCustomPlot
  const QCPRange scoreRange(lo[dims], hi[dims] > lo[dims] ? hi[dims] : lo[dims] + 1e-9);
  // Better trials are drawn last, on top.
  std::stable_sort(shown.begin(), shown.end(),
                   [](const SearchTrial* a, const SearchTrial* b) { return a->score < b->score; });
  for (const SearchTrial* t : shown) {
    QVector<double> x, y;
    for (std::size_t p = 0; p <= dims; ++p) {
      const double v = p < dims ? trialValue(*t, layout, p) : t->score;
      if (!std::isfinite(v)) continue;
      x << static_cast<double>(p);
      y << unit(v, lo[p], hi[p], p < dims && layout.logScale[p]);
    }
    auto* g = parallel_->addGraph();
    g->setData(x, y, true);
    g->setPen(QPen(QColor::fromRgb(gradient.color(t->score, scoreRange)), 1.4));
    g->setName(tr("%1 = %2").arg(QString::fromStdString(h.metric)).arg(t->score, 0, 'f', 4));
    g->removeFromLegend();
    ++parallelLines_;
  }
  // The axes: a vertical line each, with the lowest and highest value at its ends.
  for (std::size_t p = 0; p <= dims; ++p) {
    auto* line = new QCPItemLine(parallel_);
    line->start->setCoords(static_cast<double>(p), 0.0);
    line->end->setCoords(static_cast<double>(p), 1.0);
    line->setPen(QPen(QColor(90, 90, 90), 1.0));
    for (const bool top : {false, true}) {
      auto* label = new QCPItemText(parallel_);
      label->position->setCoords(static_cast<double>(p), top ? 1.0 : 0.0);
      label->setPositionAlignment(Qt::AlignHCenter | (top ? Qt::AlignBottom : Qt::AlignTop));
      QString text;
      if (p < dims && !layout.categories[p].empty()) {
        const auto& cats = layout.categories[p];
        text = QString::fromStdString(top ? cats.back() : cats.front());
      } else if (std::isfinite(lo[p])) {
        text = QString::number(top ? hi[p] : lo[p], 'g', 3);
      }
      label->setText(text);
      label->setFont(QFont(font().family(), 7));
      label->setColor(QColor(60, 60, 60));
    }
  }
  // A bool or choice axis names each of its values beside the axis.
  for (std::size_t p = 0; p < dims; ++p) {
    const auto& cats = layout.categories[p];
    for (std::size_t i = 1; i + 1 < cats.size(); ++i) {
      auto* label = new QCPItemText(parallel_);
      label->position->setCoords(static_cast<double>(p),
                                 unit(static_cast<double>(i), lo[p], hi[p], false));
      label->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
      label->setPadding(QMargins(3, 0, 0, 0));
      label->setText(QString::fromStdString(cats[i]));
      label->setFont(QFont(font().family(), 7));
      label->setColor(QColor(60, 60, 60));
    }
  }
  auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
  for (int p = 0; p < axes_.size(); ++p) {
    const bool log = p < static_cast<int>(dims) && layout.logScale[static_cast<std::size_t>(p)];
    ticker->addTick(p, axes_[p] + (log ? tr("\n(log)") : QString()));
  }
  parallel_->xAxis->setTicker(ticker);
  parallel_->xAxis->setRange(-0.3, static_cast<double>(dims) + 0.3);
  // Room for the value labels above and below the axes.
  parallel_->yAxis->setRange(-0.16, 1.16);
  parallel_->yAxis->setTickLabels(false);
  parallel_->yAxis->setTicks(false);
  parallel_->yAxis->grid()->setVisible(false);
  parallel_->xAxis->grid()->setVisible(false);
  parallel_->legend->setVisible(false);
  auto* scale = new QCPColorScale(parallel_);
  int rectRow = 0;  // beside the axis rect (row 1 when the title is shown)
  while (rectRow + 1 < parallel_->plotLayout()->rowCount() &&
         parallel_->plotLayout()->element(rectRow, 0) != parallel_->axisRect())
    ++rectRow;
  parallel_->plotLayout()->addElement(rectRow, 1, scale);
  scale->setType(QCPAxis::atRight);
  scale->setGradient(gradient);
  scale->setDataRange(scoreRange);
  scale->setBarWidth(10);
  scale->axis()->setLabel(tr("%1 (validation)").arg(QString::fromStdString(h.metric)));
  parallel_->replot();
}

}  // namespace rwb::ui
