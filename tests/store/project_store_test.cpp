#include "core/store/project_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "core/util/blob_chunks.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

RunRecord sampleRun(int n) {
  RunRecord r;
  r.name = "run" + std::to_string(n);
  r.model = "most_popular";
  r.status = RunStatus::kOk;
  r.datasetFingerprint = "00112233445566" + std::to_string(10 + n % 10);
  r.datasetSource = "/data/log.tsv";
  r.splitHash = "abcdef0123456789";
  r.codeVersion = "0.1.0 (test)";
  r.params = {{"weighted", true}, {"half_life_days", 3.5}};
  r.seed = 42 + static_cast<std::uint64_t>(n);
  r.threads = 2;
  r.k = 10;
  r.fitSeconds = 1.25;
  r.recommendSeconds = 0.5;
  r.evaluateSeconds = 0.125;
  r.peakRssBytes = 123456789;
  r.modelBytes = 4096;
  r.metrics = {{"ndcg@10", 0.25 + n * 1e-3}, {"precision@10", 0.125}, {"map", 0.0625}};
  r.metricsAtK = {{"ndcg@1", 0.5}, {"ndcg@100", 0.3125}, {"precision@5", 0.1875}};
  r.evaluatedUsers = {1, 5, 9, 200};
  r.perUser = {{"ndcg@10", {0.0, 0.5, 1.0, 0.25}}, {"precision@10", {0.1, 0.2, 0.3, 0.4}}};
  r.learningCurve = {{1, {{"loss", 0.9}, {"valid_ndcg@10", 0.1}}}, {2, {{"loss", 0.7}}}};
  SearchHistory h;
  h.method = "grid";
  h.metric = "ndcg@10";
  h.validationSplitHash = "0011";
  h.trials.push_back({{{"weighted", true}}, 0, 0, 0.3, 0.01, ""});
  h.trials.push_back({{{"weighted", false}}, 0, 0, std::nan(""), 0.02, "boom"});
  h.best = {{"weighted", true}};
  h.bestScore = 0.3;
  r.search = h;
  r.modelBlob = std::string("\0\1\2model bytes", 14);
  return r;
}

void sqlExec(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.string().c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

/// Turns a current file back into schema 4: models in place (the test models are small enough
/// to be stored raw), no model_blobs table.
constexpr const char* kUndoSchema5 =
    "DROP INDEX models_by_blob; "
    "UPDATE models SET bytes = (SELECT data FROM model_blobs WHERE hash = models.blob_hash) "
    "WHERE blob_hash IS NOT NULL; "
    "ALTER TABLE models DROP COLUMN blob_hash; DROP TABLE model_blobs; ";

/// Schema 9 -> 8: no fitted column; 8 -> 7: no chunked models (the test models are one row);
/// 7 -> 6: no metrics_at_k table; 6 -> 5: no protocol column.
constexpr const char* kUndoSchema9 = "ALTER TABLE runs DROP COLUMN fitted; ";
constexpr const char* kUndoSchema8 =
    "DROP TABLE model_blob_chunks; ALTER TABLE model_blobs DROP COLUMN chunks; ";
constexpr const char* kUndoSchema7 = "DROP TABLE metrics_at_k; ";
constexpr const char* kUndoSchema6 = "ALTER TABLE runs DROP COLUMN protocol; ";

std::string undoTo(const char* rest) {
  return std::string(kUndoSchema9) + kUndoSchema8 + kUndoSchema7 + kUndoSchema6 + kUndoSchema5 +
         rest;
}

std::int64_t countRows(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.string().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  const bool row = sqlite3_step(st) == SQLITE_ROW;
  const std::int64_t n = row ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  REQUIRE(row);
  return n;
}

/// 10,000 bytes, half of them compressible (text) and half not (pseudo-random): chunks with
/// both codecs.
std::string mixedModelBytes() {
  std::string b;
  for (int i = 0; b.size() < 5000; ++i) b += "item" + std::to_string(i % 50) + ";";
  b.resize(5000);
  std::uint32_t x = 12345;
  while (b.size() < 10000) {
    x = x * 1664525u + 1013904223u;
    b += static_cast<char>(x >> 24);
  }
  return b;
}

}  // namespace

