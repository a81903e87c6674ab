#include "core/store/run_annotations.h"

#include "core/store/project_store.h"
#include "core/util/error.h"
#include "core/util/sqlite_db.h"

namespace rwb {

namespace {

// Created on first use, outside ProjectStore's versioned migrations: the tables only refer to
// the store's run ids, and a build without them ignores them.
const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS run_tags (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
);
CREATE TABLE IF NOT EXISTS run_notes (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  note TEXT NOT NULL DEFAULT '',
  archived INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS champions (
  id INTEGER PRIMARY KEY,
  dataset_fingerprint TEXT NOT NULL,
  split_hash TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  run_name TEXT NOT NULL,
  since TEXT NOT NULL DEFAULT (datetime('now')),
  run_deleted INTEGER NOT NULL DEFAULT 0
);
-- The history outlives its runs, but a deleted champion is no champion, even should a later run
-- get its id again.
CREATE TRIGGER IF NOT EXISTS champions_run_deleted AFTER DELETE ON runs BEGIN
  UPDATE champions SET run_deleted = 1 WHERE run_id = OLD.id;
END;
)sql";

template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const IoError& e) {
    throw StoreError(std::string("project file ") + e.what());
  }
}

void ensureNotesRow(SqliteDb& db, std::int64_t runId) {
  SqliteStmt s(db, "INSERT OR IGNORE INTO run_notes (run_id) VALUES (?)");
  s.bind(1, runId);
  s.run();
}

}  // namespace

RunAnnotations::RunAnnotations(const ProjectStore& store) {
  guarded([&] {
    db_ = std::make_unique<SqliteDb>(store.path().string(), SqliteDb::Mode::kReadWrite);
    db_->exec("PRAGMA foreign_keys=ON");
    db_->exec(kSchema);
  });
}

RunAnnotations::~RunAnnotations() = default;

void RunAnnotations::requireRun(std::int64_t runId) const {
  guarded([&] {
    SqliteStmt s(*db_, "SELECT 1 FROM runs WHERE id = ?");
    s.bind(1, runId);
    if (!s.step()) throw StoreError("no run with id " + std::to_string(runId));
  });
}

void RunAnnotations::rename(std::int64_t runId, const std::string& name) {
  if (name.empty()) throw StoreError("a run name cannot be empty");
  requireRun(runId);
  guarded([&] {
    SqliteStmt s(*db_, "UPDATE runs SET name = ? WHERE id = ?");
    s.bind(1, name).bind(2, runId);
    s.run();
  });
}

void RunAnnotations::addTag(std::int64_t runId, const std::string& tag) {
  if (tag.empty() || tag.find(',') != std::string::npos)
    throw StoreError("a tag must be non-empty and hold no comma: '" + tag + "'");
  requireRun(runId);
  guarded([&] {
    SqliteStmt s(*db_, "INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)");
    s.bind(1, runId).bind(2, tag);
    s.run();
  });
}

bool RunAnnotations::removeTag(std::int64_t runId, const std::string& tag) {
  requireRun(runId);
  return guarded([&] {
    SqliteStmt s(*db_, "DELETE FROM run_tags WHERE run_id = ? AND tag = ?");
    s.bind(1, runId).bind(2, tag);
    s.run();
    return sqlite3_changes(db_->handle()) > 0;
  });
}

void RunAnnotations::setNote(std::int64_t runId, const std::string& note) {
  requireRun(runId);
  guarded([&] {
    SqliteTransaction tx(*db_);
    ensureNotesRow(*db_, runId);
    SqliteStmt s(*db_, "UPDATE run_notes SET note = ? WHERE run_id = ?");
    s.bind(1, note).bind(2, runId);
    s.run();
    tx.commit();
  });
}

void RunAnnotations::setArchived(std::int64_t runId, bool archived) {
  requireRun(runId);
  guarded([&] {
    SqliteTransaction tx(*db_);
    ensureNotesRow(*db_, runId);
    SqliteStmt s(*db_, "UPDATE run_notes SET archived = ? WHERE run_id = ?");
    s.bind(1, static_cast<std::int64_t>(archived ? 1 : 0)).bind(2, runId);
    s.run();
    tx.commit();
  });
}

