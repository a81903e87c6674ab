#include "ui/data_view.h"

#include <QDateTime>
#include <QGridLayout>
#include <QLabel>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "core/util/connection_string.h"
#include "ui/chart_view.h"
#include "ui/entity_table_model.h"
#include "ui/session.h"
#include "ui/table_view.h"
#include "ui/task_runner.h"

namespace rwb::ui {

namespace {
QString day(std::int64_t t) {
  return QDateTime::fromSecsSinceEpoch(t, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd"));
}
}  // namespace

DataView::DataView(Session* session, TaskRunner* runner, QWidget* parent)
    : QWidget(parent), session_(session), runner_(runner) {
  setObjectName("DataView");
  auto* layout = new QVBoxLayout(this);
  auto* split = new QSplitter(Qt::Vertical, this);
  auto* top = new QWidget(split);
  auto* grid = new QGridLayout(top);
  grid->setContentsMargins(0, 0, 0, 0);
  summary_ =
      new QLabel(tr("No dataset loaded. Use File > Import Data... or drop a file here."), top);
  summary_->setObjectName("summary");
  summary_->setTextFormat(Qt::RichText);
  summary_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  summary_->setMinimumWidth(260);
  report_ = new QLabel(top);
  report_->setWordWrap(true);
  report_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  auto* left = new QVBoxLayout;
  left->addWidget(summary_);
  left->addWidget(report_);
  left->addStretch();
  grid->addLayout(left, 0, 0, 2, 1);
  users_ = new ChartView(tr("Interactions per user"), top);
  items_ = new ChartView(tr("Interactions per item"), top);
  values_ = new ChartView(tr("Value histogram"), top);
  activity_ = new ChartView(tr("Activity over time"), top);
  charts_ = {users_, items_, values_, activity_};
  grid->addWidget(users_, 0, 1);
  grid->addWidget(items_, 0, 2);
  grid->addWidget(values_, 1, 1);
  grid->addWidget(activity_, 1, 2);
  grid->setColumnStretch(1, 1);
  grid->setColumnStretch(2, 1);

  auto* tabs = new QTabWidget(split);
  userModel_ = new EntityTableModel(EntityTableModel::Kind::kUsers, this);
  itemModel_ = new EntityTableModel(EntityTableModel::Kind::kItems, this);
  usersTable_ = new TableView(tr("users"), tabs);
  usersTable_->setSourceModel(userModel_);
  itemsTable_ = new TableView(tr("items"), tabs);
  itemsTable_->setSourceModel(itemModel_);
  tabs->addTab(itemsTable_, tr("Items"));
  tabs->addTab(usersTable_, tr("Users"));
  split->addWidget(top);
  split->addWidget(tabs);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split);
  connect(session_, &Session::datasetChanged, this, &DataView::onDatasetChanged);
}

QString DataView::reportText() const { return report_->text(); }

QString DataView::summaryText() const { return summary_->text(); }

void DataView::onDatasetChanged() {
  profileReady_ = false;
  if (profileTask_ != 0) runner_->cancel(profileTask_);
  auto data = session_->dataset();
  userModel_->setDataset(data);
  itemModel_->setDataset(data);
  for (ChartView* c : charts_) {
    c->reset();
    c->replot();
  }
  if (!data) {
    summary_->setText(tr("No dataset loaded."));
    report_->clear();
    return;
  }
  summary_->setText(
      tr("<b>%1</b><br>computing profile...").arg(QString::fromStdString(data->name)));
  const LoadResult& r = session_->loadReport();
  // Interaction rows and attribute rows (items, users, tags) are told apart: ml-100k reads
  // 100,000 ratings, not 102,625 "rows".
  const LoadCounts interactions = r.interactionRows();
  const LoadCounts attributes = r.attributeRows();
  QString rep = tr("Interaction rows read %L1, loaded %L2, skipped %L3.")
                    .arg(interactions.rowsRead)
                    .arg(interactions.rowsLoaded)
                    .arg(interactions.rowsSkipped);
  if (attributes.rowsRead > 0) {
    rep += tr("<br>Attribute rows (items, users) read %L1, loaded %L2, skipped %L3.")
               .arg(attributes.rowsRead)
               .arg(attributes.rowsLoaded)
               .arg(attributes.rowsSkipped);
  }
  // Where the rows came from (files, or a database's tables and queries without credentials).
  QStringList read;
  for (const auto& t : r.tables) {
    read << QString::fromStdString(redactConnectionString(t.file)).toHtmlEscaped();
  }
  if (!read.isEmpty()) rep += tr("<br>Read from %1.").arg(read.join(QStringLiteral(", ")));
  for (const auto& [reason, n] : r.skippedByReason) {
    rep += tr("<br><span style='color:#b00'>%L1 x %2</span>")
               .arg(n)
               .arg(QString::fromStdString(reason).toHtmlEscaped());
  }
  for (const auto& issue : r.issues) {
    rep += QStringLiteral("<br><small>") +
           QString::fromStdString(issue.toString()).toHtmlEscaped() + QStringLiteral("</small>");
  }
  for (const auto& note : r.notes)
    rep += QStringLiteral("<br><i>") + QString::fromStdString(note).toHtmlEscaped() +
           QStringLiteral("</i>");
  report_->setText(rep);
  profileTask_ = runner_->start<DataProfile>(
      tr("Profiling %1").arg(QString::fromStdString(data->name)),
      [data](TaskContext& ctx) { return computeProfile(*data, ctx); }, this,
      [this, data](DataProfile p) {
        profileTask_ = 0;
        if (data == session_->dataset()) showProfile(p);
      },
      [this](const QString& e) {
        profileTask_ = 0;
        summary_->setText(tr("Profile failed: %1").arg(e));
      });
}

void DataView::showProfile(const DataProfile& p) {
  auto data = session_->dataset();
  const DatasetSummary& sum = p.summary;
  QString s = tr("<b>%1</b><table cellspacing=3>"
                 "<tr><td>Users</td><td align=right>%L2</td></tr>"
                 "<tr><td>Items</td><td align=right>%L3</td></tr>"
                 "<tr><td>Interactions</td><td align=right>%L4</td></tr>"
                 "<tr><td>Density</td><td align=right>%5%</td></tr>"
                 "<tr><td>Median per user</td><td align=right>%L6</td></tr>"
                 "<tr><td>Median per item</td><td align=right>%L7</td></tr>"
                 "<tr><td>Top 20% items hold</td><td align=right>%8%</td></tr>"
                 "<tr><td>Values</td><td align=right>%9 .. %10 (mean %11)</td></tr>")
                  .arg(QString::fromStdString(data->name).toHtmlEscaped())
                  .arg(sum.users)
                  .arg(sum.items)
                  .arg(sum.interactions)
                  .arg(sum.density * 100.0, 0, 'f', 3)
                  .arg(sum.perUser.median, 0, 'g', 6)
                  .arg(sum.perItem.median, 0, 'g', 6)
                  .arg(sum.top20ItemShare * 100.0, 0, 'f', 1)
                  .arg(sum.valueMin, 0, 'g', 4)
                  .arg(sum.valueMax, 0, 'g', 4)
                  .arg(sum.valueMean, 0, 'f', 3);
  if (sum.withTimestamp > 0) {
    s += tr("<tr><td>Time span</td><td align=right>%1 .. %2 (%L3 days)</td></tr>")
             .arg(day(sum.timeMin), day(sum.timeMax))
             .arg((sum.timeMax - sum.timeMin) / 86400 + 1);
  } else {
    s += tr("<tr><td>Time span</td><td align=right>no timestamps</td></tr>");
  }
  if (auto test = session_->testSet()) {
    s += tr("<tr><td>Test set</td><td align=right>%L1 interactions</td></tr>")
             .arg(test->numInteractions());
  }
  s += QStringLiteral("</table>");
  summary_->setText(s);

  auto longTail = [](ChartView* c, const QVector<double>& x, const QVector<double>& y,
                     const QString& who, QColor color) {
    c->reset();
    if (x.isEmpty()) {
      c->setMessage(QObject::tr("no data"));
      return;
    }
    auto* g = c->addGraph();
    g->setName(QObject::tr("%1 by rank").arg(who));
    g->setData(x, y, true);
    g->setPen(QPen(color, 1.6));
    g->setLineStyle(QCPGraph::lsLine);
    c->xAxis->setScaleType(QCPAxis::stLogarithmic);
    c->yAxis->setScaleType(QCPAxis::stLogarithmic);
    c->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    c->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    c->xAxis->setLabel(QObject::tr("%1 rank").arg(who));
    c->yAxis->setLabel(QObject::tr("interactions"));
    c->fit();
  };
  longTail(users_, p.userRank, p.userCount, tr("user"), QColor(31, 119, 180));
  longTail(items_, p.itemRank, p.itemCount, tr("item"), QColor(214, 39, 40));

  values_->reset();
  if (sum.valueHistogram.empty()) {
    values_->setMessage(tr("no data"));
  } else {
    // core's histogram: one bin per value when the values are discrete, else equal bins.
    QVector<double> x, y;
    double width = 0.8;
    for (const HistogramBin& b : sum.valueHistogram) {
      x << (b.lower + b.upper) / 2.0;
      y << static_cast<double>(b.count);
    }
    if (sum.discreteValues && x.size() > 1) {
      double gap = x[1] - x[0];
      for (int i = 2; i < x.size(); ++i) gap = std::min(gap, x[i] - x[i - 1]);
      width = gap * 0.8;
    } else if (!sum.discreteValues) {
      width = (sum.valueHistogram.front().upper - sum.valueHistogram.front().lower) * 0.9;
    }
    auto* bars = new QCPBars(values_->xAxis, values_->yAxis);
    bars->setName(tr("interactions"));
    bars->setData(x, y, true);
    bars->setWidth(width > 0 ? width : 0.8);
    bars->setBrush(QColor(44, 160, 44, 170));
    bars->setPen(QPen(QColor(44, 120, 44)));
    values_->xAxis->setLabel(tr("value"));
    values_->yAxis->setLabel(tr("interactions"));
    values_->fit();
    values_->yAxis->setRangeLower(0);
    values_->replot();
  }

  activity_->reset();
  if (p.day.isEmpty()) {
    activity_->setMessage(tr("no timestamps in this dataset"));
  } else {
    auto* g = activity_->addGraph();
    g->setName(tr("interactions per day"));
    g->setData(p.day, p.dayCount, true);
    g->setPen(QPen(QColor(148, 103, 189), 1.2));
    g->setBrush(QColor(148, 103, 189, 60));
    auto ticker = QSharedPointer<QCPAxisTickerDateTime>(new QCPAxisTickerDateTime);
    ticker->setDateTimeFormat(QStringLiteral("yyyy-MM-dd"));
    ticker->setDateTimeSpec(Qt::UTC);
    ticker->setTickCount(4);
    activity_->xAxis->setTicker(ticker);
    activity_->xAxis->setLabel(tr("day"));
    activity_->yAxis->setLabel(tr("interactions"));
    activity_->fit();
    activity_->yAxis->setRangeLower(0);
    activity_->replot();
  }
  profileReady_ = true;
  emit profileUpdated();
}

}  // namespace rwb::ui