TEST_CASE("a run round-trips through the project file", "[store]") {
  test::TempDir dir;
  const RunRecord in = sampleRun(1);
  std::int64_t id = 0, specId = 0;
  {
    ProjectStore store(dir / "p.rwbproj");
    CHECK(store.schemaVersion() == kStoreSchemaVersion);
    specId = store.putSpec({{"version", 1}, {"models", {{{"name", "most_popular"}}}}});
    CHECK(store.putSpec({{"version", 1}, {"models", {{{"name", "most_popular"}}}}}) == specId);
    id = store.saveRun(in, "exp-a", specId, {{"users", 943}});
  }
  ProjectStore store(dir / "p.rwbproj");  // reopened: everything came from the file
  const StoredRun out = store.loadRun(id, true);
  const RunRecord& r = out.record;
  CHECK(out.experiment == "exp-a");
  CHECK(out.specId == specId);
  CHECK(store.loadSpec(specId)["models"][0]["name"] == "most_popular");
  CHECK(r.name == in.name);
  CHECK(r.model == in.model);
  CHECK(r.status == RunStatus::kOk);
  CHECK(r.datasetFingerprint == in.datasetFingerprint);
  CHECK(r.datasetSource == in.datasetSource);
  CHECK(r.splitHash == in.splitHash);
  CHECK(r.codeVersion == in.codeVersion);
  CHECK(r.params == in.params);
  CHECK(r.seed == in.seed);
  CHECK(r.threads == 2);
  CHECK(r.k == 10);
  CHECK(r.fitSeconds == in.fitSeconds);
  CHECK(r.recommendSeconds == in.recommendSeconds);
  CHECK(r.evaluateSeconds == in.evaluateSeconds);
  CHECK(r.peakRssBytes == in.peakRssBytes);
  CHECK(r.modelBytes == in.modelBytes);
  CHECK(r.metrics == in.metrics);
  CHECK(r.metricsAtK == in.metricsAtK);  // the GUI's metric@k curves survive a reopen
  CHECK(r.evaluatedUsers == in.evaluatedUsers);
  CHECK(r.perUser == in.perUser);
  CHECK(r.learningCurve == in.learningCurve);
  CHECK(r.modelBlob == in.modelBlob);
  REQUIRE(r.search.has_value());
  CHECK(r.search->trials.size() == 2);
  CHECK(std::isnan(r.search->trials[1].score));
  CHECK(r.search->trials[1].error == "boom");
  CHECK(r.search->best == in.search->best);
  const auto ds = store.findDataset(in.datasetFingerprint);
  REQUIRE(ds.has_value());
  CHECK(ds->summary["users"] == 943);
  CHECK(store.loadRun(id, false).record.modelBlob.empty());
  CHECK_THROWS_AS(store.loadRun(id + 100), StoreError);
}

TEST_CASE("listing and deleting runs", "[store]") {
  test::TempDir dir;
  ProjectStore store(dir / "p.rwbproj");
  const auto a = store.saveRun(sampleRun(1));
  RunRecord cancelled = sampleRun(2);
  cancelled.status = RunStatus::kCancelled;
  cancelled.metrics.clear();
  cancelled.perUser.clear();
  cancelled.modelBlob.clear();
  const auto b = store.saveRun(cancelled);
  const auto list = store.listRuns();
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == b);  // newest first
  CHECK(list[0].status == RunStatus::kCancelled);
  CHECK(list[1].metrics.at("ndcg@10") == Approx(0.251));
  CHECK(store.deleteRun(a));
  CHECK_FALSE(store.deleteRun(a));
  CHECK(store.countRuns() == 1);
  CHECK_THROWS_AS(store.loadRun(a), StoreError);
  // Nothing of the deleted run is left behind.
  sqlExec(dir / "p.rwbproj",
          ("CREATE TABLE leftover AS SELECT (SELECT count(*) FROM metrics WHERE run_id=" +
           std::to_string(a) +
           ") + (SELECT count(*) FROM user_metrics WHERE run_id=" + std::to_string(a) +
           ") + (SELECT count(*) FROM models WHERE run_id=" + std::to_string(a) +
           ") + (SELECT count(*) FROM learning_curves WHERE run_id=" + std::to_string(a) + ") AS n")
              .c_str());
  sqlite3* db = nullptr;
  sqlite3_open((dir / "p.rwbproj").string().c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT n FROM leftover", -1, &s, nullptr);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  CHECK(sqlite3_column_int(s, 0) == 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_CASE("a run is written completely or not at all", "[store]") {
  test::TempDir dir;
  ProjectStore store(dir / "p.rwbproj");
  RunRecord bad = sampleRun(1);
  bad.perUser["ndcg@10"].pop_back();  // inconsistent: detected after the run row was inserted
  CHECK_THROWS_AS(store.saveRun(bad), StoreError);
  CHECK(store.countRuns() == 0);
  CHECK_FALSE(store.findDataset(bad.datasetFingerprint).has_value());
  store.saveRun(sampleRun(2));
  CHECK(store.countRuns() == 1);
}

