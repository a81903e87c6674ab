#include "core/data/dataset_loader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/data/text_parse.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"

namespace rwb {

namespace fs = std::filesystem;

namespace {

struct FormatName {
  DataFormat format;
  const char* name;
};
constexpr FormatName kFormatNames[] = {{DataFormat::kAuto, "auto"},
                                       {DataFormat::kDelimited, "delimited"},
                                       {DataFormat::kMovieLens100K, "ml-100k"},
                                       {DataFormat::kMovieLens1M, "ml-1m"},
                                       {DataFormat::kMovieLensLatest, "ml-latest"},
                                       {DataFormat::kMovieLens, "movielens"},
                                       {DataFormat::kRecWorkbench, "recworkbench"},
                                       {DataFormat::kSqlite, "sqlite"},
                                       {DataFormat::kPostgreSql, "postgresql"},
                                       {DataFormat::kOdbc, "odbc"}};

bool hasSqliteMagic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[16] = {};
  in.read(magic, sizeof magic);
  return in.gcount() == 16 && std::memcmp(magic, "SQLite format 3\0", 16) == 0;
}

}  // namespace

std::string_view dataFormatName(DataFormat format) {
  for (const auto& f : kFormatNames) {
    if (f.format == format) return f.name;
  }
  return "unknown";
}

bool parseDataFormat(std::string_view name, DataFormat& out) {
  for (const auto& f : kFormatNames) {
    if (equalsIgnoreCase(name, f.name)) {
      out = f.format;
      return true;
    }
  }
  if (equalsIgnoreCase(name, "csv") || equalsIgnoreCase(name, "tsv")) {
    out = DataFormat::kDelimited;
    return true;
  }
  return false;
}

DataFormat detectDataFormat(const std::string& path) {
  switch (databaseKind(path)) {
    case DatabaseKind::kPostgreSql:
      return DataFormat::kPostgreSql;
    case DatabaseKind::kOdbc:
      return DataFormat::kOdbc;
    case DatabaseKind::kNone:
      break;
  }
  std::error_code ec;
  const fs::path p(path);
  if (!fs::exists(p, ec)) throw IoError("cannot open '" + path + "': no such file or folder");
  if (fs::is_directory(p, ec)) {
    if (fs::exists(p / "u.data")) return DataFormat::kMovieLens100K;
    if (fs::exists(p / "ratings.dat")) return DataFormat::kMovieLens1M;
    if (fs::exists(p / "interactions.csv")) return DataFormat::kRecWorkbench;
    if (fs::exists(p / "ratings.csv")) return DataFormat::kMovieLensLatest;
    throw IoError("'" + path +
                  "' is a folder with no known layout: expected interactions.csv (RecWorkbench), "
                  "u.data (MovieLens 100K), ratings.dat (MovieLens 1M) or ratings.csv (MovieLens "
                  "latest / 25M)");
  }
  const auto ext = toLowerAscii(p.extension().string());
  if (ext == ".sqlite" || ext == ".sqlite3" || ext == ".db" || hasSqliteMagic(path)) {
    return DataFormat::kSqlite;
  }
  return DataFormat::kDelimited;
}

DataFormat detectMovieLensLayout(const std::string& folder) {
  std::error_code ec;
  const fs::path p(folder);
  if (fs::exists(p / "u.data", ec)) return DataFormat::kMovieLens100K;
  if (fs::exists(p / "ratings.dat", ec)) return DataFormat::kMovieLens1M;
  if (fs::exists(p / "ratings.csv", ec)) return DataFormat::kMovieLensLatest;
  throw IoError("'" + folder +
                "' is not a MovieLens folder: expected u.data (100K), ratings.dat (1M) or "
                "ratings.csv (latest / 25M)");
}

LoadResult loadRecWorkbenchFolder(const std::string& folder, const DatasetOptions& options,
                                  TaskContext& ctx) {
  const fs::path dir(folder);
  const auto interactions = dir / "interactions.csv";
  if (!fs::exists(interactions)) {
    throw IoError("'" + folder + "' has no interactions.csv (RecWorkbench layout)");
  }
  TaskContext main(ctx, 0.0, 0.9);
  LoadResult result = loadDelimited(interactions.string(), options.interactions, main);
  TaskContext rest(ctx, 0.9, 1.0);
  const bool strict = options.interactions.strict;
  if (fs::exists(dir / "items.csv")) {
    AttributeOptions o = options.itemAttributes;
    o.strict = strict;
    loadAttributes((dir / "items.csv").string(), o, EntityKind::kItem, result.dataset, result,
                   rest);
  }
  if (fs::exists(dir / "users.csv")) {
    AttributeOptions o = options.userAttributes;
    o.strict = strict;
    loadAttributes((dir / "users.csv").string(), o, EntityKind::kUser, result.dataset, result,
                   rest);
  }
  result.dataset.source = folder;
  result.dataset.name = dir.filename().string();
  if (result.dataset.name.empty()) result.dataset.name = dir.parent_path().filename().string();
  return result;
}

