#include "ui/compare_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFont>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/eval/classification_metrics.h"
#include "core/eval/comparison.h"
#include "core/eval/evaluator.h"
#include "core/eval/slices.h"
#include "core/export/model_package.h"
#include "core/export/run_export.h"
#include "core/experiment/engagement_evaluation.h"
#include "core/models/engagement_model.h"
#include "core/models/explanation.h"
#include "core/models/registry.h"
#include "ui/chart_view.h"
#include "ui/metric_info.h"
#include "ui/session.h"
#include "ui/table_view.h"
#include "ui/task_runner.h"

namespace rwb::ui {

namespace {
bool metricMissing(const std::vector<const EvalResult*>& evals, const std::string& metric) {
  for (const EvalResult* e : evals) {
    const auto* m = e->find(metric);
    if (m == nullptr || !m->perUser) return true;
  }
  return false;
}

const QStringList kFixedFields{"run",        "model",  "status",      "dataset",  "split",
                               "split hash", "params", "fit seconds", "model MB", "champion"};
constexpr int kFirstNumericFixed = 7;  // "fit seconds"

QString shortHash(const std::string& h) {
  return h.empty() ? QObject::tr("unknown") : QString::fromStdString(h);
}
const QList<QColor> kPalette{QColor(31, 119, 180),  QColor(255, 127, 14),  QColor(44, 160, 44),
                             QColor(214, 39, 40),   QColor(148, 103, 189), QColor(140, 86, 75),
                             QColor(227, 119, 194), QColor(127, 127, 127)};
}  // namespace

RunsModel::RunsModel(Session* session, QObject* parent)
    : QAbstractTableModel(parent), session_(session) {
  refresh();
}

void RunsModel::refresh() {
  beginResetModel();
  std::set<std::string> metricNames;
  for (const auto& r : session_->runs()) {
    for (const auto& k : r.metricNames()) metricNames.insert(k);
  }
  fields_ = kFixedFields;
  firstMetric_ = static_cast<int>(fields_.size());
  for (const auto& m : metricNames) fields_ << QString::fromStdString(m);
  // Directions once per refresh: bestRun() runs for every painted cell.
  higher_.clear();
  for (const QString& f : numericFields()) higher_[f] = higherIsBetter(f);
  endResetModel();
}

void RunsModel::setTransposed(bool t) {
  beginResetModel();
  transposed_ = t;
  endResetModel();
}

int RunsModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid()) return 0;
  return transposed_ ? static_cast<int>(fields_.size()) : static_cast<int>(session_->runs().size());
}

int RunsModel::columnCount(const QModelIndex& parent) const {
  if (parent.isValid()) return 0;
  return transposed_ ? static_cast<int>(session_->runs().size()) : static_cast<int>(fields_.size());
}

QStringList RunsModel::numericFields() const {
  QStringList out;
  for (int i = firstMetric_; i < fields_.size(); ++i) out << fields_[i];
  out << "fit seconds"
      << "model MB";
  return out;
}

int RunsModel::runId(int runIndex) const {
  const auto& runs = session_->runs();
  return runIndex >= 0 && runIndex < static_cast<int>(runs.size())
             ? runs[static_cast<std::size_t>(runIndex)].id
             : 0;
}

double RunsModel::value(int runIndex, const QString& field) const {
  const auto& runs = session_->runs();
  if (runIndex < 0 || runIndex >= static_cast<int>(runs.size())) return std::nan("");
  const SessionRun& r = runs[static_cast<std::size_t>(runIndex)];
  if (!r.done()) return std::nan("");
  if (field == "fit seconds") return r.record.fitSeconds;
  if (field == "model MB") return static_cast<double>(r.record.modelBytes) / 1e6;
  const auto m = r.metric(field.toStdString());
  return m ? m->value : std::nan("");
}

void RunsModel::setSplitGroup(const std::string& splitHash) {
  beginResetModel();
  group_ = splitHash;
  endResetModel();
}

bool RunsModel::compared(int runIndex) const {
  const auto& runs = session_->runs();
  if (runIndex < 0 || runIndex >= static_cast<int>(runs.size())) return false;
  const SessionRun& r = runs[static_cast<std::size_t>(runIndex)];
  return r.done() && r.record.splitHash == group_;
}