TEST_CASE("a file from a newer build is refused with a clear error", "[store]") {
  test::TempDir dir;
  { ProjectStore store(dir / "p.rwbproj"); }
  sqlExec(dir / "p.rwbproj", "PRAGMA user_version=99");
  try {
    ProjectStore store(dir / "p.rwbproj");
    FAIL("opened a newer file");
  } catch (const StoreError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("newer") != std::string::npos);
    CHECK(msg.find("99") != std::string::npos);
  }
}

TEST_CASE("files that are not projects are refused", "[store]") {
  test::TempDir dir;
  test::writeFile(dir / "text.rwbproj", "this is not a database, just some text\n");
  CHECK_THROWS_AS(ProjectStore(dir / "text.rwbproj"), StoreError);
  sqlExec(dir / "other.db", "CREATE TABLE t(x)");
  CHECK_THROWS_AS(ProjectStore(dir / "other.db"), StoreError);
  CHECK_THROWS_AS(ProjectStore(dir / "no" / "such" / "folder" / "p.rwbproj"), StoreError);
  // Browsing never creates a file.
  CHECK_THROWS_AS(ProjectStore(dir / "absent.rwbproj", false), StoreError);
  CHECK_FALSE(std::filesystem::exists(dir / "absent.rwbproj"));
}

TEST_CASE("a version 1 file is migrated to the current schema", "[store]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  { ProjectStore store(file); }
  // Turn the file back into schema 1 (what the first release wrote).
  sqlExec(file,
          undoTo("DROP TRIGGER runs_raise_high_water; DROP TABLE run_id_high_water; "
                 "DROP TABLE learning_curves; DROP INDEX runs_by_dataset; "
                 "ALTER TABLE runs DROP COLUMN search; ALTER TABLE models DROP COLUMN checksum; "
                 "PRAGMA user_version=1;")
              .c_str());
  ProjectStore store(file);
  CHECK(store.schemaVersion() == kStoreSchemaVersion);
  const auto id = store.saveRun(sampleRun(3));
  const auto r = store.loadRun(id).record;
  CHECK(r.learningCurve.size() == 2);
  CHECK(r.search.has_value());
}

TEST_CASE("regression: run ids are never reused after runs are deleted (issue 17)", "[store]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  std::int64_t first = 0, last = 0;
  {
    ProjectStore store(file);
    first = store.saveRun(sampleRun(1));
    last = store.saveRun(sampleRun(2));
    REQUIRE(last > first);
    REQUIRE(store.deleteRun(last));
    REQUIRE(store.deleteRun(first));
  }
  // Reopened (the high-water mark lives in the file), with every run deleted.
  ProjectStore store(file);
  CHECK(store.countRuns() == 0);
  const auto next = store.saveRun(sampleRun(3));
  CHECK(next == last + 1);
  CHECK(store.loadRun(next).record.name == "run3");
}

TEST_CASE("a version 3 file keeps its run ids and never reuses them after the migration",
          "[store]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  std::int64_t a = 0, b = 0;
  {
    ProjectStore store(file);
    a = store.saveRun(sampleRun(1));
    b = store.saveRun(sampleRun(2));
  }
  sqlExec(file, undoTo("DROP TRIGGER runs_raise_high_water; DROP TABLE run_id_high_water; "
                       "PRAGMA user_version=3;")
                    .c_str());
  {
    ProjectStore store(file);
    CHECK(store.schemaVersion() == kStoreSchemaVersion);
    CHECK(store.loadRun(a).record.name == "run1");
    REQUIRE(store.deleteRun(b));
  }
  ProjectStore store(file);
  CHECK(store.saveRun(sampleRun(3)) == b + 1);
}

TEST_CASE("identical models are stored once, compressed; deleting runs frees them last (issue 17)",
          "[store][models]") {
  test::TempDir dir;
  ProjectStore store(dir / "p.rwbproj");
  RunRecord r = sampleRun(1);
  // A compressible model (trees and similarity lists are; float factors much less).
  for (int i = 0; i < 20000; ++i) r.modelBlob += "item" + std::to_string(i % 500) + ";";
  const auto a = store.saveRun(r);
  const auto b = store.saveRun(r);
  RunRecord other = sampleRun(2);
  other.modelBlob = std::string("\x01\x02\x03 a different model", 21);
  const auto c = store.saveRun(other);
  ProjectSizes z = store.sizes();
  CHECK(z.modelsReferenced == 3);
  CHECK(z.modelsDistinct == 2);
  CHECK(z.modelRawBytes == static_cast<std::int64_t>(r.modelBlob.size() + other.modelBlob.size()));
  CHECK(z.modelStoredBytes * 4 < z.modelRawBytes);  // zlib: at least 4x smaller here
  CHECK(store.loadRun(a, true).record.modelBlob == r.modelBlob);
  CHECK(store.loadRun(b, true).record.modelBlob == r.modelBlob);
  CHECK(store.loadRun(c, true).record.modelBlob == other.modelBlob);
  const auto runs = store.listRuns();
  REQUIRE(runs.size() == 3);
  CHECK(runs[2].modelStoredBytes > 0);
  CHECK(runs[2].modelStoredBytes == runs[1].modelStoredBytes);

  REQUIRE(store.deleteRun(a));
  CHECK(store.sizes().modelsDistinct == 2);  // b still uses it
  CHECK(store.loadRun(b, true).record.modelBlob == r.modelBlob);
  REQUIRE(store.deleteRun(b));
  z = store.sizes();
  CHECK(z.modelsDistinct == 1);
  CHECK(z.modelRawBytes == static_cast<std::int64_t>(other.modelBlob.size()));
}

