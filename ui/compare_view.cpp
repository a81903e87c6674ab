#include "ui/compare_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFont>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollBar>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/export/model_package.h"
#include "core/export/run_export.h"
#include "ui/calibration_page.h"
#include "ui/chart_view.h"
#include "ui/curves_page.h"
#include "ui/importance_page.h"
#include "ui/metric_at_k_page.h"
#include "ui/metric_bars_page.h"
#include "ui/metric_info.h"
#include "ui/per_user_page.h"
#include "ui/run_actions.h"
#include "ui/runs_model.h"
#include "ui/session.h"
#include "ui/significance_page.h"
#include "ui/slices_page.h"
#include "ui/table_dialog.h"
#include "ui/table_view.h"
#include "ui/task_runner.h"
#include "ui/tradeoff_page.h"
#include "ui/trials_page.h"

namespace rwb::ui {

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
  auto* diff = new QPushButton(tr("Diff"), top);
  diff->setObjectName("diff");
  diff->setToolTip(
      tr("Compare the configurations of the selected runs (only what differs); "
         "right-click a run to rename, tag, note, archive or delete it"));
  actions->addWidget(diff);
  actions->addWidget(champion);
  actions->addWidget(exportButton);
  topLayout->addLayout(actions);
  auto* splitRow = new QHBoxLayout;
  split_ = new QComboBox(top);
  split_->setObjectName("splitGroup");
  split_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  splitRow->addWidget(new QLabel(tr("Compare runs on split"), top));
  splitRow->addWidget(split_);
  splitRow->addSpacing(12);
  // Group and filter: the table and every chart show only the runs that pass.
  filter_ = new QComboBox(top);
  filter_->setObjectName("runFilter");
  filter_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  archived_ = new QCheckBox(tr("Archived"), top);
  archived_->setObjectName("showArchived");
  archived_->setToolTip(tr("Show archived runs too"));
  splitRow->addWidget(new QLabel(tr("Show"), top));
  splitRow->addWidget(filter_);
  splitRow->addWidget(archived_);
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
  bars_ = new MetricBarsPage(tabs_);
  atK_ = new MetricAtKPage(tabs_);
  perUser_ = new PerUserPage(tabs_);
  significance_ = new SignificancePage(tabs_);
  tradeoff_ = new TradeoffPage(tabs_);
  slices_ = new SlicesPage(tabs_);
  calibration_ = new CalibrationPage(tabs_);
  importance_ = new ImportancePage(tabs_);
  pages_ = {bars_, atK_, perUser_, significance_, tradeoff_, slices_, calibration_, importance_};
  tabs_->addTab(bars_, tr("Bars with 95% CI"));
  tabs_->addTab(atK_, tr("Metric@k"));
  tabs_->addTab(perUser_, tr("Per user"));
  tabs_->addTab(significance_, tr("Significance"));
  tabs_->addTab(tradeoff_, tr("Trade-off"));
  tabs_->addTab(slices_, tr("Slices"));
  tabs_->addTab(calibration_, tr("Calibration"));
  tabs_->addTab(importance_, tr("Importance"));
  curves_ = new CurvesPage(tabs_);
  pages_ << curves_;
  tabs_->addTab(curves_, tr("Learning curves"));
  trials_ = new TrialsPage(tabs_);
  pages_ << trials_;
  tabs_->addTab(trials_, tr("Search trials"));
  bottomLayout->addWidget(tabs_);
  split->addWidget(top);
  split->addWidget(bottom);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  layout->addWidget(split);