int RunsModel::bestRun(const QString& field) const {
  int best = -1;
  double bestValue = 0.0;
  auto dir = higher_.find(field);
  const bool up = dir != higher_.end() ? dir->second : higherIsBetter(field);
  for (int i = 0; i < static_cast<int>(session_->runs().size()); ++i) {
    if (!compared(i)) continue;
    const double v = value(i, field);
    if (std::isnan(v)) continue;
    if (best < 0 || (up ? v > bestValue : v < bestValue)) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

QVariant RunsModel::cell(int run, int field, int role) const {
  const auto& runs = session_->runs();
  if (run < 0 || run >= static_cast<int>(runs.size()) || field < 0 || field >= fields_.size())
    return {};
  const SessionRun& r = runs[static_cast<std::size_t>(run)];
  const QString& name = fields_[field];
  const bool numeric = field >= kFirstNumericFixed && name != "champion";
  if (role == Qt::DisplayRole) {
    if (name == "run") return r.displayName;
    if (name == "model") {
      const ModelInfo* info = findModel(r.record.model);
      return QString::fromStdString(info ? info->displayName : r.record.model);
    }
    if (name == "status") return r.stateName();
    if (name == "dataset") return r.dataset;
    if (name == "split") return r.split;
    if (name == "split hash") return QString::fromStdString(r.record.splitHash);
    if (name == "params") return QString::fromStdString(r.record.params.dump());
    if (name == "champion") return r.champion ? QStringLiteral("\u2605") : QString();
    const double v = value(run, name);
    if (std::isnan(v)) return {};
    return name == "model MB" || name == "fit seconds" ? QVariant(std::round(v * 1000.0) / 1000.0)
                                                       : QVariant(std::round(v * 1e6) / 1e6);
  }
  const bool otherSplit = r.done() && !compared(run);
  if (role == Qt::ToolTipRole) {
    if (otherSplit) {
      return tr("not compared: different splits (hash %1 vs %2)")
          .arg(shortHash(r.record.splitHash), shortHash(group_));
    }
    if (name == "params") return QString::fromStdString(r.record.params.dump(2));
    if (name == "status" && !r.record.error.empty()) return QString::fromStdString(r.record.error);
    if (numeric) {
      const auto m = r.metric(name.toStdString());
      if (m && m->hasCi) {
        return tr("%1 (95% CI %2 .. %3)").arg(m->value).arg(m->lo).arg(m->hi);
      }
    }
    return {};
  }
  if (role == Qt::TextAlignmentRole && numeric) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  if ((role == Qt::BackgroundRole || role == Qt::FontRole) && numeric && runs.size() > 1 &&
      bestRun(name) == run) {
    if (role == Qt::BackgroundRole) return QColor(200, 240, 200);
    QFont f;
    f.setBold(true);
    return f;
  }
  if (role == Qt::ForegroundRole && r.state == RunState::kFailed) return QColor(180, 0, 0);
  if (role == Qt::ForegroundRole && otherSplit) return QColor(150, 150, 150);
  return {};
}

QVariant RunsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  return transposed_ ? cell(index.column(), index.row(), role)
                     : cell(index.row(), index.column(), role);
}

QVariant RunsModel::headerData(int section, Qt::Orientation o, int role) const {
  const bool fieldHeader = (o == Qt::Horizontal) != transposed_;
  if (fieldHeader) {
    if (section < 0 || section >= fields_.size()) return {};
    if (role == Qt::DisplayRole) return fields_[section];
    if (role == Qt::ToolTipRole && section >= kFirstNumericFixed &&
        fields_[section] != "champion") {
      return metricTooltip(fields_[section]) + (higherIsBetter(fields_[section])
                                                    ? tr("<br>higher is better")
                                                    : tr("<br>lower is better"));
    }
    return {};
  }
  if (role == Qt::DisplayRole) {
    const auto& runs = session_->runs();
    if (section >= 0 && section < static_cast<int>(runs.size()))
      return runs[static_cast<std::size_t>(section)].displayName;
  }
  return QAbstractTableModel::headerData(section, o, role);
}

CompareView::CompareView(Session* session, TaskRunner* runner, QWidget* parent)
    : QWidget(parent), session_(session), runner_(runner) {
  setObjectName("CompareView");
  auto* layout = new QVBoxLayout(this);
  auto* split = new QSplitter(Qt::Vertical, this);
  auto* top = new QWidget(split);
  auto* topLayout = new QVBoxLayout(top);
  topLayout->setContentsMargins(0, 0, 0, 0);
  auto* actions = new QHBoxLayout;
  auto* transpose = new QCheckBox(tr("Transpose"), top);
  auto* champion = new QPushButton(tr("Mark as champion"), top);
  champion->setObjectName("champion");
  auto* exportButton = new QPushButton(tr("Export..."), top);
  exportButton->setObjectName("export");
  actions->addWidget(new QLabel(
      tr("<b>Runs</b> (best value per column among the runs on the split compared)"), top));
  actions->addStretch();
  actions->addWidget(transpose);
  actions->addWidget(champion);
  actions->addWidget(exportButton);
  topLayout->addLayout(actions);
  auto* splitRow = new QHBoxLayout;
  split_ = new QComboBox(top);
  split_->setObjectName("splitGroup");
  split_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  splitRow->addWidget(new QLabel(tr("Compare runs on split"), top));
  splitRow->addWidget(split_);
  splitRow->addStretch();
  topLayout->addLayout(splitRow);
  splitNote_ = new QLabel(top);
  splitNote_->setObjectName("splitNote");
  splitNote_->setWordWrap(true);
  splitNote_->setStyleSheet(QStringLiteral("color:#a05000"));
  topLayout->addWidget(splitNote_);
  model_ = new RunsModel(session_, this);
  table_ = new TableView(tr("runs"), top);
  table_->setSourceModel(model_);
  topLayout->addWidget(table_);

  auto* bottom = new QWidget(split);
  auto* bottomLayout = new QVBoxLayout(bottom);
  bottomLayout->setContentsMargins(0, 0, 0, 0);
  auto* pick = new QHBoxLayout;
  metric_ = new QComboBox(bottom);
  metric_->setObjectName("metric");
  metric_->setMinimumContentsLength(14);
  pick->addWidget(new QLabel(tr("Metric"), bottom));
  pick->addWidget(metric_);
  pick->addStretch();
  bottomLayout->addLayout(pick);
  tabs_ = new QTabWidget(bottom);
  bars_ = new ChartView(tr("Metric by run"), tabs_);
  atK_ = new ChartView(tr("Metric at k"), tabs_);
  perUser_ = new ChartView(tr("Per-user distribution"), tabs_);
  significance_ = new ChartView(tr("Pairwise significance (Holm)"), tabs_);
  tradeoff_ = new ChartView(tr("Accuracy vs coverage"), tabs_);
  slices_ = new ChartView(tr("Slices: users by activity, items by popularity"), tabs_);
  calibration_ = new ChartView(tr("Calibration of P(engage)"), tabs_);
  importance_ = new ChartView(tr("Feature importance"), tabs_);
  charts_ = {bars_, atK_, perUser_, significance_, tradeoff_, slices_, calibration_, importance_};
  tabs_->addTab(bars_, tr("Bars with 95% CI"));
  tabs_->addTab(atK_, tr("Metric@k"));
  tabs_->addTab(perUser_, tr("Per user"));
  tabs_->addTab(significance_, tr("Significance"));
  tabs_->addTab(tradeoff_, tr("Trade-off"));
  tabs_->addTab(slices_, tr("Slices"));
  tabs_->addTab(calibration_, tr("Calibration"));
  tabs_->addTab(importance_, tr("Importance"));
  bottomLayout->addWidget(tabs_);
  split->addWidget(top);
  split->addWidget(bottom);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  layout->addWidget(split);

  connect(transpose, &QCheckBox::toggled, model_, &RunsModel::setTransposed);
  connect(champion, &QPushButton::clicked, this, [this] {
    if (!markChampion()) emit errorMessage(tr("Select a finished run first."));
  });
  connect(exportButton, &QPushButton::clicked, this, [this] {
    const int id = selectedRun();
    const SessionRun* r = id ? session_->run(id) : nullptr;
    if (r == nullptr) {
      emit errorMessage(tr("Select a finished run first."));
      return;
    }
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export model package"), QString::fromStdString(r->record.model) + ".rwbm",
        tr("RecWorkbench model package (*.rwbm)"));
    if (path.isEmpty()) return;
    if (!exportRun(path)) emit errorMessage(tr("Select a finished run first."));
  });
  connect(metric_, &QComboBox::activated, this, [this] { userPickedMetric_ = true; });
  connect(split_, &QComboBox::activated, this, [this] {
    userPickedSplit_ = true;
    refresh();
  });
  connect(metric_, &QComboBox::currentTextChanged, this, [this] {
    drawBars();
    drawAtK();
    drawPerUser();
    drawSignificance();
    drawSlices();
  });
  connect(table_->view()->selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this] { drawImportance(); });
  connect(session_, &Session::runAdded, this, &CompareView::scheduleRefresh);
  connect(session_, &Session::runChanged, this, &CompareView::scheduleRefresh);
  connect(session_, &Session::runsCleared, this, &CompareView::scheduleRefresh);
  refresh();
}

