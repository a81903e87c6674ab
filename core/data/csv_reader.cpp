#include "core/data/csv_reader.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <filesystem>

#include "core/data/text_parse.h"
#include "core/util/error.h"

namespace rwb {

namespace {
/// True when every byte of s is ASCII and none is NUL: one pass over 8-byte words (a zero byte
/// sets the high bit of (w - 0x01..01) & ~w; a non-ASCII byte sets its own high bit).
bool asciiWithoutNul(std::string_view s) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  std::uint64_t bad = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    bad |= w | ((w - kOnes) & ~w);
  }
  for (; i < s.size(); ++i) bad |= p[i] == 0 ? 0x80u : p[i];
  return (bad & kHigh) == 0;
}
/// The first position in [p, e) holding byte d or '\n' (e if none), 8 bytes at a time: a byte
/// equal to d becomes zero in w ^ (d repeated), and the lowest byte flagged by the zero-byte
/// test is exact (only bytes above a true zero can be false hits).
std::size_t skipToSpecial(const char* b, std::size_t p, std::size_t e, char d) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const std::uint64_t dd = kOnes * static_cast<unsigned char>(d);
  const std::uint64_t nl = kOnes * static_cast<unsigned char>('\n');
  for (; std::endian::native == std::endian::little && p + 8 <= e; p += 8) {
    std::uint64_t w;
    std::memcpy(&w, b + p, 8);
    const std::uint64_t x = w ^ dd, y = w ^ nl;
    const std::uint64_t hit = (((x - kOnes) & ~x) | ((y - kOnes) & ~y)) & kHigh;
    if (hit != 0) return p + static_cast<std::size_t>(__builtin_ctzll(hit) >> 3);
  }
  while (p < e && b[p] != d && b[p] != '\n') ++p;
  return p;
}
}  // namespace

CsvReader::CsvReader(const std::string& path, CsvFormat format)
    : name_(path), format_(std::move(format)) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw IoError("cannot read '" + path + "': it is a folder, not a file");
  }
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw IoError("cannot open '" + path + "' for reading: " + std::strerror(errno));
  }
  const auto size = std::filesystem::file_size(path, ec);
  total_ = ec ? 0 : static_cast<std::uint64_t>(size);
  capacity_ = kBlockBytes;
  owned_ = std::make_unique<char[]>(capacity_);
  buf_ = owned_.get();
  if (format_.delimiter.empty()) format_.delimiter.push_back(',');
  cls_[static_cast<unsigned char>(format_.delimiter[0])] = 1;
  cls_[static_cast<unsigned char>('\n')] = 1;
}

CsvReader::CsvReader(std::string_view bytes, CsvFormat format, std::string name)
    : name_(std::move(name)), format_(std::move(format)) {
  buf_ = bytes.data();
  end_ = bytes.size();
  total_ = bytes.size();
  eof_ = true;
  if (format_.delimiter.empty()) format_.delimiter.push_back(',');
  cls_[static_cast<unsigned char>(format_.delimiter[0])] = 1;
  cls_[static_cast<unsigned char>('\n')] = 1;
}

void CsvReader::setFormat(CsvFormat format) {
  format_ = std::move(format);
  if (format_.delimiter.empty()) format_.delimiter.push_back(',');
  std::fill(std::begin(cls_), std::end(cls_), 0);
  cls_[static_cast<unsigned char>(format_.delimiter[0])] = 1;
  cls_[static_cast<unsigned char>('\n')] = 1;
}

CsvReader::~CsvReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool CsvReader::fill() {
  if (file_ == nullptr || eof_) {
    eof_ = true;
    return false;
  }
  char* base = owned_.get();
  if (pos_ > 0) {
    std::memmove(base, base + pos_, end_ - pos_);
    consumedBase_ += pos_;
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == capacity_) {
    if (capacity_ >= kMaxRecordBytes) {
      throw ParseError(name_, line_, 0,
                       "a record is longer than 64 MiB (an unterminated quoted field?)");
    }
    auto bigger = std::make_unique<char[]>(capacity_ * 2);
    std::memcpy(bigger.get(), base, end_);
    owned_ = std::move(bigger);
    capacity_ *= 2;
    base = owned_.get();
    buf_ = base;
  }
  const std::size_t got = std::fread(base + end_, 1, capacity_ - end_, file_);
  if (got == 0) {
    if (std::ferror(file_)) throw IoError("error while reading '" + name_ + "'");
    eof_ = true;
    return false;
  }
  end_ += got;
  return true;
}

