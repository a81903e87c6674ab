#include "core/store/project_store.h"

#include <xxhash.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>

#include "core/util/atomic_file.h"
#include "core/util/blob_chunks.h"
#include "core/util/error.h"
#include "core/util/json.h"
#include "core/util/sqlite_db.h"

namespace rwb {

namespace {

// Forward migrations: entry i moves a file from user_version i to i + 1. Never edit a released
// entry; append a new one and bump kStoreSchemaVersion.
const char* const kMigrations[] = {
    // 0 -> 1: the base schema.
    R"sql(
CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE specs (
  id INTEGER PRIMARY KEY,
  json TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  experiment TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  model TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'cancelled')),
  error TEXT NOT NULL DEFAULT '',
  dataset_id INTEGER REFERENCES datasets(id),
  spec_id INTEGER REFERENCES specs(id),
  split_hash TEXT NOT NULL DEFAULT '',
  code_version TEXT NOT NULL DEFAULT '',
  params TEXT NOT NULL DEFAULT '{}',
  seed INTEGER NOT NULL DEFAULT 0,
  threads INTEGER NOT NULL DEFAULT 0,
  k INTEGER NOT NULL DEFAULT 10,
  fit_seconds REAL NOT NULL DEFAULT 0,
  recommend_seconds REAL NOT NULL DEFAULT 0,
  evaluate_seconds REAL NOT NULL DEFAULT 0,
  peak_rss_bytes INTEGER NOT NULL DEFAULT 0,
  model_bytes INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE user_metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  users BLOB NOT NULL,
  vals BLOB NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE models (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  bytes BLOB NOT NULL
);
)sql",
    // 1 -> 2: learning curves and search history.
    R"sql(
CREATE TABLE learning_curves (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, epoch, name)
);
ALTER TABLE runs ADD COLUMN search TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_dataset ON runs(dataset_id);
)sql",
    // 2 -> 3: a checksum per stored model (XXH3-64 of the bytes, 16 hex digits; filled for
    // existing rows by ProjectStore::migrate).
    R"sql(
ALTER TABLE models ADD COLUMN checksum TEXT NOT NULL DEFAULT '';
)sql",
    // 3 -> 4: run ids are never reused. The highest id ever given is kept (rows deleted later do
    // not lower it); runs are inserted with the next id explicitly. An existing project starts
    // from its current largest id (ids deleted before this migration cannot be known).
    R"sql(
CREATE TABLE run_id_high_water (value INTEGER NOT NULL);
INSERT INTO run_id_high_water SELECT COALESCE(max(id), 0) FROM runs;
CREATE TRIGGER runs_raise_high_water AFTER INSERT ON runs BEGIN
  UPDATE run_id_high_water SET value = max(value, NEW.id);
END;
)sql",
    // 4 -> 5: models are stored once per distinct content (XXH3-128 of the bytes, 32 hex digits)
    // and compressed with zlib when that makes them smaller; models.bytes stays empty (kept for
    // older readers' schema), blob_hash NULL with a checksum means the model was dropped.
    // ProjectStore::migrate moves existing models.
    R"sql(
CREATE TABLE model_blobs (
  hash TEXT PRIMARY KEY,
  codec TEXT NOT NULL CHECK (codec IN ('raw', 'zlib')),
  raw_bytes INTEGER NOT NULL,
  data BLOB NOT NULL
);
ALTER TABLE models ADD COLUMN blob_hash TEXT;
CREATE INDEX models_by_blob ON models(blob_hash);
)sql",
    // 5 -> 6: each run's evaluation protocol (protocolToJson; '' for earlier runs, which were
    // all evaluated on the catalogue).
    R"sql(
ALTER TABLE runs ADD COLUMN protocol TEXT NOT NULL DEFAULT '';
)sql",
    // 6 -> 7: metrics at the cut-offs other than the run's k (RunRecord::metricsAtK, the GUI's
    // metric@k curves), so that a reopened project shows them.
    R"sql(
CREATE TABLE metrics_at_k (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, name)
);
)sql",
    // 7 -> 8: a model larger than one row may be (core/util/blob_chunks.h: SQLite refuses any
    // value over 1e9 bytes) is stored in chunks. model_blobs.chunks = n > 0: its data is empty,
    // its raw_bytes the whole model's, and the bytes are rows 0..n-1 of model_blob_chunks, each
    // compressed on its own (codec and raw_bytes per chunk). Models stored before stay one row
    // (chunks 0).
    R"sql(
CREATE TABLE model_blob_chunks (
  hash TEXT NOT NULL REFERENCES model_blobs(hash) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  codec TEXT NOT NULL CHECK (codec IN ('raw', 'zlib')),
  raw_bytes INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (hash, idx)
);
ALTER TABLE model_blobs ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;
)sql",
    // 8 -> 9: what each run's model tuned during fit (RunRecord::fittedSummary, JSON text; ''
    // for earlier runs and for models without a summary).
    R"sql(
ALTER TABLE runs ADD COLUMN fitted TEXT NOT NULL DEFAULT '';
)sql",
};
static_assert(std::size(kMigrations) == kStoreSchemaVersion);