void CompareView::scheduleRefresh() {
  // Runs change in bursts (a queue of runs starting, epochs, finishing): redraw once per
  // event-loop turn, and only while the view is visible, so the GUI thread stays free.
  dirty_ = true;
  if (scheduled_ || !isVisible()) return;
  scheduled_ = true;
  QTimer::singleShot(0, this, [this] {
    scheduled_ = false;
    if (dirty_ && isVisible()) refresh();
  });
}

void CompareView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (dirty_) refresh();
}

void CompareView::refresh() {
  dirty_ = false;
  const int keep = selectedRun();
  model_->refresh();
  refreshSplitGroups();
  table_->view()->resizeColumnsToContents();
  const QString current = metric_->currentText();
  metric_->blockSignals(true);
  metric_->clear();
  metric_->addItems(model_->numericFields());
  for (int i = 0; i < metric_->count(); ++i) {
    metric_->setItemData(i, metricTooltip(metric_->itemText(i)), Qt::ToolTipRole);
  }
  int idx = metric_->findText(current);
  if (idx < 0 || !userPickedMetric_) {
    // nDCG@k by default once runs are evaluated (a metric the user picked stays picked).
    for (int i = 0; i < metric_->count(); ++i) {
      if (metric_->itemText(i).startsWith(QStringLiteral("ndcg@"))) {
        idx = i;
        break;
      }
    }
  }
  metric_->setCurrentIndex(idx >= 0 ? idx : 0);
  metric_->blockSignals(false);
  if (keep) selectRun(keep);
  drawBars();
  drawAtK();
  drawPerUser();
  drawTradeoff();
  drawSignificance();
  drawSlices();
  drawCalibration();
  drawImportance();
}

