#pragma once
// Shared by the fuzz targets: a private temporary folder for the files a target writes (the
// loaders read files, not buffers), and the rule every target checks: bad input may throw
// rwb::Error (a located message), nothing else. Any other exception escapes
// LLVMFuzzerTestOneInput and libFuzzer (or the replay driver) reports it as a crash.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace rwb::fuzz {

/// One folder per process, made on first use and removed at exit.
inline const std::filesystem::path& scratchDir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "rwb-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratchDir(), ec);
    });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

/// Writes exactly these bytes to `path` (truncating it).
inline void writeBytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();
}

/// Splits `text` at every occurrence of `separator` (a separator-free text is one part).
inline std::vector<std::string_view> splitParts(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + separator.size());
  }
  parts.push_back(text);
  return parts;
}

/// Aborts (a crash for libFuzzer) when an invariant the code promises does not hold.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace rwb::fuzz