TEST_CASE("dropping a run's model keeps its metrics and says it was dropped (issue 17)",
          "[store][models]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  std::int64_t id = 0, kept = 0;
  {
    ProjectStore store(file);
    RunRecord r = sampleRun(1);
    r.modelBlob = std::string(1 << 20, 'x');
    id = store.saveRun(r);
    kept = store.saveRun(sampleRun(2));
    CHECK(store.dropModel(id) > 0);
    CHECK(store.dropModel(id) == 0);  // already dropped
    CHECK_THROWS_AS(store.dropModel(9999), StoreError);
    store.compact();
  }
  ProjectStore store(file);
  const StoredRun run = store.loadRun(id, true);
  CHECK(run.modelDropped);
  CHECK(run.record.modelBlob.empty());
  CHECK(run.record.metrics == sampleRun(1).metrics);
  CHECK(run.record.perUser == sampleRun(1).perUser);
  CHECK_FALSE(store.loadRun(kept, true).modelDropped);
  CHECK(store.loadRun(kept, true).record.modelBlob == sampleRun(2).modelBlob);
  const auto runs = store.listRuns();
  REQUIRE(runs.size() == 2);
  CHECK(runs[1].modelDropped);
  CHECK(runs[1].modelStoredBytes == 0);
  CHECK(store.sizes().fileBytes < (1 << 20) / 4);  // the 1 MiB model's pages were given back
}

TEST_CASE("a version 4 file's models move into the deduplicated, compressed store",
          "[store][models]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  RunRecord r = sampleRun(1);
  r.modelBlob = "small raw model";
  std::int64_t a = 0, b = 0;
  {
    ProjectStore store(file);
    a = store.saveRun(r);
    b = store.saveRun(r);
  }
  sqlExec(file, undoTo("PRAGMA user_version=4;").c_str());
  ProjectStore store(file);
  CHECK(store.schemaVersion() == kStoreSchemaVersion);
  CHECK(store.loadRun(a, true).record.modelBlob == r.modelBlob);
  CHECK(store.loadRun(b, true).record.modelBlob == r.modelBlob);
  CHECK(store.sizes().modelsDistinct == 1);
  CHECK(store.sizes().modelsReferenced == 2);
}

TEST_CASE("a damaged stored model is refused by its checksum, the run's metrics still load",
          "[store]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  std::int64_t id = 0;
  {
    ProjectStore store(file);
    RunRecord r = sampleRun(1);
    r.modelBlob = std::string(4096, 'm') + "tail";
    id = store.saveRun(r);
    CHECK(store.loadRun(id, true).record.modelBlob == r.modelBlob);
  }
  // One byte changed inside the blob, as a disk or a copy might.
  sqlExec(file, "UPDATE model_blobs SET data = substr(data, 1, 10) || X'00' || substr(data, 12)");
  ProjectStore store(file);
  try {
    store.loadRun(id, true);
    FAIL("a damaged model loaded");
  } catch (const StoreError& e) {
    const std::string what = e.what();
    CHECK(what.find("run " + std::to_string(id)) != std::string::npos);
    CHECK(what.find("checksum") != std::string::npos);
  }
  CHECK(store.loadRun(id, false).record.metrics == sampleRun(1).metrics);
}