std::string_view CsvReader::completeLines() {
  if (!started_) return {};
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string_view rest(buf_ + pos_, end_ - pos_);
    const auto last = rest.rfind('\n');
    if (last != std::string_view::npos) return rest.substr(0, last + 1);
    // No complete line: read more, unless that would grow the window (next() decides that).
    if (attempt > 0 || file_ == nullptr || eof_ || (pos_ == 0 && end_ == capacity_)) break;
    if (!fill()) break;
  }
  return {};
}

void CsvReader::skipLines(std::size_t bytes, std::uint64_t lines) noexcept {
  pos_ += bytes;
  line_ += lines;
  lastMultiPos_ = static_cast<std::size_t>(-1);
}

std::string CsvReader::head(std::size_t n) {
  if (file_ != nullptr && end_ == 0 && !eof_) fill();
  return {buf_, std::min(n, end_)};
}

CsvReader::Step CsvReader::tokenize(CsvRecord& rec) {
  const char* b = buf_;
  const std::size_t e = end_;
  std::size_t p = pos_;
  std::uint64_t line = line_;
  const char d0 = format_.delimiter[0];
  const std::size_t dlen = format_.delimiter.size();
  const char* drest = format_.delimiter.data() + 1;
  const char q = format_.quote;
  spans_.clear();
  scratch_.clear();
  rec.error = nullptr;
  rec.errorField = 0;
  rec.errorLine = 0;
  rec.errorDetail.clear();
  rec.line = line;

  // Returns 1 if a delimiter starts at i, 0 if not, -1 if more bytes are needed to tell.
  auto delimAt = [&](std::size_t i) -> int {
    if (b[i] != d0) return 0;
    if (dlen == 1) return 1;
    if (i + dlen > e) return eof_ ? 0 : -1;
    return std::memcmp(b + i + 1, drest, dlen - 1) == 0 ? 1 : 0;
  };

  // The first quoted field of this record that crossed a line break: when the record turns out
  // malformed, that quote is taken as a stray one (see strayQuote()).
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t multiPos = kNone;
  std::uint64_t multiLine = 0;
  std::size_t multiField = 0;
  // More bytes are needed: ask for them, unless the window is at its limit and a quoted line
  // break explains why the record is that long.
  auto needMore = [&]() -> Step {
    if (atLimit_ && multiPos != kNone) {
      return strayQuote(rec, multiPos, multiLine, multiField,
                        "is not closed within " + std::to_string(kMaxRecordBytes >> 20) + " MiB");
    }
    return Step::kNeedMore;
  };

  while (true) {
    // At the start of a field.
    if (q != 0 && p < e && b[p] == q) {
      const std::uint64_t openLine = line;
      const std::size_t openPos = p;
      const std::size_t field = spans_.size() + 1;
      ++p;
      std::size_t seg = p;
      bool usedScratch = false;
      const std::size_t scratchStart = scratch_.size();
      std::size_t contentEnd;
      while (true) {
        while (p < e && b[p] != q) {
          if (b[p] == '\n') ++line;
          ++p;
        }
        if (line > openLine && multiPos == kNone) {
          multiPos = openPos;
          multiLine = openLine;
          multiField = field;
        }
        if (p >= e) {
          if (!eof_) return needMore();
          // Never closed: the first quote that crossed a line break is the stray one.
          if (multiPos != kNone) {
            return strayQuote(rec, multiPos, multiLine, multiField, "is never closed");
          }
          return strayQuote(rec, openPos, openLine, field, "is never closed");
        }
        if (p + 1 >= e && !eof_) return needMore();
        if (p + 1 < e && b[p + 1] == q) {
          scratch_.append(b + seg, p + 1 - seg);
          usedScratch = true;
          p += 2;
          seg = p;
          continue;
        }
        contentEnd = p;
        ++p;
        break;
      }
      if (usedScratch) {
        scratch_.append(b + seg, contentEnd - seg);
        spans_.push_back({scratchStart, scratch_.size() - scratchStart, true});
      } else {
        spans_.push_back({seg, contentEnd - seg, false});
      }
      if (p >= e) {
        if (!eof_) return needMore();
        rec.lastLine = line;
        break;
      }
      if (const int dm = delimAt(p); dm != 0) {
        if (dm < 0) return needMore();
        p += dlen;
        continue;
      }
      if (b[p] == '\n') {
        rec.lastLine = line++;
        ++p;
        break;
      }
      if (b[p] == '\r') {
        if (p + 1 >= e && !eof_) return needMore();
        if (p + 1 >= e) {
          rec.lastLine = line;
          ++p;
          break;
        }
        if (b[p + 1] == '\n') {
          rec.lastLine = line++;
          p += 2;
          break;
        }
      }
      // Text after a closing quote. If a quote of this record crossed a line break, it most
      // likely paired with a quote meant for a later line: skip only the line it opened on.
      if (multiPos != kNone) {
        std::size_t tail = p;
        while (tail < e && tail - p < 20 && b[tail] != '\n' && b[tail] != '\r') ++tail;
        std::string why = "pairs with a quote on line " + std::to_string(line) +
                          " that is followed by " +
                          quoteForMessage(std::string_view(b + p, tail - p));
        return strayQuote(rec, multiPos, multiLine, multiField, why);
      }
      // A one-line record: it is malformed; skip to the end of its line.
      rec.error = "unexpected text after a closing quote";
      rec.errorLine = line;
      rec.errorField = spans_.size();
      rec.errorDetail = quoteForMessage(std::string_view(b + p, std::min<std::size_t>(e - p, 20)));
      while (p < e && b[p] != '\n') ++p;
      if (p >= e && !eof_) return needMore();
      rec.lastLine = line;
      if (p < e) {
        ++line;
        ++p;
      }
      break;
    }
    // Unquoted field: scan to the next delimiter or line end.
    const std::size_t start = p;
    bool recordEnd = false;
    bool fieldEnd = false;
    p = skipToSpecial(b, p, e, d0);
    while (p < e) {
      const auto c = static_cast<unsigned char>(b[p]);
      if (cls_[c] == 0) {
        ++p;
        continue;
      }
      if (c == '\n') {
        std::size_t end = p;
        if (end > start && b[end - 1] == '\r') --end;
        spans_.push_back({start, end - start, false});
        rec.lastLine = line++;
        ++p;
        recordEnd = true;
        break;
      }
      const int dm = delimAt(p);
      if (dm < 0) return needMore();
      if (dm > 0) {
        spans_.push_back({start, p - start, false});
        p += dlen;
        fieldEnd = true;
        break;
      }
      ++p;
    }
    if (recordEnd) break;
    if (fieldEnd) continue;
    if (!eof_) return needMore();
    // Last line without a final newline.
    std::size_t end = p;
    if (end > start && b[end - 1] == '\r') --end;
    spans_.push_back({start, end - start, false});
    rec.lastLine = line;
    break;
  }
  // A record that crossed a line break inside quotes but has the wrong number of fields most
  // likely holds a stray quote that swallowed the line break.
  if (multiPos != kNone && expectedFields_ != 0 && spans_.size() != expectedFields_) {
    return strayQuote(rec, multiPos, multiLine, multiField,
                      "makes the record span lines " + std::to_string(rec.line) + "-" +
                          std::to_string(rec.lastLine) + " with " + std::to_string(spans_.size()) +
                          " fields instead of " + std::to_string(expectedFields_));
  }
  // Remember where the record's first quoted line break is, for splitAtStrayQuote().
  lastBegin_ = pos_;
  lastLine_ = rec.line;
  lastMultiPos_ = multiPos;
  lastMultiLine_ = multiLine;
  lastMultiField_ = multiField;
  return finishRecord(rec, p, line);
}