// The SQLite wrapper reports IoError; the store's contract is StoreError.
template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const IoError& e) {
    throw StoreError(std::string("project file ") + e.what());
  }
}

std::string blobChecksum(const std::string& bytes) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  return hex;
}

// A zero-length blob must still be a blob, not NULL: never pass a null data pointer.
std::string_view blobView(const std::string& b) { return b.empty() ? std::string_view("", 0) : b; }

std::string contentHash(const std::string& bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return hex;
}

/// Compresses `bytes` with zlib level 6 into `packed` (resized to fit); false, and `packed`
/// unspecified, when that would not make them smaller.
bool zip(std::string_view bytes, std::string& packed) {
  packed.resize(compressBound(static_cast<uLong>(bytes.size())));
  uLongf packedSize = static_cast<uLongf>(packed.size());
  const bool zipped = compress2(reinterpret_cast<Bytef*>(packed.data()), &packedSize,
                                reinterpret_cast<const Bytef*>(bytes.data()),
                                static_cast<uLong>(bytes.size()), 6) == Z_OK &&
                      packedSize < bytes.size();
  if (zipped) packed.resize(packedSize);
  return zipped;
}

/// Stores `bytes` in model_blobs unless the same content is there already; returns its hash.
/// zlib level 6 is used when it saves space (float factors compress little, trees and sparse
/// similarity lists much more); otherwise the bytes are kept raw. A model larger than
/// blobChunkBytes() is stored in chunks, each compressed on its own (schema 8), unless
/// `mayChunk` is false (the schema 4 -> 5 migration, which runs before that table exists and
/// moves models that were one row already). SQLite reads the bytes in place: a save holds the
/// model, one compressed chunk and SQLite's record of one row, not a compressed copy of the
/// whole model.
std::string putModelBlob(SqliteDb& db, const std::string& bytes, bool mayChunk = true) {
  const std::string hash = contentHash(bytes);
  {
    SqliteStmt q(db, "SELECT 1 FROM model_blobs WHERE hash = ?");
    q.bind(1, hash);
    if (q.step()) return hash;
  }
  const std::size_t chunkBytes = blobChunkBytes();
  std::string packed;
  if (!mayChunk || bytes.size() <= chunkBytes) {
    const bool zipped = zip(bytes, packed);
    SqliteStmt ins(db, "INSERT INTO model_blobs(hash, codec, raw_bytes, data) VALUES(?,?,?,?)");
    ins.bind(1, hash).bind(2, std::string_view(zipped ? "zlib" : "raw"));
    ins.bind(3, static_cast<std::int64_t>(bytes.size()));
    ins.bindBlobNoCopy(4, zipped ? std::string_view(packed) : std::string_view(bytes));
    ins.run();
    return hash;
  }
  const std::size_t chunks = (bytes.size() - 1) / chunkBytes + 1;
  {
    SqliteStmt ins(db,
                   "INSERT INTO model_blobs(hash, codec, raw_bytes, data, chunks) "
                   "VALUES(?,'raw',?,X'',?)");
    ins.bind(1, hash).bind(2, static_cast<std::int64_t>(bytes.size()));
    ins.bind(3, static_cast<std::int64_t>(chunks));
    ins.run();
  }
  SqliteStmt ins(db,
                 "INSERT INTO model_blob_chunks(hash, idx, codec, raw_bytes, data) "
                 "VALUES(?,?,?,?,?)");
  const std::string_view all(bytes);
  for (std::size_t i = 0; i < chunks; ++i) {
    const std::string_view part = all.substr(i * chunkBytes, chunkBytes);
    const bool zipped = zip(part, packed);
    ins.bind(1, hash).bind(2, static_cast<std::int64_t>(i));
    ins.bind(3, std::string_view(zipped ? "zlib" : "raw"));
    ins.bind(4, static_cast<std::int64_t>(part.size()));
    ins.bindBlobNoCopy(5, zipped ? std::string_view(packed) : part);
    ins.run();
    ins.reset();
  }
  return hash;
}

/// Decodes `data` (codec 'raw' or 'zlib') into exactly `out.size()` bytes at `out`; false when
/// it does not decode to that size.
bool unpackInto(std::string_view codec, std::string_view data, char* out, std::size_t size) {
  if (codec == "raw") {
    if (data.size() != size) return false;
    if (size > 0) std::memcpy(out, data.data(), size);
    return true;
  }
  if (codec != "zlib") return false;
  uLongf got = static_cast<uLongf>(size);
  return uncompress(reinterpret_cast<Bytef*>(out), &got,
                    reinterpret_cast<const Bytef*>(data.data()),
                    static_cast<uLong>(data.size())) == Z_OK &&
         got == size;
}

/// The original bytes of a stored blob; nullopt when they cannot be decoded (a damaged file).
/// Whether `rawBytes` can be what `stored` bytes of `codec` hold: equal for raw; for zlib at
/// most deflate's largest expansion (1032 to 1, plus the stream's header and trailer), so that a
/// damaged or crafted size is refused before a buffer of that size is allocated.
bool plausibleRawSize(std::string_view codec, std::int64_t rawBytes, std::uint64_t stored) {
  if (rawBytes < 0) return false;
  const auto raw = static_cast<std::uint64_t>(rawBytes);
  if (codec == "raw") return raw == stored;
  return raw / 1032 <= stored;
}