TEST_CASE("a version 2 file gets checksums for the models it holds", "[store]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  RunRecord r = sampleRun(2);
  r.modelBlob = "model bytes of a version 2 project";
  std::int64_t id = 0;
  {
    ProjectStore store(file);
    id = store.saveRun(r);
  }
  sqlExec(file, undoTo("DROP TRIGGER runs_raise_high_water; DROP TABLE run_id_high_water; "
                       "ALTER TABLE models DROP COLUMN checksum; PRAGMA user_version=2;")
                    .c_str());
  {
    ProjectStore store(file);
    CHECK(store.schemaVersion() == kStoreSchemaVersion);
    CHECK(store.loadRun(id, true).record.modelBlob == r.modelBlob);
  }
  // Damage after the migration is caught like in a new file.
  sqlExec(file, "UPDATE model_blobs SET data = X'00' || substr(data, 2)");
  CHECK_THROWS_AS(ProjectStore(file).loadRun(id, true), StoreError);
  // A crafted uncompressed size is refused before anything of that size is allocated.
  sqlExec(file, "UPDATE model_blobs SET raw_bytes = 9000000000000000000");
  CHECK_THROWS_AS(ProjectStore(file).loadRun(id, true), StoreError);
}

TEST_CASE("a run's evaluation protocol is stored; runs of a version 5 file read as catalogue",
          "[store]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  RunRecord cold = sampleRun(4);
  cold.splitMethod = "cold_items";
  cold.candidates = "held_out";
  cold.candidateItems = 336;
  cold.candidatesMin = 330;
  cold.candidatesMax = 336;
  cold.candidatesMean = 335.5;
  cold.usersWithoutRelevantCandidate = 7;
  cold.warnings = {"7 test users have no test item among the candidates",
                   "1 of 9 evaluated users (11.1%) got top-k lists whose scores are all equal"};
  RunRecord users = sampleRun(5);
  users.splitMethod = "cold_users";
  users.newUsers = true;
  users.newUserHistory = 5;
  users.candidates = "file";
  users.candidatesFile = "in_stock.txt";
  users.candidateItems = 120;
  std::int64_t oldId = 0;
  {
    ProjectStore store(file);
    oldId = store.saveRun(sampleRun(3));
  }
  // The run above as a version 5 build wrote it: no protocol column.
  sqlExec(file, (std::string(kUndoSchema9) + kUndoSchema8 + kUndoSchema7 + kUndoSchema6 +
                 "PRAGMA user_version=5;")
                    .c_str());
  ProjectStore store(file);
  CHECK(store.schemaVersion() == kStoreSchemaVersion);
  const RunRecord old = store.loadRun(oldId).record;
  CHECK(old.candidates == "catalogue");
  CHECK(old.splitMethod.empty());
  CHECK_FALSE(old.newUsers);
  CHECK(protocolLabel(old) == "catalogue");
  CHECK(old.metrics == sampleRun(3).metrics);
  CHECK(old.warnings.empty());

  const RunRecord c = store.loadRun(store.saveRun(cold)).record;
  CHECK(c.splitMethod == "cold_items");
  CHECK(c.candidates == "held_out");
  CHECK(c.candidateItems == 336);
  CHECK(c.candidatesMin == 330);
  CHECK(c.candidatesMax == 336);
  CHECK(c.candidatesMean == 335.5);
  CHECK(c.usersWithoutRelevantCandidate == 7);
  CHECK(protocolLabel(c) == "cold items, 336 held-out candidates");
  CHECK(toJson(c)["evaluation"]["candidate_items"] == 336);
  CHECK(c.warnings == cold.warnings);
  CHECK(toJson(c)["warnings"] == nlohmann::json(cold.warnings));

  const RunRecord u = store.loadRun(store.saveRun(users)).record;
  CHECK(u.newUsers);
  CHECK(u.newUserHistory == 5);
  CHECK(u.candidatesFile == "in_stock.txt");
  CHECK(protocolLabel(u) == "cold users (first 5 events), 120 candidates from in_stock.txt");

  // Runs on one split compare only under one protocol.
  CHECK(comparisonKey(old) == old.splitHash);
  CHECK(comparisonKey(c) == c.splitHash + " / cold items, 336 held-out candidates");
  CHECK(comparisonKey(c) != comparisonKey(u));
  RunRecord fewer = cold;
  fewer.candidateItems = 300;
  CHECK(comparisonKey(c) != comparisonKey(fewer));
}