bool CsvReader::splitAtStrayQuote(CsvRecord& rec) {
  if (lastMultiPos_ == static_cast<std::size_t>(-1) || rec.lastLine <= rec.line) return false;
  // The record's bytes are still in the window: next() has not read since it returned them.
  const std::uint64_t first = rec.line, last = rec.lastLine;
  pos_ = lastBegin_;
  line_ = lastLine_;
  strayQuote(rec, lastMultiPos_, lastMultiLine_, lastMultiField_,
             "makes a record of lines " + std::to_string(first) + "-" + std::to_string(last) +
                 " that is not valid");
  lastMultiPos_ = static_cast<std::size_t>(-1);
  return true;
}

CsvReader::Step CsvReader::strayQuote(CsvRecord& rec, std::size_t openPos, std::uint64_t openLine,
                                      std::size_t field, const std::string& why) {
  const char* b = buf_;
  const void* nl = std::memchr(b + openPos, '\n', end_ - openPos);
  if (nl == nullptr && !eof_) return Step::kNeedMore;
  const std::size_t eol =
      nl == nullptr ? end_ : static_cast<std::size_t>(static_cast<const char*>(nl) - b);
  // Character position of the quote within its line (the record starts at a line start).
  std::size_t lineStart = openPos;
  while (lineStart > pos_ && b[lineStart - 1] != '\n') --lineStart;
  // The fields before the stray quote's field stay as read; that field runs to the line end.
  spans_.resize(field - 1);
  std::size_t contentEnd = eol;
  if (contentEnd > openPos + 1 && b[contentEnd - 1] == '\r') --contentEnd;
  spans_.push_back({openPos + 1, contentEnd - (openPos + 1), false});
  rec.error = "unterminated quoted field";
  rec.errorLine = openLine;
  rec.errorField = field;
  rec.errorDetail = "the quote at line " + std::to_string(openLine) + ", character " +
                    std::to_string(openPos - lineStart + 1) + " " + why;
  rec.lastLine = openLine;
  lastMultiPos_ = static_cast<std::size_t>(-1);
  return finishRecord(rec, nl == nullptr ? eol : eol + 1, nl == nullptr ? openLine : openLine + 1);
}

