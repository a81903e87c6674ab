#pragma once
/// \file
/// What every loader returns: the data, plus an account of every row read.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace rwb {

/// One rejected row: where and why (line and column 1-based; 0 = not applicable).
struct LoadIssue {
  std::string file;
  std::uint64_t line = 0;
  std::uint64_t column = 0;
  std::string reason;
  /// "file:line:column: reason"
  std::string toString() const;
};

/// Counts for one loaded table; rowsLoaded + rowsSkipped == rowsRead always.
struct LoadCounts {
  std::string file;
  /// An attribute table (items, users, tags) rather than interactions: its rows describe
  /// entities and are not counted as interaction rows.
  bool attributes = false;
  std::uint64_t rowsRead = 0;
  std::uint64_t rowsLoaded = 0;
  std::uint64_t rowsSkipped = 0;
};

/// Interactions loaded with a timestamp outside the plausible range of core/data/timestamps.h
/// (timestampPlausible): how many, and where the first one is. They are loaded as they are
/// (the data is not changed); models that use time refuse them.
struct TimestampWarning {
  std::uint64_t count = 0;
  std::string file;        ///< source of the first one
  std::uint64_t line = 0;  ///< its line (row number for SQLite)
  std::string user, item;  ///< its external ids
  std::int64_t value = 0;  ///< its timestamp, Unix seconds
  /// "warning: N interaction(s) have a timestamp outside 1970-01-01 .. 2099-12-31 (Unix
  /// seconds); first at file:line (user 'u', item 'i'): <describeImplausibleTimestamp> ...".
  /// Empty when count is 0.
  std::string toString() const;
};

/// The outcome of a load. In strict mode a bad row throws ParseError instead (nothing returned);
/// in lenient mode it is skipped and counted, and the first kMaxIssues are listed.
struct LoadResult {
  static constexpr std::size_t kMaxIssues = 20;
  Dataset dataset;
  std::vector<LoadCounts> tables;                        ///< one per file/table read
  std::vector<LoadIssue> issues;                         ///< first kMaxIssues rejected rows
  std::map<std::string, std::uint64_t> skippedByReason;  ///< reason -> count
  std::vector<std::string> notes;  ///< non-fatal remarks (e.g. "detected delimiter '\t'")
  /// (user, item) pairs seen again after their first occurrence. They are loaded as they are
  /// (the prep module's duplicate policy decides what to do with them).
  std::uint64_t duplicatePairs = 0;
  /// Implausible timestamps among the loaded interactions (also listed in notes as a warning).
  TimestampWarning implausibleTimestamps;

  /// The notes, then one "skipped N rows: reason" line per skip reason: what a run records of
  /// its load.
  std::vector<std::string> accountNotes() const;

  /// Rows of every table, interactions and attributes.
  std::uint64_t rowsRead() const;
  std::uint64_t rowsLoaded() const;
  std::uint64_t rowsSkipped() const;
  /// The sums over the interaction tables only, and over the attribute tables only (`file`
  /// empty). MovieLens 100K: 100,000 interaction rows; 1,682 + 943 attribute rows.
  LoadCounts interactionRows() const;
  LoadCounts attributeRows() const;

  /// Records a rejected row in lenient mode: counts it under `reason` and lists it (with
  /// `detail` appended to the reason) while fewer than kMaxIssues are listed. Does not touch
  /// the per-table counts.
  void addIssue(const std::string& file, std::uint64_t line, std::uint64_t column,
                const std::string& reason, const std::string& detail = {});
};

}  // namespace rwb
