#pragma once
/// \file
/// ProjectStore: the project file (SQLite, WAL journal) shared by the GUI and the CLI. It keeps
/// datasets, experiment specs, runs with their parameters, seeds, code version, timings, peak
/// memory, metrics, per-user metric vectors, learning curves and trained models.
///
/// Durability: every run is written in one transaction, so a run is either fully recorded or
/// absent; killing the process at any moment leaves a consistent file with every committed run.
/// Schema: versioned with PRAGMA user_version and forward migrations; a file written by a newer
/// build is refused with a StoreError rather than misread.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/experiment/run_record.h"

namespace rwb {

class SqliteDb;

/// The schema version this build writes (and the newest it can read).
inline constexpr int kStoreSchemaVersion = 9;

/// What the store records about a dataset.
struct StoredDataset {
  std::int64_t id = 0;
  std::string fingerprint;
  std::string source;
  nlohmann::json summary;
};

/// One row of listRuns(): the run without its vectors, curves and model.
struct RunSummary {
  std::int64_t id = 0;
  std::string experiment;  ///< experiment name (may be empty)
  std::string name;
  std::string model;
  RunStatus status = RunStatus::kFailed;
  std::string createdAt;  ///< UTC, "YYYY-MM-DD HH:MM:SS"
  std::string datasetFingerprint;
  std::map<std::string, double> metrics;
  double fitSeconds = 0.0;
  double recommendSeconds = 0.0;
  /// Bytes the run's model takes in the file (compressed; a model identical to another run's is
  /// stored once and counted for each run that uses it); 0 without a model or once dropped.
  std::int64_t modelStoredBytes = 0;
  bool modelDropped = false;  ///< the model was dropped with dropModel (metrics kept)
};

/// Sizes of a project file.
struct ProjectSizes {
  std::int64_t fileBytes = 0;         ///< the database file (without its WAL)
  std::int64_t modelStoredBytes = 0;  ///< all distinct stored models, compressed
  std::int64_t modelRawBytes = 0;     ///< the same models uncompressed
  std::int64_t modelsReferenced = 0;  ///< runs with a stored model
  std::int64_t modelsDistinct = 0;    ///< distinct model contents stored
};

/// A run read back: the record (without recommendations) plus its ids.
struct StoredRun {
  std::int64_t id = 0;
  std::string experiment;
  std::string createdAt;
  std::int64_t specId = 0;    ///< 0 when no spec was stored with it
  RunRecord record;           ///< modelBlob is filled only by loadRun(id, true)
  bool modelDropped = false;  ///< the run had a model, dropped with dropModel (metrics kept)
};

/// An open project file. Not thread-safe: use one ProjectStore per thread (SQLite's WAL lets
/// several connections, also in other processes, read while one writes).
class ProjectStore {
 public:
  /// Opens the project file (creating it when `create` is true and it does not exist) and
  /// migrates it to kStoreSchemaVersion. Throws StoreError when the file is missing (and create
  /// is false), is not a project, is corrupt, or was written by a newer build (the message says
  /// which version and what to do).
  explicit ProjectStore(const std::filesystem::path& file, bool create = true);
  ~ProjectStore();
  ProjectStore(const ProjectStore&) = delete;
  ProjectStore& operator=(const ProjectStore&) = delete;

  /// The schema version of the open file (== kStoreSchemaVersion after opening).
  int schemaVersion() const;
  const std::filesystem::path& path() const noexcept { return path_; }

  /// Records a dataset (idempotent per fingerprint; the latest non-empty summary wins).
  std::int64_t putDataset(const std::string& fingerprint, const std::string& source,
                          const nlohmann::json& summary);
  /// Records a spec document (idempotent per canonical JSON text).
  std::int64_t putSpec(const nlohmann::json& spec);

  /// Writes a complete run in one transaction (run row, metrics, per-user vectors, learning
  /// curve, search history, model blob when non-empty, dataset row). Returns the run id.
  /// On any failure nothing is written and StoreError is thrown.
  std::int64_t saveRun(const RunRecord& record, const std::string& experiment = {},
                       std::int64_t specId = 0, const nlohmann::json& datasetSummary = {});

  /// Every run, newest first.
  std::vector<RunSummary> listRuns() const;
  /// One run in full; throws StoreError if there is no such run, or (withModel) when the
  /// stored model does not match the checksum recorded with it (a damaged file: model loaders
  /// such as XGBoost's may crash on damaged bytes, so they never see them).
  StoredRun loadRun(std::int64_t id, bool withModel = false) const;
  /// The spec stored under id; throws StoreError if absent.
  nlohmann::json loadSpec(std::int64_t id) const;
  /// The dataset with this fingerprint, if recorded.
  std::optional<StoredDataset> findDataset(const std::string& fingerprint) const;
  /// Deletes a run and everything attached to it; returns false if there was no such run.
  bool deleteRun(std::int64_t id);
  /// Removes the model of a run kept only for its figures: metrics, vectors and curves stay,
  /// loadRun reports modelDropped, and the bytes are freed once no other run shares them.
  /// Returns the run's stored model bytes released (0 when it had none or was already dropped);
  /// throws StoreError when there is no such run. Call compact() to shrink the file.
  std::int64_t dropModel(std::int64_t id);
  /// Rewrites the file without its free pages (SQLite VACUUM); needs no other writer.
  void compact();
  /// File and model storage sizes.
  ProjectSizes sizes() const;
  /// Number of runs stored.
  std::int64_t countRuns() const;
  /// The spec the project was last worked with: that of the newest run recorded with a spec,
  /// else the newest stored spec; 0 when the project holds no spec.
  std::int64_t latestSpecId() const;
  /// Writes a consistent copy of the whole project to `file` (SQLite VACUUM INTO: committed
  /// content only, compacted). Throws StoreError when `file` exists or cannot be written; the
  /// open project is unchanged either way.
  void copyTo(const std::filesystem::path& file) const;
  /// PRAGMA integrity_check: "ok" when the file is sound.
  std::string integrityCheck() const;

 private:
  void migrate();
  std::int64_t putDatasetRow(const std::string& fingerprint, const std::string& source,
                             const nlohmann::json& summary);

  std::filesystem::path path_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace rwb
