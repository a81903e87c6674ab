#pragma once
/// \file
/// Memory estimates: what the system can give, and how a size in bytes is written in messages.
/// Operations whose memory grows with their options (EASE's dense matrices, the generator)
/// estimate first and refuse with both numbers instead of allocating until the machine fails.

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

}  // namespace rwb
