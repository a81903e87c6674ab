#pragma once
// Helpers shared by the tests: locating the reference data and temporary folders.

#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <string>

namespace rwb::test {

/// ../shared/data beside the source tree (or $RWB_SHARED_DATA), if it exists.
std::optional<std::filesystem::path> sharedDataDir();

/// The project's source root.
std::filesystem::path sourceDir();

/// A fresh, empty temporary directory removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Writes text to a file (binary mode, exactly these bytes).
void writeFile(const std::filesystem::path& path, const std::string& text);

}  // namespace rwb::test

/// Declares `dir` as the shared data path, or warns "skipped: reference data absent" and returns
/// from the test case when ../shared/data is missing.
#define RWB_REQUIRE_SHARED_DATA(dir)                                    \
  const auto dir##_opt = ::rwb::test::sharedDataDir();                  \
  if (!dir##_opt) {                                                     \
    WARN("skipped: reference data absent (../shared/data not found)"); \
    return;                                                             \
  }                                                                     \
  const std::filesystem::path dir = *dir##_opt