void CompareView::refreshSplitGroups() {
  // One entry per split hash of the finished runs, newest split first.
  struct Group {
    std::string hash;
    QString label;
    int runs = 0;
  };
  std::vector<Group> groups;
  std::string champion;
  for (auto it = session_->runs().rbegin(); it != session_->runs().rend(); ++it) {
    if (!it->done()) continue;
    const std::string& hash = it->record.splitHash;
    if (it->champion) champion = hash;
    auto g =
        std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.hash == hash; });
    if (g == groups.end()) {
      QStringList what;
      if (!it->dataset.isEmpty()) what << it->dataset;
      if (!it->split.isEmpty()) what << it->split;
      groups.push_back({hash, what.join(QStringLiteral(", ")), 0});
      g = std::prev(groups.end());
    }
    ++g->runs;
  }
  std::string chosen = userPickedSplit_ ? split_->currentData().toString().toStdString() : "";
  const bool known =
      std::any_of(groups.begin(), groups.end(), [&](const Group& g) { return g.hash == chosen; });
  // Default: the champion's split, else the newest run's.
  if (!userPickedSplit_ || !known) {
    userPickedSplit_ = false;
    chosen = !champion.empty() ? champion : groups.empty() ? std::string() : groups.front().hash;
  }
  split_->blockSignals(true);
  split_->clear();
  for (const Group& g : groups) {
    split_->addItem(tr("%1 (%2; %n run(s))", nullptr, g.runs)
                        .arg(shortHash(g.hash), g.label.isEmpty() ? tr("no description") : g.label),
                    QString::fromStdString(g.hash));
  }
  split_->setCurrentIndex(std::max(0, split_->findData(QString::fromStdString(chosen))));
  split_->blockSignals(false);
  split_->setEnabled(groups.size() > 1);
  model_->setSplitGroup(chosen);

  QStringList others;
  for (const SessionRun& r : session_->runs()) {
    if (r.done() && r.record.splitHash != chosen) {
      others << tr("%1 (hash %2)").arg(r.displayName, shortHash(r.record.splitHash));
    }
  }
  if (others.isEmpty()) {
    splitNote_->clear();
    splitNote_->hide();
  } else {
    splitNote_->setText(
        tr("Not compared: %1. Best marks, charts and paired tests compare only runs on the same "
           "train/test split (split hash %2); runs on other splits (another dataset, split "
           "method, ratio or seed) were evaluated on other test users and items. Pick their "
           "split above to compare them with each other.")
            .arg(others.join(QStringLiteral(", ")), shortHash(chosen)));
    splitNote_->show();
  }
}

bool CompareView::inGroup(const SessionRun& run) const {
  return run.done() && run.record.splitHash == model_->splitGroup();
}

QString CompareView::splitNote() const {
  return splitNote_->isHidden() ? QString() : splitNote_->text();
}

int CompareView::selectedRun() const {
  const auto rows = table_->view()->selectionModel()->selectedRows();
  QModelIndex idx = rows.isEmpty() ? table_->view()->currentIndex() : rows.first();
  if (!idx.isValid()) return 0;
  const QModelIndex src = table_->proxy()->mapToSource(idx);
  return model_->runId(model_->transposed() ? src.column() : src.row());
}

