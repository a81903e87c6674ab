#pragma once
/// \file
/// MainWindow: the workbench shell. Menus with standard shortcuts, the four views (Data,
/// Experiment, Compare, Users) as tabs, a dockable log, a status bar with one indicator per
/// background task, QSettings for geometry and recent files, and drag & drop of data files.

#include <QMainWindow>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "core/data/delimited_loader.h"

class QLabel;
class QTabWidget;
class QTimer;
class QHBoxLayout;

namespace rwb::ui {

class CompareView;
class DataView;
class ExperimentView;
class LogPane;
class Session;
class TaskRunner;
class UsersView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  /// Loads an interactions file (or the best candidate file of a folder) in the background with
  /// the given options. Errors go to a message box (or the log when quiet) with the engine's text.
  void loadData(const QString& path, const DelimitedOptions& options);
  /// Loads a held-out test file sharing the current dataset's id maps.
  void loadTestSet(const QString& path, const DelimitedOptions& options);
  /// Opens the import dialog for a file or folder; loads on accept.
  void importData(const QString& path);
  /// The file a folder is opened with by default (u.data, ratings*, train*...), or the path itself.
  static QString defaultDataFile(const QString& path);
  /// Opens the bundled sample data (RWB_SAMPLE_DATA_DIR) if present. Returns false otherwise.
  bool openSampleData();
  /// Loads a spec's dataset entry (and, with split "files", its test file) exactly as
  /// `recwb run` reads it (core/experiment loadDatasetSource: folders bring their attributes).
  void loadSource(const nlohmann::json& source, const QString& testPath = {});

  /// Creates (or opens, when it exists) a project file and makes it current; the current data's
  /// spec is stored in it so reopening the project reopens the data. Returns an error or "".
  QString newProject(const QString& path);
  /// Opens a project in the background: its runs (metrics, CIs, per-user vectors, fitted models)
  /// appear in Compare and Users, and its last spec's data is loaded. projectOpened() or
  /// projectFailed() report the outcome.
  void openProject(const QString& path);
  /// Writes a copy of the current project to `path` and switches to it. Returns an error or "".
  QString saveProjectAs(const QString& path);
  /// First start: opens the last project, else creates the default project in the application
  /// data folder over the bundled sample data. Returns false when there is nothing to open.
  bool openStartupProject();
  /// The default project file (application data folder).
  static QString defaultProjectPath();
  QStringList recentProjects() const;
  /// How often the open project is checked for runs another process recorded in it (default
  /// 3 s; <= 0 stops checking).
  void setProjectWatchInterval(int ms);

  Session* session() const { return session_; }
  TaskRunner* runner() const { return runner_; }
  DataView* dataView() const { return data_; }
  ExperimentView* experimentView() const { return experiment_; }
  CompareView* compareView() const { return compare_; }
  UsersView* usersView() const { return users_; }
  LogPane* logPane() const { return log_; }
  QTabWidget* tabs() const { return tabs_; }
  /// Message boxes are replaced by log lines (tests, screenshots).
  void setQuiet(bool quiet) { quiet_ = quiet; }
  /// Decides whether to close while tasks run (argument: running task count). Default: asks.
  void setCloseConfirmer(std::function<bool(int)> fn) { confirmClose_ = std::move(fn); }
  QStringList recentFiles() const;

 signals:
  void datasetLoaded();
  void loadFailed(const QString& message);
  void projectOpened(const QString& path);
  void projectFailed(const QString& message);
  /// Stored runs of the project got their training data back (Users view, slices, export).
  void projectRunsRestored(int count);
  /// Runs another process recorded in the open project were added to the session.
  void externalRunsAdded(int count);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void buildMenus();
  void addRecent(const QString& path);
  void updateRecentMenu();
  void addRecentProject(const QString& path);
  void updateRecentProjectsMenu();
  void rememberProjectData();
  void restoreProjectRuns();
  void checkProjectForNewRuns();
  void readNewRuns(const QString& project, const std::vector<std::int64_t>& ids);
  void showError(const QString& title, const QString& message);
  void onTaskStarted(int id, const QString& label);
  void onTaskProgress(int id, double fraction, const QString& stage);
  void onTaskFinished(int id, int status, const QString& message);

  Session* session_ = nullptr;
  TaskRunner* runner_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  DataView* data_ = nullptr;
  ExperimentView* experiment_ = nullptr;
  CompareView* compare_ = nullptr;
  UsersView* users_ = nullptr;
  LogPane* log_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  QMenu* recentProjectsMenu_ = nullptr;
  QLabel* statusText_ = nullptr;
  QWidget* taskArea_ = nullptr;
  QHBoxLayout* taskLayout_ = nullptr;
  std::map<int, QWidget*> indicators_;
  bool quiet_ = false;
  QTimer* projectWatch_ = nullptr;
  std::set<int> projectReadTasks_;  ///< project reads in flight (open, new runs): no watching
  bool watchInFlight_ = false;
  std::function<bool(int)> confirmClose_;
};

}  // namespace rwb::ui
