#pragma once
/// \file
/// Memory estimates: what the system can give, and how a size in bytes is written in messages.
/// Operations whose memory grows with their options (EASE's dense matrices, the generator)
/// estimate first and refuse with both numbers instead of allocating until the machine fails.

#include <cstddef>
#include <cstdint>
#include <string>

namespace rwb {

/// Bytes of memory the system reports as available (MemAvailable of /proc/meminfo), or 0 when
/// it cannot be read.
std::uint64_t availableMemoryBytes();

/// A size for messages: "512 B", "3.2 MiB", "15.70 GiB" (binary units).
std::string formatBytes(std::uint64_t bytes);

/// Parses a size as typed on a command line: a number with an optional unit K, M, G, T (binary,
/// with or without "iB"/"B"), e.g. "8G", "512MiB", "1000000". Throws SpecError(path, ...) when
/// it is not a size.
std::uint64_t parseByteSize(const std::string& text, const std::string& path);

/// Asks the kernel to back the whole 2 MiB pages inside [p, p + bytes) with transparent huge
/// pages (Linux madvise(MADV_HUGEPAGE); nothing elsewhere, for ranges under 4 MiB, or when the
/// kernel declines). For large buffers about to be filled once, such as a loader's columns:
/// about 500 times fewer page faults. Contents are unchanged; resident size grows by at most
/// the partly used huge pages at the ends.
void adviseHugePages(const void* p, std::size_t bytes) noexcept;

}  // namespace rwb