  actions_ = new RunActions(session_, runner_, this);
  connect(actions_, &RunActions::logMessage, this, &CompareView::logMessage);
  connect(actions_, &RunActions::deleted, this, [this](int, const QString& e) {
    if (!e.isEmpty()) emit errorMessage(e);
  });
  auto applyFilter = [this] {
    RunFilter f;
    const QStringList v = filter_->currentData().toStringList();
    if (v.size() == 2) {
      f.by = static_cast<RunFilter::By>(v[0].toInt());
      f.value = v[1].toStdString();
    }
    f.showArchived = archived_->isChecked();
    session_->setRunFilter(f);
  };
  connect(filter_, &QComboBox::activated, this, applyFilter);
  connect(archived_, &QCheckBox::toggled, this, applyFilter);
  connect(session_, &Session::runFilterChanged, this, &CompareView::refresh);
  connect(session_, &Session::runRemoved, this, &CompareView::scheduleRefresh);
  table_->setMenuHook([this](QMenu& menu, const QModelIndex& index) { runMenu(menu, index); });
  table_->view()->setSelectionMode(QAbstractItemView::ExtendedSelection);
  connect(diff, &QPushButton::clicked, this, [this] { showDiff(); });
  connect(transpose, &QCheckBox::toggled, this, [this](bool t) {
    model_->setTransposed(t);
    // Transposed, the fields are rows: their names are the row labels (and the CSV's first
    // column).
    table_->view()->verticalHeader()->setVisible(t);
    table_->view()->resizeColumnsToContents();
  });
  connect(transpose, &QCheckBox::toggled, this, &CompareView::applyRowFilter);
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
  // The split picked here is the session's: the Users view shows runs on it too.
  connect(split_, &QComboBox::activated, this,
          [this] { session_->setPickedSplit(split_->currentData().toString().toStdString()); });
  connect(session_, &Session::comparedSplitChanged, this, &CompareView::refresh);
  // A metric redraws the pages that show it; a selection, the one that shows the selected run.
  connect(metric_, &QComboBox::currentTextChanged, this, [this] {
    draw({bars_, atK_, perUser_, significance_, slices_});
  });
  connect(table_->view()->selectionModel(), &QItemSelectionModel::currentChanged, this, [this] {
    draw({importance_, trials_});
  });
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
  // A new run resets the model and reselects a row, which would scroll the table back to its
  // first column: the reader keeps their place.
  QScrollBar* hbar = table_->view()->horizontalScrollBar();
  QScrollBar* vbar = table_->view()->verticalScrollBar();
  const int hpos = hbar->value(), vpos = vbar->value();
  model_->refresh();
  refreshSplitGroups();
  refreshFilter();
  applyRowFilter();
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
  hbar->setValue(hpos);
  vbar->setValue(vpos);
  draw(pages_);
}

CompareContext CompareView::context() const {
  CompareContext c;
  c.session = session_;
  c.runner = runner_;
  c.model = model_;
  c.metric = metric_->currentText();
  c.selectedRun = selectedRun();
  return c;
}

void CompareView::draw(const QList<ComparePage*>& pages) {
  const CompareContext c = context();
  for (ComparePage* p : pages) p->draw(c);
}

QList<ChartView*> CompareView::charts() const {
  QList<ChartView*> out;
  for (ComparePage* p : pages_) out << p->chart();
  return out;
}

const std::map<QString, std::map<QString, double>>& CompareView::sliceValues() const {
  return slices_->values();
}
int CompareView::calibrationRuns() const { return calibration_->runs(); }
int CompareView::importanceFeatures() const { return importance_->features(); }
ChartView* CompareView::slicesChart() const { return slices_->chart(); }
ChartView* CompareView::calibrationChart() const { return calibration_->chart(); }
ChartView* CompareView::importanceChart() const { return importance_->chart(); }
const QStringList& CompareView::significanceRuns() const { return significance_->runs(); }

