#pragma once
/// \file
/// How large a single SQLite value the model package and the project store write. SQLite
/// refuses any string or blob over SQLITE_MAX_LENGTH (1e9 bytes by default: "string or blob too
/// big"), so a larger model is stored as several rows of at most blobChunkBytes() each and put
/// back together on load. The size is an internal parameter, not a user option: tests lower it
/// to exercise chunking with small models.

#include <cstddef>

namespace rwb {

/// The default: 256 MiB per row, a quarter of SQLite's limit (and the most a save holds in
/// SQLite's record buffer at a time).
inline constexpr std::size_t kDefaultBlobChunkBytes = std::size_t{256} << 20;

/// The largest blob row written from now on.
std::size_t blobChunkBytes() noexcept;

/// Tests only: rows of at most `bytes` from now on (0 restores the default). Process-wide; set
/// it before writing, not while another thread writes.
void setBlobChunkBytesForTesting(std::size_t bytes) noexcept;

/// Tests only: sets the chunk size for the lifetime of the object, then restores the default.
class ScopedBlobChunkBytes {
 public:
  explicit ScopedBlobChunkBytes(std::size_t bytes) noexcept { setBlobChunkBytesForTesting(bytes); }
  ~ScopedBlobChunkBytes() { setBlobChunkBytesForTesting(0); }
  ScopedBlobChunkBytes(const ScopedBlobChunkBytes&) = delete;
  ScopedBlobChunkBytes& operator=(const ScopedBlobChunkBytes&) = delete;
};

}  // namespace rwb
