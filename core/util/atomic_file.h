#pragma once
/// \file
/// AtomicFile: the one way core and the CLI replace a file. Content is written to a temporary
/// sibling of the destination, and commit() moves it into place, so readers see either the
/// previous file or the complete new one, never a partial file, and a failure (full disk,
/// cancel, crash) leaves the previous file intact.
///
/// Temporary names are recognisable per destination: `.<name>.tmp-<pid>-<random>` in the
/// destination's folder (SQLite side files `-journal`, `-wal`, `-shm` may follow). A process
/// killed outright (SIGKILL, power loss) cannot remove its temporary file; the next AtomicFile
/// for the same destination removes such stale files (see removeStaleTemporaries).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace rwb {

/// A pending replacement of one file. A symbolic link destination stays a link (its target
/// is replaced); a destination that is a device or FIFO (e.g. /dev/full) is written directly.
///
/// Thread safety: one object per writer; several writers (threads or processes) may target
/// the same destination at once, each with its own temporary file; the last commit wins.
class AtomicFile {
 public:
  /// Prepares the replacement of `destination`: checks that its folder exists (IoError naming
  /// the folder otherwise), removes stale temporary files of that destination, and creates an
  /// empty temporary file (IoError naming the destination and the system's reason, e.g. a
  /// read-only file system). The destination itself is not touched.
  explicit AtomicFile(std::filesystem::path destination);
  /// Removes the temporary file (and its SQLite side files) unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// The file to write (by any means: stream, SQLite, ...). Close it before commit().
  const std::filesystem::path& tempPath() const noexcept { return temp_; }
  /// The file being replaced, as given.
  const std::filesystem::path& destination() const noexcept { return dest_; }

  /// `message` (e.g. an SQLite error about the temporary file) without the temporary file's
  /// name, so that errors name only the destination: "/d/.x.tmp-1-ab: disk is full" ->
  /// "disk is full".
  std::string withoutTempName(std::string_view message) const;

  /// Flushes the temporary file to disk, renames it over the destination and flushes the
  /// folder. Throws IoError naming the destination; the previous file then stays as it was.
  void commit();

 private:
  std::filesystem::path dest_;
  std::filesystem::path target_;  ///< dest_, or the file a symbolic link dest_ points to
  std::filesystem::path temp_;
  bool committed_ = false;
  bool direct_ = false;  ///< dest_ is a device or FIFO: written in place, nothing renamed
};

/// Writes `bytes` to `destination` through an AtomicFile. Throws IoError naming the file with
/// the system's reason (e.g. "No space left on device"); the previous file stays intact.
void writeFileAtomically(const std::filesystem::path& destination, std::string_view bytes);

/// Removes the temporary files of `destination` left by writers that are gone: those whose
/// process id is no longer alive on this machine, and any older than `maxAge` (a live writer
/// touches its file as it writes; an old file under a live pid means that pid was reused).
/// Temporary files of live writers are kept. Also removes `.<name>.tmp<digits>` files of
/// earlier versions (no pid in the name) older than one hour. Returns how many files were
/// removed. Never throws.
std::size_t removeStaleTemporaries(const std::filesystem::path& destination,
                                   std::chrono::seconds maxAge = std::chrono::hours(24));

/// For a process about to end without unwinding (the CLI's watchdog once a signal's grace
/// period is over): removes the temporary files, with their SQLite side files, of every
/// AtomicFile of this process that is neither committed nor destroyed, so a forced exit leaves
/// no temporary behind. Never blocks (gives up when another thread holds the registry of live
/// temporaries) and never throws. Returns how many temporaries it removed.
std::size_t removeLiveTemporaries() noexcept;

/// The prefix every temporary file of `destination` starts with: `.<name>.tmp`.
std::string temporaryPrefix(const std::filesystem::path& destination);

}  // namespace rwb
