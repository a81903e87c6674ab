#include "core/util/atomic_file.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>

#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::size_t countEntries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
}

/// A process id that is certainly not alive: a child that has exited and been reaped.
long deadPid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return static_cast<long>(pid);
}

}  // namespace

TEST_CASE("AtomicFile replaces a file only on commit and leaves nothing else", "[util][atomic]") {
  test::TempDir dir;
  const auto dest = dir / "out.tsv";
  test::writeFile(dest, "old");
  {
    AtomicFile f(dest);
    CHECK(f.tempPath().parent_path() == dest.parent_path());
    const std::string name = f.tempPath().filename().string();
    CHECK(name.starts_with(".out.tsv.tmp-" + std::to_string(getpid()) + "-"));
    test::writeFile(f.tempPath(), "half");
    // Not committed: the previous file stays, the temporary file goes.
  }
  CHECK(slurp(dest) == "old");
  CHECK(countEntries(dir.path()) == 1);

  writeFileAtomically(dest, "new");
  CHECK(slurp(dest) == "new");
  CHECK(countEntries(dir.path()) == 1);
}

TEST_CASE("removeLiveTemporaries removes what a forced exit would leave, and only that",
          "[util][atomic]") {
  test::TempDir dir;
  const auto dest = dir / "recs.sqlite";
  writeFileAtomically(dir / "kept.tsv", "kept");
  auto pending = std::make_unique<AtomicFile>(dest);
  test::writeFile(pending->tempPath(), "half");
  test::writeFile(fs::path(pending->tempPath().string() + "-journal"), "journal");
  {
    AtomicFile committed(dir / "done.tsv");
    test::writeFile(committed.tempPath(), "done");
    committed.commit();
  }
  CHECK(countEntries(dir.path()) == 4);
  CHECK(removeLiveTemporaries() == 1);
  // Only the committed files are left; nothing is registered any more.
  CHECK(countEntries(dir.path()) == 2);
  CHECK(slurp(dir / "done.tsv") == "done");
  CHECK(removeLiveTemporaries() == 0);
  pending.reset();  // the owner's own cleanup finds nothing left and does not fail
  CHECK(countEntries(dir.path()) == 2);
}

TEST_CASE("AtomicFile names the destination when its folder is missing or read-only",
          "[util][atomic]") {
  test::TempDir dir;
  try {
    writeFileAtomically(dir / "missing" / "x.tsv", "a");
    FAIL("no error");
  } catch (const IoError& e) {
    CHECK(std::string(e.what()).find("x.tsv") != std::string::npos);
    CHECK(std::string(e.what()).find("no such folder") != std::string::npos);
  }
  CHECK_THROWS_AS(writeFileAtomically(dir.path(), "a"), IoError);  // a folder
}

TEST_CASE("stale temporary files of dead writers are removed, live writers' are kept",
          "[util][atomic]") {
  test::TempDir dir;
  const auto dest = dir / "recs.sqlite";
  const std::string dead = std::to_string(deadPid());
  const std::string self = std::to_string(getpid());
  const auto staleFile = dir / (".recs.sqlite.tmp-" + dead + "-0123456789abcdef");
  const auto staleJournal = dir / (".recs.sqlite.tmp-" + dead + "-0123456789abcdef-journal");
  const auto liveFile = dir / (".recs.sqlite.tmp-" + self + "-00000000000000ff");
  const auto otherDest = dir / (".recs.sqlite2.tmp-" + dead + "-0123456789abcdef");
  const auto notOurs = dir / ".recs.sqlite.tmp-notes.txt";
  const auto legacyNew = dir / ".recs.sqlite.tmp123456";
  const auto legacyOld = dir / ".recs.sqlite.tmp654321";
  for (const auto& p :
       {staleFile, staleJournal, liveFile, otherDest, notOurs, legacyNew, legacyOld})
    test::writeFile(p, "x");
  fs::last_write_time(legacyOld, fs::file_time_type::clock::now() - std::chrono::hours(2));

  writeFileAtomically(dest, "data");
  CHECK_FALSE(fs::exists(staleFile));
  CHECK_FALSE(fs::exists(staleJournal));
  CHECK_FALSE(fs::exists(legacyOld));
  CHECK(fs::exists(liveFile));
  CHECK(fs::exists(otherDest));
  CHECK(fs::exists(notOurs));
  CHECK(fs::exists(legacyNew));

  // A live pid's file older than the age limit is stale too (that pid was reused).
  fs::last_write_time(liveFile, fs::file_time_type::clock::now() - std::chrono::hours(25));
  CHECK(removeStaleTemporaries(dest) == 1);
  CHECK_FALSE(fs::exists(liveFile));
}