void CompareView::refreshSplitGroups() {
  // One entry per split hash of the finished runs, newest split first.
  struct Group {
    std::string hash;
    QString label;
    int runs = 0;
  };
  std::vector<Group> groups;
  for (auto it = session_->runs().rbegin(); it != session_->runs().rend(); ++it) {
    if (!it->done()) continue;
    const std::string hash = comparisonKey(it->record);
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
  // The split picked, else the champion's, else the newest run's (Session::comparedSplit).
  const std::string chosen = session_->comparedSplit();
  split_->blockSignals(true);
  split_->clear();
  for (const Group& g : groups) {
    split_->addItem(
        tr("%1 (%2; %n run(s))", nullptr, g.runs)
            .arg(splitHashLabel(g.hash), g.label.isEmpty() ? tr("no description") : g.label),
        QString::fromStdString(g.hash));
  }
  split_->setCurrentIndex(std::max(0, split_->findData(QString::fromStdString(chosen))));
  split_->blockSignals(false);
  split_->setEnabled(groups.size() > 1);
  model_->setSplitGroup(chosen);

  QStringList others;
  for (const SessionRun& r : session_->runs()) {
    if (r.done() && comparisonKey(r.record) != chosen) {
      others << tr("%1 (hash %2)").arg(r.displayName, splitHashLabel(comparisonKey(r.record)));
    }
  }
  if (others.isEmpty()) {
    splitNote_->clear();
    splitNote_->hide();
  } else {
    splitNote_->setText(
        tr("Not compared: %1. Best marks, charts and paired tests compare only runs on the same "
           "train/test split and evaluation protocol (split hash %2); runs on other splits "
           "(another dataset, split method, ratio or seed) were evaluated on other test users "
           "and items, runs under another protocol (candidate set, new users) on other lists. Pick "
           "their "
           "split above to compare them with each other.")
            .arg(others.join(QStringLiteral(", ")), splitHashLabel(chosen)));
    splitNote_->show();
  }
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
  const QString err = actions_->setChampion(id);
  if (!err.isEmpty()) emit errorMessage(err);
  return err.isEmpty();
}

void CompareView::refreshFilter() {
  // One entry per dataset, split, model and tag of the runs, with how many runs each holds.
  std::map<std::pair<int, std::string>, int> groups;
  for (const SessionRun& r : session_->runs()) {
    if (r.archived && !archived_->isChecked()) continue;
    if (!r.dataset.isEmpty()) ++groups[{int(RunFilter::By::kDataset), r.dataset.toStdString()}];
    if (r.done()) ++groups[{int(RunFilter::By::kSplit), r.record.splitHash}];
    ++groups[{int(RunFilter::By::kModel), r.record.model}];
    for (const auto& t : r.tags) ++groups[{int(RunFilter::By::kTag), t}];
  }
  const RunFilter& f = session_->runFilter();
  const QStringList current =
      f.by == RunFilter::By::kAll
          ? QStringList()
          : QStringList{QString::number(int(f.by)), QString::fromStdString(f.value)};
  filter_->blockSignals(true);
  filter_->clear();
  filter_->addItem(tr("all runs"), QStringList());
  const QStringList kinds{QString(), tr("dataset"), tr("split"), tr("model"), tr("tag")};
  for (const auto& [key, n] : groups) {
    const QString value = key.first == int(RunFilter::By::kSplit)
                              ? splitHashLabel(key.second)
                              : QString::fromStdString(key.second);
    filter_->addItem(tr("%1: %2 (%3)").arg(kinds[key.first], value).arg(n),
                     QStringList{QString::number(key.first), QString::fromStdString(key.second)});
  }
  int idx = current.isEmpty() ? 0 : filter_->findData(current);
  if (idx < 0) {
    // The group is gone (its last run deleted or retagged): the filter shows what it still
    // selects, which is nothing, until another entry is picked.
    filter_->addItem(tr("%1: %2 (0)").arg(kinds[int(f.by)], QString::fromStdString(f.value)),
                     current);
    idx = filter_->count() - 1;
  }
  filter_->setCurrentIndex(idx);
  filter_->blockSignals(false);
  archived_->blockSignals(true);
  archived_->setChecked(f.showArchived);
  archived_->blockSignals(false);
}

void CompareView::applyRowFilter() {
  // Runs are rows (columns when transposed) of the source model; hide those the filter drops.
  const auto& runs = session_->runs();
  QTableView* v = table_->view();
  for (int i = 0; i < static_cast<int>(runs.size()); ++i) {
    const bool hide = !session_->shown(runs[static_cast<std::size_t>(i)]);
    const QModelIndex src = model_->transposed() ? model_->index(0, i) : model_->index(i, 0);
    const QModelIndex view = table_->proxy()->mapFromSource(src);
    if (!view.isValid()) continue;
    if (model_->transposed()) {
      v->setColumnHidden(view.column(), hide);
    } else {
      v->setRowHidden(view.row(), hide);
    }
  }
  table_->updateCount();
}

QList<int> CompareView::shownRuns() const {
  QList<int> out;
  for (const SessionRun& r : session_->runs()) {
    if (session_->shown(r)) out << r.id;
  }
  return out;
}

QList<int> CompareView::selectedRuns() const {
  std::set<int> ids;
  for (const QModelIndex& idx : table_->view()->selectionModel()->selectedIndexes()) {
    const QModelIndex src = table_->proxy()->mapToSource(idx);
    ids.insert(model_->runId(model_->transposed() ? src.column() : src.row()));
  }
  QList<int> out;
  for (const SessionRun& r : session_->runs()) {
    if (ids.count(r.id) && session_->shown(r)) out << r.id;
  }
  return out;
}

QDialog* CompareView::showDiff(bool modal) {
  QList<int> ids = selectedRuns();
  if (ids.size() < 2) ids = shownRuns();
  if (ids.size() < 2) {
    emit errorMessage(tr("Select two or more runs to compare their configurations."));
    return nullptr;
  }
  QStringList labels;
  const auto rows = actions_->diff(ids, &labels);
  std::vector<QStringList> cells;
  for (const auto& row : rows) {
    QStringList line{QString::fromStdString(row.key)};
    for (const auto& v : row.values) line << QString::fromStdString(configValueText(v));
    cells.push_back(line);
  }
  auto* dialog = new TableDialog(
      tr("Configuration diff"),
      rows.empty() ? tr("The configurations of %n run(s) are identical.", nullptr, ids.size())
                   : tr("Only what differs between %n run(s) (model, parameters, seeds, data, "
                        "split and the spec they ran with).",
                        nullptr, ids.size()),
      QStringList{tr("key")} + labels, cells, this);
  dialog->setObjectName("configDiff");
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  if (modal) {
    dialog->open();
  } else {
    dialog->show();
  }
  return dialog;
}

void CompareView::runMenu(QMenu& menu, const QModelIndex& idx) {
  if (!idx.isValid()) return;
  const QModelIndex src = table_->proxy()->mapToSource(idx);
  const int id = model_->runId(model_->transposed() ? src.column() : src.row());
  const SessionRun* r = session_->run(id);
  if (r == nullptr) return;
  auto report = [this](const QString& e) {
    if (!e.isEmpty()) emit errorMessage(e);
  };
  menu.addAction(tr("Rename..."), this, [this, id, report] {
    bool ok = false;
    const QString name =
        QInputDialog::getText(this, tr("Rename run"), tr("Name"), QLineEdit::Normal,
                              QString::fromStdString(session_->run(id)->record.name), &ok);
    if (ok && !name.trimmed().isEmpty()) report(actions_->rename(id, name));
  });
  menu.addAction(tr("Add Tag..."), this, [this, id, report] {
    bool ok = false;
    const QString tag =
        QInputDialog::getText(this, tr("Tag run"), tr("Tag"), QLineEdit::Normal, QString(), &ok);
    if (ok && !tag.trimmed().isEmpty()) report(actions_->addTag(id, tag));
  });
  if (!r->tags.empty()) {
    QMenu* untag = menu.addMenu(tr("Remove Tag"));
    for (const auto& t : r->tags) {
      const QString tag = QString::fromStdString(t);
      untag->addAction(tag, this,
                       [this, id, tag, report] { report(actions_->removeTag(id, tag)); });
    }
  }
  menu.addAction(tr("Note..."), this, [this, id, report] {
    bool ok = false;
    const QString note = QInputDialog::getMultiLineText(this, tr("Run note"), tr("Note"),
                                                        session_->run(id)->note, &ok);
    if (ok) report(actions_->setNote(id, note));
  });
  menu.addAction(
      r->archived ? tr("Restore from Archive") : tr("Archive"), this,
      [this, id, archived = r->archived, report] { report(actions_->setArchived(id, !archived)); });
  menu.addAction(tr("Mark as Champion"), this,
                 [this, id, report] { report(actions_->setChampion(id)); });
  menu.addSeparator();
  menu.addAction(tr("Compare Configurations"), this, [this] { showDiff(); });
  menu.addSeparator();
  menu.addAction(tr("Delete..."), this, [this, id] {
    const SessionRun* run = session_->run(id);
    if (run == nullptr) return;
    if (QMessageBox::question(this, tr("Delete run"),
                              tr("Delete %1 and everything recorded with it from the project?")
                                  .arg(run->displayName)) == QMessageBox::Yes) {
      actions_->deleteRun(id);
    }
  });
}

bool CompareView::exportRun(const QString& path, int runId) {
  const int id = runId != 0 ? runId : selectedRun();
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

}  // namespace rwb::ui
