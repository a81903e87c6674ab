#include "core/data/load_result.h"

#include "core/data/text_parse.h"
#include "core/data/timestamps.h"

namespace rwb {

std::string LoadIssue::toString() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (column > 0) s += ':' + std::to_string(column);
  }
  return s + ": " + reason;
}

std::string TimestampWarning::toString() const {
  if (count == 0) return {};
  std::string where = file.empty() ? std::string("<input>") : file;
  if (line > 0) where += ':' + std::to_string(line);
  return "warning: " + std::to_string(count) +
         " interaction(s) have a timestamp outside 1970-01-01 .. 2099-12-31 (Unix seconds); "
         "first at " +
         where + " (user " + quoteForMessage(user) + ", item " + quoteForMessage(item) +
         "): " + describeImplausibleTimestamp(value) +
         ". They are loaded as they are; models that use time refuse them";
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

namespace {
LoadCounts sumOf(const std::vector<LoadCounts>& tables, bool attributes) {
  LoadCounts sum;
  sum.attributes = attributes;
  for (const auto& t : tables) {
    if (t.attributes != attributes) continue;
    sum.rowsRead += t.rowsRead;
    sum.rowsLoaded += t.rowsLoaded;
    sum.rowsSkipped += t.rowsSkipped;
  }
  return sum;
}
}  // namespace

LoadCounts LoadResult::interactionRows() const { return sumOf(tables, false); }
LoadCounts LoadResult::attributeRows() const { return sumOf(tables, true); }

void LoadResult::addIssue(const std::string& file, std::uint64_t line, std::uint64_t column,
                          const std::string& reason, const std::string& detail) {
  ++skippedByReason[reason];
  if (issues.size() < kMaxIssues) {
    issues.push_back({file, line, column, detail.empty() ? reason : reason + ": " + detail});
  }
}

std::vector<std::string> LoadResult::accountNotes() const {
  std::vector<std::string> out = notes;
  for (const auto& [reason, count] : skippedByReason) {
    out.push_back("skipped " + std::to_string(count) + " rows: " + reason);
  }
  return out;
}

}  // namespace rwb
