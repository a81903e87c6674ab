// Fault tests (issue 17): a full disk and a read-only destination give a clear error naming the
// path, a non-zero exit, no temporary file, and leave the previous files as they were, for
// score output, package export, split output and the project file. The faults are real: a
// small tmpfs mounted over a test folder (filled up, or remounted read-only). Mounting needs
// root (CAP_SYS_ADMIN); without it each test says it was skipped.
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "cli_fixtures.h"
#include "cli_runner.h"

using namespace rwb::test;
namespace fs = std::filesystem;

namespace {

/// A 1 MiB tmpfs mounted on a folder for the life of the object (lazily unmounted after).
class SmallFs {
 public:
  explicit SmallFs(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=1m") == 0;
    if (!mounted_) why_ = std::strerror(errno);
  }
  ~SmallFs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallFs(const SmallFs&) = delete;
  SmallFs& operator=(const SmallFs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const fs::path& dir() const { return dir_; }

  /// Takes every free byte (a filler file written until the disk is full).
  void fill() {
    std::ofstream f(dir_ / "filler", std::ios::binary);
    const std::string block(4096, 'f');
    while (f.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  void unfill() { fs::remove(dir_ / "filler"); }
  /// Remounts the file system read-only; false when that is not permitted.
  bool makeReadOnly() {
    return ::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, "size=1m") == 0;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string why_;
};

#define RWB_REQUIRE_MOUNT(fsys)                                                                \
  do {                                                                                         \
    if (!(fsys).mounted()) {                                                                   \
      WARN("skipped: cannot mount a tmpfs for the fault test (needs root): " << (fsys).why()); \
      return;                                                                                  \
    }                                                                                          \
  } while (false)

std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(".") && name.find(".tmp") != std::string::npos) {
      found.push_back(name);
    }
  }
  return found;
}

/// The command failed with exit 1, naming `path` and the reason (the system's words, or
/// SQLite's for files it writes), and left no temporary file.
void requireWriteFailure(const CliResult& r, const fs::path& path, const std::string& reason,
                         const fs::path& dir) {
  RWB_REQUIRE_FAILURE(r, 1, "cannot write '" + path.string() + "'");
  INFO(r.err);
  const bool full = reason == "full";
  CHECK(((full && (r.err.find("No space left on device") != std::string::npos ||
                   r.err.find("disk is full") != std::string::npos)) ||
         (!full && (r.err.find("Read-only file system") != std::string::npos ||
                    r.err.find("readonly database") != std::string::npos))));
  CHECK(r.err.find(".tmp-") == std::string::npos);  // the destination, not the temporary name
  CHECK(temporaries(dir).empty());
}

struct Inputs {
  fs::path train;    ///< the sample data's train split
  fs::path package;  ///< most_popular over it (about 100 KiB)
};

Inputs makeInputs(const TempDir& dir) {
  Inputs in;
  in.train = splitSample(dir) / "train.tsv";
  in.package = dir / "m.rwbm";
  RWB_REQUIRE_SUCCESS(runRecwb({"export", "--data", in.train.string(), "--model", "most_popular",
                                "--out", in.package.string(), "-q"}));
  return in;
}

/// Every output of the test, written once into `folder` while there is room: each test then
/// checks these stay byte for byte.
struct Previous {
  fs::path recs, package, split, project;
  std::string recsBytes, packageBytes, trainBytes;
};

Previous writePrevious(const fs::path& folder, const TempDir& dir) {
  Previous p;
  p.recs = folder / "recs.tsv";
  p.package = folder / "m.rwbm";
  p.split = folder / "split";
  p.project = folder / "p.rwbp";
  writeFile(p.recs, "user\titem\tscore\trank\tfallback\nU1\tI1\t1\t1\tno\n");
  writeFile(p.package, "previous package bytes");
  fs::create_directories(p.split);
  writeFile(p.split / "train.tsv", "U1\tI1\t1\t1\n");
  p.recsBytes = readFile(p.recs);
  p.packageBytes = readFile(p.package);
  p.trainBytes = readFile(p.split / "train.tsv");
  return p;
}

void checkPreviousIntact(const Previous& p) {
  CHECK(readFile(p.recs) == p.recsBytes);
  CHECK(readFile(p.package) == p.packageBytes);
  CHECK(readFile(p.split / "train.tsv") == p.trainBytes);
}

/// Runs each writing command against the prepared folder and checks the failure.
void runEveryWriter(const Inputs& in, const Previous& p, const std::string& reason,
                    const fs::path& folder) {
  SECTION("score output") {
    requireWriteFailure(runRecwb({"score", "--model", in.package.string(), "-k", "100", "--out",
                                  p.recs.string(), "-q"}),
                        p.recs, reason, folder);
  }
  SECTION("score output to SQLite") {
    const auto out = folder / "recs.sqlite";
    requireWriteFailure(runRecwb({"score", "--model", in.package.string(), "-k", "100", "--out",
                                  out.string(), "-q"}),
                        out, reason, folder);
    CHECK_FALSE(fs::exists(out));
  }
  SECTION("package export") {
    requireWriteFailure(runRecwb({"export", "--data", in.train.string(), "--model", "sar", "--out",
                                  p.package.string(), "-q"}),
                        p.package, reason, folder);
  }
  SECTION("split output") {
    requireWriteFailure(runRecwb({"split", in.train.string(), "--out", p.split.string(), "-q"}),
                        p.split / "train.tsv", reason, folder);
  }
  checkPreviousIntact(p);
}

}  // namespace

