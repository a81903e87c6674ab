#include "core/util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <system_error>

#include "core/util/error.h"
#include "core/util/random.h"

namespace rwb {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSideFiles[] = {"-journal", "-wal", "-shm"};

std::string reason(int err) { return std::generic_category().message(err); }

void fsyncFolder(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

fs::path folderOf(const fs::path& destination) {
  const fs::path parent = destination.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

/// A random 64-bit tag for a temporary name: not reproducible on purpose (two processes started
/// in the same microsecond must not pick the same name; O_EXCL catches the rest).
std::uint64_t randomTag() {
  static std::atomic<std::uint64_t> counter{0};
  std::random_device rd;
  const std::uint64_t entropy = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return splitmix64(
      entropy ^
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      (counter.fetch_add(1) << 48));
}

bool processAlive(long pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) == 0) return true;
  return errno == EPERM;  // exists, owned by someone else
}

/// The pid of `.<name>.tmp-<pid>-<hex>[side]`, -1 for a legacy `.<name>.tmp<digits>[side]`,
/// 0 when `rest` (the part after the prefix) is not a temporary name of ours.
long pidOfTemporary(std::string_view rest) {
  for (const char* side : kSideFiles) {
    if (rest.ends_with(side)) {
      rest.remove_suffix(std::string_view(side).size());
      break;
    }
  }
  if (rest.empty()) return 0;
  if (rest.front() != '-') {
    for (char c : rest) {
      if (c < '0' || c > '9') return 0;
    }
    return -1;
  }
  rest.remove_prefix(1);
  const auto dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == rest.size()) return 0;
  long pid = 0;
  const auto r = std::from_chars(rest.data(), rest.data() + dash, pid);
  if (r.ec != std::errc() || r.ptr != rest.data() + dash) return 0;
  for (char c : rest.substr(dash + 1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return pid;
}

void removeWithSideFiles(const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
  for (const char* side : kSideFiles) fs::remove(fs::path(file.string() + side), ec);
}

/// The temporaries of this process's AtomicFiles that are neither committed nor destroyed.
struct LiveTemporaries {
  std::mutex mutex;
  std::set<fs::path> paths;
};
LiveTemporaries& liveTemporaries() {
  static LiveTemporaries live;
  return live;
}
void forgetLive(const fs::path& temp) {
  LiveTemporaries& live = liveTemporaries();
  std::lock_guard lock(live.mutex);
  live.paths.erase(temp);
}

}  // namespace

std::string temporaryPrefix(const fs::path& destination) {
  return "." + destination.filename().string() + ".tmp";
}

std::size_t removeStaleTemporaries(const fs::path& destination, std::chrono::seconds maxAge) {
  const std::string prefix = temporaryPrefix(destination);
  const long self = static_cast<long>(::getpid());
  const auto now = fs::file_time_type::clock::now();
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folderOf(destination), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const long pid = pidOfTemporary(std::string_view(name).substr(prefix.size()));
    if (pid == 0) continue;
    std::error_code timeEc;
    const auto mtime = fs::last_write_time(it->path(), timeEc);
    if (timeEc) continue;  // vanished meanwhile (its writer committed or cleaned up)
    const auto age = now - mtime;
    bool stale;
    if (pid < 0) {
      stale = age > std::chrono::hours(1);
    } else {
      stale = (pid != self && !processAlive(pid)) || age > maxAge;
    }
    if (!stale) continue;
    std::error_code rmEc;
    if (fs::remove(it->path(), rmEc)) ++removed;
  }
  return removed;
}

AtomicFile::AtomicFile(fs::path destination) : dest_(std::move(destination)) {
  const fs::path folder = folderOf(dest_);
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw IoError("cannot write '" + dest_.string() + "': no such folder '" + folder.string() +
                  "'");
  }
  if (fs::is_directory(dest_, ec)) {
    throw IoError("cannot write '" + dest_.string() + "': it is a folder");
  }
  // A symbolic link stays a link: its target is replaced. A destination that is not a regular
  // file (a device such as /dev/full, a FIFO) cannot be replaced atomically: it is written
  // directly, and nothing is renamed or removed.
  target_ = dest_;
  if (fs::is_symlink(dest_, ec)) {
    const fs::path resolved = fs::canonical(dest_, ec);
    if (!ec) target_ = resolved;
  }
  if (fs::exists(target_, ec) && !fs::is_regular_file(target_, ec)) {
    direct_ = true;
    temp_ = target_;
    return;
  }
  removeStaleTemporaries(target_);
  const std::string prefix = temporaryPrefix(target_) + "-" + std::to_string(::getpid()) + "-";
  for (int attempt = 0;; ++attempt) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(randomTag()));
    fs::path candidate = folderOf(target_) / (prefix + hex);
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      temp_ = std::move(candidate);
      LiveTemporaries& live = liveTemporaries();
      std::lock_guard lock(live.mutex);
      live.paths.insert(temp_);
      return;
    }
    const int err = errno;
    if (err != EEXIST || attempt >= 8) {
      throw IoError("cannot write '" + dest_.string() + "': " + reason(err));
    }
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_ && !direct_ && !temp_.empty()) {
    removeWithSideFiles(temp_);
    forgetLive(temp_);
  }
}

std::size_t removeLiveTemporaries() noexcept {
  LiveTemporaries& live = liveTemporaries();
  std::unique_lock lock(live.mutex, std::try_to_lock);
  if (!lock.owns_lock()) return 0;
  std::size_t removed = 0;
  for (const fs::path& temp : live.paths) {
    std::error_code ec;
    removed += fs::remove(temp, ec) ? 1 : 0;
    for (const char* side : kSideFiles) fs::remove(fs::path(temp.string() + side), ec);
  }
  live.paths.clear();
  return removed;
}

std::string AtomicFile::withoutTempName(std::string_view message) const {
  for (const std::string& name : {temp_.string(), temp_.filename().string()}) {
    if (message.starts_with(name + ": ")) return std::string(message.substr(name.size() + 2));
  }
  return std::string(message);
}

void AtomicFile::commit() {
  if (direct_) {
    committed_ = true;
    return;
  }
  // A file system may report a full disk or an I/O error only when the data is flushed.
  const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    throw IoError("cannot write '" + dest_.string() + "': " + reason(err));
  }
  ::close(fd);
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    throw IoError("cannot move the new '" + dest_.string() + "' into place: " + reason(errno));
  }
  committed_ = true;
  forgetLive(temp_);
  std::error_code ec;
  for (const char* side : kSideFiles) fs::remove(fs::path(temp_.string() + side), ec);
  fsyncFolder(folderOf(target_));
}

void writeFileAtomically(const fs::path& destination, std::string_view bytes) {
  AtomicFile file(destination);
  std::FILE* f = std::fopen(file.tempPath().c_str(), "wb");
  if (f == nullptr) throw IoError("cannot write '" + destination.string() + "': " + reason(errno));
  const bool written =
      std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
  const int err = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    throw IoError("cannot write '" + destination.string() + "': " + reason(written ? errno : err));
  }
  file.commit();
}

}  // namespace rwb