std::optional<std::string> unpackModelBlob(const std::string& codec, std::int64_t rawBytes,
                                           std::string_view data) {
  if (!plausibleRawSize(codec, rawBytes, data.size())) return std::nullopt;
  std::string out(static_cast<std::size_t>(rawBytes), '\0');
  if (!unpackInto(codec, data, out.data(), out.size())) return std::nullopt;
  return out;
}

/// The original bytes of a model stored in `chunks` chunks (schema 8), decoded one chunk at a
/// time into one buffer of the model's size. On a damaged file: nullopt and `why` names the
/// chunk (missing, stored twice, beyond the count, not decodable, sizes that do not add up).
std::optional<std::string> unpackChunkedModelBlob(SqliteDb& db, const std::string& hash,
                                                  std::int64_t chunks, std::int64_t rawBytes,
                                                  std::string& why) {
  const std::string of = " of " + std::to_string(chunks) + " (numbered from 0)";
  {
    // Each chunk's size must be what its stored bytes can hold (plausibleRawSize) and the
    // sizes must add up, before a buffer of rawBytes is allocated.
    SqliteStmt bad(db,
                   "SELECT min(idx) FROM model_blob_chunks WHERE hash = ? AND (raw_bytes < 0 OR "
                   "(codec = 'raw' AND raw_bytes != length(CAST(data AS BLOB))) OR "
                   "(codec != 'raw' AND raw_bytes / 1032 > length(CAST(data AS BLOB))))");
    bad.bind(1, hash);
    if (bad.step() && !bad.columnIsNull(0)) {
      why = "chunk " + std::to_string(bad.columnInt(0)) + of +
            " is truncated or records a size its stored bytes cannot hold";
      return std::nullopt;
    }
    SqliteStmt q(db,
                 "SELECT count(*), coalesce(sum(raw_bytes), 0) FROM model_blob_chunks "
                 "WHERE hash = ?");
    q.bind(1, hash);
    q.step();
    if (rawBytes < 0 || q.columnInt(1) != rawBytes || q.columnInt(0) > chunks) {
      why = "has chunks holding " + std::to_string(q.columnInt(1)) + " bytes in " +
            std::to_string(q.columnInt(0)) + " rows for a model of " + std::to_string(rawBytes) +
            " bytes in " + std::to_string(chunks) + " chunks";
      // A missing chunk is the likelier damage: name it when the rows say which.
      SqliteStmt s(db, "SELECT idx FROM model_blob_chunks WHERE hash = ? ORDER BY idx");
      s.bind(1, hash);
      for (std::int64_t next = 0; next < chunks; ++next) {
        if (!s.step() || s.columnInt(0) != next) {
          why = "chunk " + std::to_string(next) + of + " is missing";
          break;
        }
      }
      return std::nullopt;
    }
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(rawBytes));
  SqliteStmt s(db,
               "SELECT idx, codec, raw_bytes, data FROM model_blob_chunks WHERE hash = ? "
               "ORDER BY idx");
  s.bind(1, hash);
  std::int64_t next = 0;
  for (; s.step(); ++next) {
    const std::int64_t idx = s.columnInt(0);
    if (idx != next || idx >= chunks) {
      why = idx > next && next < chunks ? "chunk " + std::to_string(next) + of + " is missing"
                                        : "chunk " + std::to_string(idx) + of + " is misnumbered";
      return std::nullopt;
    }
    const std::int64_t raw = s.columnInt(2);
    if (raw < 0 ||
        static_cast<std::uint64_t>(raw) > static_cast<std::uint64_t>(rawBytes) - out.size()) {
      why = "chunk " + std::to_string(idx) + of + " is larger than the model";
      return std::nullopt;
    }
    const std::size_t at = out.size();
    out.resize(at + static_cast<std::size_t>(raw));
    if (!unpackInto(s.columnTextView(1), s.columnBlobView(3), out.data() + at,
                    static_cast<std::size_t>(raw))) {
      why = "chunk " + std::to_string(idx) + of + " cannot be decompressed or is truncated";
      return std::nullopt;
    }
  }
  if (next != chunks) {
    why = "chunk " + std::to_string(next) + of + " is missing";
    return std::nullopt;
  }
  return out;
}

/// Removes stored models no run refers to any more.
void collectModelBlobs(SqliteDb& db) {
  // Their chunks follow by the foreign key's cascade.
  db.exec(
      "DELETE FROM model_blobs WHERE hash NOT IN "
      "(SELECT blob_hash FROM models WHERE blob_hash IS NOT NULL)");
}

/// SQL: the bytes a model_blobs row `b` takes in the file, its chunks included.
constexpr const char* kStoredBytesOfB =
    "(coalesce(length(b.data), 0) + coalesce((SELECT sum(length(c.data)) FROM model_blob_chunks "
    "c WHERE c.hash = b.hash), 0))";