void CompareView::selectRun(int runId) {
  const auto& runs = session_->runs();
  for (int i = 0; i < static_cast<int>(runs.size()); ++i) {
    if (runs[static_cast<std::size_t>(i)].id != runId) continue;
    const QModelIndex src = model_->transposed() ? model_->index(0, i) : model_->index(i, 0);
    const QModelIndex view = table_->proxy()->mapFromSource(src);
    table_->view()->setCurrentIndex(view);
    table_->view()->selectRow(view.row());
  }
}

bool CompareView::markChampion() {
  const int id = selectedRun();
  const SessionRun* r = id ? session_->run(id) : nullptr;
  if (r == nullptr || !r->done()) return false;
  session_->setChampion(id);
  emit logMessage(tr("%1 marked as champion.").arg(r->displayName));
  return true;
}

bool CompareView::exportRun(const QString& path) {
  const int id = selectedRun();
  const SessionRun* r = id ? session_->run(id) : nullptr;
  if (r == nullptr || !r->done()) return false;
  const QString name = r->displayName;
  if (r->storeId == 0 || session_->projectPath().isEmpty()) {
    const QString e =
        tr("%1 is not recorded in a project: open or create a project (File > New Project) and "
           "run it again on data read from a file, so that the export can rebuild its training "
           "data as `recwb export --project` does.")
            .arg(name);
    QTimer::singleShot(0, this, [this, path, e] {
      emit errorMessage(e);
      emit exported(path, e);
    });
    return true;
  }
  const std::string project = session_->projectPath().toStdString();
  const std::int64_t storeId = r->storeId;
  const std::string file = path.toStdString();
  runner_->start<PackageInfo>(
      tr("Exporting %1").arg(name),
      [project, storeId, file](TaskContext& ctx) {
        return exportProjectRun(project, storeId, file, ctx);
      },
      this,
      [this, path, name](PackageInfo written) {
        emit logMessage(tr("%1 exported to %2 (checksum %3).")
                            .arg(name, path, QString::fromStdString(written.checksum)));
        emit exported(path, QString());
      },
      [this, path](const QString& e) {
        emit errorMessage(e);
        emit exported(path, e);
      });
  return true;
}

void CompareView::drawBars() {
  bars_->reset();
  const QString field = metric_->currentText();
  const auto& runs = session_->runs();
  QVector<double> x, y, errLo, errHi;
  auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
  bool anyCi = false;
  for (int i = 0; i < static_cast<int>(runs.size()); ++i) {
    if (!model_->compared(i)) continue;
    const double v = model_->value(i, field);
    if (std::isnan(v)) continue;
    const double pos = static_cast<double>(x.size() + 1);
    x << pos;
    y << v;
    ticker->addTick(pos, runs[static_cast<std::size_t>(i)].displayName);
    const auto m = runs[static_cast<std::size_t>(i)].metric(field.toStdString());
    if (m && m->hasCi) {
      errLo << v - m->lo;
      errHi << m->hi - v;
      anyCi = true;
    } else {
      errLo << 0.0;
      errHi << 0.0;
    }
  }
  if (x.isEmpty()) {
    bars_->setMessage(field.isEmpty() ? tr("no runs yet")
                                      : tr("no finished run has %1").arg(field));
    return;
  }
  auto* bars = new QCPBars(bars_->xAxis, bars_->yAxis);
  bars->setName(field);
  bars->setData(x, y, true);
  bars->setWidth(0.6);
  bars->setBrush(QColor(31, 119, 180, 170));
  bars->setPen(QPen(QColor(31, 90, 150)));
  if (anyCi) {
    auto* err = new QCPErrorBars(bars_->xAxis, bars_->yAxis);
    err->setName(tr("95% CI"));
    err->setDataPlottable(bars);
    err->setData(errLo, errHi);
    err->setPen(QPen(Qt::black, 1.2));
  } else {
    bars->setName(field + tr(" (no CI from this engine)"));
  }
  bars_->xAxis->setTicker(ticker);
  bars_->xAxis->setLabel(tr("run"));
  bars_->yAxis->setLabel(field);
  bars_->fit();
  bars_->xAxis->setRange(0.3, static_cast<double>(x.size()) + 0.7);
  bars_->yAxis->setRangeLower(std::min(0.0, bars_->yAxis->range().lower));
  bars_->replot();
}

