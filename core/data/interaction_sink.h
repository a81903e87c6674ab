#pragma once
/// \file
/// Internal to core/data: turns rows of text fields into interactions, applying the column
/// mapping and the strict / lenient policy. Shared by the delimited and SQLite loaders.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/delimited_loader.h"
#include "core/data/load_result.h"

namespace rwb {

/// Resolved 0-based field positions (-1 = absent).
struct ColumnPlan {
  int user = -1, item = -1, value = -1, timestamp = -1, event = -1;
  std::size_t expectedFields = 0;  ///< every row must have exactly this many fields
};

/// Normalises a column name for matching: ASCII lower case without '_', '-', ' ' and '.'.
std::string normalizeColumnName(std::string_view name);

/// True if one of the fields equals a well-known interaction column name or a name given in
/// options (used to detect a header row).
bool looksLikeInteractionHeader(std::span<const std::string_view> fields,
                                const DelimitedOptions& options);

/// Refuses text that would be misread as a whole rather than row by row: a UTF-16 or UTF-32
/// byte order mark (every field would hold NUL bytes), or lines that end with a lone CR (classic
/// Mac OS: every row would merge into the first). `sample` is the start of the file. Throws
/// ParseError(path, 1, 0, ...) saying how to convert the file.
void refuseUnsupportedText(std::string_view sample, const std::string& path);

/// Refuses a header in which two columns have the same name (after trimming; empty names are
/// not compared): throws ParseError(where, line, second column, ...) naming both 1-based column
/// numbers. A duplicate name would otherwise be resolved silently to one of the two columns.
void refuseDuplicateColumns(const std::vector<std::string>& names, const std::string& where,
                            std::uint64_t line);

/// Resolves the column mapping. `names` is the header (empty when there is none); `fieldCount`
/// the number of fields per row. Throws ParseError(where, line, 0, ...) when a requested
/// column does not exist or the user or item column cannot be found, and ParseError(where,
/// line, column, ...) when two header names are equal (refuseDuplicateColumns) or when a role
/// looked up by normalised name matches two columns (e.g. "userId" and "user_id").
ColumnPlan resolveColumns(const std::vector<std::string>& names, std::size_t fieldCount,
                          const DelimitedOptions& options, const std::string& where,
                          std::uint64_t line);

/// Appends rows to a dataset, rejecting bad ones (throw in strict mode, count otherwise).
class InteractionSink {
 public:
  InteractionSink(LoadResult& result, LoadCounts& counts, const ColumnPlan& plan,
                  const DelimitedOptions& options, std::string where);

  /// One data row. `line` is used in messages (line number or row number). Returns true when
  /// the row is loaded or rejected as usual. With `retryable`, a bad row is neither counted nor
  /// thrown: row() returns false and the caller decides (the delimited loader re-reads a record
  /// that spans lines as a stray quote, see CsvReader::splitAtStrayQuote).
  bool row(std::span<const std::string_view> fields, std::uint64_t line, bool retryable = false);

  /// The fast path of the delimited loader: loads the complete lines at the start of `lines`
  /// (text ending with '\n', line `firstLine` first) for as long as each is a record that
  /// row() would load without an issue, and stops at the first line it cannot prove to be one
  /// (a quote, a non-ASCII or NUL byte, a CR other than before the '\n', a field that is empty
  /// or fails to parse, the wrong field count...): that line is for the general path (CsvReader
  /// then row()), which gives the same result, message and count. Tokenising and parsing
  /// happen in one pass over the bytes. Returns the number of bytes taken; `taken` gets the
  /// number of lines. Precondition: plainRowsSupported() returned true.
  std::size_t plainRows(std::string_view lines, std::uint64_t firstLine, std::uint64_t& taken);
  /// True when plainRows() can serve rows with this delimiter (1 to 8 ASCII bytes, no CR, LF,
  /// NUL or quote) and quote character; prepares it for them.
  bool plainRowsSupported(std::string_view delimiter, char quote);

  /// Rejects a row for a reason found before field parsing (encoding, quoting).
  /// `reason` is the counting key, `detail` extra text for the issue list and the exception.
  void reject(std::uint64_t line, std::uint64_t column, const std::string& reason,
              const std::string& detail = {});

  /// Completes the interning of ids deferred by row(); call once after the last row (before
  /// reading the dataset). Row-by-row results equal those of immediate interning. Adds the
  /// implausible-timestamp warning (LoadResult::implausibleTimestamps) to the notes.
  void finish();

 private:
  /// Ids that are canonical integers are first stored as their numeric value and interned in
  /// bulk by finish() (IdMap::internDirect); the first other id of a column resolves what is
  /// pending and switches that column to immediate interning, so first-appearance order holds.
  void addRow(std::span<const std::string_view> fields, std::uint64_t line);
  bool retryable_ = false;  // set during row(..., true): reject() records instead of counting
  bool retried_ = false;
  // The last step of a row that passed every check: notes an implausible timestamp, interns
  // the ids and appends the interaction.
  void commit(std::string_view user, std::string_view item, double value, std::int64_t time,
              std::uint8_t event, std::uint64_t line);
  // Event type index of a trimmed, non-empty name, or -1 when a 257th type would be needed.
  int eventIndex(std::string_view name);
  Index userIndex(std::string_view id);
  Index itemIndex(std::string_view id);
  // The same, with the id's plainDigits() value at hand (-1: not 1 to 15 digits).
  Index userIndex(std::string_view id, std::int64_t digits);
  Index itemIndex(std::string_view id, std::int64_t digits);
  static constexpr std::size_t kMaxPlainFields = 16;
  bool deferUsers_ = true;
  bool deferItems_ = true;
  // plainRows(): per byte, 0 = part of a field, 1 = the delimiter, 2 = '\n', 3 = any other
  // byte that ends the fast path (CR, quote, NUL, non-ASCII).
  unsigned char plainClass_[256] = {};
  std::string plainDelimiterRest_;  // the delimiter's bytes after its first

  LoadResult& result_;
  LoadCounts& counts_;
  ColumnPlan plan_;
  const DelimitedOptions& options_;
  std::string where_;
  Dataset& ds_;
};

/// Counts (user, item) pairs that occur more than once beyond their first occurrence.
std::uint64_t countDuplicatePairs(const Dataset& dataset);

/// Releases spare capacity of the interaction columns when it exceeds ~3% of their size.
void trimInteractions(Interactions& log);

}  // namespace rwb
