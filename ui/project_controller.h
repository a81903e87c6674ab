#pragma once
/// \file
/// ProjectController: the open project (core/store ProjectStore) behind the session. Creates,
/// opens (runs read off the GUI thread, the project's data reloaded), saves a copy, watches the
/// file for runs another process records in it, reconnects stored runs to their training data,
/// remembers each project's data and the recent projects. No widgets.

#include <QObject>
#include <QStringList>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

class QTimer;

namespace rwb::ui {

class DataController;
class Session;
class TaskRunner;

class ProjectController : public QObject {
  Q_OBJECT
 public:
  ProjectController(Session* session, TaskRunner* runner, DataController* data,
                    QObject* parent = nullptr);

  /// How the controller reaches the spec editor: `current` gives the spec as edited (stored
  /// with the project so that reopening it reopens the data), `apply` loads a project's spec
  /// into the editor and returns an error or "".
  void setSpecHooks(std::function<nlohmann::json()> current,
                    std::function<QString(const nlohmann::json&)> apply);

  /// Creates (or opens, when it exists) a project file and makes it current. Returns an error
  /// or "".
  QString newProject(const QString& path);
  /// Opens a project in the background: opened() or failed() report the outcome.
  void openProject(const QString& path);
  /// Writes a copy of the current project to `path` and switches to it. Returns an error or "".
  QString saveProjectAs(const QString& path);
  /// Saves the open project: its runs are recorded as they end, so this records the current
  /// data and spec with it (what reopening it reloads). Returns an error or "".
  QString saveProject();
  /// True for the bundled sample project (defaultProjectPath()) and the bundled sample data.
  static bool isSampleProject(const QString& path);
  static bool isSampleData(const QString& path);
  /// Opens the last project, else creates the default project over the bundled sample data.
  /// Returns false when there is nothing to open.
  bool openStartupProject();
  /// The default project file (application data folder).
  static QString defaultProjectPath();
  QStringList recentProjects() const;
  /// How often the open project is checked for runs another process recorded (<= 0: never).
  void setWatchInterval(int ms);
  /// Stores the current data's spec in the project (called when the data changed).
  void rememberData();
  /// Reconnects stored runs to the current data, in the background.
  void restoreRuns();

 signals:
  /// Opening a project began.
  void openStarted(const QString& path);
  /// Progress of the project read in flight.
  void progress(double fraction, const QString& stage);
  void opened(const QString& path);
  void failed(const QString& message);
  /// Stored runs of the project got their training data back (Users view, slices, export).
  void runsRestored(int count);
  /// Runs another process recorded in the open project were added to the session.
  void externalRunsAdded(int count);
  /// Data other than the sample data was loaded while the sample project was open: it got a
  /// project of its own (the sample project keeps only the sample data and its runs).
  void ownProjectCreated(const QString& path);
  void recentProjectsChanged();
  void logMessage(const QString& text);
  void logError(const QString& text);
  /// A failure to show to the user (title, the store's text).
  void errorMessage(const QString& title, const QString& message);

 private:
  void addRecent(const QString& path);
  void onDataReady();
  void checkForNewRuns();
  void readNewRuns(const QString& project, const std::vector<std::int64_t>& ids);
  Session* session_;
  TaskRunner* runner_;
  DataController* data_;
  std::function<nlohmann::json()> currentSpec_;
  std::function<QString(const nlohmann::json&)> applySpec_;
  QTimer* watch_ = nullptr;
  std::set<int> readTasks_;  ///< project reads in flight (open, new runs): no watching
  bool watchInFlight_ = false;
};

}  // namespace rwb::ui