void CompareView::drawAtK() {
  atK_->reset();
  // Curves over every cut-off the evaluation produced for the chosen metric family.
  const QString base = metric_->currentText().section(QLatin1Char('@'), 0, 0);
  int drawn = 0;
  int color = 0;
  for (const SessionRun& r : session_->runs()) {
    if (!inGroup(r)) continue;
    QVector<double> ks, vs;
    for (const auto& [key, value] : r.record.metrics) {
      const QString k = QString::fromStdString(key);
      if (k.section(QLatin1Char('@'), 0, 0) != base || !k.contains(QLatin1Char('@'))) continue;
      bool ok = false;
      const int kk = k.section(QLatin1Char('@'), 1).toInt(&ok);
      if (!ok) continue;
      ks << kk;
      vs << value;
    }
    if (ks.size() < 2) continue;
    auto* g = atK_->addGraph();
    g->setName(r.displayName);
    g->setData(ks, vs, false);
    g->setPen(QPen(kPalette[color++ % kPalette.size()], 1.8));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
    ++drawn;
  }
  if (drawn == 0) {
    atK_->setMessage(tr("%1 was evaluated at one cut-off only; metric@k curves need the evaluation "
                        "at several k")
                         .arg(base.isEmpty() ? tr("no metric") : base));
    return;
  }
  atK_->xAxis->setLabel(tr("k"));
  atK_->yAxis->setLabel(base);
  atK_->fit();
}

void CompareView::drawPerUser() {
  perUser_->reset();
  const std::string field = metric_->currentText().toStdString();
  int drawn = 0;
  int color = 0;
  for (const SessionRun& r : session_->runs()) {
    if (!inGroup(r)) continue;
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
    auto* g = perUser_->addGraph();
    g->setName(tr("%1 (%L2 users)").arg(r.displayName).arg(n));
    g->setData(x, y, true);
    g->setLineStyle(QCPGraph::lsStepCenter);
    g->setPen(QPen(kPalette[color++ % kPalette.size()], 1.8));
    ++drawn;
  }
  if (drawn == 0) {
    perUser_->setMessage(
        tr("no per-user values of %1 in these runs").arg(QString::fromStdString(field)));
    return;
  }
  perUser_->xAxis->setLabel(QString::fromStdString(field));
  perUser_->yAxis->setLabel(tr("share of users"));
  perUser_->fit();
}

void CompareView::drawSignificance() {
  significance_->reset();
  std::vector<const EvalResult*> evals;
  std::vector<std::string> names;
  std::vector<std::shared_ptr<const EvalResult>> keep;
  significanceRuns_.clear();
  int elsewhere = 0;
  for (const SessionRun& r : session_->runs()) {
    if (!r.done() || !r.evaluation) continue;
    // Paired tests pair each user's values of two runs: only runs on the same split.
    if (!inGroup(r)) {
      ++elsewhere;
      continue;
    }
    evals.push_back(r.evaluation.get());
    keep.push_back(r.evaluation);
    names.push_back(r.displayName.toStdString());
  }
  const std::string metric = metric_->currentText().toStdString();
  if (evals.size() < 2 || metricMissing(evals, metric)) {
    significance_->setMessage(
        tr("Paired tests need two or more evaluated runs on the same split and a per-user "
           "metric (pick one above).") +
        (elsewhere > 0
             ? tr(" %n run(s) on other splits not compared: different splits.", nullptr, elsewhere)
             : QString()));
    return;
  }
  for (const std::string& n : names) significanceRuns_ << QString::fromStdString(n);
  if (significanceTask_ != 0) runner_->cancel(significanceTask_);
  CompareOptions options;
  options.metrics = {metric};
  significanceTask_ = runner_->start<ComparisonResult>(
      tr("Paired tests"),
      [evals, names, options, keep](TaskContext& ctx) {
        return compareRuns(evals, names, options, ctx);
      },
      this,
      [this, metric](ComparisonResult cmp) {
        significanceTask_ = 0;
        significance_->reset();
        if (cmp.metrics.empty() || !cmp.metrics.front().perUser) {
          significance_->setMessage(
              tr("%1 has no per-user values").arg(QString::fromStdString(metric)));
          return;
        }
        const MetricComparison& mc = cmp.metrics.front();
        const int n = static_cast<int>(cmp.runs.size());
        auto* map = new QCPColorMap(significance_->xAxis, significance_->yAxis);
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
            auto* label = new QCPItemText(significance_);
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
        significance_->xAxis->setTicker(ticker);
        significance_->yAxis->setTicker(ticker);
        significance_->xAxis->setLabel(tr("run A"));
        significance_->yAxis->setLabel(tr("run B"));
        significance_->legend->setVisible(false);
        significance_->xAxis->setRange(-0.5, n - 0.5);
        significance_->yAxis->setRange(-0.5, n - 0.5);
        significance_->replot();
      },
      [this](const QString& e) {
        significanceTask_ = 0;
        significance_->reset();
        significance_->setMessage(e);
      });
}