CsvReader::Step CsvReader::finishRecord(CsvRecord& rec, std::size_t p, std::uint64_t line) {
  const char* b = buf_;
  const std::size_t recordBegin = pos_;
  pos_ = p;
  line_ = line;
  // Validate the raw bytes once; most records are plain ASCII without NUL bytes.
  const std::string_view raw(b + recordBegin, p - recordBegin);
  const bool plain =
      asciiWithoutNul(raw) && std::memchr(scratch_.data(), 0, scratch_.size()) == nullptr;
  rec.fields.clear();
  if (plain) {
    for (const auto& s : spans_) {
      rec.fields.emplace_back((s.scratch ? scratch_.data() : b) + s.begin, s.length);
    }
    return Step::kDone;
  }
  finishFields(rec);
  return Step::kDone;
}

void CsvReader::finishFields(CsvRecord& rec) {
  const char* b = buf_;
  auto view = [&](const Span& s) {
    return std::string_view((s.scratch ? scratch_.data() : b) + s.begin, s.length);
  };
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    const auto v = view(spans_[i]);
    if (std::memchr(v.data(), 0, v.size()) != nullptr && rec.error == nullptr) {
      rec.error = "contains a NUL byte (binary data?)";
      rec.errorLine = rec.line;
      rec.errorField = i + 1;
    }
  }
  if (format_.latin1) {
    transcoded_.clear();
    std::vector<std::pair<std::size_t, std::size_t>> at(spans_.size(), {0, 0});
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      const auto v = view(spans_[i]);
      if (isAscii(v)) continue;
      const std::size_t from = transcoded_.size();
      appendLatin1AsUtf8(v, transcoded_);
      at[i] = {from, transcoded_.size() - from};
    }
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      if (at[i].second > 0) {
        rec.fields.emplace_back(transcoded_.data() + at[i].first, at[i].second);
      } else {
        rec.fields.push_back(view(spans_[i]));
      }
    }
    return;
  }
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    const auto v = view(spans_[i]);
    rec.fields.push_back(v);
    if (rec.error != nullptr) continue;
    if (const auto bad = firstInvalidUtf8(v); bad != std::string_view::npos) {
      rec.error = "invalid UTF-8 (use the Latin-1 encoding option if the file is Latin-1)";
      rec.errorLine = rec.line;
      rec.errorField = i + 1;
      rec.errorDetail = "bytes ";
      rec.errorDetail += quoteForMessage(v.substr(bad, 8), 8);
      rec.errorDetail += " at byte ";
      rec.errorDetail += std::to_string(bad + 1);
      rec.errorDetail += " of the field";
    }
  }
}

