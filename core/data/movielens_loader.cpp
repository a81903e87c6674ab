// MovieLens folder layouts (GroupLens): 100K, 1M and the ratings.csv family (latest, 25M).
// Field layouts follow each release's README.
#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "core/data/attribute_loader.h"
#include "core/data/dataset_loader.h"
#include "core/data/text_parse.h"
#include "core/util/error.h"

namespace rwb {

namespace fs = std::filesystem;

namespace {

const std::array<const char*, 19> kGenres100K{
    "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
    "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
    "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};

// users.dat occupation codes (ML-1M README).
const std::array<const char*, 21> kOccupations1M{"other",
                                                 "academic/educator",
                                                 "artist",
                                                 "clerical/admin",
                                                 "college/grad student",
                                                 "customer service",
                                                 "doctor/health care",
                                                 "executive/managerial",
                                                 "farmer",
                                                 "homemaker",
                                                 "K-12 student",
                                                 "lawyer",
                                                 "programmer",
                                                 "retired",
                                                 "sales/marketing",
                                                 "scientist",
                                                 "self-employed",
                                                 "technician/engineer",
                                                 "tradesman/craftsman",
                                                 "unemployed",
                                                 "writer"};

/// "Toy Story (1995)" -> "1995"; "Babylon 5" -> "". Also "(2007-)" and "(2007-2010)".
std::string yearFromTitle(std::string_view title) {
  title = trimSpaces(title);
  if (title.empty() || title.back() != ')') return {};
  const auto open = title.rfind('(');
  if (open == std::string_view::npos) return {};
  const auto inner = title.substr(open + 1, title.size() - open - 2);
  if (inner.size() < 4) return {};
  for (std::size_t i = 0; i < 4; ++i) {
    if (inner[i] < '0' || inner[i] > '9') return {};
  }
  if (inner.size() > 4 && inner[4] != '-') return {};
  return std::string(inner.substr(0, 4));
}

/// "01-Jan-1995" -> "1995".
std::string yearFromDate(std::string_view date) {
  date = trimSpaces(date);
  if (date.size() < 4) return {};
  const auto y = date.substr(date.size() - 4);
  for (char c : y) {
    if (c < '0' || c > '9') return {};
  }
  return std::string(y);
}

/// "01-Jan-1995" (or "4-Feb-1971") -> "788918400" (Unix seconds at midnight UTC), "" -> ""
/// (missing); nullopt when the text is not a d[d]-Mon-yyyy date.
std::optional<std::string> unixSecondsFromDate(std::string_view date) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  date = trimSpaces(date);
  if (date.empty()) return std::string();
  const std::size_t d = date.size() == 11 ? 2 : 1;  // day digits
  if (date.size() != 9 + d || date[d] != '-' || date[d + 4] != '-') return std::nullopt;
  std::int64_t dd = 0, yy = 0;
  if (!parseInt64(date.substr(0, d), dd) || !parseInt64(date.substr(d + 5, 4), yy)) {
    return std::nullopt;
  }
  const auto m = std::find(kMonths.begin(), kMonths.end(), date.substr(d + 1, 3));
  if (m == kMonths.end()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year(static_cast<int>(yy)),
                           month(static_cast<unsigned>(m - kMonths.begin() + 1)),
                           day(static_cast<unsigned>(dd))};
  if (!ymd.ok()) return std::nullopt;
  return std::to_string(duration_cast<seconds>(sys_days(ymd).time_since_epoch()).count());
}

CsvFormat plainFormat(const char* delimiter, bool latin1) {
  CsvFormat f;
  f.delimiter = delimiter;
  f.quote = 0;  // MovieLens .dat and u.* files are not quoted; titles may contain '"'.
  f.latin1 = latin1;
  return f;
}

RowVerdict needFields(std::span<const std::string_view> fields, std::size_t n) {
  if (fields.size() < n) {
    return {"wrong number of fields", 0,
            "expected at least " + std::to_string(n) + ", found " + std::to_string(fields.size())};
  }
  if (trimSpaces(fields[0]).empty()) return {"id is empty", 1, {}};
  return {};
}

AttributeOptions typed(std::initializer_list<std::pair<const char*, ColumnType>> types) {
  AttributeOptions o;
  for (const auto& [name, type] : types) o.types[name] = type;
  return o;
}

void load100K(const fs::path& dir, bool strict, LoadResult& result, TaskContext& ctx) {
  auto& ds = result.dataset;
  // Genre names from u.genre when present ("name|index" lines), else the documented list.
  std::vector<std::string> genres(kGenres100K.begin(), kGenres100K.end());
  if (fs::exists(dir / "u.genre")) {
    LoadResult scratch;
    std::vector<std::string> fromFile(genres.size());
    bool ok = true;
    scanDelimited((dir / "u.genre").string(), plainFormat("|", true), nullptr, false, scratch, ctx,
                  [&](std::span<const std::string_view> f, std::uint64_t) -> RowVerdict {
                    std::int64_t idx;
                    if (f.size() != 2 || !parseInt64(f[1], idx) || idx < 0 ||
                        idx >= static_cast<std::int64_t>(fromFile.size())) {
                      ok = false;
                      return {"bad genre line", 0, {}};
                    }
                    fromFile[static_cast<std::size_t>(idx)] = std::string(trimSpaces(f[0]));
                    return {};
                  });
    if (ok && scratch.rowsLoaded() == genres.size()) genres = fromFile;
  }
  if (fs::exists(dir / "u.item")) {
    RawTable raw;
    raw.source = (dir / "u.item").string();
    const auto title = raw.addColumn("title");
    const auto year = raw.addColumn("year");
    const auto genreCol = raw.addColumn("genres");
    const auto release = raw.addColumn("release_date");
    const auto video = raw.addColumn("video_release_date");
    const auto url = raw.addColumn("url");
    scanDelimited(raw.source, plainFormat("|", true), nullptr, strict, result, ctx,
                  [&](std::span<const std::string_view> f, std::uint64_t) -> RowVerdict {
                    if (auto v = needFields(f, 5 + genres.size()); v.reason) return v;
                    std::string g;
                    for (std::size_t k = 0; k < genres.size(); ++k) {
                      const auto flag = trimSpaces(f[5 + k]);
                      if (flag != "0" && flag != "1") {
                        return {"genre flag is not 0 or 1", 6 + k, quoteForMessage(flag)};
                      }
                      if (flag == "1") {
                        if (!g.empty()) g += '|';
                        g += genres[k];
                      }
                    }
                    auto released = unixSecondsFromDate(f[2]);
                    if (!released) {
                      return {"release date is not dd-Mon-yyyy", 3, quoteForMessage(f[2])};
                    }
                    auto videoReleased = unixSecondsFromDate(f[3]);
                    if (!videoReleased) {
                      return {"video release date is not dd-Mon-yyyy", 4, quoteForMessage(f[3])};
                    }
                    const auto r = raw.addRow(std::string(trimSpaces(f[0])));
                    raw.cells[title][r] = std::string(trimSpaces(f[1]));
                    raw.cells[release][r] = std::move(*released);
                    raw.cells[video][r] = std::move(*videoReleased);
                    raw.cells[url][r] = std::string(trimSpaces(f[4]));
                    auto y = yearFromDate(f[2]);
                    raw.cells[year][r] = y.empty() ? yearFromTitle(f[1]) : y;
                    raw.cells[genreCol][r] = std::move(g);
                    return {};
                  });
    mergeAttributes(raw,
                    typed({{"title", ColumnType::kText},
                           {"year", ColumnType::kNumeric},
                           {"genres", ColumnType::kMultiCategorical},
                           {"release_date", ColumnType::kNumeric},
                           {"video_release_date", ColumnType::kNumeric},
                           {"url", ColumnType::kText}}),
                    ds.items, ds.itemAttributes, result);
  }
  if (fs::exists(dir / "u.user")) {
    RawTable raw;
    raw.source = (dir / "u.user").string();
    const auto age = raw.addColumn("age");
    const auto gender = raw.addColumn("gender");
    const auto occupation = raw.addColumn("occupation");
    const auto zip = raw.addColumn("zip");
    scanDelimited(raw.source, plainFormat("|", true), nullptr, strict, result, ctx,
                  [&](std::span<const std::string_view> f, std::uint64_t) -> RowVerdict {
                    if (auto v = needFields(f, 5); v.reason) return v;
                    const auto r = raw.addRow(std::string(trimSpaces(f[0])));
                    raw.cells[age][r] = std::string(trimSpaces(f[1]));
                    raw.cells[gender][r] = std::string(trimSpaces(f[2]));
                    raw.cells[occupation][r] = std::string(trimSpaces(f[3]));
                    raw.cells[zip][r] = std::string(trimSpaces(f[4]));
                    return {};
                  });
    mergeAttributes(raw,
                    typed({{"age", ColumnType::kNumeric},
                           {"gender", ColumnType::kCategorical},
                           {"occupation", ColumnType::kCategorical},
                           {"zip", ColumnType::kCategorical}}),
                    ds.users, ds.userAttributes, result);
  }
}

void loadMoviesTable(const std::string& path, const CsvFormat& format, bool header, bool strict,
                     LoadResult& result, TaskContext& ctx) {
  RawTable raw;
  raw.source = path;
  const auto title = raw.addColumn("title");
  const auto year = raw.addColumn("year");
  const auto genres = raw.addColumn("genres");
  std::vector<std::string> names;
  scanDelimited(path, format, header ? &names : nullptr, strict, result, ctx,
                [&](std::span<const std::string_view> f, std::uint64_t) -> RowVerdict {
                  if (auto v = needFields(f, 3); v.reason) return v;
                  const auto r = raw.addRow(std::string(trimSpaces(f[0])));
                  raw.cells[title][r] = std::string(trimSpaces(f[1]));
                  raw.cells[year][r] = yearFromTitle(f[1]);
                  const auto g = trimSpaces(f[2]);
                  if (g != "(no genres listed)") raw.cells[genres][r] = std::string(g);
                  return {};
                });
  auto& ds = result.dataset;
  mergeAttributes(raw,
                  typed({{"title", ColumnType::kText},
                         {"year", ColumnType::kNumeric},
                         {"genres", ColumnType::kMultiCategorical}}),
                  ds.items, ds.itemAttributes, result);
}

void load1M(const fs::path& dir, bool strict, LoadResult& result, TaskContext& ctx) {
  auto& ds = result.dataset;
  if (fs::exists(dir / "movies.dat")) {
    loadMoviesTable((dir / "movies.dat").string(), plainFormat("::", true), false, strict, result,
                    ctx);
  }
  if (fs::exists(dir / "users.dat")) {
    RawTable raw;
    raw.source = (dir / "users.dat").string();
    const auto gender = raw.addColumn("gender");
    const auto age = raw.addColumn("age");
    const auto occupation = raw.addColumn("occupation");
    const auto zip = raw.addColumn("zip");
    scanDelimited(raw.source, plainFormat("::", true), nullptr, strict, result, ctx,
                  [&](std::span<const std::string_view> f, std::uint64_t) -> RowVerdict {
                    if (auto v = needFields(f, 5); v.reason) return v;
                    std::int64_t occ;
                    std::string occName(trimSpaces(f[3]));
                    if (parseInt64(f[3], occ) && occ >= 0 &&
                        occ < static_cast<std::int64_t>(kOccupations1M.size())) {
                      occName = kOccupations1M[static_cast<std::size_t>(occ)];
                    }
                    const auto r = raw.addRow(std::string(trimSpaces(f[0])));
                    raw.cells[gender][r] = std::string(trimSpaces(f[1]));
                    raw.cells[age][r] = std::string(trimSpaces(f[2]));
                    raw.cells[occupation][r] = std::move(occName);
                    raw.cells[zip][r] = std::string(trimSpaces(f[4]));
                    return {};
                  });
    mergeAttributes(raw,
                    typed({{"gender", ColumnType::kCategorical},
                           {"age", ColumnType::kNumeric},
                           {"occupation", ColumnType::kCategorical},
                           {"zip", ColumnType::kCategorical}}),
                    ds.users, ds.userAttributes, result);
  }
}

void loadLatest(const fs::path& dir, bool strict, LoadResult& result, TaskContext& ctx) {
  auto& ds = result.dataset;
  CsvFormat csv;  // RFC 4180 with quotes, UTF-8
  if (fs::exists(dir / "movies.csv")) {
    loadMoviesTable((dir / "movies.csv").string(), csv, true, strict, result, ctx);
  }
  if (fs::exists(dir / "tags.csv")) {
    // userId,movieId,tag,timestamp -> a multi-valued "tags" attribute per movie (distinct tags
    // in first-seen order). '|' inside a tag would split it, so it becomes '/'.
    std::map<std::string, std::vector<std::string>, std::less<>> tagsOf;
    std::vector<std::string> order;
    std::vector<std::string> names;
    const std::string path = (dir / "tags.csv").string();
    scanDelimited(path, csv, &names, strict, result, ctx,
                  [&](std::span<const std::string_view> f, std::uint64_t) -> RowVerdict {
                    if (f.size() < 3) return {"wrong number of fields", 0, {}};
                    const auto movie = trimSpaces(f[1]);
                    if (movie.empty()) return {"movie id is empty", 2, {}};
                    std::string tag(trimSpaces(f[2]));
                    if (tag.empty()) return {"tag is empty", 3, {}};
                    std::replace(tag.begin(), tag.end(), '|', '/');
                    auto it = tagsOf.find(movie);
                    if (it == tagsOf.end()) {
                      it = tagsOf.emplace(std::string(movie), std::vector<std::string>{}).first;
                      order.emplace_back(movie);
                    }
                    auto& list = it->second;
                    if (std::find(list.begin(), list.end(), tag) == list.end()) {
                      list.push_back(std::move(tag));
                    }
                    return {};
                  });
    RawTable raw;
    raw.source = path;
    const auto col = raw.addColumn("tags");
    for (const auto& movie : order) {
      std::string joined;
      for (const auto& t : tagsOf[movie]) {
        if (!joined.empty()) joined += '|';
        joined += t;
      }
      const auto r = raw.addRow(movie);
      raw.cells[col][r] = std::move(joined);
    }
    mergeAttributes(raw, typed({{"tags", ColumnType::kMultiCategorical}}), ds.items,
                    ds.itemAttributes, result);
  }
}

}  // namespace

LoadResult loadMovieLens(const std::string& folder, DataFormat layout,
                         const DatasetOptions& options, TaskContext& ctx) {
  if (layout == DataFormat::kMovieLens) layout = detectMovieLensLayout(folder);
  const fs::path dir(folder);
  const bool strict = options.interactions.strict;
  DelimitedOptions ratings;
  ratings.strict = strict;
  std::string ratingsFile;
  switch (layout) {
    case DataFormat::kMovieLens100K:
      ratingsFile = "u.data";
      ratings.delimiter = '\t';
      ratings.header = HeaderMode::kNo;
      ratings.quote = 0;
      break;
    case DataFormat::kMovieLens1M:
      ratingsFile = "ratings.dat";
      ratings.delimiterText = "::";
      ratings.header = HeaderMode::kNo;
      ratings.quote = 0;
      break;
    case DataFormat::kMovieLensLatest:
      ratingsFile = "ratings.csv";
      ratings.delimiter = ',';
      ratings.header = HeaderMode::kYes;
      break;
    default:
      throw Error("loadMovieLens: not a MovieLens layout");
  }
  if (!fs::exists(dir / ratingsFile)) {
    throw IoError("'" + folder + "' has no " + ratingsFile + " (needed for this MovieLens layout)");
  }
  if (ratings.header == HeaderMode::kNo) {
    ratings.user.position = 0;
    ratings.item.position = 1;
    ratings.value.position = 2;
    ratings.timestamp.position = 3;
  }
  TaskContext ratingsCtx(ctx, 0.0, 0.85);
  LoadResult result = loadDelimited((dir / ratingsFile).string(), ratings, ratingsCtx);
  TaskContext attrCtx(ctx, 0.85, 1.0);
  if (layout == DataFormat::kMovieLens100K) load100K(dir, strict, result, attrCtx);
  if (layout == DataFormat::kMovieLens1M) load1M(dir, strict, result, attrCtx);
  if (layout == DataFormat::kMovieLensLatest) loadLatest(dir, strict, result, attrCtx);
  auto& ds = result.dataset;
  ds.userAttributes.ensureRows(ds.numUsers());
  ds.itemAttributes.ensureRows(ds.numItems());
  ds.source = folder;
  ds.name = fs::path(folder).filename().string();
  if (ds.name.empty()) ds.name = fs::path(folder).parent_path().filename().string();
  result.notes.insert(result.notes.begin(),
                      "MovieLens layout " + std::string(dataFormatName(layout)));
  ctx.progress(1.0, "loaded");
  return result;
}

}  // namespace rwb