void CompareView::drawTradeoff() {
  tradeoff_->reset();
  const QStringList fields = model_->fields();
  QString coverage, accuracy;
  for (const QString& f : fields) {
    if (coverage.isEmpty() && (f.contains("coverage") || f == "novelty")) coverage = f;
    if (accuracy.isEmpty() && f.startsWith("ndcg")) accuracy = f;
  }
  if (accuracy.isEmpty()) {
    for (const QString& f : model_->numericFields()) {
      if (f != "fit seconds" && f != "model MB" && f != coverage) {
        accuracy = f;
        break;
      }
    }
  }
  if (coverage.isEmpty() || accuracy.isEmpty()) {
    tradeoff_->setMessage(
        tr("needs an accuracy metric and a coverage or novelty metric in the "
           "runs"));
    return;
  }
  int color = 0;
  for (int i = 0; i < static_cast<int>(session_->runs().size()); ++i) {
    if (!model_->compared(i)) continue;
    const double a = model_->value(i, accuracy), c = model_->value(i, coverage);
    if (std::isnan(a) || std::isnan(c)) continue;
    auto* g = tradeoff_->addGraph();
    g->setName(session_->runs()[static_cast<std::size_t>(i)].displayName);
    g->setData(QVector<double>{c}, QVector<double>{a}, true);
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDisc, kPalette[color++ % kPalette.size()], 10));
  }
  tradeoff_->xAxis->setLabel(coverage);
  tradeoff_->yAxis->setLabel(accuracy);
  tradeoff_->fit();
}

namespace {

/// The slices' evaluation of one run (computed off the GUI thread).
struct RunSlices {
  QString run;
  std::vector<SliceResult> slices;
};

/// Calibration bins of one engagement run.
struct RunCalibration {
  QString run;
  std::vector<CalibrationBin> bins;
  double brier = 0.0;
  double auc = 0.0;
};

}  // namespace

void CompareView::drawSlices() {
  slices_->reset();
  sliceValues_.clear();
  std::string metric = metric_->currentText().toStdString();
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
  for (const SessionRun& r : session_->runs()) {
    if (!inGroup(r) || !r.train || !r.test || r.record.recommendations.empty()) continue;
    jobs.push_back(
        {r.displayName, r.train, r.test, r.record.recUsers, r.record.recommendations, r.record.k});
  }
  if (jobs.empty()) {
    slices_->setMessage(
        tr("Slices need finished runs with their top-k lists (runs made in this "
           "session, or project runs reconnected to their data)."));
    return;
  }
  if (metric.empty()) metric = "ndcg@" + std::to_string(jobs.front().k);
  if (slicesTask_ != 0) runner_->cancel(slicesTask_);
  slices_->setMessage(tr("evaluating slices ..."));
  slicesTask_ = runner_->start<std::vector<RunSlices>>(
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
        slicesTask_ = 0;
        slices_->reset();
        // One group per non-empty slice, one bar per run.
        std::vector<QString> names;
        for (const RunSlices& rs : all) {
          for (const SliceResult& s : rs.slices) {
            const rwb::MetricValue* mv = s.result.find(metric);
            if (s.result.users.empty() || mv == nullptr || std::isnan(mv->value)) continue;
            const QString key = QString::fromStdString(
                (s.dimension == "user_activity" ? "users: " : "items: ") + s.name);
            sliceValues_[rs.run][key] = mv->value;
            if (std::find(names.begin(), names.end(), key) == names.end()) names.push_back(key);
          }
        }
        if (names.empty()) {
          slices_->setMessage(tr("no slice has evaluated users"));
          return;
        }
        auto ticker = QSharedPointer<QCPAxisTickerText>(new QCPAxisTickerText);
        for (std::size_t i = 0; i < names.size(); ++i) {
          ticker->addTick(static_cast<double>(i + 1), names[i]);
        }
        auto* group = new QCPBarsGroup(slices_);
        int color = 0;
        for (const RunSlices& rs : all) {
          QVector<double> x, y;
          for (std::size_t i = 0; i < names.size(); ++i) {
            auto it = sliceValues_[rs.run].find(names[i]);
            if (it == sliceValues_[rs.run].end()) continue;
            x << static_cast<double>(i + 1);
            y << it->second;
          }
          auto* bars = new QCPBars(slices_->xAxis, slices_->yAxis);
          bars->setName(rs.run);
          bars->setData(x, y, true);
          bars->setWidth(0.8 / static_cast<double>(all.size()));
          QColor c = kPalette[color++ % kPalette.size()];
          bars->setPen(QPen(c.darker(130)));
          c.setAlpha(190);
          bars->setBrush(c);
          bars->setBarsGroup(group);
        }
        slices_->xAxis->setTicker(ticker);
        slices_->xAxis->setTickLabelRotation(0);
        slices_->xAxis->setLabel(
            tr("slice (users by training activity: cold <= 5 < light < 100 "
               "<= heavy; items by popularity share: head 20%, tail 20%)"));
        slices_->yAxis->setLabel(QString::fromStdString(metric));
        slices_->fit();
        slices_->xAxis->setRange(0.4, static_cast<double>(names.size()) + 0.6);
        slices_->yAxis->setRangeLower(0.0);
        slices_->replot();
      },
      [this](const QString& e) {
        slicesTask_ = 0;
        slices_->reset();
        slices_->setMessage(e);
      });
}

