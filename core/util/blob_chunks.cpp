#include "core/util/blob_chunks.h"

#include <atomic>

namespace rwb {

namespace {
std::atomic<std::size_t> gChunkBytes{kDefaultBlobChunkBytes};
}

std::size_t blobChunkBytes() noexcept { return gChunkBytes.load(std::memory_order_relaxed); }

void setBlobChunkBytesForTesting(std::size_t bytes) noexcept {
  gChunkBytes.store(bytes == 0 ? kDefaultBlobChunkBytes : bytes, std::memory_order_relaxed);
}

}  // namespace rwb
