#pragma once
/// \file
/// DataController: reads data into the session off the GUI thread. A data file or folder (or a
/// spec's dataset entry, read as `recwb run` reads it: core/experiment loadDatasetSource) and
/// its held-out test file; the recent-files list. No widgets: the window shows its signals.

#include <QObject>
#include <QStringList>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/data/dataset_loader.h"

namespace rwb::ui {

class Session;
class TaskRunner;

class DataController : public QObject {
  Q_OBJECT
 public:
  DataController(Session* session, TaskRunner* runner, QObject* parent = nullptr);

  /// Loads an interactions file (or a folder: as a whole when its layout is known, else its
  /// default file) in the background with the given options (the format is set from the path:
  /// "auto" for a known folder layout). The session's source spec is the dataset entry written
  /// by datasetSourceToJson, so a saved spec reads the data as `recwb run` does.
  void loadData(const QString& path, const DatasetOptions& options);
  /// Loads a database source (postgresql:// URI, odbc: source, SQLite file) through the same
  /// background load as a file. `password` (may be empty) and any password written in the source
  /// serve this session's connections only: the session's source entry, the project, the log,
  /// the load report and the recent list name the source without them (redactConnectionString).
  /// Reloading the redacted source later in the session (reopening the project) uses them again;
  /// in a new session the credentials come from the environment, ~/.pgpass or odbc.ini.
  void loadDatabase(const QString& source, const QString& password, const DatasetOptions& options);
  /// Loads a held-out test file sharing the current dataset's id maps.
  void loadTestSet(const QString& path, const DelimitedOptions& options);
  /// Loads a spec's dataset entry (and, with split "files", its test file) exactly as
  /// `recwb run` reads it (folders bring their attributes). An entry that does not parse
  /// (core/experiment datasetSourceFromJson) fails the load with the located message.
  void loadSource(const nlohmann::json& source, const QString& testPath = {});
  /// A dataset entry in its canonical form (resolved path, canonical words, defaults left
  /// out), for comparing two entries; the entry itself when it does not parse.
  static nlohmann::json canonicalSource(const nlohmann::json& source);
  /// Opens the bundled sample data (RWB_SAMPLE_DATA_DIR) if present. Returns false otherwise.
  bool openSampleData();
  /// The file a folder is opened with by default (u.data, ratings*, train*...), or the path itself.
  static QString defaultDataFile(const QString& path);
  /// The eight most recent data files (QSettings).
  QStringList recentFiles() const;
  void clearRecentFiles();

 signals:
  /// A load began (file name for the status bar).
  void loadStarted(const QString& file);
  /// Progress of the load in flight (0..1, the engine's stage text).
  void loadProgress(double fraction, const QString& stage);
  /// The data (and its test file, when one comes with it) is in the session.
  void dataReady();
  /// The dataset is in the session (its test file may still be loading).
  void datasetLoaded();
  void loadFailed(const QString& message);
  void status(const QString& text);
  void logMessage(const QString& text);
  /// A failure to show to the user (title, the engine's text).
  void errorMessage(const QString& title, const QString& message);
  void recentFilesChanged();

 private:
  void addRecent(const QString& path);
  /// The source to connect with for a (redacted) source: with this session's password.
  std::string connectionFor(const std::string& source) const;
  void track(int task);
  Session* session_;
  TaskRunner* runner_;
  int task_ = 0;  ///< the load in flight (progress is forwarded for it)
  /// Redacted source -> the source with its credentials, for this session only (never saved).
  std::map<std::string, std::string> credentials_;
};

}  // namespace rwb::ui
