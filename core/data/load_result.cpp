#include "core/data/load_result.h"

namespace rwb {

std::string LoadIssue::toString() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (column > 0) s += ':' + std::to_string(column);
  }
  return s + ": " + reason;
}

std::uint64_t LoadResult::rowsRead() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.rowsRead;
  return n;
}
std::uint64_t LoadResult::rowsLoaded() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.rowsLoaded;
  return n;
}
std::uint64_t LoadResult::rowsSkipped() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.rowsSkipped;
  return n;
}

void LoadResult::addIssue(const std::string& file, std::uint64_t line, std::uint64_t column,
                          const std::string& reason, const std::string& detail) {
  ++skippedByReason[reason];
  if (issues.size() < kMaxIssues) {
    issues.push_back({file, line, column, detail.empty() ? reason : reason + ": " + detail});
  }
}

}  // namespace rwb