TEST_CASE("killing a writer mid-write never corrupts the file or loses committed runs",
          "[store][crash]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  { ProjectStore init(file); }
  int pipeFd[2];
  REQUIRE(pipe(pipeFd) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Child: write runs forever, reporting each committed run id to the parent.
    close(pipeFd[0]);
    try {
      ProjectStore store(file);
      for (int n = 0;; ++n) {
        RunRecord r = sampleRun(n);
        r.modelBlob.assign(64 * 1024, static_cast<char>(n));  // make each write take a while
        const std::int64_t id = store.saveRun(r);
        if (write(pipeFd[1], &id, sizeof id) != sizeof id) _exit(3);
      }
    } catch (...) {
      _exit(2);
    }
  }
  close(pipeFd[1]);
  std::int64_t lastCommitted = 0, id = 0;
  int reports = 0;
  while (reports < 40 && read(pipeFd[0], &id, sizeof id) == sizeof id) {
    lastCommitted = id;
    ++reports;
  }
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  waitpid(child, &status, 0);
  close(pipeFd[0]);
  REQUIRE(reports == 40);
  CHECK(WIFSIGNALED(status));

  ProjectStore store(file);
  CHECK(store.integrityCheck() == "ok");
  // Every reported run is there (a run committed after the last report may be too).
  CHECK(store.countRuns() >= lastCommitted);
  for (const auto& s : store.listRuns()) {
    const auto r = store.loadRun(s.id, true).record;
    CHECK(r.metrics.size() == 3);
    CHECK(r.perUser.size() == 2);
    CHECK(r.learningCurve.size() == 2);
    CHECK(r.modelBlob.size() == 64 * 1024);
  }
}

TEST_CASE("the latest spec is the newest run's, else the newest stored", "[store]") {
  test::TempDir dir;
  ProjectStore store(dir / "p.rwbproj");
  CHECK(store.latestSpecId() == 0);
  const auto s1 = store.putSpec({{"name", "first"}});
  CHECK(store.latestSpecId() == s1);
  const auto s2 = store.putSpec({{"name", "second"}});
  CHECK(store.latestSpecId() == s2);
  // A run made with the older spec makes it the one last worked with.
  store.saveRun(sampleRun(1), "exp", s1);
  CHECK(store.latestSpecId() == s1);
  // A run without a spec does not change that.
  store.saveRun(sampleRun(2));
  CHECK(store.latestSpecId() == s1);
  store.saveRun(sampleRun(3), "exp", s2);
  CHECK(store.latestSpecId() == s2);
}

TEST_CASE("save as copies every committed run to a new file", "[store]") {
  test::TempDir dir;
  ProjectStore store(dir / "p.rwbproj");
  const auto spec = store.putSpec({{"name", "x"}});
  const auto id = store.saveRun(sampleRun(1), "exp", spec);
  store.copyTo(dir / "copy.rwbproj");
  // The original stays open and writable.
  store.saveRun(sampleRun(2));
  ProjectStore copy(dir / "copy.rwbproj", false);
  CHECK(copy.integrityCheck() == "ok");
  REQUIRE(copy.countRuns() == 1);
  const StoredRun r = copy.loadRun(id, true);
  CHECK(r.record.name == "run1");
  CHECK(r.record.modelBlob == store.loadRun(id, true).record.modelBlob);
  CHECK(r.record.perUser == store.loadRun(id).record.perUser);
  CHECK(copy.latestSpecId() == spec);
  // An existing file is never overwritten.
  CHECK_THROWS_AS(store.copyTo(dir / "copy.rwbproj"), StoreError);
  CHECK(ProjectStore(dir / "copy.rwbproj", false).countRuns() == 1);
}

TEST_CASE("a model larger than one row is stored in chunks and round-trips (issue 16)",
          "[store][models][chunks]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  RunRecord r = sampleRun(1);
  r.modelBlob = mixedModelBytes();
  std::int64_t a = 0, b = 0, small = 0;
  {
    const ScopedBlobChunkBytes chunk(1024);
    ProjectStore store(file);
    a = store.saveRun(r);
    b = store.saveRun(r);                 // the same content: stored once
    small = store.saveRun(sampleRun(2));  // 14 bytes: one row as before
  }
  CHECK(countRows(file, "SELECT count(*) FROM model_blob_chunks") == 10);
  CHECK(countRows(file, "SELECT count(DISTINCT codec) FROM model_blob_chunks") == 2);
  CHECK(countRows(file, "SELECT max(raw_bytes) FROM model_blob_chunks") == 1024);
  CHECK(countRows(file, "SELECT count(*) FROM model_blobs WHERE chunks = 10") == 1);
  CHECK(countRows(file, "SELECT count(*) FROM model_blobs WHERE chunks = 0") == 1);
  // Read back with the default chunk size: the layout is in the file.
  ProjectStore store(file);
  CHECK(store.loadRun(a, true).record.modelBlob == r.modelBlob);
  CHECK(store.loadRun(b, true).record.modelBlob == r.modelBlob);
  CHECK(store.loadRun(small, true).record.modelBlob == sampleRun(2).modelBlob);
  const ProjectSizes z = store.sizes();
  CHECK(z.modelsDistinct == 2);
  CHECK(z.modelRawBytes == static_cast<std::int64_t>(r.modelBlob.size() + 14));
  CHECK(z.modelStoredBytes > 5000);  // the random half does not compress
  CHECK(z.modelStoredBytes < z.modelRawBytes);
  const auto runs = store.listRuns();
  REQUIRE(runs.size() == 3);
  CHECK(runs[2].modelStoredBytes + runs[0].modelStoredBytes == z.modelStoredBytes);
  REQUIRE(store.deleteRun(a));
  CHECK(countRows(file, "SELECT count(*) FROM model_blob_chunks") == 10);  // b still uses it
  CHECK(store.dropModel(b) == runs[1].modelStoredBytes);
  CHECK(countRows(file, "SELECT count(*) FROM model_blob_chunks") == 0);
  CHECK(store.sizes().modelsDistinct == 1);
}

