#pragma once
/// \file
/// Session: what the workbench currently holds (GUI thread only). The loaded dataset and its
/// load report, an optional held-out test set sharing the dataset's id maps, and the runs made
/// in this session with their fitted models. Views observe it through signals; workers only ever
/// get immutable snapshots (std::shared_ptr<const ...>).

#include <QDateTime>
#include <QObject>
#include <QStringList>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/load_result.h"
#include "core/experiment/run_record.h"
#include "core/models/model.h"

namespace rwb {
struct EvalResult;
}  // namespace rwb

namespace rwb::ui {

/// Where a run of the session is: GUI-only state (a record only exists once a run ends).
enum class RunState { kQueued, kRunning, kDone, kFailed, kCancelled };

/// "queued", "running", "done", "failed", "cancelled".
QString runStateName(RunState state);

/// A metric of a run as displayed: its value and, when computed, the 95% CI of the mean.
struct MetricFigure {
  double value = 0.0;
  double lo = 0.0;  ///< = value when hasCi is false
  double hi = 0.0;
  bool hasCi = false;
};

/// One run of the session: core's record (core/experiment RunRecord: model, parameters,
/// status, timings, metrics, per-user vectors, learning curve, fingerprint, split hash, search,
/// top-k lists, fitted model) plus what only the GUI holds about it.
struct SessionRun {
  int id = 0;
  QString displayName;  ///< the run name (run_name) or "<model> #<id>"
  RunState state = RunState::kQueued;
  /// The runner's record (or the project's, for stored runs). While the run is queued or
  /// running only model, params and the live learningCurve are filled.
  rwb::RunRecord record;
  /// Display-only figures, not part of the record: bootstrap 95% CIs of the per-user means and
  /// beyond-accuracy figures (catalog_coverage, novelty) of the kept top-k lists.
  std::map<std::string, std::pair<double, double>> ci;
  std::map<std::string, double> displayMetrics;
  QString dataset;                       ///< dataset name the run trained on
  QString split;                         ///< how train/test were formed
  std::shared_ptr<const Dataset> train;  ///< what the model was fitted on
  std::shared_ptr<const Dataset> test;   ///< held-out interactions (may be null)
  /// The record's per-user vectors as an EvalResult (null when not evaluated), for paired tests.
  std::shared_ptr<const EvalResult> evaluation;
  bool champion = false;       ///< champion of its dataset and split (kept in the project)
  std::set<std::string> tags;  ///< the project's tags of the run (core/store RunAnnotations)
  QString note;
  bool archived = false;
  QDateTime started;
  std::int64_t storeId = 0;  ///< id of the run in the project file (0 when not recorded there)
  std::int64_t specId = 0;   ///< the stored spec it ran with (0 when unknown)
  QString experiment;        ///< experiment name in the project

  bool done() const { return state == RunState::kDone; }
  QString stateName() const { return runStateName(state); }
  /// A metric of the record, else a display-only figure; nullopt when the run has neither.
  std::optional<MetricFigure> metric(const std::string& name) const;
  /// Names of the record's metrics and the display-only figures, sorted.
  std::vector<std::string> metricNames() const;
};

/// How a run is labelled everywhere (queue, Compare, Users, log): "<name> #<store id>" once
/// the project holds it (the id `recwb runs` and `recwb export --run` take), else
/// "<name> (unsaved <session id>)".
QString runLabel(const std::string& name, std::int64_t storeId, int sessionId);

/// Which runs Compare shows and compares (its charts follow): all, or those of one dataset,
/// split, model or tag; archived runs only when asked for.
struct RunFilter {
  enum class By { kAll, kDataset, kSplit, kModel, kTag };
  By by = By::kAll;
  std::string value;  ///< dataset name, split hash, model name or tag
  bool showArchived = false;
  bool accepts(const SessionRun& run) const;
  bool operator==(const RunFilter&) const = default;
};

/// The GUI state a finished record maps to (ok -> done, failed, cancelled).
RunState stateOf(const rwb::RunRecord& record);

class Session : public QObject {
  Q_OBJECT
 public:
  explicit Session(QObject* parent = nullptr);

  /// Replaces the dataset (and drops the test set and runs, which belong to the old data).
  void setDataset(std::shared_ptr<const Dataset> data, LoadResult report, const QString& path);
  /// Sets the held-out test set (must share the dataset's id maps: load it with base = dataset).
  void setTestSet(std::shared_ptr<const Dataset> test, const QString& path);
  std::shared_ptr<const Dataset> dataset() const { return dataset_; }
  std::shared_ptr<const Dataset> testSet() const { return test_; }
  const LoadResult& loadReport() const { return report_; }
  QString datasetPath() const { return datasetPath_; }
  QString testPath() const { return testPath_; }
  /// The spec's "dataset" object describing how the current dataset was read (path, format,
  /// columns, options), so that `recwb run` reads the same data.
  void setSourceSpec(nlohmann::json source) { source_ = std::move(source); }
  const nlohmann::json& sourceSpec() const { return source_; }

  /// Adds a run and returns its id.
  int addRun(SessionRun run);
  /// The id the next addRun() will give.
  int nextRunId() const { return nextRun_; }
  SessionRun* run(int id);
  const std::vector<SessionRun>& runs() const { return runs_; }
  /// Removes every run (a project was closed or another one opened).
  void clearRuns();
  /// The open project file ("" = none). Runs made while one is open are recorded in it.
  QString projectPath() const { return projectPath_; }
  void setProjectPath(const QString& path);
  /// The split runs are compared on (Compare, Users), as core's comparisonKey (the split hash,
  /// plus the protocol of runs not ranked over the catalogue): the one picked in Compare when a
  /// finished run still has it, else the champion's, else the newest finished run's ("" when
  /// no run is finished).
  std::string comparedSplit() const;
  /// Picks the compared split ("" = back to the default). Emits comparedSplitChanged().
  void setPickedSplit(const std::string& splitHash);
  /// Marks one run as champion of its dataset and split (clears the others of that pair).
  void setChampion(int id);
  /// The run was recorded in the project as `storeId`: its label becomes runLabel(...).
  void setRecorded(int id, std::int64_t storeId);
  /// Removes one run (deleted from the project). Emits runRemoved().
  void removeRun(int id);
  /// The filter of Compare (emits runFilterChanged()).
  void setRunFilter(const RunFilter& filter);
  const RunFilter& runFilter() const { return filter_; }
  /// True when the run passes the filter.
  bool shown(const SessionRun& run) const { return filter_.accepts(run); }
  void notifyRunChanged(int id) { emit runChanged(id); }

 signals:
  void datasetChanged();
  void testSetChanged();
  void runAdded(int id);
  void runChanged(int id);
  void runsCleared();
  void runRemoved(int id);
  void runFilterChanged();
  void projectChanged();
  void comparedSplitChanged();

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const Dataset> test_;
  LoadResult report_;
  QString datasetPath_;
  QString testPath_;
  QString projectPath_;
  nlohmann::json source_ = nlohmann::json::object();
  std::vector<SessionRun> runs_;
  int nextRun_ = 1;
  std::string pickedSplit_;
  RunFilter filter_;
};

}  // namespace rwb::ui
