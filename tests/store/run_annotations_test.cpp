#include "core/store/run_annotations.h"

#include <catch2/catch.hpp>

#include "core/store/project_store.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

RunRecord run(const std::string& name, const std::string& fingerprint, const std::string& split,
              RunStatus status = RunStatus::kOk) {
  RunRecord r;
  r.name = name;
  r.model = "most_popular";
  r.status = status;
  r.datasetFingerprint = fingerprint;
  r.datasetSource = "/data/" + fingerprint + ".tsv";
  r.splitHash = split;
  r.metrics = {{"ndcg@10", 0.25}};
  return r;
}

}  // namespace

TEST_CASE("tags, notes, archive and rename are kept in the project file", "[store]") {
  test::TempDir dir;
  std::int64_t a = 0, b = 0;
  {
    ProjectStore store(dir / "p.rwbproj");
    a = store.saveRun(run("first", "fp1", "s1"));
    b = store.saveRun(run("second", "fp1", "s1"));
    RunAnnotations notes(store);
    notes.rename(a, "baseline");
    notes.addTag(a, "baseline");
    notes.addTag(a, "keep");
    notes.addTag(a, "keep");  // idempotent
    notes.setNote(a, "popularity, no tuning");
    notes.setArchived(b, true);
    CHECK_THROWS_AS(notes.addTag(a, "a,b"), StoreError);
    CHECK_THROWS_AS(notes.addTag(a, ""), StoreError);
    CHECK_THROWS_AS(notes.rename(a, ""), StoreError);
    CHECK_THROWS_AS(notes.setNote(b + 100, "x"), StoreError);
  }
  ProjectStore store(dir / "p.rwbproj");  // reopened: all of it came from the file
  RunAnnotations notes(store);
  CHECK(store.loadRun(a).record.name == "baseline");
  const RunLabels la = notes.labels(a);
  CHECK(la.tags == std::set<std::string>{"baseline", "keep"});
  CHECK(la.note == "popularity, no tuning");
  CHECK_FALSE(la.archived);
  CHECK(notes.labels(b).archived);
  CHECK(notes.labels(b).tags.empty());
  CHECK(notes.removeTag(a, "keep"));
  CHECK_FALSE(notes.removeTag(a, "keep"));
  CHECK(notes.labels(a).tags == std::set<std::string>{"baseline"});
  notes.setArchived(b, false);
  CHECK_FALSE(notes.labels(b).archived);

  // Deleting a run deletes its tags and note (the store's own delete).
  REQUIRE(store.deleteRun(a));
  CHECK(notes.allLabels().count(a) == 0);
  CHECK_THROWS_AS(notes.labels(a), StoreError);
}

TEST_CASE("the champion of each dataset and split persists with its history", "[store]") {
  test::TempDir dir;
  ProjectStore store(dir / "p.rwbproj");
  const auto a = store.saveRun(run("a", "fp1", "s1"));
  const auto b = store.saveRun(run("b", "fp1", "s1"));
  const auto c = store.saveRun(run("c", "fp1", "s2"));
  const auto failed = store.saveRun(run("f", "fp1", "s1", RunStatus::kFailed));
  {
    RunAnnotations notes(store);
    CHECK_FALSE(notes.champion("fp1", "s1").has_value());
    const ChampionEntry e = notes.setChampion(a);
    CHECK(e.runId == a);
    CHECK(e.datasetFingerprint == "fp1");
    CHECK(e.splitHash == "s1");
    CHECK(e.since.size() == 19);
    notes.setChampion(c);
    notes.setChampion(b);
    CHECK_THROWS_AS(notes.setChampion(failed), StoreError);
  }
  RunAnnotations notes(store);
  CHECK(notes.champion("fp1", "s1") == b);
  CHECK(notes.champion("fp1", "s2") == c);
  CHECK(notes.champions().size() == 2);
  const auto history = notes.championHistory();
  REQUIRE(history.size() == 3);
  CHECK(history[0].runId == a);
  CHECK(history[0].runName == "a");
  CHECK(history[1].runId == c);
  CHECK(history[2].runId == b);
  // The champion deleted: no champion for its split, the history stays.
  REQUIRE(store.deleteRun(b));
  CHECK_FALSE(notes.champion("fp1", "s1").has_value());
  CHECK(notes.championHistory().size() == 3);
  CHECK(notes.championHistory()[2].runDeleted);
  CHECK_FALSE(notes.championHistory()[0].runDeleted);
  // A later run given the deleted run's id (SQLite reuses the largest rowid) is not champion.
  const auto next = store.saveRun(run("next", "fp1", "s1"));
  INFO("new run id " << next << ", deleted " << b);
  CHECK_FALSE(notes.champion("fp1", "s1").has_value());
}