bool CsvReader::next(CsvRecord& rec) {
  if (!started_) {
    started_ = true;
    if (file_ != nullptr && end_ == 0) fill();
    if (end_ >= 3 && std::memcmp(buf_, "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  }
  while (true) {
    if (pos_ >= end_) {
      if (eof_ || !fill()) return false;
    }
    if (tokenize(rec) == Step::kDone) return true;
    if (file_ != nullptr && pos_ == 0 && end_ == capacity_ && capacity_ >= kMaxRecordBytes) {
      // The window cannot grow: a record that crossed a line break inside quotes ends at its
      // stray quote's line; any other record is too long to resynchronise.
      atLimit_ = true;
      const Step step = tokenize(rec);
      atLimit_ = false;
      if (step == Step::kDone) return true;
      throw ParseError(name_, line_, 0,
                       "a record is longer than " + std::to_string(kMaxRecordBytes >> 20) +
                           " MiB (a line without a line break?)");
    }
    fill();  // at EOF this sets eof_, and the retry completes the record
  }
}

std::string detectDelimiter(std::string_view sample, char quote) {
  static const std::array<std::string_view, 5> kCandidates{"\t", ",", ";", "|", "::"};
  // Split the sample into up to 30 complete lines (a quoted line break does not end a line).
  std::vector<std::string_view> lines;
  {
    std::size_t start = 0;
    bool inQuote = false;
    for (std::size_t i = 0; i < sample.size() && lines.size() < 30; ++i) {
      const char c = sample[i];
      if (quote != 0 && c == quote) inQuote = !inQuote;
      if (c == '\n' && !inQuote) {
        if (i > start) lines.push_back(sample.substr(start, i - start));
        start = i + 1;
      }
    }
    // A file shorter than the sample ends without a newline: its tail is a line too.
    if (lines.empty() && start < sample.size()) lines.push_back(sample.substr(start));
  }
  std::string best = ",";
  std::size_t bestCount = 0;
  bool bestConsistent = false;
  for (auto cand : kCandidates) {
    std::size_t minCount = static_cast<std::size_t>(-1), maxCount = 0;
    for (auto l : lines) {
      std::size_t n = 0;
      bool inQuote = false;
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (quote != 0 && l[i] == quote) inQuote = !inQuote;
        if (!inQuote && l.compare(i, cand.size(), cand) == 0) {
          ++n;
          i += cand.size() - 1;
        }
      }
      minCount = std::min(minCount, n);
      maxCount = std::max(maxCount, n);
    }
    if (lines.empty() || minCount == 0) continue;
    const bool consistent = minCount == maxCount;
    // "::" also counts as two ':'-free matches; prefer it only when consistent.
    if ((consistent && !bestConsistent) || (consistent == bestConsistent && minCount > bestCount)) {
      best = std::string(cand);
      bestCount = minCount;
      bestConsistent = consistent;
    }
  }
  return best;
}

}  // namespace rwb
