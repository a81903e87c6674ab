#include "test_support.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

namespace rwb::test {

std::filesystem::path sourceDir() { return std::filesystem::path(RWB_SOURCE_DIR); }

std::optional<std::filesystem::path> sharedDataDir() {
  if (const char* env = std::getenv("RWB_SHARED_DATA"); env != nullptr && *env != '\0') {
    if (std::filesystem::is_directory(env)) return std::filesystem::path(env);
    return std::nullopt;
  }
  auto p = sourceDir().parent_path() / "shared" / "data";
  if (std::filesystem::is_directory(p / "ml-100k")) return p;
  return std::nullopt;
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("rwb-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::optional<std::string> testPostgresUri() {
  const char* env = std::getenv("RWB_TEST_PG_URI");
  if (env == nullptr || *env == '\0') return std::nullopt;
  return std::string(env);
}

std::optional<std::string> testOdbcSource() {
  const char* env = std::getenv("RWB_TEST_ODBC");
  if (env == nullptr || *env == '\0') return std::nullopt;
  return std::string(env);
}

std::string uniqueName(const std::string& prefix) {
  std::random_device rd;
  return prefix + "_" + std::to_string(rd()) + "_" + std::to_string(rd() % 100000);
}

}  // namespace rwb::test
