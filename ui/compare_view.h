#pragma once
/// \file
/// CompareView: the runs of the session side by side. A runs table (sortable, filterable, best
/// value per column highlighted, transposable, metric headers with formula tooltips), charts
/// (metric bars with 95% CI whiskers, metric@k curves, per-user distributions, accuracy vs
/// coverage), and actions on the selected run: Mark as champion, Export.

#include <QAbstractTableModel>
#include <QWidget>
#include <map>

class QComboBox;
class QCheckBox;
class QLabel;
class QTabWidget;

namespace rwb::ui {

class ChartView;
struct SessionRun;
class Session;
class TableView;
class TaskRunner;

/// The runs as a table: one row per run (or one column per run when transposed).
class RunsModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  explicit RunsModel(Session* session, QObject* parent = nullptr);
  void refresh();
  void setTransposed(bool t);
  bool transposed() const { return transposed_; }
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;
  /// Field names (columns when not transposed).
  const QStringList& fields() const { return fields_; }
  /// Numeric fields (metrics, timings) in display order.
  QStringList numericFields() const;
  /// Run id of a run index (row when not transposed).
  int runId(int runIndex) const;
  /// Value of a numeric field for a run, NaN when absent.
  double value(int runIndex, const QString& field) const;
  /// Index of the run with the best value of a field among the compared runs (those on the
  /// selected split), -1 when none.
  int bestRun(const QString& field) const;
  /// Runs are compared (best marks, charts, paired tests) only within one split: the split
  /// hash recorded with them (core/experiment RunRecord::splitHash).
  void setSplitGroup(const std::string& splitHash);
  const std::string& splitGroup() const { return group_; }
  /// True when a run index is a finished run on the selected split.
  bool compared(int runIndex) const;

 private:
  QVariant cell(int run, int field, int role) const;
  Session* session_;
  QStringList fields_;
  int firstMetric_ = 0;
  bool transposed_ = false;
  std::string group_;
  std::map<QString, bool> higher_;  ///< higherIsBetter() of each numeric field
};

class CompareView : public QWidget {
  Q_OBJECT
 public:
  CompareView(Session* session, TaskRunner* runner, QWidget* parent = nullptr);
  RunsModel* model() const { return model_; }
  TableView* table() const { return table_; }
  QList<ChartView*> charts() const { return charts_; }
  /// Run id of the selected row (0 when none).
  int selectedRun() const;
  void selectRun(int runId);
  /// Marks the selected run as champion. Returns false when nothing is selected.
  bool markChampion();
  /// Exports the selected run as a model package through the project store (core/export
  /// exportProjectRun: the same file `recwb export --project P --run R` writes) in the
  /// background; exported() reports the outcome. Returns false when no finished run is
  /// selected; a run not recorded in a project fails with a message saying so.
  bool exportRun(const QString& path);
  /// Slice results shown (run display name -> slice "dimension/name" -> metric value).
  const std::map<QString, std::map<QString, double>>& sliceValues() const { return sliceValues_; }
  /// Runs drawn in the calibration chart, and features in the importance chart.
  int calibrationRuns() const { return calibrationRuns_; }
  int importanceFeatures() const { return importanceFeatures_; }
  ChartView* slicesChart() const { return slices_; }
  ChartView* calibrationChart() const { return calibration_; }
  ChartView* importanceChart() const { return importance_; }
  QTabWidget* chartTabs() const { return tabs_; }
  /// The split selector (one entry per split hash of the finished runs) and the line saying
  /// which runs are not compared and why.
  QComboBox* splitSelector() const { return split_; }
  QString splitNote() const;
  /// Run names of the last paired comparison drawn (empty when none was made).
  const QStringList& significanceRuns() const { return significanceRuns_; }

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
  bool dirty_ = true;
  bool userPickedMetric_ = false;
  bool scheduled_ = false;
  void drawBars();
  void drawAtK();
  void drawPerUser();
  void drawTradeoff();
  void drawSignificance();
  void drawSlices();
  void drawCalibration();
  void drawImportance();
  void refreshSplitGroups();
  /// True when the session run is finished and on the selected split.
  bool inGroup(const SessionRun& run) const;
  bool userPickedSplit_ = false;
  QStringList significanceRuns_;
  int significanceTask_ = 0;
  int slicesTask_ = 0;
  int calibrationTask_ = 0;
  std::map<QString, std::map<QString, double>> sliceValues_;
  int calibrationRuns_ = 0;
  int importanceFeatures_ = 0;
  Session* session_;
  TaskRunner* runner_;
  RunsModel* model_ = nullptr;
  TableView* table_ = nullptr;
  QComboBox* metric_ = nullptr;
  QComboBox* split_ = nullptr;
  QLabel* splitNote_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  ChartView* bars_ = nullptr;
  ChartView* atK_ = nullptr;
  ChartView* perUser_ = nullptr;
  ChartView* tradeoff_ = nullptr;
  ChartView* significance_ = nullptr;
  ChartView* slices_ = nullptr;
  ChartView* calibration_ = nullptr;
  ChartView* importance_ = nullptr;
  QList<ChartView*> charts_;
};

}  // namespace rwb::ui
