#pragma once
/// \file
/// CompareView: the runs of the session side by side. The runs table (RunsModel: sortable,
/// filterable, best value per column highlighted, transposable, metric headers with formula
/// tooltips), the split the runs are compared on, the metric, one page per results tab
/// (ComparePage subclasses: bars with CIs, metric@k, per-user distributions, significance,
/// trade-off, slices, calibration, importance), and actions on the selected run: Mark as
/// champion, Export.

#include <QList>
#include <QWidget>
#include <map>

class QCheckBox;
class QComboBox;
class QLabel;
class QMenu;
class QModelIndex;
class QTabWidget;

namespace rwb::ui {

class CalibrationPage;
class ChartView;
class CurvesPage;
class RunActions;
struct CompareContext;
class ComparePage;
class ImportancePage;
class MetricAtKPage;
class MetricBarsPage;
class PerUserPage;
class RunsModel;
class Session;
class SignificancePage;
class SlicesPage;
class TableView;
class TaskRunner;
class TradeoffPage;
class TrialsPage;

class CompareView : public QWidget {
  Q_OBJECT
 public:
  CompareView(Session* session, TaskRunner* runner, QWidget* parent = nullptr);
  RunsModel* model() const { return model_; }
  TableView* table() const { return table_; }
  /// The pages' charts, in tab order.
  QList<ChartView*> charts() const;
  /// Run id of the selected row (0 when none).
  int selectedRun() const;
  void selectRun(int runId);
  /// Marks the selected run as champion (in the project, per dataset and split: RunActions).
  /// Returns false when no finished run is selected.
  bool markChampion();
  /// The run management of the view (rename, tag, note, archive, delete, diff, report).
  RunActions* actions() const { return actions_; }
  /// The runs filter selector (all, or one dataset, split, model or tag: Session::RunFilter)
  /// and whether archived runs are shown.
  QComboBox* runFilterSelector() const { return filter_; }
  QCheckBox* archivedToggle() const { return archived_; }
  /// Ids of the runs the table shows (in session order).
  QList<int> shownRuns() const;
  /// Ids of the selected runs (table rows), in session order.
  QList<int> selectedRuns() const;
  /// Shows the configuration diff of the selected runs (of every shown run when fewer than
  /// two are selected). Returns the dialog (deleted on close), null when there is nothing to
  /// compare.
  QDialog* showDiff(bool modal = true);
  CurvesPage* curvesPage() const { return curves_; }
  /// The search trials of a tuned run (table, parameter vs metric, parallel coordinates).
  TrialsPage* trialsPage() const { return trials_; }
  /// Exports the selected run as a model package through the project store (core/export
  /// exportProjectRun: the same file `recwb export --project P --run R` writes) in the
  /// background; exported() reports the outcome. Returns false when no finished run is
  /// selected; a run not recorded in a project fails with a message saying so.
  bool exportRun(const QString& path, int runId = 0);
  /// Slice results shown (run display name -> slice "dimension/name" -> metric value).
  const std::map<QString, std::map<QString, double>>& sliceValues() const;
  /// Runs drawn in the calibration chart, and features in the importance chart.
  int calibrationRuns() const;
  int importanceFeatures() const;
  ChartView* slicesChart() const;
  ChartView* calibrationChart() const;
  ChartView* importanceChart() const;
  SlicesPage* slicesPage() const { return slices_; }
  CalibrationPage* calibrationPage() const { return calibration_; }
  ImportancePage* importancePage() const { return importance_; }
  MetricAtKPage* metricAtKPage() const { return atK_; }
  SignificancePage* significancePage() const { return significance_; }
  QTabWidget* chartTabs() const { return tabs_; }
  /// The split selector (one entry per split hash of the finished runs) and the line saying
  /// which runs are not compared and why.
  QComboBox* splitSelector() const { return split_; }
  QString splitNote() const;
  /// Run names of the last paired comparison drawn (empty when none was made).
  const QStringList& significanceRuns() const;

 signals:
  void logMessage(const QString& text);
  void errorMessage(const QString& text);
  /// An export ended: error is empty on success.
  void exported(const QString& path, const QString& error);

 public slots:
  /// Redraws now (the view otherwise redraws lazily: once per event-loop turn, when visible).
  void refresh();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void scheduleRefresh();
  void refreshSplitGroups();
  void refreshFilter();
  void applyRowFilter();
  void runMenu(QMenu& menu, const QModelIndex& index);
  CompareContext context() const;
  void draw(const QList<ComparePage*>& pages);
  bool dirty_ = true;
  bool userPickedMetric_ = false;
  bool scheduled_ = false;
  Session* session_;
  TaskRunner* runner_;
  RunsModel* model_ = nullptr;
  TableView* table_ = nullptr;
  QComboBox* metric_ = nullptr;
  QComboBox* split_ = nullptr;
  QLabel* splitNote_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  MetricBarsPage* bars_ = nullptr;
  MetricAtKPage* atK_ = nullptr;
  PerUserPage* perUser_ = nullptr;
  SignificancePage* significance_ = nullptr;
  TradeoffPage* tradeoff_ = nullptr;
  SlicesPage* slices_ = nullptr;
  CalibrationPage* calibration_ = nullptr;
  ImportancePage* importance_ = nullptr;
  CurvesPage* curves_ = nullptr;
  TrialsPage* trials_ = nullptr;
  QList<ComparePage*> pages_;
  RunActions* actions_ = nullptr;
  QComboBox* filter_ = nullptr;
  QCheckBox* archived_ = nullptr;
};

}  // namespace rwb::ui
