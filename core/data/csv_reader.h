#pragma once
/// \file
/// CsvReader: a streaming RFC 4180 record reader over a file or a memory buffer.
///
/// The file is read in large blocks (1 MiB, grown only for a single record that does not fit,
/// up to kMaxRecordBytes); records are tokenised in place with a byte-class table, never with
/// one getline per line, and the file is never copied whole into memory. Quoted fields may hold
/// delimiters, doubled quotes ("") and line breaks. CRLF and LF line ends are both accepted; a
/// UTF-8 byte order mark at the start is skipped. Fields are validated as UTF-8 (or transcoded
/// from Latin-1) and must not contain NUL bytes.
///
/// Errors inside one record (bad quoting, invalid encoding) do not throw: the record comes back
/// with `error` set so that the caller applies its strict / lenient policy. Only I/O failures
/// (IoError) and a single line longer than kMaxRecordBytes (ParseError: the stream cannot be
/// resynchronised) throw. Not thread-safe; one reader per thread.
///
/// Stray quotes: a quoted field may cross line breaks, but when the record it belongs to turns
/// out malformed (a quote never closes, a closing quote is followed by other text, the record
/// reaches kMaxRecordBytes, or it has a field count other than setExpectedFields()), the first
/// quote of the record that crossed a line break is taken as a stray quote. The record then ends
/// at the end of that quote's line and comes back with error "unterminated quoted field"
/// (errorLine, errorField: the quote's line and field; errorDetail names the character), and
/// reading resumes on the next line. So a malformed record never spans more than one line: a
/// stray quote costs its own line, not the rest of the file. A caller that rejects a record for
/// its content can apply the same rule with splitAtStrayQuote().

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rwb {

/// How the bytes of a delimited file are split into records and fields.
struct CsvFormat {
  std::string delimiter = ",";  ///< one or more bytes, e.g. ",", "\t", "::"
  char quote = '"';             ///< 0 = no quoting (quotes are ordinary characters)
  bool latin1 = false;          ///< true: bytes are Latin-1 and are transcoded to UTF-8
};

/// One record. Views stay valid until the next call to CsvReader::next().
struct CsvRecord {
  std::vector<std::string_view> fields;
  std::uint64_t line = 0;       ///< 1-based line where the record starts
  std::uint64_t lastLine = 0;   ///< 1-based line where it ends (differs for quoted line breaks)
  const char* error = nullptr;  ///< why the record is malformed, or nullptr
  std::uint64_t errorLine = 0;
  std::size_t errorField = 0;  ///< 1-based field of the error (0 = whole record)
  std::string errorDetail;     ///< extra text for messages (e.g. the offending bytes)
  bool blank() const noexcept { return fields.size() == 1 && fields[0].empty() && !error; }
};

class CsvReader {
 public:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  static constexpr std::size_t kMaxRecordBytes = std::size_t{64} << 20;

  /// Opens a file. Throws IoError when it cannot be opened.
  CsvReader(const std::string& path, CsvFormat format);
  /// Reads from memory (the bytes must outlive the reader). `name` is used in messages.
  CsvReader(std::string_view bytes, CsvFormat format, std::string name);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  /// Reads the next record into rec; false at end of input. Throws IoError on read failure,
  /// ParseError when one record exceeds kMaxRecordBytes.
  bool next(CsvRecord& rec);

  /// Total size of the input in bytes (0 if unknown) and bytes consumed so far.
  std::uint64_t totalBytes() const noexcept { return total_; }
  std::uint64_t consumedBytes() const noexcept { return consumedBase_ + pos_; }
  /// The name used in messages (the path).
  const std::string& name() const noexcept { return name_; }

  /// The number of fields a record should have (0 = unknown, the default). When set, a record
  /// that crossed a line break inside quotes and has another field count is treated as a stray
  /// quote (see above). Records without a quoted line break are returned as they are.
  void setExpectedFields(std::size_t n) noexcept { expectedFields_ = n; }

  /// For a record just returned by next() that crossed a line break inside quotes and that the
  /// caller finds invalid (e.g. a value that is not a number): re-reads it as a stray quote
  /// (see above), so that rec becomes the quote's line only, with error "unterminated quoted
  /// field", and the next call to next() resumes on the following line. Returns false (rec
  /// untouched) when the record has no quoted line break. Call before the next next().
  bool splitAtStrayQuote(CsvRecord& rec);

  /// Bulk access for a caller with a fast path for plain records: the unread bytes of the
  /// window up to and including its last line break, reading more when no line is complete.
  /// Empty when no complete line is at hand (at the end of input, before the first next(), or
  /// for a line longer than the window): next() is then the way on. The view is valid until the
  /// next call to a member that reads. A caller takes whole lines with skipLines() and must
  /// leave to next() any line it cannot read as a complete record by itself (a quote in it).
  std::string_view completeLines();
  /// Consumes the first `bytes` bytes of the view returned by completeLines(): `lines` whole
  /// lines. The line after them is line nextLine().
  void skipLines(std::size_t bytes, std::uint64_t lines) noexcept;
  /// The 1-based line number where the next record starts.
  std::uint64_t nextLine() const noexcept { return line_; }

  /// Changes the format (after head(), before the first next()).
  void setFormat(CsvFormat format);

  /// A copy of up to n bytes from the start of the input, without consuming (for format
  /// detection). Only valid before the first next(). A copy, not a view: next() may move or
  /// reallocate the window (a record longer than a block grows it), and a view kept across it
  /// would dangle.
  std::string head(std::size_t n);

 private:
  bool fill();  // reads more bytes after end_; false at EOF
  enum class Step { kDone, kNeedMore };
  Step tokenize(CsvRecord& rec);
  // Ends the record at the end of the line of the stray quote at openPos (see the class note).
  Step strayQuote(CsvRecord& rec, std::size_t openPos, std::uint64_t openLine, std::size_t field,
                  const std::string& why);
  // Consumes the record up to p (next line number `line`) and fills rec.fields from spans_.
  Step finishRecord(CsvRecord& rec, std::size_t p, std::uint64_t line);
  void finishFields(CsvRecord& rec);

  std::string name_;
  CsvFormat format_;
  std::FILE* file_ = nullptr;
  bool eof_ = false;
  std::unique_ptr<char[]> owned_;
  std::size_t capacity_ = 0;
  const char* buf_ = nullptr;       // start of the current window
  std::size_t pos_ = 0;             // next unread byte in the window
  std::size_t end_ = 0;             // bytes valid in the window
  std::uint64_t consumedBase_ = 0;  // bytes before buf_[0]
  std::uint64_t total_ = 0;
  std::uint64_t line_ = 1;
  bool started_ = false;
  bool atLimit_ = false;  // the window is full at kMaxRecordBytes: it cannot grow
  std::size_t expectedFields_ = 0;
  // The last record returned: where it began, and its first quoted line break (npos = none).
  std::size_t lastBegin_ = 0;
  std::uint64_t lastLine_ = 0;
  std::size_t lastMultiPos_ = static_cast<std::size_t>(-1);
  std::uint64_t lastMultiLine_ = 0;
  std::size_t lastMultiField_ = 0;
  unsigned char cls_[256] = {};

  // Per-record field layout (offset into window or into scratch_) and unescape scratch.
  struct Span {
    std::size_t begin;
    std::size_t length;
    bool scratch;
  };
  std::vector<Span> spans_;
  std::string scratch_;
  std::string transcoded_;
};

/// Picks the delimiter of a sample of a delimited file: among "\t", ",", ";", "|", "::", the
/// one found the same (non-zero) number of times on every sampled line (outside quotes), the
/// most frequent such; ties go to that order. Returns "," when nothing fits (one column).
std::string detectDelimiter(std::string_view sample, char quote = '"');

}  // namespace rwb