TEST_CASE(
    "a missing, truncated or altered model chunk is a located error, the metrics still load "
    "(issue 16)",
    "[store][models][chunks]") {
  test::TempDir dir;
  const auto good = dir / "good.rwbproj";
  RunRecord r = sampleRun(1);
  r.modelBlob = mixedModelBytes();
  std::int64_t id = 0;
  {
    const ScopedBlobChunkBytes chunk(1024);
    ProjectStore store(good);
    id = store.saveRun(r);
  }
  struct Case {
    const char* what;
    const char* sql;
    std::vector<std::string> expect;
  };
  // Chunks 0-4 are text (zlib), 5-9 random (raw).
  const std::vector<Case> cases{
      {"a chunk deleted",
       "DELETE FROM model_blob_chunks WHERE idx = 3",
       {"chunk 3 of 10", "missing"}},
      {"the last chunk deleted",
       "DELETE FROM model_blob_chunks WHERE idx = 9",
       {"chunk 9 of 10", "missing"}},
      {"every chunk deleted", "DELETE FROM model_blob_chunks", {"chunk 0 of 10", "missing"}},
      {"a raw chunk truncated",
       "UPDATE model_blob_chunks SET data = substr(data, 1, 100) WHERE idx = 7",
       {"chunk 7 of 10", "truncated"}},
      {"a compressed chunk truncated",
       "UPDATE model_blob_chunks SET data = substr(data, 1, 20) WHERE idx = 1",
       {"chunk 1 of 10", "cannot be decompressed"}},
      {"a chunk renumbered",
       "UPDATE model_blob_chunks SET idx = 12 WHERE idx = 4",
       {"chunk 4 of 10", "missing"}},
      {"a compressed chunk claiming far more than its bytes can hold (a crafted file)",
       "UPDATE model_blob_chunks SET raw_bytes = 9000000000000000000 WHERE idx = 2; "
       "UPDATE model_blobs SET raw_bytes = 9000000000000000000",
       {"chunk 2 of 10", "a size its stored bytes cannot hold"}},
      {"a raw chunk whose size disagrees with its bytes",
       "UPDATE model_blob_chunks SET raw_bytes = raw_bytes + 1 WHERE idx = 6",
       {"chunk 6 of 10", "truncated or records a size"}},
      {"a byte changed in a raw chunk",
       "UPDATE model_blob_chunks SET data = x'00' || substr(data, 2) WHERE idx = 8 AND "
       "substr(data, 1, 1) != x'00'",
       {"checksum"}},
  };
  for (const auto& k : cases) {
    DYNAMIC_SECTION(k.what) {
      const auto file = dir / "damaged.rwbproj";
      std::filesystem::remove(file);
      std::filesystem::copy_file(good, file);
      sqlExec(file, k.sql);
      ProjectStore store(file);
      std::string what;
      try {
        store.loadRun(id, true);
      } catch (const StoreError& e) {
        what = e.what();
      }
      INFO(k.what << ": " << what);
      REQUIRE_FALSE(what.empty());
      CHECK(what.find("run " + std::to_string(id)) != std::string::npos);
      for (const auto& e : k.expect) CHECK(what.find(e) != std::string::npos);
      CHECK(store.loadRun(id, false).record.metrics == sampleRun(1).metrics);
    }
  }
}

TEST_CASE("a version 7 file (models in one row) migrates and keeps its models (issue 16)",
          "[store][models][chunks]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  RunRecord r = sampleRun(1);
  r.modelBlob = mixedModelBytes();
  std::int64_t id = 0;
  {
    ProjectStore store(file);
    id = store.saveRun(r);
  }
  // The file as a schema 7 build wrote it.
  sqlExec(file, (std::string(kUndoSchema9) + kUndoSchema8 + "PRAGMA user_version=7;").c_str());
  {
    ProjectStore store(file);
    CHECK(store.schemaVersion() == kStoreSchemaVersion);
    CHECK(store.loadRun(id, true).record.modelBlob == r.modelBlob);
    CHECK(countRows(file, "SELECT chunks FROM model_blobs") == 0);
    // A large model saved after the migration is chunked; the old one still loads.
    const ScopedBlobChunkBytes chunk(4096);
    RunRecord big = sampleRun(2);
    big.modelBlob = mixedModelBytes() + "another";
    const auto bigId = store.saveRun(big);
    CHECK(store.loadRun(bigId, true).record.modelBlob == big.modelBlob);
    CHECK(store.loadRun(id, true).record.modelBlob == r.modelBlob);
    CHECK(countRows(file, "SELECT count(*) FROM model_blob_chunks") == 3);
  }
}