namespace {

// Copies row `from` of src into row `to` of dst (same type; categories re-interned by text).
void copyAttributeRow(const AttributeColumn& src, std::size_t from, AttributeColumn& dst,
                      std::size_t to) {
  switch (src.type) {
    case ColumnType::kNumeric:
      dst.numeric[to] = src.numeric[from];
      break;
    case ColumnType::kText:
      dst.text[to] = src.text[from];
      break;
    case ColumnType::kCategorical:
      dst.codes[to] =
          src.codes[from] < 0
              ? -1
              : dst.internCategory(src.categories[static_cast<std::size_t>(src.codes[from])]);
      break;
    case ColumnType::kMultiCategorical: {
      // Rebuild the flat arrays with row `to` replaced.
      std::vector<std::int32_t> codes;
      std::vector<std::uint64_t> offsets{0};
      const std::size_t rows = dst.rows();
      for (std::size_t r = 0; r < rows; ++r) {
        if (r == to) {
          for (auto k = src.offsets[from]; k < src.offsets[from + 1]; ++k) {
            codes.push_back(
                dst.internCategory(src.categories[static_cast<std::size_t>(src.codes[k])]));
          }
        } else {
          for (auto k = dst.offsets[r]; k < dst.offsets[r + 1]; ++k) codes.push_back(dst.codes[k]);
        }
        offsets.push_back(codes.size());
      }
      dst.codes = std::move(codes);
      dst.offsets = std::move(offsets);
      break;
    }
  }
}

// Merges an attribute table indexed by `map` (source index -> result index) into `dst`.
void mergeAttributeTable(const AttributeTable& src, const std::vector<Index>& map, std::size_t rows,
                         AttributeTable& dst, const char* entity, std::vector<std::string>& notes) {
  dst.ensureRows(rows);
  for (const auto& col : src.columns) {
    AttributeColumn* target = dst.find(col.name);
    if (target != nullptr && target->type != col.type) {
      notes.push_back(std::string(entity) + " attribute '" + col.name + "' is " +
                      std::string(columnTypeName(col.type)) + " here but " +
                      std::string(columnTypeName(target->type)) +
                      " in the base dataset; the base column is kept");
      continue;
    }
    if (target == nullptr) {
      AttributeColumn fresh;
      fresh.name = col.name;
      fresh.type = col.type;
      fresh.resize(rows);
      dst.columns.push_back(std::move(fresh));
      target = &dst.columns.back();
    }
    const std::size_t n = std::min(col.rows(), map.size());
    if (col.type == ColumnType::kMultiCategorical) {
      // Row-by-row replacement rebuilds the arrays; collect the rows first and rebuild once.
      std::vector<std::vector<std::string>> values(rows);
      std::vector<char> set(rows, 0);
      for (std::size_t r = 0; r < n; ++r) {
        if (col.offsets[r + 1] == col.offsets[r]) continue;  // missing: the base's row stays
        set[map[r]] = 1;
        for (auto k = col.offsets[r]; k < col.offsets[r + 1]; ++k) {
          values[map[r]].push_back(col.categories[static_cast<std::size_t>(col.codes[k])]);
        }
      }
      AttributeColumn rebuilt;
      rebuilt.name = target->name;
      rebuilt.type = target->type;
      rebuilt.categories = target->categories;
      rebuilt.offsets.push_back(0);
      for (std::size_t r = 0; r < rows; ++r) {
        if (set[r]) {
          for (const auto& v : values[r]) rebuilt.codes.push_back(rebuilt.internCategory(v));
        } else if (r < target->rows()) {
          for (auto k = target->offsets[r]; k < target->offsets[r + 1]; ++k)
            rebuilt.codes.push_back(target->codes[k]);
        }
        rebuilt.offsets.push_back(rebuilt.codes.size());
      }
      *target = std::move(rebuilt);
      continue;
    }
    for (std::size_t r = 0; r < n; ++r) {
      if (!col.display(r).empty()) copyAttributeRow(col, r, *target, map[r]);
    }
  }
}

// Re-expresses a loaded dataset in base's indices (see DatasetOptions::base).
void rebase(LoadResult& result, const Dataset& base) {
  Dataset& src = result.dataset;
  Dataset out = base.emptyLike();
  out.name = src.name;
  out.source = src.source;
  std::vector<Index> userMap(src.users.size()), itemMap(src.items.size());
  for (Index u = 0; u < src.users.size(); ++u) userMap[u] = out.users.intern(src.users.external(u));
  for (Index i = 0; i < src.items.size(); ++i) itemMap[i] = out.items.intern(src.items.external(i));
  std::vector<std::uint8_t> eventMap(src.interactions.eventNames.size(), 0);
  for (std::size_t e = 0; e < eventMap.size(); ++e) {
    auto& names = out.interactions.eventNames;
    const auto it = std::find(names.begin(), names.end(), src.interactions.eventNames[e]);
    if (it == names.end()) {
      if (names.size() >= 256) throw ParseError(src.source, 0, 0, "more than 256 event types");
      names.push_back(src.interactions.eventNames[e]);
    }
    eventMap[e] = static_cast<std::uint8_t>(
        std::find(names.begin(), names.end(), src.interactions.eventNames[e]) - names.begin());
  }
  const Interactions& in = src.interactions;
  if (!in.hasEvents() && !out.interactions.eventNames.empty()) {
    // The source's rows have no event type: they must not take the base's first one (labels
    // built from event types would silently read every row as that event).
    out.interactions.eventNames.clear();
    result.notes.push_back(src.source +
                           ": no event column; its rows carry no event type (the base's event "
                           "types are not applied to them)");
  }
  out.interactions.reserve(in.size(), in.hasEvents());
  for (std::size_t r = 0; r < in.size(); ++r) {
    out.interactions.push(userMap[in.user[r]], itemMap[in.item[r]], in.value[r], in.timestamp[r],
                          in.hasEvents() ? eventMap[in.event[r]] : std::uint8_t{0});
  }
  mergeAttributeTable(src.userAttributes, userMap, out.users.size(), out.userAttributes, "user",
                      result.notes);
  mergeAttributeTable(src.itemAttributes, itemMap, out.items.size(), out.itemAttributes, "item",
                      result.notes);
  src = std::move(out);
}

LoadResult loadDatasetOwn(const std::string& path, const DatasetOptions& options, TaskContext& ctx);

}  // namespace

