#pragma once
/// \file
/// RunAnnotations: what an analyst adds to the runs of a project file, beside the runs
/// themselves: a name (the run's own `name` column), tags, a note, the archived flag, and the
/// champion of each (dataset, split) with its history. Kept in tables of their own (created on
/// first use, keyed by the store's run ids), so the run schema of ProjectStore is untouched.
/// Tags and notes go with their run when it is deleted; the champion history stays (it says who
/// was champion when, also of runs deleted since).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rwb {

class ProjectStore;
class SqliteDb;

/// The annotations of one run.
struct RunLabels {
  std::set<std::string> tags;  ///< sorted, each non-empty and without commas
  std::string note;
  bool archived = false;
};

/// One entry of the champion history: from `since` on, `runId` was the champion of its
/// dataset and split (until the next entry of the same dataset and split).
struct ChampionEntry {
  std::int64_t runId = 0;
  std::string runName;  ///< the run's name when it was made champion
  std::string datasetFingerprint;
  std::string splitHash;
  std::string since;        ///< UTC, "YYYY-MM-DD HH:MM:SS"
  bool runDeleted = false;  ///< the run was deleted since
};

/// Reads and writes the annotations of an open project. Opens its own connection to the
/// project's file (the store itself stays untouched); not thread-safe, like ProjectStore. Every
/// call that names a run throws StoreError when the project has no such run.
class RunAnnotations {
 public:
  /// Opens the annotations of the project `store` has open (creating their tables if absent).
  explicit RunAnnotations(const ProjectStore& store);
  ~RunAnnotations();
  RunAnnotations(const RunAnnotations&) = delete;
  RunAnnotations& operator=(const RunAnnotations&) = delete;

  /// Renames a run (the store's run name, as `recwb runs list` shows it). Throws StoreError
  /// for an empty name.
  void rename(std::int64_t runId, const std::string& name);
  /// Adds a tag (idempotent). Throws StoreError for an empty tag or one with a comma.
  void addTag(std::int64_t runId, const std::string& tag);
  /// Removes a tag; returns false when the run did not have it.
  bool removeTag(std::int64_t runId, const std::string& tag);
  /// Sets the note ("" clears it).
  void setNote(std::int64_t runId, const std::string& note);
  /// Archives (hidden from the default views, kept in the file) or restores a run.
  void setArchived(std::int64_t runId, bool archived);
  /// The annotations of one run (empty ones when it has none).
  RunLabels labels(std::int64_t runId) const;
  /// The annotations of every run that has any, by run id.
  std::map<std::int64_t, RunLabels> allLabels() const;

  /// Makes a finished run (status ok) the champion of its dataset and split, from now on.
  /// Returns the history entry written. Throws StoreError when the run is not finished.
  ChampionEntry setChampion(std::int64_t runId);
  /// The current champion of a dataset and split: the newest history entry of that pair, unless
  /// its run was deleted since (a trigger on the runs table marks it).
  std::optional<std::int64_t> champion(const std::string& datasetFingerprint,
                                       const std::string& splitHash) const;
  /// The current champion of every (dataset fingerprint, split hash) that has one.
  std::map<std::pair<std::string, std::string>, std::int64_t> champions() const;
  /// The whole history, oldest first.
  std::vector<ChampionEntry> championHistory() const;

 private:
  void requireRun(std::int64_t runId) const;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace rwb
