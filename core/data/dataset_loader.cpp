#include "core/data/dataset_loader.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/data/text_parse.h"
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
                                       {DataFormat::kRecWorkbench, "recworkbench"},
                                       {DataFormat::kSqlite, "sqlite"}};

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

LoadResult loadDataset(const std::string& path, const DatasetOptions& options, TaskContext& ctx) {
  const DataFormat format =
      options.format == DataFormat::kAuto ? detectDataFormat(path) : options.format;
  switch (format) {
    case DataFormat::kMovieLens100K:
    case DataFormat::kMovieLens1M:
    case DataFormat::kMovieLensLatest:
      return loadMovieLens(path, format, options, ctx);
    case DataFormat::kRecWorkbench:
      return loadRecWorkbenchFolder(path, options, ctx);
    case DataFormat::kSqlite:
      return loadSqlite(path, options, ctx);
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

}  // namespace rwb
