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

/// The throwaway test server that scripts/test.sh starts: its libpq URI ($RWB_TEST_PG_URI) and
/// its ODBC source ($RWB_TEST_ODBC), or nothing when the variable is unset.
std::optional<std::string> testPostgresUri();
std::optional<std::string> testOdbcSource();

/// A name no other test (or concurrent test process) uses, e.g. for a table: prefix + random.
std::string uniqueName(const std::string& prefix);

}  // namespace rwb::test

/// Declares `dir` as the shared data path, or warns "skipped: reference data absent" and returns
/// from the test case when ../shared/data is missing.
#define RWB_REQUIRE_SHARED_DATA(dir)                                   \
  const auto dir##_opt = ::rwb::test::sharedDataDir();                 \
  if (!dir##_opt) {                                                    \
    WARN("skipped: reference data absent (../shared/data not found)"); \
    return;                                                            \
  }                                                                    \
  const std::filesystem::path dir = *dir##_opt

/// Declares `uri` (libpq URI) and `odbc` (ODBC source) of the test server, or warns "skipped: no
/// test database" and returns from the test case when scripts/test.sh did not start one. Test
/// cases using it are tagged [database] and run as their own CTest entry, reported as skipped.
#define RWB_REQUIRE_TEST_DATABASE(uri, odbc)                                                 \
  const auto uri##_opt = ::rwb::test::testPostgresUri();                                     \
  const auto odbc##_opt = ::rwb::test::testOdbcSource();                                     \
  if (!uri##_opt || !odbc##_opt) {                                                           \
    WARN(                                                                                    \
        "skipped: no test database (RWB_TEST_PG_URI / RWB_TEST_ODBC unset; scripts/test.sh " \
        "starts one)");                                                                      \
    return;                                                                                  \
  }                                                                                          \
  const std::string uri = *uri##_opt;                                                        \
  const std::string odbc = *odbc##_opt