void CompareView::drawCalibration() {
  calibration_->reset();
  calibrationRuns_ = 0;
  struct Job {
    QString run;
    std::shared_ptr<const Model> model;
    std::shared_ptr<const Dataset> test;
  };
  std::vector<Job> jobs;
  for (const SessionRun& r : session_->runs()) {
    if (!inGroup(r) || !r.test) continue;
    if (dynamic_cast<const EngagementModel*>(r.record.fitted.get()) == nullptr) continue;
    jobs.push_back({r.displayName, r.record.fitted, r.test});
  }
  if (jobs.empty()) {
    calibration_->setMessage(
        tr("Calibration is shown for engagement models (logistic_regression, gbdt), whose "
           "scores are probabilities: run one to see predicted P(engage) against the observed "
           "rate on held-out labelled pairs."));
    return;
  }
  if (calibrationTask_ != 0) runner_->cancel(calibrationTask_);
  calibrationTask_ = runner_->start<std::vector<RunCalibration>>(
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
        calibrationTask_ = 0;
        calibration_->reset();
        auto* diag = calibration_->addGraph();
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
          auto* g = calibration_->addGraph();
          g->setName(tr("%1 (Brier %2, AUC %3)")
                         .arg(rc.run)
                         .arg(rc.brier, 0, 'f', 4)
                         .arg(rc.auc, 0, 'f', 3));
          g->setData(x, y, true);
          const QColor c = kPalette[color++ % kPalette.size()];
          g->setPen(QPen(c, 1.8));
          g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, c, 6));
          ++calibrationRuns_;
        }
        // Points of a calibrated model run along the diagonal up to the top-right corner.
        calibration_->axisRect()->insetLayout()->setInsetAlignment(
            0, Qt::AlignBottom | Qt::AlignRight);
        calibration_->xAxis->setLabel(tr("mean predicted P(engage) in bin"));
        calibration_->yAxis->setLabel(tr("observed share engaged (held-out pairs)"));
        calibration_->xAxis->setRange(0.0, 1.0);
        calibration_->yAxis->setRange(0.0, 1.0);
        calibration_->replot();
      },
      [this](const QString& e) {
        calibrationTask_ = 0;
        calibration_->reset();
        calibration_->setMessage(e);
      });
}

void CompareView::drawImportance() {
  importance_->reset();
  importanceFeatures_ = 0;
  // The selected run when it explains itself, else the first run that does.
  const SessionRun* chosen = nullptr;
  const int sel = selectedRun();
  for (const SessionRun& r : session_->runs()) {
    if (!r.done() || dynamic_cast<const Explainable*>(r.record.fitted.get()) == nullptr) continue;
    if (chosen == nullptr || r.id == sel) chosen = &r;
  }
  if (chosen == nullptr) {
    importance_->setMessage(
        tr("Feature importance is shown for models that explain themselves "
           "(logistic_regression, gbdt, factorization_machine, content_similarity, two_stage)."));
    return;
  }
  const auto* ex = dynamic_cast<const Explainable*>(chosen->record.fitted.get());
  std::vector<FeatureImportance> imp = ex->globalImportance();
  if (imp.size() > 20) imp.resize(20);
  if (imp.empty()) {
    importance_->setMessage(tr("%1 reports no feature importance").arg(chosen->displayName));
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
  auto* bars = new QCPBars(importance_->yAxis, importance_->xAxis);
  bars->setName(tr("%1: mean |contribution|").arg(chosen->displayName));
  bars->setData(pos, value, true);
  bars->setWidth(0.7);
  bars->setBrush(QColor(44, 160, 44, 170));
  bars->setPen(QPen(QColor(30, 110, 30)));
  importance_->yAxis->setTicker(ticker);
  importance_->xAxis->setLabel(tr("mean |contribution| to the model output (training sample)"));
  importance_->yAxis->setLabel(QString());
  importance_->fit();
  importance_->yAxis->setRange(0.4, static_cast<double>(imp.size()) + 0.6);
  importance_->xAxis->setRangeLower(0.0);
  importance_->replot();
  importanceFeatures_ = static_cast<int>(imp.size());
}

}  // namespace rwb::ui