double columnNumber(const SqliteStmt& s, int c) {
  return s.columnIsNull(c) ? std::nan("") : s.columnDouble(c);
}

// NaN is stored as NULL (SQLite would do the same, but say so explicitly).
void bindNumber(SqliteStmt& s, int i, double v) {
  if (std::isfinite(v)) {
    s.bind(i, v);
  } else {
    s.bindNull(i);
  }
}

template <typename T>
std::string toBlob(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <typename T>
std::vector<T> fromBlob(const std::string& b, const char* what) {
  if (b.size() % sizeof(T) != 0) {
    throw StoreError(std::string("project file: corrupt ") + what + " blob (" +
                     std::to_string(b.size()) + " bytes)");
  }
  std::vector<T> v(b.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), b.data(), b.size());
  return v;
}

nlohmann::json parseStored(const std::string& text, const char* what) {
  if (text.empty()) return nlohmann::json();
  try {
    return parseJson(text, what);
  } catch (const Error& e) {
    throw StoreError(std::string("project file: corrupt ") + what + ": " + e.what());
  }
}

SearchHistory searchFromJson(const nlohmann::json& j) {
  SearchHistory h;
  h.method = j.value("method", "");
  h.metric = j.value("metric", "");
  h.validationSplitHash = j.value("validation_split_hash", "");
  h.best = j.value("best", nlohmann::json::object());
  h.bestScore = j["best_score"].is_number() ? j["best_score"].get<double>() : std::nan("");
  h.seconds = j.value("seconds", 0.0);
  h.budgetSeconds = j.value("budget_seconds", 0.0);
  h.refitSecondsEstimate = j.value("refit_estimate_seconds", 0.0);
  h.stoppedBy = j.value("stopped_by", "");
  for (const auto& t : j.value("trials", nlohmann::json::array())) {
    SearchTrial s;
    s.params = t.value("params", nlohmann::json::object());
    s.rung = t.value("rung", 0);
    s.config = t.value("config", 0);
    s.budget = t.value("budget", 0LL);
    s.score = t["score"].is_number() ? t["score"].get<double>() : std::nan("");
    s.fitSeconds = t.value("fit_seconds", 0.0);
    s.error = t.value("error", "");
    h.trials.push_back(std::move(s));
  }
  return h;
}

}  // namespace

ProjectStore::ProjectStore(const std::filesystem::path& file, bool create) : path_(file) {
  std::error_code ec;
  if (!create && !std::filesystem::exists(file, ec)) {
    throw StoreError("project file '" + file.string() + "' does not exist");
  }
  try {
    db_ = std::make_unique<SqliteDb>(file.string(), SqliteDb::Mode::kCreate);
    // journal_mode is the first statement to read the file: a non-database fails here.
    db_->exec("PRAGMA journal_mode=WAL");
    db_->exec("PRAGMA synchronous=NORMAL");
    db_->exec("PRAGMA foreign_keys=ON");
    migrate();
  } catch (const IoError& e) {
    db_.reset();
    throw StoreError("cannot open project file '" + file.string() + "': " + e.what());
  } catch (const StoreError& e) {
    db_.reset();
    throw StoreError("cannot open project file '" + file.string() + "': " + e.what());
  }
}

ProjectStore::~ProjectStore() = default;

int ProjectStore::schemaVersion() const {
  return guarded([&] {
    SqliteStmt s(*db_, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.columnInt(0));
  });
}