RunLabels RunAnnotations::labels(std::int64_t runId) const {
  requireRun(runId);
  const auto all = allLabels();
  const auto it = all.find(runId);
  return it == all.end() ? RunLabels{} : it->second;
}

std::map<std::int64_t, RunLabels> RunAnnotations::allLabels() const {
  return guarded([&] {
    std::map<std::int64_t, RunLabels> out;
    SqliteStmt t(*db_, "SELECT run_id, tag FROM run_tags");
    while (t.step()) out[t.columnInt(0)].tags.insert(t.columnText(1));
    SqliteStmt n(*db_, "SELECT run_id, note, archived FROM run_notes");
    while (n.step()) {
      RunLabels& l = out[n.columnInt(0)];
      l.note = n.columnText(1);
      l.archived = n.columnInt(2) != 0;
    }
    return out;
  });
}

ChampionEntry RunAnnotations::setChampion(std::int64_t runId) {
  return guarded([&] {
    SqliteStmt r(*db_,
                 "SELECT r.name, r.status, r.split_hash, COALESCE(d.fingerprint, '') FROM runs r "
                 "LEFT JOIN datasets d ON d.id = r.dataset_id WHERE r.id = ?");
    r.bind(1, runId);
    if (!r.step()) throw StoreError("no run with id " + std::to_string(runId));
    if (r.columnText(1) != "ok") {
      throw StoreError("run " + std::to_string(runId) + " did not finish (" + r.columnText(1) +
                       "): only a finished run can be champion");
    }
    ChampionEntry e;
    e.runId = runId;
    e.runDeleted = false;
    e.runName = r.columnText(0);
    e.splitHash = r.columnText(2);
    e.datasetFingerprint = r.columnText(3);
    SqliteStmt ins(*db_,
                   "INSERT INTO champions (dataset_fingerprint, split_hash, run_id, run_name) "
                   "VALUES (?, ?, ?, ?) RETURNING since");
    ins.bind(1, e.datasetFingerprint).bind(2, e.splitHash).bind(3, runId).bind(4, e.runName);
    ins.step();
    e.since = ins.columnText(0);
    return e;
  });
}

std::map<std::pair<std::string, std::string>, std::int64_t> RunAnnotations::champions() const {
  return guarded([&] {
    std::map<std::pair<std::string, std::string>, std::int64_t> out;
    // The newest entry of each pair, kept only while its run exists.
    SqliteStmt s(*db_,
                 "SELECT c.dataset_fingerprint, c.split_hash, c.run_id FROM champions c "
                 "WHERE c.id = (SELECT max(id) FROM champions x WHERE x.dataset_fingerprint = "
                 "c.dataset_fingerprint AND x.split_hash = c.split_hash) "
                 "AND c.run_deleted = 0");
    while (s.step()) out[{s.columnText(0), s.columnText(1)}] = s.columnInt(2);
    return out;
  });
}

std::optional<std::int64_t> RunAnnotations::champion(const std::string& datasetFingerprint,
                                                     const std::string& splitHash) const {
  const auto all = champions();
  const auto it = all.find({datasetFingerprint, splitHash});
  if (it == all.end()) return std::nullopt;
  return it->second;
}

std::vector<ChampionEntry> RunAnnotations::championHistory() const {
  return guarded([&] {
    std::vector<ChampionEntry> out;
    SqliteStmt s(*db_,
                 "SELECT run_id, run_name, dataset_fingerprint, split_hash, since, run_deleted "
                 "FROM champions ORDER BY id");
    while (s.step()) {
      out.push_back({s.columnInt(0), s.columnText(1), s.columnText(2), s.columnText(3),
                     s.columnText(4), s.columnInt(5) != 0});
    }
    return out;
  });
}

}  // namespace rwb