TEST_CASE(
    "a full disk fails score, export and split with the path and the reason; previous "
    "files stay intact",
    "[cli][faults]") {
  TempDir dir;
  const Inputs in = makeInputs(dir);
  SmallFs disk(dir / "disk");
  RWB_REQUIRE_MOUNT(disk);
  const Previous p = writePrevious(disk.dir(), dir);
  disk.fill();
  runEveryWriter(in, p, "full", disk.dir());
}

TEST_CASE(
    "a read-only destination fails score, export and split with the path and the reason; "
    "previous files stay intact",
    "[cli][faults]") {
  TempDir dir;
  const Inputs in = makeInputs(dir);
  SmallFs disk(dir / "ro");
  RWB_REQUIRE_MOUNT(disk);
  const Previous p = writePrevious(disk.dir(), dir);
  if (!disk.makeReadOnly()) {
    WARN("skipped: cannot remount the tmpfs read-only: " << std::strerror(errno));
    return;
  }
  runEveryWriter(in, p, "read-only", disk.dir());
}

TEST_CASE(
    "a project on a full or read-only disk refuses the new run, naming the project; its "
    "recorded runs stay",
    "[cli][faults]") {
  TempDir dir;
  generateSmall(dir);
  SmallFs disk(dir / "disk");
  RWB_REQUIRE_MOUNT(disk);
  writeFile(dir / "spec.json",
            R"({"version": 1, "dataset": {"path": "gen"}, "split": {"method": "chronological",
                "ratio": 0.8}, "models": [{"name": "sar"}]})");
  const auto project = disk.dir() / "p.rwbp";
  const std::vector<std::string> run = {
      "run",   (dir / "spec.json").string(), "--project", project.string(),
      "--out", (dir / "o").string(),         "-q"};
  RWB_REQUIRE_SUCCESS(runRecwb(run, dir.path()));
  const auto listed = [&] {
    return stdoutJson(runRecwb({"runs", "list", "--project", project.string(), "--json"}));
  };
  REQUIRE(listed().size() == 1);

  disk.fill();
  const CliResult full = runRecwb(run, dir.path());
  INFO(full.describe());
  REQUIRE(full.cleanExit());
  CHECK(full.exitCode != 0);
  CHECK(full.err.find("p.rwbp") != std::string::npos);
  CHECK(full.err.find("internal error") == std::string::npos);
  disk.unfill();
  CHECK(listed().size() == 1);

  if (!disk.makeReadOnly()) {
    WARN("skipped the read-only half: cannot remount the tmpfs read-only");
    return;
  }
  const CliResult ro = runRecwb(run, dir.path());
  INFO(ro.describe());
  REQUIRE(ro.cleanExit());
  CHECK(ro.exitCode != 0);
  CHECK(ro.err.find("p.rwbp") != std::string::npos);
  CHECK(ro.err.find("internal error") == std::string::npos);
}
