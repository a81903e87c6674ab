#pragma once
/// \file
/// ExperimentView: builds an experiment spec visually (split with a timeline and leakage
/// warnings, models with forms generated from their ParamSchema, metrics and k), saves and loads
/// it as JSON (the file `recwb run` takes), and runs it: a queue with one row per run (progress,
/// stage, ETA, Cancel) and live learning curves from TaskContext::epochEnd.

#include <QWidget>
#include <map>
#include <nlohmann/json.hpp>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QScrollArea;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace rwb::ui {

class ChartView;
class ParamForm;
class SearchForm;
class Session;
class TaskRunner;

class ExperimentView : public QWidget {
  Q_OBJECT
 public:
  ExperimentView(Session* session, TaskRunner* runner, QWidget* parent = nullptr);

  /// The spec as currently edited (JSON, the format of core/experiment's ExperimentSpec).
  nlohmann::json spec() const;
  /// Replaces the editor's content with a spec document (relative paths resolve against
  /// baseDir, else the working directory). Returns an error message or "". The data the spec
  /// names is kept: while it is not the loaded data, specDataWarning() says so and runAll()
  /// refuses to run, until the spec's data is loaded (Load the spec's data) or the user chooses
  /// to run on the loaded data instead (the spec then names it).
  QString setSpec(const nlohmann::json& doc, const QString& baseDir = {});
  QString saveSpec(const QString& path) const;
  QString loadSpec(const QString& path);
  /// Adds a model entry with its defaults (registry name). Returns false for unknown names.
  bool addModel(const QString& name);
  /// The Add button: adds the model chosen in the picker, unless the list already holds that
  /// model with its default parameters (a repeated click), which is refused with a message
  /// below the list naming the entry to edit instead. Returns true when added.
  bool addPickedModel();
  /// The line below the model list (why an Add was refused); empty when none.
  QString modelMessage() const;
  int modelCount() const;
  void setSplitMethod(const QString& method);
  /// The evaluation's candidate set (spec key evaluation.candidates): "catalogue", "held_out",
  /// or "file" with the items file `file`.
  void setCandidates(const QString& kind, const QString& file = {});
  QString candidates() const;
  /// How many items (cold_items) or users (cold_users) the split holds out, as computed by
  /// core's splitter off the GUI thread ("" for the other methods, or while it is computed).
  QString heldOutText() const;
  /// The note on the spec's feature configuration (kept as written; "" when it has none).
  QString featuresNote() const;
  /// Why the spec loaded last cannot run as is: its dataset (or test file, or the way it reads
  /// them) is not the loaded data. "" when it can (or when it names no data).
  QString specDataWarning() const;
  /// The spec's own data entry awaiting loading ({"dataset": {...}, "test": path}); null when
  /// none is pending.
  const nlohmann::json& pendingSpecData() const { return specData_; }
  /// Runs on the loaded data instead of the data the spec names (the spec then names the
  /// loaded data).
  void useLoadedData();
  /// Asks for the spec's data to be loaded (loadDataRequested).
  void loadSpecData();
  /// The note about the spec's output folders, which only `recwb run` writes ("" when none).
  QString specOutputNote() const;
  /// The leakage warning currently shown ("" when none).
  QString leakageWarning() const;
  /// Run ids of the queue, in order.
  QList<int> queuedRuns() const;
  /// The queue row's text of a run (run, model, status, stage), tab separated; "" when absent.
  QString queueText(int runId) const;
  /// Task id of a run that is still queued or running, 0 otherwise.
  int taskOfRun(int runId) const;
  ChartView* learningCurves() const { return curves_; }
  /// The selected model's search (Defaults / Auto / Custom space).
  SearchForm* searchForm() const { return search_; }
  /// The experiment's tuning block (spec key "tuning", written when a model has an auto or
  /// custom search): budget in seconds, trial cap (0 = none), validation ratio and seed.
  QDoubleSpinBox* tuningBudget() const { return budget_; }
  QSpinBox* tuningTrials() const { return trials_; }
  QDoubleSpinBox* tuningValidationRatio() const { return validRatio_; }
  QSpinBox* tuningValidationSeed() const { return validSeed_; }
  /// Selects a model entry of the list (its parameter and search forms show it).
  void selectEntry(int row);
  ChartView* timeline() const { return timeline_; }