void ProjectStore::migrate() {
  // A current project is only read here: no write lock, so opening one (every CLI command, the
  // GUI's check for new runs) never waits on, or holds up, a writer.
  if (schemaVersion() == kStoreSchemaVersion) {
    SqliteStmt s(*db_, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='runs'");
    s.step();
    if (s.columnInt(0) == 1) return;
  }
  SqliteTransaction tx(*db_);
  const int version = schemaVersion();
  if (version > kStoreSchemaVersion) {
    throw StoreError("it was written by a newer RecWorkbench (project schema " +
                     std::to_string(version) + "; this build reads up to " +
                     std::to_string(kStoreSchemaVersion) + "); open it with a newer build");
  }
  if (version < 0) throw StoreError("it has an invalid schema version " + std::to_string(version));
  if (version > 0) {
    // A version number alone could be any SQLite file: check it is one of ours.
    SqliteStmt s(*db_, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='runs'");
    s.step();
    if (s.columnInt(0) != 1) throw StoreError("it is not a RecWorkbench project (no runs table)");
  } else {
    SqliteStmt s(*db_, "SELECT count(*) FROM sqlite_master");
    s.step();
    if (s.columnInt(0) != 0) {
      throw StoreError("it is an SQLite database but not a RecWorkbench project");
    }
  }
  for (int v = version; v < kStoreSchemaVersion; ++v) {
    db_->exec(kMigrations[v]);
    db_->exec("PRAGMA user_version=" + std::to_string(v + 1));
    if (v == 2) {
      // Models stored before checksums: record what they are now.
      std::vector<std::pair<std::int64_t, std::string>> sums;
      {
        SqliteStmt s(*db_, "SELECT run_id, bytes FROM models");
        while (s.step()) sums.emplace_back(s.columnInt(0), blobChecksum(s.columnBlob(1)));
      }
      SqliteStmt u(*db_, "UPDATE models SET checksum = ? WHERE run_id = ?");
      for (const auto& [run, sum] : sums) {
        u.bind(1, sum).bind(2, run);
        u.run();
        u.reset();
      }
    }
    if (v == 4) {
      // Models stored in place: once per content, compressed. One at a time (they can be large).
      std::vector<std::int64_t> runs;
      {
        SqliteStmt s(*db_, "SELECT run_id FROM models WHERE length(bytes) > 0");
        while (s.step()) runs.push_back(s.columnInt(0));
      }
      SqliteStmt get(*db_, "SELECT bytes FROM models WHERE run_id = ?");
      SqliteStmt u(*db_, "UPDATE models SET blob_hash = ?, bytes = X'' WHERE run_id = ?");
      for (const auto run : runs) {
        get.bind(1, run);
        get.step();
        const std::string bytes = get.columnBlob(0);
        get.reset();
        u.bind(1, putModelBlob(*db_, bytes, /*mayChunk=*/false)).bind(2, run);
        u.run();
        u.reset();
      }
    }
  }
  tx.commit();
  // Models moved out of the models table (schema 5) leave their pages free: give them back.
  if (version < 5 && version > 0) db_->exec("VACUUM");
}

std::int64_t ProjectStore::putDatasetRow(const std::string& fingerprint, const std::string& source,
                                         const nlohmann::json& summary) {
  SqliteStmt s(*db_,
               "INSERT INTO datasets(fingerprint, source, summary) VALUES(?, ?, ?) "
               "ON CONFLICT(fingerprint) DO UPDATE SET source=excluded.source, summary=CASE WHEN "
               "excluded.summary='{}' THEN datasets.summary ELSE excluded.summary END "
               "RETURNING id");
  s.bind(1, fingerprint).bind(2, source).bind(3, summary.is_null() ? "{}" : summary.dump());
  if (!s.step()) throw StoreError("project file: dataset insert returned no id");
  return s.columnInt(0);
}

std::int64_t ProjectStore::putDataset(const std::string& fingerprint, const std::string& source,
                                      const nlohmann::json& summary) {
  return guarded([&] { return putDatasetRow(fingerprint, source, summary); });
}

std::int64_t ProjectStore::putSpec(const nlohmann::json& spec) {
  return guarded([&] {
    SqliteStmt s(*db_,
                 "INSERT INTO specs(json) VALUES(?) ON CONFLICT(json) DO UPDATE SET "
                 "json=excluded.json RETURNING id");
    s.bind(1, spec.dump());
    if (!s.step()) throw StoreError("project file: spec insert returned no id");
    return s.columnInt(0);
  });
}

std::int64_t ProjectStore::saveRun(const RunRecord& r, const std::string& experiment,
                                   std::int64_t specId, const nlohmann::json& datasetSummary) {
  for (const auto& [name, values] : r.perUser) {
    if (values.size() != r.evaluatedUsers.size()) {
      throw StoreError("run '" + r.name + "': per-user vector '" + name + "' has " +
                       std::to_string(values.size()) + " values for " +
                       std::to_string(r.evaluatedUsers.size()) + " users");
    }
  }
  return guarded([&] {
    SqliteTransaction tx(*db_);
    std::int64_t datasetId = 0;
    if (!r.datasetFingerprint.empty()) {
      datasetId = putDatasetRow(r.datasetFingerprint, r.datasetSource, datasetSummary);
    }
    std::int64_t runId = 0;
    {
      SqliteStmt s(
          *db_,
          "INSERT INTO runs(experiment, name, model, status, error, dataset_id, spec_id, "
          "split_hash, code_version, params, seed, threads, k, fit_seconds, "
          "recommend_seconds, evaluate_seconds, peak_rss_bytes, model_bytes, search, protocol, "
          "fitted, id) "
          "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
          "(SELECT value + 1 FROM run_id_high_water)) RETURNING id");
      s.bind(1, experiment).bind(2, r.name).bind(3, r.model);
      s.bind(4, std::string_view(runStatusName(r.status))).bind(5, r.error);
      if (datasetId) {
        s.bind(6, datasetId);
      } else {
        s.bindNull(6);
      }
      if (specId) {
        s.bind(7, specId);
      } else {
        s.bindNull(7);
      }
      s.bind(8, r.splitHash).bind(9, r.codeVersion).bind(10, r.params.dump());
      s.bind(11, static_cast<std::int64_t>(r.seed)).bind(12, static_cast<std::int64_t>(r.threads));
      s.bind(13, static_cast<std::int64_t>(r.k));
      bindNumber(s, 14, r.fitSeconds);
      bindNumber(s, 15, r.recommendSeconds);
      bindNumber(s, 16, r.evaluateSeconds);
      s.bind(17, static_cast<std::int64_t>(r.peakRssBytes));
      s.bind(18, static_cast<std::int64_t>(r.modelBytes));
      s.bind(19, r.search ? toJson(*r.search).dump() : std::string());
      s.bind(20, protocolToJson(r).dump());
      s.bind(21, r.fittedSummary);
      if (!s.step()) throw StoreError("project file: run insert returned no id");
      runId = s.columnInt(0);
    }
    {
      SqliteStmt s(*db_, "INSERT INTO metrics(run_id, name, value) VALUES(?,?,?)");
      for (const auto& [name, value] : r.metrics) {
        s.bind(1, runId).bind(2, name);
        bindNumber(s, 3, value);
        s.run();
        s.reset();
      }
    }
    {
      SqliteStmt s(*db_, "INSERT INTO metrics_at_k(run_id, name, value) VALUES(?,?,?)");
      for (const auto& [name, value] : r.metricsAtK) {
        s.bind(1, runId).bind(2, name);
        bindNumber(s, 3, value);
        s.run();
        s.reset();
      }
    }
    {
      SqliteStmt s(*db_, "INSERT INTO user_metrics(run_id, name, users, vals) VALUES(?,?,?,?)");
      const std::string users = toBlob(r.evaluatedUsers);
      for (const auto& [name, values] : r.perUser) {
        const std::string vals = toBlob(values);
        s.bind(1, runId).bind(2, name).bindBlob(3, blobView(users)).bindBlob(4, blobView(vals));
        s.run();
        s.reset();
      }
    }
    {
      SqliteStmt s(*db_, "INSERT INTO learning_curves(run_id, epoch, name, value) VALUES(?,?,?,?)");
      for (const auto& [epoch, values] : r.learningCurve) {
        for (const auto& [name, value] : values) {
          s.bind(1, runId).bind(2, static_cast<std::int64_t>(epoch)).bind(3, name);
          bindNumber(s, 4, value);
          s.run();
          s.reset();
        }
      }
    }
    if (!r.modelBlob.empty()) {
      const std::string hash = putModelBlob(*db_, r.modelBlob);
      SqliteStmt s(*db_,
                   "INSERT INTO models(run_id, type, bytes, checksum, blob_hash) "
                   "VALUES(?,?,X'',?,?)");
      s.bind(1, runId).bind(2, r.model).bind(3, blobChecksum(r.modelBlob)).bind(4, hash);
      s.run();
    }
    tx.commit();
    return runId;
  });
}

std::vector<RunSummary> ProjectStore::listRuns() const {
  return guarded([&] {
    std::vector<RunSummary> out;
    SqliteStmt s(*db_,
                 "SELECT r.id, r.experiment, r.name, r.model, r.status, r.created_at, "
                 "coalesce(d.fingerprint, ''), r.fit_seconds, r.recommend_seconds, "
                 "coalesce(length(m.bytes), 0) + " +
                     std::string(kStoredBytesOfB) +
                     ", "
                     "m.run_id IS NOT NULL AND m.blob_hash IS NULL AND length(m.bytes) = 0 "
                     "FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id "
                     "LEFT JOIN models m ON m.run_id = r.id "
                     "LEFT JOIN model_blobs b ON b.hash = m.blob_hash ORDER BY r.id DESC");
    SqliteStmt m(*db_, "SELECT name, value FROM metrics WHERE run_id = ? ORDER BY name");
    while (s.step()) {
      RunSummary r;
      r.id = s.columnInt(0);
      r.experiment = s.columnText(1);
      r.name = s.columnText(2);
      r.model = s.columnText(3);
      r.status = parseRunStatus(s.columnText(4));
      r.createdAt = s.columnText(5);
      r.datasetFingerprint = s.columnText(6);
      r.fitSeconds = columnNumber(s, 7);
      r.recommendSeconds = columnNumber(s, 8);
      r.modelStoredBytes = s.columnInt(9);
      r.modelDropped = s.columnInt(10) != 0;
      m.bind(1, r.id);
      while (m.step()) r.metrics[m.columnText(0)] = columnNumber(m, 1);
      m.reset();
      out.push_back(std::move(r));
    }
    return out;
  });
}

StoredRun ProjectStore::loadRun(std::int64_t id, bool withModel) const {
  return guarded([&] {
    StoredRun out;
    RunRecord& r = out.record;
    {
      SqliteStmt s(*db_,
                   "SELECT r.experiment, r.created_at, coalesce(r.spec_id, 0), r.name, r.model, "
                   "r.status, r.error, coalesce(d.fingerprint, ''), coalesce(d.source, ''), "
                   "r.split_hash, r.code_version, r.params, r.seed, r.threads, r.k, "
                   "r.fit_seconds, r.recommend_seconds, r.evaluate_seconds, r.peak_rss_bytes, "
                   "r.model_bytes, r.search, r.protocol, r.fitted "
                   "FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id WHERE r.id = ?");
      s.bind(1, id);
      if (!s.step()) {
        throw StoreError("no run with id " + std::to_string(id) + " in " + path_.string());
      }
      out.id = id;
      out.experiment = s.columnText(0);
      out.createdAt = s.columnText(1);
      out.specId = s.columnInt(2);
      r.name = s.columnText(3);
      r.model = s.columnText(4);
      r.status = parseRunStatus(s.columnText(5));
      r.error = s.columnText(6);
      r.datasetFingerprint = s.columnText(7);
      r.datasetSource = s.columnText(8);
      r.splitHash = s.columnText(9);
      r.codeVersion = s.columnText(10);
      r.params = parseStored(s.columnText(11), "run parameters");
      r.seed = static_cast<std::uint64_t>(s.columnInt(12));
      r.threads = static_cast<int>(s.columnInt(13));
      r.k = static_cast<int>(s.columnInt(14));
      r.fitSeconds = columnNumber(s, 15);
      r.recommendSeconds = columnNumber(s, 16);
      r.evaluateSeconds = columnNumber(s, 17);
      r.peakRssBytes = static_cast<std::uint64_t>(s.columnInt(18));
      r.modelBytes = static_cast<std::uint64_t>(s.columnInt(19));
      const std::string search = s.columnText(20);
      if (!search.empty()) r.search = searchFromJson(parseStored(search, "search history"));
      protocolFromJson(parseStored(s.columnText(21), "evaluation protocol"), r);
      // Checked like the other stored JSON: a damaged summary is a damaged file, not a blank.
      r.fittedSummary = s.columnText(22);
      if (!r.fittedSummary.empty()) parseStored(r.fittedSummary, "fitted summary");
    }
    {
      SqliteStmt s(*db_, "SELECT name, value FROM metrics WHERE run_id = ? ORDER BY name");
      s.bind(1, id);
      while (s.step()) r.metrics[s.columnText(0)] = columnNumber(s, 1);
    }
    {
      SqliteStmt s(*db_, "SELECT name, value FROM metrics_at_k WHERE run_id = ? ORDER BY name");
      s.bind(1, id);
      while (s.step()) r.metricsAtK[s.columnText(0)] = columnNumber(s, 1);
    }
    {
      SqliteStmt s(*db_,
                   "SELECT name, users, vals FROM user_metrics WHERE run_id = ? ORDER BY name");
      s.bind(1, id);
      while (s.step()) {
        auto users = fromBlob<Index>(s.columnBlob(1), "per-user ids");
        auto vals = fromBlob<double>(s.columnBlob(2), "per-user values");
        if (users.size() != vals.size()) {
          throw StoreError("project file: per-user vector '" + s.columnText(0) + "' of run " +
                           std::to_string(id) + " is inconsistent");
        }
        r.evaluatedUsers = std::move(users);
        r.perUser[s.columnText(0)] = std::move(vals);
      }
    }
    {
      SqliteStmt s(*db_,
                   "SELECT epoch, name, value FROM learning_curves WHERE run_id = ? "
                   "ORDER BY epoch, rowid");
      s.bind(1, id);
      while (s.step()) {
        const int epoch = static_cast<int>(s.columnInt(0));
        if (r.learningCurve.empty() || r.learningCurve.back().first != epoch) {
          r.learningCurve.emplace_back(epoch, EpochMetrics{});
        }
        r.learningCurve.back().second.emplace_back(s.columnText(1), columnNumber(s, 2));
      }
    }
    {
      SqliteStmt s(*db_,
                   "SELECT m.bytes, m.checksum, m.blob_hash IS NULL, b.hash IS NULL, b.codec, "
                   "b.raw_bytes, b.data, b.chunks, b.hash FROM models m LEFT JOIN model_blobs b "
                   "ON b.hash = m.blob_hash WHERE m.run_id = ?");
      s.bind(1, id);
      const bool has = s.step();
      const bool inPlace = has && s.columnInt(2) != 0;  // no blob_hash
      out.modelDropped = inPlace && s.columnBlob(0).empty();
      if (has && withModel && !out.modelDropped) {
        std::optional<std::string> bytes;
        std::string why;
        if (inPlace) {
          bytes = s.columnBlob(0);
        } else if (s.columnInt(3) == 0 && s.columnInt(7) > 0) {
          bytes =
              unpackChunkedModelBlob(*db_, s.columnText(8), s.columnInt(7), s.columnInt(5), why);
        } else if (s.columnInt(3) == 0) {
          bytes = unpackModelBlob(s.columnText(4), s.columnInt(5), s.columnBlobView(6));
        }
        const std::string recorded = s.columnText(1);
        if (bytes) r.modelBlob = std::move(*bytes);
        if (!bytes || (!recorded.empty() && recorded != blobChecksum(r.modelBlob))) {
          const std::string hash = s.columnText(8);
          throw StoreError(
              "run " + std::to_string(id) + ": the stored model" +
              (hash.empty() ? "" : " (model_blobs '" + hash + "')") + " " +
              (why.empty() ? "is missing, cannot be decompressed or does not match its checksum"
                           : why) +
              " (the project file is damaged); the run's metrics are intact, its model cannot "
              "be used");
        }
      }
    }
    return out;
  });
}

nlohmann::json ProjectStore::loadSpec(std::int64_t id) const {
  return guarded([&] {
    SqliteStmt s(*db_, "SELECT json FROM specs WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) {
      throw StoreError("no spec with id " + std::to_string(id) + " in " + path_.string());
    }
    return parseStored(s.columnText(0), "spec");
  });
}

std::optional<StoredDataset> ProjectStore::findDataset(const std::string& fingerprint) const {
  return guarded([&]() -> std::optional<StoredDataset> {
    SqliteStmt s(*db_, "SELECT id, source, summary FROM datasets WHERE fingerprint = ?");
    s.bind(1, fingerprint);
    if (!s.step()) return std::nullopt;
    return StoredDataset{s.columnInt(0), fingerprint, s.columnText(1),
                         parseStored(s.columnText(2), "dataset summary")};
  });
}

bool ProjectStore::deleteRun(std::int64_t id) {
  return guarded([&] {
    SqliteTransaction tx(*db_);
    // Foreign keys cascade to metrics, per-user vectors, curves and the model.
    SqliteStmt s(*db_, "DELETE FROM runs WHERE id = ?");
    s.bind(1, id);
    s.run();
    const bool deleted = sqlite3_changes(db_->handle()) > 0;
    collectModelBlobs(*db_);
    tx.commit();
    return deleted;
  });
}

std::int64_t ProjectStore::dropModel(std::int64_t id) {
  return guarded([&] {
    SqliteTransaction tx(*db_);
    {
      SqliteStmt q(*db_, "SELECT 1 FROM runs WHERE id = ?");
      q.bind(1, id);
      if (!q.step()) {
        throw StoreError("no run with id " + std::to_string(id) + " in " + path_.string());
      }
    }
    std::int64_t freed = 0;
    {
      SqliteStmt q(*db_,
                   "SELECT coalesce((SELECT " + std::string(kStoredBytesOfB) +
                       " FROM model_blobs b WHERE b.hash = m.blob_hash), 0) + length(m.bytes) "
                       "FROM models m WHERE m.run_id = ?");
      q.bind(1, id);
      if (q.step()) freed = q.columnInt(0);
    }
    SqliteStmt u(*db_, "UPDATE models SET blob_hash = NULL, bytes = X'' WHERE run_id = ?");
    u.bind(1, id);
    u.run();
    collectModelBlobs(*db_);
    tx.commit();
    return freed;
  });
}

void ProjectStore::compact() {
  guarded([&] {
    db_->exec("VACUUM");
    return 0;
  });
}

ProjectSizes ProjectStore::sizes() const {
  return guarded([&] {
    ProjectSizes z;
    {
      SqliteStmt s(*db_,
                   "SELECT (SELECT page_count FROM pragma_page_count()) * "
                   "(SELECT page_size FROM pragma_page_size())");
      s.step();
      z.fileBytes = s.columnInt(0);
    }
    {
      SqliteStmt s(*db_,
                   "SELECT coalesce(sum(length(data)), 0) + (SELECT coalesce(sum(length(data)), "
                   "0) FROM model_blob_chunks), coalesce(sum(raw_bytes), 0), count(*) "
                   "FROM model_blobs");
      s.step();
      z.modelStoredBytes = s.columnInt(0);
      z.modelRawBytes = s.columnInt(1);
      z.modelsDistinct = s.columnInt(2);
    }
    {
      SqliteStmt s(*db_, "SELECT count(*) FROM models WHERE blob_hash IS NOT NULL");
      s.step();
      z.modelsReferenced = s.columnInt(0);
    }
    return z;
  });
}

std::int64_t ProjectStore::countRuns() const {
  return guarded([&] {
    SqliteStmt s(*db_, "SELECT count(*) FROM runs");
    s.step();
    return s.columnInt(0);
  });
}

std::string ProjectStore::integrityCheck() const {
  return guarded([&] {
    SqliteStmt s(*db_, "PRAGMA integrity_check");
    std::string out;
    while (s.step()) {
      if (!out.empty()) out += '\n';
      out += s.columnText(0);
    }
    return out;
  });
}

std::int64_t ProjectStore::latestSpecId() const {
  return guarded([&] {
    SqliteStmt s(*db_,
                 "SELECT COALESCE((SELECT spec_id FROM runs WHERE spec_id IS NOT NULL "
                 "AND spec_id > 0 ORDER BY id DESC LIMIT 1), (SELECT max(id) FROM specs), 0)");
    s.step();
    return s.columnInt(0);
  });
}

void ProjectStore::copyTo(const std::filesystem::path& file) const {
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    throw StoreError("cannot save the project as '" + file.string() + "': the file exists");
  }
  // Through a temporary file: a full disk or a cancel leaves no partial copy under `file`.
  std::optional<AtomicFile> out;
  try {
    out.emplace(file);
  } catch (const IoError& e) {
    throw StoreError("cannot save the project as '" + file.string() + "': " + e.what());
  }
  try {
    SqliteStmt s(*db_, "VACUUM INTO ?");
    s.bind(1, std::string_view(out->tempPath().string()));
    s.step();
  } catch (const Error& e) {
    throw StoreError("cannot save the project as '" + file.string() +
                     "': " + out->withoutTempName(e.what()));
  }
  try {
    out->commit();
  } catch (const Error& e) {
    throw StoreError("cannot save the project as '" + file.string() + "': " + e.what());
  }
}

}  // namespace rwb