LoadResult loadDataset(const std::string& path, const DatasetOptions& options, TaskContext& ctx) {
  LoadResult result = loadDatasetOwn(path, options, ctx);
  // Every reader loads on its own; the result is then re-expressed in base's indices, so the
  // rule is the same for every format.
  if (options.base != nullptr) rebase(result, *options.base);
  return result;
}

namespace {
LoadResult loadDatasetOwn(const std::string& path, const DatasetOptions& options,
                          TaskContext& ctx) {
  const DataFormat format =
      options.format == DataFormat::kAuto ? detectDataFormat(path) : options.format;
  switch (format) {
    case DataFormat::kMovieLens:
    case DataFormat::kMovieLens100K:
    case DataFormat::kMovieLens1M:
    case DataFormat::kMovieLensLatest:
      return loadMovieLens(path, format, options, ctx);
    case DataFormat::kRecWorkbench:
      return loadRecWorkbenchFolder(path, options, ctx);
    case DataFormat::kSqlite:
      return loadSqlite(path, options, ctx);
    case DataFormat::kPostgreSql:
      return loadPostgreSql(path, options, ctx);
    case DataFormat::kOdbc:
      return loadOdbc(path, options, ctx);
    case DataFormat::kAuto:
    case DataFormat::kDelimited:
      break;
  }
  if (fs::is_directory(path)) {
    throw IoError("'" + path + "' is a folder; the delimited format needs a file");
  }
  const bool extra = !options.itemsPath.empty() || !options.usersPath.empty();
  TaskContext main(ctx, 0.0, extra ? 0.9 : 1.0);
  LoadResult result = loadDelimited(path, options.interactions, main);
  TaskContext rest(ctx, 0.9, 1.0);
  if (!options.itemsPath.empty()) {
    AttributeOptions o = options.itemAttributes;
    o.strict = options.interactions.strict;
    loadAttributes(options.itemsPath, o, EntityKind::kItem, result.dataset, result, rest);
  }
  if (!options.usersPath.empty()) {
    AttributeOptions o = options.userAttributes;
    o.strict = options.interactions.strict;
    loadAttributes(options.usersPath, o, EntityKind::kUser, result.dataset, result, rest);
  }
  return result;
}
}  // namespace

}  // namespace rwb