 public slots:
  void runAll();
  void saveSpecInteractive();
  void loadSpecInteractive();

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 signals:
  void logMessage(const QString& text);
  void errorMessage(const QString& text);
  void runFinished(int runId);
  /// The spec's data should be loaded (a dataset entry as `recwb run` reads it, and the test
  /// file of a given-files split or "").
  void loadDataRequested(const nlohmann::json& source, const QString& testPath);

 private:
  void onDataChanged();
  void refreshSpecData();
  void refreshTimeline();
  void refreshHeldOut();
  void selectModel(int row);
  void storeForm();
  /// Runs one entry; budgetShare: the tuning budget its auto search gets (the experiment's
  /// budget split evenly over the auto searches of runAll()).
  void startRun(const nlohmann::json& modelEntry, double budgetShare);
  /// True when some entry has an auto search (default or custom space).
  bool hasAutoSearch() const;
  void refreshTuning();
  int queueRow(int runId) const;
  void updateRow(int runId);
  void showCurves(int runId);
  /// The models list's text of an entry: its run_name (else the model's name), "(search)".
  static QString entryLabel(const nlohmann::json& entry);

  Session* session_;
  TaskRunner* runner_;
  QLabel* dataLabel_ = nullptr;
  QWidget* specDataBox_ = nullptr;
  QLabel* specDataWarning_ = nullptr;
  QLabel* specOutput_ = nullptr;
  nlohmann::json specData_;     ///< the loaded spec's data while it is not the loaded data
  nlohmann::json specOutputs_;  ///< the loaded spec's "output" block (kept when saving)
  QFormLayout* splitForm_ = nullptr;
  bool loadingSpec_ = false;  ///< setSpec() sets the group itself: no reset on method change
  QComboBox* splitMethod_ = nullptr;
  QDoubleSpinBox* ratio_ = nullptr;
  QComboBox* splitBy_ = nullptr;
  QSpinBox* seed_ = nullptr;
  QSpinBox* threads_ = nullptr;
  QComboBox* candidates_ = nullptr;
  QString candidatesFile_;  ///< the "file" candidate set's items file
  QSpinBox* coldHistory_ = nullptr;
  QLabel* heldOut_ = nullptr;
  int heldOutGen_ = 0;       ///< the latest held-out count request (older results are dropped)
  nlohmann::json features_;  ///< the loaded spec's feature configuration (kept as written)
  QLabel* featuresNote_ = nullptr;
  ChartView* timeline_ = nullptr;
  QLabel* warning_ = nullptr;
  QComboBox* modelChoice_ = nullptr;
  QListWidget* models_ = nullptr;
  ParamForm* form_ = nullptr;
  SearchForm* search_ = nullptr;
  QGroupBox* tuningBox_ = nullptr;
  QDoubleSpinBox* budget_ = nullptr;
  QSpinBox* trials_ = nullptr;
  QDoubleSpinBox* validRatio_ = nullptr;
  QSpinBox* validSeed_ = nullptr;
  QLabel* tuningNote_ = nullptr;
  QLabel* modelInfo_ = nullptr;
  QLabel* modelMessage_ = nullptr;
  QWidget* editor_ = nullptr;
  QScrollArea* editorScroll_ = nullptr;
  void fitEditorWidth();
  QListWidget* metrics_ = nullptr;
  QSpinBox* k_ = nullptr;
  QComboBox* primary_ = nullptr;
  QPushButton* run_ = nullptr;
  QTableWidget* queue_ = nullptr;
  ChartView* curves_ = nullptr;
  /// {"name", "params"[, "run_name"][, "search"]} per model row, as in the spec's "models".
  std::vector<nlohmann::json> entries_;
  int formRow_ = -1;
  std::map<int, int> taskToRun_;
  std::map<int, int> runToTask_;
  int curvesRun_ = 0;
};

}  // namespace rwb::ui
