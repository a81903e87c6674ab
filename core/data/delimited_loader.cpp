#include "core/data/delimited_loader.h"

#include <algorithm>
#include <filesystem>

#include "core/data/csv_reader.h"
#include "core/data/interaction_sink.h"
#include "core/data/text_parse.h"
#include "core/util/error.h"

namespace rwb {

namespace {

constexpr std::size_t kSampleBytes = 64 * 1024;

std::string describeDelimiter(const std::string& d) {
  if (d == "\t") return "tab";
  return "'" + d + "'";
}

bool anyNumeric(std::span<const std::string_view> fields) {
  double v;
  return std::any_of(fields.begin(), fields.end(),
                     [&](std::string_view f) { return parseNumber(f, v); });
}

}  // namespace

LoadResult loadDelimited(const std::string& path, const DelimitedOptions& options, TaskContext& ctx,
                         const Dataset* base) {
  LoadResult result;
  if (base != nullptr) result.dataset = base->emptyLike();
  result.dataset.source = path;
  if (result.dataset.name.empty()) {
    result.dataset.name = std::filesystem::path(path).stem().string();
  }
  result.tables.emplace_back();
  result.tables.back().file = path;

  CsvFormat format;
  format.quote = options.quote;
  format.latin1 = options.encoding == TextEncoding::kLatin1;
  CsvReader reader(path, format);
  const std::string sample = reader.head(kSampleBytes);
  if (sample.empty()) {
    if (options.strict) throw ParseError(path, 0, 0, "the file is empty");
    result.notes.push_back(path + ": the file is empty");
    return result;
  }
  refuseUnsupportedText(sample, path);
  if (!options.delimiterText.empty()) {
    format.delimiter = options.delimiterText;
  } else if (options.delimiter != 0) {
    format.delimiter = std::string(1, options.delimiter);
  } else {
    format.delimiter = detectDelimiter(sample, options.quote);
    result.notes.push_back("detected delimiter " + describeDelimiter(format.delimiter));
  }
  reader.setFormat(format);

  CsvRecord rec;
  std::uint64_t blankLines = 0;
  bool any = false;
  while ((any = reader.next(rec)) && rec.blank()) ++blankLines;
  if (!any) {
    if (options.strict) throw ParseError(path, 0, 0, "the file has no rows (only blank lines)");
    result.notes.push_back(path + ": the file has no rows (only blank lines)");
    return result;
  }
  if (rec.error != nullptr) {
    // The first row decides the header and the column count; it cannot be skipped.
    throw ParseError(
        path, rec.errorLine ? rec.errorLine : rec.line, rec.errorField,
        std::string(rec.error) + (rec.errorDetail.empty() ? "" : ": " + rec.errorDetail));
  }

  bool header = options.header == HeaderMode::kYes;
  if (options.header == HeaderMode::kAuto) {
    const bool named = !options.user.name.empty() || !options.item.name.empty() ||
                       !options.value.name.empty() || !options.timestamp.name.empty() ||
                       !options.event.name.empty();
    header = named || looksLikeInteractionHeader(rec.fields, options);
    if (!header && !anyNumeric(rec.fields)) {
      // A first row without numbers over a second row with numbers is a header.
      CsvReader peek(sample, format, path);
      CsvRecord second;
      int seen = 0;
      while (peek.next(second)) {
        if (second.blank()) continue;
        if (++seen == 2) break;
      }
      header = seen == 2 && second.error == nullptr && anyNumeric(second.fields);
    }
    if (header) result.notes.push_back("detected a header row");
  }
  std::vector<std::string> names;
  if (header) {
    for (auto f : rec.fields) names.emplace_back(trimSpaces(f));
  }
  const ColumnPlan plan = resolveColumns(names, rec.fields.size(), options, path, rec.line);
  reader.setExpectedFields(plan.expectedFields);

  auto& log = result.dataset.interactions;
  {
    // Reserve from the sample's bytes per line so that the columns are allocated once.
    const auto lines = static_cast<std::size_t>(std::count(sample.begin(), sample.end(), '\n'));
    if (lines > 0 && reader.totalBytes() > 0) {
      const double perLine = static_cast<double>(sample.size()) / static_cast<double>(lines);
      const auto estimate =
          static_cast<std::size_t>(static_cast<double>(reader.totalBytes()) / perLine * 1.02) + 16;
      log.reserve(std::min<std::size_t>(estimate, std::size_t{1} << 32), plan.event >= 0);
    }
  }

  InteractionSink sink(result, result.tables.back(), plan, options, path);
  std::uint64_t rows = 0;
  std::uint64_t multiLineRows = 0;  // loaded rows that span lines (quoted line breaks)
  std::pair<std::uint64_t, std::uint64_t> firstMultiLine{0, 0};
  auto take = [&](CsvRecord& r) {
    const bool multiLine = r.lastLine > r.line;
    if (r.error == nullptr && !sink.row(r.fields, r.line, multiLine)) {
      // A record that crossed a line break inside quotes and is not valid: a stray quote most
      // likely swallowed the line break. Only that quote's line is rejected (as the reader does
      // for a malformed record) and reading resumes on the next line.
      if (!reader.splitAtStrayQuote(r)) sink.row(r.fields, r.line);
    } else if (r.error == nullptr && multiLine && multiLineRows++ == 0) {
      firstMultiLine = {r.line, r.lastLine};
    }
    if (r.error != nullptr) {
      sink.reject(r.errorLine ? r.errorLine : r.line, r.errorField, r.error, r.errorDetail);
    }
  };
  if (!header) take(rec);
  const double total = static_cast<double>(std::max<std::uint64_t>(1, reader.totalBytes()));
  const std::string stage = "reading " + std::filesystem::path(path).filename().string();
  // Plain lines (no quotes, ASCII, values that parse) take the sink's one-pass fast path, a
  // block at a time; the first line it does not take goes through next() and take().
  const bool fast = sink.plainRowsSupported(format.delimiter, format.quote);
  while (true) {
    if (fast) {
      const std::string_view lines = reader.completeLines();
      if (!lines.empty()) {
        std::uint64_t taken = 0;
        const std::size_t used = sink.plainRows(lines, reader.nextLine(), taken);
        reader.skipLines(used, taken);
        if (taken > 0) {
          rows += taken;
          ctx.throwIfStopped();
          ctx.progress(static_cast<double>(reader.consumedBytes()) / total, stage);
        }
        if (used == lines.size()) continue;
      }
    }
    if (!reader.next(rec)) break;
    if (rec.blank()) {
      ++blankLines;
      continue;
    }
    take(rec);
    if ((++rows & 0x3FFF) == 0) {
      ctx.throwIfStopped();
      ctx.progress(static_cast<double>(reader.consumedBytes()) / total, stage);
    }
  }
  ctx.throwIfStopped();
  sink.finish();
  if (multiLineRows > 0) {
    // Legitimate in RFC 4180, but in an interactions file more often a stray quote that paired
    // with a later one: say so, so that merged lines are never silent.
    result.notes.push_back(path + ": " + std::to_string(multiLineRows) +
                           " row(s) hold quoted line breaks and span several lines (first: lines " +
                           std::to_string(firstMultiLine.first) + "-" +
                           std::to_string(firstMultiLine.second) +
                           "); if that is not intended, look for a stray quote there");
  }
  if (blankLines > 0) {
    result.notes.push_back(path + ": " + std::to_string(blankLines) + " blank line(s) ignored");
  }
  if (result.rowsRead() == 0) result.notes.push_back(path + ": no data rows");
  trimInteractions(log);
  result.duplicatePairs = countDuplicatePairs(result.dataset);
  if (result.duplicatePairs > 0) {
    result.notes.push_back(std::to_string(result.duplicatePairs) +
                           " duplicate (user, item) pair(s) loaded as they are");
  }
  result.dataset.userAttributes.ensureRows(result.dataset.numUsers());
  result.dataset.itemAttributes.ensureRows(result.dataset.numItems());
  ctx.progress(1.0, stage);
  return result;
}

}  // namespace rwb
