#include "core/data/attribute_loader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "core/data/interaction_sink.h"
#include "core/data/text_parse.h"
#include "core/util/error.h"

namespace rwb {

std::size_t RawTable::addColumn(std::string name) {
  names.push_back(std::move(name));
  cells.emplace_back(ids.size());
  return names.size() - 1;
}

std::size_t RawTable::addRow(std::string id) {
  ids.push_back(std::move(id));
  for (auto& c : cells) c.emplace_back();
  return ids.size() - 1;
}

namespace {

bool hasLeadingZero(std::string_view v) {
  v = trimSpaces(v);
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
  return v.size() > 1 && v[0] == '0' && v[1] >= '0' && v[1] <= '9';
}

void splitMulti(std::string_view cell, char sep, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  while (start <= cell.size()) {
    auto pos = cell.find(sep, start);
    if (pos == std::string_view::npos) pos = cell.size();
    const auto token = trimSpaces(cell.substr(start, pos - start));
    if (!token.empty() && std::find(out.begin(), out.end(), token) == out.end()) {
      out.push_back(token);
    }
    start = pos + 1;
  }
}

}  // namespace

ColumnType inferColumnType(std::span<const std::string> values, char multiSeparator) {
  std::size_t n = 0, numeric = 0, withSep = 0, withSpace = 0, bytes = 0;
  bool codes = false;
  std::unordered_set<std::string_view> distinct;
  for (const auto& v : values) {
    const auto t = trimSpaces(v);
    if (t.empty()) continue;
    ++n;
    bytes += t.size();
    double d;
    if (parseNumber(t, d) && std::isfinite(d)) {
      ++numeric;
      codes = codes || hasLeadingZero(t);
    }
    if (t.find(multiSeparator) != std::string_view::npos) ++withSep;
    if (t.find(' ') != std::string_view::npos) ++withSpace;
    if (distinct.size() < 100000) distinct.insert(t);
  }
  if (n == 0) return ColumnType::kCategorical;
  if (numeric == n && !codes) return ColumnType::kNumeric;
  const double meanLen = static_cast<double>(bytes) / static_cast<double>(n);
  if (withSep > 0 && meanLen < 200) return ColumnType::kMultiCategorical;
  const double distinctShare = static_cast<double>(distinct.size()) / static_cast<double>(n);
  if (meanLen >= 30 || (distinctShare >= 0.9 && withSpace * 2 >= n)) return ColumnType::kText;
  return ColumnType::kCategorical;
}

void scanDelimited(
    const std::string& path, CsvFormat format, std::vector<std::string>* header, bool strict,
    LoadResult& result, TaskContext& ctx,
    const std::function<RowVerdict(std::span<const std::string_view>, std::uint64_t line)>& fn) {
  result.tables.emplace_back();
  result.tables.back().file = path;
  result.tables.back().attributes = true;
  const std::size_t tableIndex = result.tables.size() - 1;
  CsvReader reader(path, format);
  const std::string sample = reader.head(64 * 1024);
  if (sample.empty()) {
    if (strict) throw ParseError(path, 0, 0, "the file is empty");
    result.notes.push_back(path + ": the file is empty");
    return;
  }
  refuseUnsupportedText(sample, path);
  if (format.delimiter.empty()) format.delimiter = detectDelimiter(sample, format.quote);
  reader.setFormat(format);
  CsvRecord rec;
  bool wantHeader = header != nullptr;
  std::size_t expected = 0;
  std::uint64_t rows = 0;
  const double total = static_cast<double>(std::max<std::uint64_t>(1, reader.totalBytes()));
  const std::string stage = "reading " + std::filesystem::path(path).filename().string();
  auto reject = [&](std::uint64_t line, std::uint64_t column, const std::string& reason,
                    const std::string& detail) {
    auto& counts = result.tables[tableIndex];
    ++counts.rowsRead;
    if (strict) {
      throw ParseError(path, line, column, detail.empty() ? reason : reason + ": " + detail);
    }
    ++counts.rowsSkipped;
    result.addIssue(path, line, column, reason, detail);
  };
  while (reader.next(rec)) {
    if (rec.blank()) continue;
    if (wantHeader) {
      if (rec.error != nullptr) {
        throw ParseError(
            path, rec.errorLine ? rec.errorLine : rec.line, rec.errorField,
            std::string(rec.error) + (rec.errorDetail.empty() ? "" : ": " + rec.errorDetail));
      }
      header->clear();
      for (auto f : rec.fields) header->emplace_back(trimSpaces(f));
      expected = header->size();
      reader.setExpectedFields(expected);
      wantHeader = false;
      continue;
    }
    if (rec.error != nullptr) {
      reject(rec.errorLine ? rec.errorLine : rec.line, rec.errorField, rec.error, rec.errorDetail);
    } else if (expected != 0 && rec.fields.size() != expected) {
      reject(
          rec.line, 0, "wrong number of fields",
          "expected " + std::to_string(expected) + ", found " + std::to_string(rec.fields.size()));
    } else {
      if (expected == 0) {
        expected = rec.fields.size();
        reader.setExpectedFields(expected);
      }
      const RowVerdict v = fn(rec.fields, rec.line);
      if (v.reason != nullptr && reader.splitAtStrayQuote(rec)) {
        // An invalid record that crossed a line break inside quotes: only the stray quote's
        // line is rejected, and reading resumes on the next line.
        reject(rec.errorLine, rec.errorField, rec.error, rec.errorDetail);
      } else if (v.reason != nullptr) {
        reject(rec.line, v.column, v.reason, v.detail);
      } else {
        auto& counts = result.tables[tableIndex];
        ++counts.rowsRead;
        ++counts.rowsLoaded;
      }
    }
    if ((++rows & 0x3FFF) == 0) {
      ctx.throwIfStopped();
      ctx.progress(static_cast<double>(reader.consumedBytes()) / total, stage);
    }
  }
  ctx.throwIfStopped();
}

RawTable readAttributeFile(const std::string& path, const AttributeOptions& options,
                           EntityKind kind, LoadResult& result, TaskContext& ctx) {
  CsvFormat format;
  format.quote = options.quote;
  format.latin1 = options.encoding == TextEncoding::kLatin1;
  if (!options.delimiterText.empty()) {
    format.delimiter = options.delimiterText;
  } else if (options.delimiter != 0) {
    format.delimiter = std::string(1, options.delimiter);
  }
  const bool header = options.header != HeaderMode::kNo;
  RawTable raw;
  raw.source = path;
  int idCol = -1;
  std::vector<std::size_t> columnOf;  // field -> raw column (npos for the id)
  bool planned = false;
  auto plan = [&](const std::vector<std::string>& names, std::size_t fieldCount) {
    if (options.id.position >= 0) {
      if (static_cast<std::size_t>(options.id.position) >= fieldCount) {
        throw ParseError(path, 1, 0,
                         "the id column position " + std::to_string(options.id.position) +
                             " is out of range (the file has " + std::to_string(fieldCount) +
                             " columns)");
      }
      idCol = options.id.position;
    } else if (!options.id.name.empty()) {
      if (names.empty()) {
        throw ParseError(path, 1, 0, "the id column is given by name but the file has no header");
      }
      const auto want = normalizeColumnName(options.id.name);
      for (std::size_t i = 0; i < names.size() && idCol < 0; ++i) {
        if (names[i] == options.id.name || normalizeColumnName(names[i]) == want) {
          idCol = static_cast<int>(i);
        }
      }
      if (idCol < 0) {
        throw ParseError(path, 1, 0, "no id column named '" + options.id.name + "'");
      }
    } else {
      const std::vector<std::string_view> known =
          kind == EntityKind::kItem
              ? std::vector<std::string_view>{"itemid", "item", "movieid", "productid", "id"}
              : std::vector<std::string_view>{"userid", "user", "customerid", "visitorid", "id"};
      for (auto k : known) {
        for (std::size_t i = 0; i < names.size() && idCol < 0; ++i) {
          if (normalizeColumnName(names[i]) == k) idCol = static_cast<int>(i);
        }
        if (idCol >= 0) break;
      }
      if (idCol < 0) idCol = 0;
    }
    // Two columns of one name would silently become one attribute (the last wins): refuse.
    std::vector<std::string> finalNames(fieldCount);
    for (std::size_t i = 0; i < fieldCount; ++i) {
      finalNames[i] =
          i < names.size() && !names[i].empty() ? names[i] : "column" + std::to_string(i + 1);
    }
    refuseDuplicateColumns(finalNames, path, 1);
    columnOf.assign(fieldCount, static_cast<std::size_t>(-1));
    for (std::size_t i = 0; i < fieldCount; ++i) {
      if (static_cast<int>(i) == idCol) continue;
      columnOf[i] = raw.addColumn(std::move(finalNames[i]));
    }
    planned = true;
  };
  std::vector<std::string> headerNames;
  scanDelimited(path, format, header ? &headerNames : nullptr, options.strict, result, ctx,
                [&](std::span<const std::string_view> fields, std::uint64_t) -> RowVerdict {
                  if (!planned) plan(headerNames, fields.size());
                  const auto id = trimSpaces(fields[static_cast<std::size_t>(idCol)]);
                  if (id.empty()) return {"id is empty", static_cast<std::uint64_t>(idCol + 1), {}};
                  const std::size_t r = raw.addRow(std::string(id));
                  for (std::size_t i = 0; i < fields.size(); ++i) {
                    if (columnOf[i] != static_cast<std::size_t>(-1)) {
                      raw.cells[columnOf[i]][r] = std::string(trimSpaces(fields[i]));
                    }
                  }
                  return {};
                });
  // A header-only file still defines its columns.
  if (!planned && !headerNames.empty()) plan(headerNames, headerNames.size());
  return raw;
}

void mergeAttributes(const RawTable& raw, const AttributeOptions& options, IdMap& ids,
                     AttributeTable& table, LoadResult& result) {
  const std::size_t before = ids.size();
  std::vector<std::size_t> rowOf;  // dense index -> raw row (npos = none)
  std::size_t repeated = 0;
  for (std::size_t r = 0; r < raw.rows(); ++r) {
    const Index idx = ids.intern(raw.ids[r]);
    if (rowOf.size() <= idx)
      rowOf.resize(static_cast<std::size_t>(idx) + 1, static_cast<std::size_t>(-1));
    if (rowOf[idx] != static_cast<std::size_t>(-1)) ++repeated;
    rowOf[idx] = r;
  }
  const std::size_t n = ids.size();
  rowOf.resize(n, static_cast<std::size_t>(-1));
  if (ids.size() > before) {
    result.notes.push_back(raw.source + ": " + std::to_string(ids.size() - before) +
                           " id(s) have attributes but no interactions (kept, cold-start)");
  }
  if (repeated > 0) {
    result.notes.push_back(raw.source + ": " + std::to_string(repeated) +
                           " repeated id(s); the last row of each wins");
  }
  std::vector<std::string_view> tokens;
  for (std::size_t c = 0; c < raw.names.size(); ++c) {
    const auto& cells = raw.cells[c];
    AttributeColumn col;
    col.name = raw.names[c];
    if (auto it = options.types.find(col.name); it != options.types.end()) {
      col.type = it->second;
    } else {
      col.type = inferColumnType(cells, options.multiSeparator);
    }
    std::size_t misfits = 0;
    switch (col.type) {
      case ColumnType::kNumeric: {
        col.numeric.assign(n, std::numeric_limits<double>::quiet_NaN());
        for (std::size_t i = 0; i < n; ++i) {
          if (rowOf[i] == static_cast<std::size_t>(-1)) continue;
          const auto& cell = cells[rowOf[i]];
          if (cell.empty()) continue;
          double v;
          if (parseNumber(cell, v) && std::isfinite(v)) {
            col.numeric[i] = v;
          } else {
            ++misfits;
          }
        }
        break;
      }
      case ColumnType::kCategorical: {
        col.codes.assign(n, -1);
        std::unordered_map<std::string_view, std::int32_t> codeOf;
        for (std::size_t i = 0; i < n; ++i) {
          if (rowOf[i] == static_cast<std::size_t>(-1)) continue;
          const auto& cell = cells[rowOf[i]];
          if (cell.empty()) continue;
          auto [it, fresh] =
              codeOf.try_emplace(cell, static_cast<std::int32_t>(col.categories.size()));
          if (fresh) col.categories.push_back(cell);
          col.codes[i] = it->second;
        }
        break;
      }
      case ColumnType::kMultiCategorical: {
        col.offsets.assign(1, 0);
        col.offsets.reserve(n + 1);
        std::unordered_map<std::string, std::int32_t> codeOf;
        for (std::size_t i = 0; i < n; ++i) {
          if (rowOf[i] != static_cast<std::size_t>(-1)) {
            splitMulti(cells[rowOf[i]], options.multiSeparator, tokens);
            for (auto t : tokens) {
              auto [it, fresh] = codeOf.try_emplace(
                  std::string(t), static_cast<std::int32_t>(col.categories.size()));
              if (fresh) col.categories.emplace_back(t);
              col.codes.push_back(it->second);
            }
          }
          col.offsets.push_back(col.codes.size());
        }
        break;
      }
      case ColumnType::kText: {
        col.text.assign(n, std::string());
        for (std::size_t i = 0; i < n; ++i) {
          if (rowOf[i] != static_cast<std::size_t>(-1)) col.text[i] = cells[rowOf[i]];
        }
        break;
      }
    }
    if (misfits > 0) {
      result.notes.push_back(raw.source + ": column '" + col.name +
                             "': " + std::to_string(misfits) +
                             " value(s) are not numbers (stored as missing)");
    }
    if (AttributeColumn* existing = table.find(col.name)) {
      *existing = std::move(col);
    } else {
      table.columns.push_back(std::move(col));
    }
  }
  table.ensureRows(n);
}

void loadAttributes(const std::string& path, const AttributeOptions& options, EntityKind kind,
                    Dataset& dataset, LoadResult& result, TaskContext& ctx) {
  const RawTable raw = readAttributeFile(path, options, kind, result, ctx);
  if (kind == EntityKind::kItem) {
    mergeAttributes(raw, options, dataset.items, dataset.itemAttributes, result);
  } else {
    mergeAttributes(raw, options, dataset.users, dataset.userAttributes, result);
  }
  dataset.userAttributes.ensureRows(dataset.numUsers());
  dataset.itemAttributes.ensureRows(dataset.numItems());
}

}  // namespace rwb
