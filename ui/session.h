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
#include <vector>

#include "core/data/dataset.h"
#include "core/data/load_result.h"
#include "core/models/model.h"

namespace rwb {
struct EvalResult;
struct RunRecord;
}  // namespace rwb

namespace rwb::ui {

/// One metric value with its 95% confidence interval (lo = hi = value when not computed).
struct MetricValue {
  double value = 0.0;
  double lo = 0.0;
  double hi = 0.0;
  bool hasCi = false;
};

/// One model run of the session.
struct RunRecord {
  int id = 0;
  QString model;        ///< registry name
  QString displayName;  ///< "EASE #2"
  nlohmann::json params;
  QString status;   ///< "queued", "running", "done", "failed", "cancelled"
  QString message;  ///< error text for failed runs
  QString dataset;  ///< dataset name the run trained on
  QString split;    ///< how train/test were formed
  double fitSeconds = 0.0;
  double recommendSeconds = 0.0;
  std::size_t memoryBytes = 0;
  std::vector<std::pair<int, EpochMetrics>> epochs;
  std::shared_ptr<const Model> fitted;   ///< fitted model (done runs)
  std::shared_ptr<const Dataset> train;  ///< what the model was fitted on
  std::shared_ptr<const Dataset> test;   ///< held-out interactions (may be null)
  /// Users the evaluation scored, ascending; perUser vectors follow this order.
  std::vector<Index> evaluatedUsers;
  /// Evaluation results by metric name (e.g. "ndcg@10"), filled by the evaluation engine.
  std::map<std::string, MetricValue> metrics;
  /// Per-user values by metric name, index = test user order of the evaluation.
  std::map<std::string, std::vector<double>> perUser;
  /// The engine's evaluation of the run (null when not evaluated), for paired tests.
  std::shared_ptr<const EvalResult> evaluation;
  bool champion = false;
  QDateTime started;
  /// Id of the run in the project file (0 when not recorded there).
  std::int64_t storeId = 0;
  std::int64_t specId = 0;  ///< the stored spec it ran with (0 when unknown)
  QString experiment;       ///< experiment name in the project
  std::string fingerprint;  ///< dataset fingerprint recorded with the run
  std::string splitHash;    ///< split hash recorded with the run
  int k = 10;               ///< the run's cut-off
  /// Top-k lists of the evaluated users (recUsers[i] owns recommendations[i]); empty for runs
  /// read from a project until their data is rebuilt.
  std::vector<Index> recUsers;
  std::vector<RecList> recommendations;
  /// The hyperparameter search the run made ("" when none): method, candidates, the winner.
  QString searchSummary;
  int searchTrials = 0;  ///< candidates the search evaluated (0 when none)
};

/// Copies what a core run record holds (status, parameters, timings, metrics with the given
/// 95% CIs, per-user vectors, learning curve, fingerprint and split hash) into a session run.
void fillFromRecord(RunRecord& run, const rwb::RunRecord& record,
                    const std::map<std::string, std::pair<double, double>>& ci);

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
  int addRun(RunRecord run);
  /// The id the next addRun() will give.
  int nextRunId() const { return nextRun_; }
  RunRecord* run(int id);
  const std::vector<RunRecord>& runs() const { return runs_; }
  /// Removes every run (a project was closed or another one opened).
  void clearRuns();
  /// The open project file ("" = none). Runs made while one is open are recorded in it.
  QString projectPath() const { return projectPath_; }
  void setProjectPath(const QString& path);
  /// Marks one run as champion (clears the others).
  void setChampion(int id);
  void notifyRunChanged(int id) { emit runChanged(id); }

 signals:
  void datasetChanged();
  void testSetChanged();
  void runAdded(int id);
  void runChanged(int id);
  void runsCleared();
  void projectChanged();

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const Dataset> test_;
  LoadResult report_;
  QString datasetPath_;
  QString testPath_;
  QString projectPath_;
  nlohmann::json source_ = nlohmann::json::object();
  std::vector<RunRecord> runs_;
  int nextRun_ = 1;
};

}  // namespace rwb::ui