TEST_CASE("a model over SQLite's 1e9-byte value limit round-trips with the default chunk size",
          "[.slow][store][chunks]") {
  // Hidden: 1.1 GB of model bytes (about 4 GB of memory at the peak, a minute of zlib). Before
  // chunking, saveRun failed with "string or blob too big" when the compressed model exceeded
  // 1e9 bytes; this model barely compresses, so it is stored in five chunks.
  test::TempDir dir;
  const auto file = dir / "big.rwbproj";
  RunRecord r = sampleRun(1);
  r.modelBlob.resize(1'100'000'000);
  std::uint64_t x = 88172645463325252ull;
  for (std::size_t i = 0; i + 8 <= r.modelBlob.size(); i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(r.modelBlob.data() + i, &x, 8);
  }
  std::int64_t id = 0;
  {
    ProjectStore store(file);
    id = store.saveRun(r);
  }
  CHECK(countRows(file, "SELECT chunks FROM model_blobs") == 5);
  CHECK(countRows(file, "SELECT max(length(data)) FROM model_blob_chunks") <=
        static_cast<std::int64_t>(kDefaultBlobChunkBytes) + (1 << 20));
  ProjectStore store(file);
  CHECK(store.loadRun(id, true).record.modelBlob == r.modelBlob);
}

TEST_CASE("a run's fitted summary round-trips through the project file", "[store][fitted]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  RunRecord blend = sampleRun(1);
  blend.model = "blend";
  blend.fittedSummary = R"({"tuned":true,"weights":{"ease":0.1,"ials":0.8,"rp3beta":0.1}})";
  std::int64_t withId = 0, withoutId = 0;
  {
    ProjectStore store(file);
    withId = store.saveRun(blend);
    withoutId = store.saveRun(sampleRun(2));
  }
  ProjectStore store(file);
  const RunRecord with = store.loadRun(withId).record;
  CHECK(with.fittedSummary == blend.fittedSummary);
  const nlohmann::json j = toJson(with);
  REQUIRE(j.contains("fitted"));
  CHECK(j["fitted"]["weights"]["ials"] == Approx(0.8));
  CHECK(j["fitted"]["tuned"] == true);
  const RunRecord without = store.loadRun(withoutId).record;
  CHECK(without.fittedSummary.empty());
  CHECK_FALSE(toJson(without).contains("fitted"));
  // A damaged summary is reported like any other damaged stored JSON, not shown as blank.
  sqlExec(
      file,
      ("UPDATE runs SET fitted = '{\"weights\": ' WHERE id = " + std::to_string(withId)).c_str());
  CHECK_THROWS_AS(store.loadRun(withId), StoreError);
}

TEST_CASE("a version 8 file migrates and its runs show no fitted summary", "[store][fitted]") {
  test::TempDir dir;
  const auto file = dir / "p.rwbproj";
  std::int64_t oldId = 0;
  {
    ProjectStore store(file);
    oldId = store.saveRun(sampleRun(3));
  }
  // The run above as a schema 8 build wrote it: no fitted column.
  sqlExec(file, (std::string(kUndoSchema9) + "PRAGMA user_version=8;").c_str());
  CHECK(countRows(file, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'fitted'") ==
        0);
  ProjectStore store(file);
  CHECK(store.schemaVersion() == kStoreSchemaVersion);
  CHECK(countRows(file, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'fitted'") ==
        1);
  const RunRecord old = store.loadRun(oldId, true).record;
  CHECK(old.fittedSummary.empty());
  CHECK_FALSE(toJson(old).contains("fitted"));
  CHECK(old.metrics == sampleRun(3).metrics);
  CHECK(old.modelBlob == sampleRun(3).modelBlob);
  // Runs saved after the migration keep their summary.
  RunRecord fresh = sampleRun(4);
  fresh.fittedSummary = R"({"kernel":{"age":0.5},"kernel_kind":{"age":"h"},"tuned":false})";
  CHECK(store.loadRun(store.saveRun(fresh)).record.fittedSummary == fresh.fittedSummary);
}
