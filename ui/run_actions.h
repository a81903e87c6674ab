#pragma once
/// \file
/// RunActions: what an analyst does to the runs of the open project, through core/store
/// (ProjectStore, RunAnnotations) and core/export (the comparison report): rename, tag, note,
/// archive, delete, champion (persistent per dataset and split, with its history), the
/// configuration diff (core/experiment run_diff) and the HTML report. Keeps the session's runs
/// in step with the file. No widgets; the single-row annotation writes run on the GUI thread,
/// deleting and the report run on the TaskRunner.

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <vector>

#include "core/experiment/run_diff.h"
#include "core/store/run_annotations.h"

namespace rwb::ui {

class Session;
class TaskRunner;

class RunActions : public QObject {
  Q_OBJECT
 public:
  RunActions(Session* session, TaskRunner* runner, QObject* parent = nullptr);

  /// Each returns an error ("" on success): the run is not recorded in the open project, or
  /// the store's text.
  QString rename(int runId, const QString& name);
  QString addTag(int runId, const QString& tag);
  QString removeTag(int runId, const QString& tag);
  QString setNote(int runId, const QString& note);
  QString setArchived(int runId, bool archived);
  /// Makes a finished run the champion of its dataset and split, in the project when the run
  /// is recorded there (else for this session only).
  QString setChampion(int runId);
  /// Deletes the run from the project in the background (then from the session); deleted()
  /// reports the outcome. A run not recorded in a project is only removed from the session.
  void deleteRun(int runId);
  /// The configuration diff of the runs (their records and stored specs), with their labels.
  std::vector<ConfigDiffRow> diff(const QList<int>& runIds, QStringList* labels) const;
  /// The champion history of the open project (empty without one).
  std::vector<ChampionEntry> championHistory() const;
  /// The champion on the compared split (0 when none).
  int currentChampion() const;
  /// Writes the comparison report of the runs (recorded ones; all shown ones when empty) in
  /// the background; reportWritten() reports the outcome.
  void writeReport(const QList<int>& runIds, const QString& path);

 signals:
  void logMessage(const QString& text);
  void deleted(int runId, const QString& error);
  void reportWritten(const QString& path, const QString& error);

 private:
  /// The run's store id in the open project; 0 and `error` set when it has none.
  std::int64_t recorded(int runId, QString& error) const;
  Session* session_;
  TaskRunner* runner_;
};

}  // namespace rwb::ui
