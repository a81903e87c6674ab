#pragma once
/// \file
/// MainWindow: the workbench shell. Menus with standard shortcuts, the four views (Data,
/// Experiment, Compare, Users) as tabs, a dockable log, a status bar with one indicator per
/// background task, QSettings for geometry, and drag & drop of data files. The work lives in
/// controllers it wires to the views: DataController (reading data), ProjectController (the
/// project file), and the views' own runners (ExperimentView -> run_engine).

#include <QMainWindow>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/data/dataset_loader.h"

class QDialog;
class QLabel;
class QTabWidget;
class QUrl;

namespace rwb::ui {

class CompareView;
class DataController;
class DataView;
class ExperimentView;
class LogPane;
class ProjectController;
class Session;
class StartGuide;
class TaskIndicators;
class TaskRunner;
class UsersView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  /// Loads data in the background (DataController::loadData). Errors go to a message box (or
  /// the log when quiet) with the engine's text.
  void loadData(const QString& path, const DatasetOptions& options);
  /// Loads a held-out test file sharing the current dataset's id maps.
  void loadTestSet(const QString& path, const DelimitedOptions& options);
  /// Opens the import dialog for a file or folder; loads on accept.
  void importData(const QString& path);
  /// Opens the database dialog (File > Open from Database...), starting from `source` (e.g. a
  /// recent database source, without credentials); loads on accept (DataController::
  /// loadDatabase).
  void openDatabase(const QString& source = {});
  /// The file a folder is opened with by default (DataController::defaultDataFile).
  static QString defaultDataFile(const QString& path);
  /// Opens the bundled sample data if present. Returns false otherwise.
  bool openSampleData();
  /// Loads a spec's dataset entry as `recwb run` reads it (DataController::loadSource).
  void loadSource(const nlohmann::json& source, const QString& testPath = {});

  /// The project operations of ProjectController (see there).
  QString newProject(const QString& path);
  void openProject(const QString& path);
  QString saveProjectAs(const QString& path);
  /// File > Save (Ctrl+S): ProjectController::saveProject, or Save As when no project is open.
  QString saveProject();
  /// File > Export Champion: exports the champion of the compared split through the project
  /// (CompareView::exportRun). Returns an error, or "" when the export started.
  QString exportChampion(const QString& path);
  /// File > Export Report: the HTML comparison report of the runs Compare shows (RunActions).
  /// The outcome arrives as CompareView's actions()->reportWritten().
  void exportReport(const QString& path);
  /// Run > Champion History: who was champion when, per dataset and split (RunActions). The
  /// dialog deletes itself on close.
  QDialog* showChampionHistory();
  bool openStartupProject();
  static QString defaultProjectPath();
  QStringList recentProjects() const;
  void setProjectWatchInterval(int ms);

  Session* session() const { return session_; }
  TaskRunner* runner() const { return runner_; }
  DataController* dataController() const { return dataController_; }
  ProjectController* projectController() const { return projects_; }
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
  /// The "start here" strip (hidden once dismissed; Help > Start Here shows it again).
  StartGuide* startGuide() const { return guide_; }
  /// The documents Help opens: "README.md", "docs/gui.md" under the source folder; empty when
  /// the file is not there.
  static QString helpDocument(const QString& relativePath);
  /// Opens URLs for Help (default QDesktopServices::openUrl; tests record them instead).
  void setUrlOpener(std::function<bool(const QUrl&)> fn) { openUrl_ = std::move(fn); }

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
  void wireControllers();
  void updateRecentMenu();
  void updateRecentProjectsMenu();
  void updateTitle();
  void showError(const QString& title, const QString& message);
  void updateGuide();
  void doGuideStep(int step);
  void openHelp(const QString& relativePath);

  Session* session_ = nullptr;
  TaskRunner* runner_ = nullptr;
  DataController* dataController_ = nullptr;
  ProjectController* projects_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  DataView* data_ = nullptr;
  ExperimentView* experiment_ = nullptr;
  CompareView* compare_ = nullptr;
  UsersView* users_ = nullptr;
  LogPane* log_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  QMenu* recentProjectsMenu_ = nullptr;
  QLabel* statusText_ = nullptr;
  TaskIndicators* tasks_ = nullptr;
  bool quiet_ = false;
  std::function<bool(int)> confirmClose_;
  std::function<bool(const QUrl&)> openUrl_;
  StartGuide* guide_ = nullptr;
  bool splitSeen_ = false;
  bool compareSeen_ = false;
};

}  // namespace rwb::ui
