#include "core/eval/recommendation_file.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <numeric>
#include <string_view>

#include "core/data/csv_reader.h"
#include "core/data/text_parse.h"
#include "core/util/error.h"

namespace rwb {

namespace {

// Ids and numbers as the data loaders read them: the reader unquotes (RFC 4180), surrounding
// spaces are trimmed.
std::vector<std::string_view> trimmedFields(const CsvRecord& rec) {
  std::vector<std::string_view> out;
  out.reserve(rec.fields.size());
  for (const auto f : rec.fields) out.push_back(trimSpaces(f));
  return out;
}

bool parseDouble(std::string_view s, double& v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

bool parseInt(std::string_view s, long long& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

char detect(std::string_view line) {
  char best = 0;
  std::size_t most = 0;
  for (const char c : {'\t', ',', ';', '|'}) {
    const auto n = static_cast<std::size_t>(std::count(line.begin(), line.end(), c));
    if (n > most) {
      most = n;
      best = c;
    }
  }
  return best;
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

int findColumn(const std::vector<std::string>& names, std::initializer_list<const char*> known) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (const char* k : known) {
      if (names[i] == k) return static_cast<int>(i);
    }
  }
  return -1;
}

struct Row {
  Index item;
  double score;
  long long rank;
  std::uint64_t line;
};

}  // namespace

RecommendationFile loadRecommendations(const std::string& path, const Dataset& base,
                                       const RecFileOptions& options, TaskContext& ctx) {
  // One reader for every delimited file: quoted ids (as every writer of ours quotes an id
  // holding the delimiter, a quote or a line break) read back exactly.
  CsvReader reader(path, CsvFormat{});

  RecommendationFile out;
  out.users = base.users;
  out.items = base.items;
  out.counts.file = path;
  const std::size_t baseUsers = base.users.size(), baseItems = base.items.size();

  std::vector<std::vector<Row>> rowsByList;
  std::vector<std::size_t> listOfUser;  // user index -> list position + 1 (0 = none)
  char delim = options.delimiter;
  if (delim == 0) {
    // The first non-empty line decides, as before the reader existed.
    const std::string head = reader.head(64 * 1024);
    std::string_view rest = head;
    while (!rest.empty()) {
      const auto eol = rest.find('\n');
      const std::string_view line = rest.substr(0, eol);
      if (!line.empty() && line != "\r") {
        delim = detect(line);
        break;
      }
      if (eol == std::string_view::npos) break;
      rest.remove_prefix(eol + 1);
    }
  }
  if (delim != 0) reader.setFormat(CsvFormat{std::string(1, delim)});
  int cUser = 0, cItem = 1, cScore = 2, cRank = -1;
  bool first = true;
  CsvRecord rec;
  std::uint64_t lineNo = 0;
  while (reader.next(rec)) {
    lineNo = rec.line;
    if (rec.error) {
      throw ParseError(
          path, rec.errorLine, rec.errorField,
          std::string(rec.error) + (rec.errorDetail.empty() ? "" : " (" + rec.errorDetail + ")"));
    }
    if (rec.blank()) continue;
    if (first) {
      first = false;
      if (delim == 0) {
        throw ParseError(path, lineNo, 0,
                         "no delimiter found (expected user, item, score separated by tab, "
                         "',', ';' or '|')");
      }
      const auto fields = trimmedFields(rec);
      double probe = 0.0;
      bool header = options.header == HeaderMode::kYes;
      if (options.header == HeaderMode::kAuto) {
        header = fields.size() < 3 || !parseDouble(fields[2], probe);
      }
      if (header) {
        std::vector<std::string> names;
        for (auto f : fields) names.push_back(lower(f));
        // A repeated name would be resolved silently to its first column: refuse it.
        for (std::size_t i = 0; i < names.size(); ++i) {
          const auto dup = std::find(names.begin(), names.begin() + static_cast<long>(i), names[i]);
          if (!names[i].empty() && dup != names.begin() + static_cast<long>(i)) {
            throw ParseError(path, lineNo, i + 1,
                             "duplicate column name '" + std::string(fields[i]) + "' (columns " +
                                 std::to_string(dup - names.begin() + 1) + " and " +
                                 std::to_string(i + 1) + "); rename one of them");
          }
        }
        cUser = findColumn(names, {"user", "userid", "user_id", "customer_id"});
        cItem = findColumn(names, {"item", "itemid", "item_id", "movieid", "product_id"});
        cScore = findColumn(names, {"score", "prediction", "rating", "value", "weight"});
        cRank = findColumn(names, {"rank"});
        // A detected header without a single known name is more likely a bad first row.
        if (options.header == HeaderMode::kAuto && cUser < 0 && cItem < 0 && cScore < 0) {
          if (fields.size() < 3) {
            throw ParseError(path, lineNo, 0,
                             "expected at least 3 fields (user, item, score), found " +
                                 std::to_string(fields.size()));
          }
          throw ParseError(path, lineNo, 3,
                           "score '" + std::string(fields[2].substr(0, 40)) +
                               "' is not a number (and the line is not a header naming user, "
                               "item and score columns)");
        }
        if (cUser < 0) throw ParseError(path, lineNo, 0, "header has no user column");
        if (cItem < 0) throw ParseError(path, lineNo, 0, "header has no item column");
        if (cScore < 0) {
          throw ParseError(path, lineNo, 0,
                           "header has no score column (score, prediction, rating or value)");
        }
        out.notes.push_back("header found on line " + std::to_string(lineNo));
        continue;
      }
      if (fields.size() < 3) {
        throw ParseError(path, lineNo, 0,
                         "expected at least 3 fields (user, item, score), found " +
                             std::to_string(fields.size()));
      }
      cRank = fields.size() >= 4 ? 3 : -1;
    }
    ++out.counts.rowsRead;
    const auto fields = trimmedFields(rec);
    const int need = std::max({cUser, cItem, cScore, cRank});
    if (static_cast<int>(fields.size()) <= need) {
      throw ParseError(path, lineNo, 0,
                       "expected at least " + std::to_string(need + 1) + " fields, found " +
                           std::to_string(fields.size()));
    }
    const auto uId = fields[static_cast<std::size_t>(cUser)];
    const auto iId = fields[static_cast<std::size_t>(cItem)];
    if (uId.empty() || iId.empty()) {
      throw ParseError(path, lineNo, static_cast<std::uint64_t>(uId.empty() ? cUser : cItem) + 1,
                       "empty id");
    }
    double score = 0.0;
    if (!parseDouble(fields[static_cast<std::size_t>(cScore)], score)) {
      throw ParseError(
          path, lineNo, static_cast<std::uint64_t>(cScore) + 1,
          "score '" + std::string(fields[static_cast<std::size_t>(cScore)]) + "' is not a number");
    }
    if (!std::isfinite(score)) {
      throw ParseError(path, lineNo, static_cast<std::uint64_t>(cScore) + 1, "score is not finite");
    }
    long long rank = 0;
    if (cRank >= 0) {
      if (!parseInt(fields[static_cast<std::size_t>(cRank)], rank) || rank < 1) {
        throw ParseError(path, lineNo, static_cast<std::uint64_t>(cRank) + 1,
                         "rank '" + std::string(fields[static_cast<std::size_t>(cRank)]) +
                             "' is not a positive integer");
      }
    }
    const Index u = out.users.intern(uId);
    const Index i = out.items.intern(iId);
    if (u >= listOfUser.size()) listOfUser.resize(static_cast<std::size_t>(u) + 1, 0);
    if (listOfUser[u] == 0) {
      out.listUsers.push_back(u);
      rowsByList.emplace_back();
      listOfUser[u] = rowsByList.size();
    }
    rowsByList[listOfUser[u] - 1].push_back({i, score, rank, lineNo});
    ++out.counts.rowsLoaded;
    if ((out.counts.rowsRead & 0xFFFF) == 0) {
      ctx.throwIfStopped();
      ctx.progress(static_cast<double>(reader.consumedBytes()) /
                       static_cast<double>(std::max<std::uint64_t>(1, reader.totalBytes())),
                   "reading " + path);
    }
  }
  // An empty list file would evaluate to "every metric undefined" with exit 0: refuse it.
  if (out.counts.rowsRead == 0) {
    throw ParseError(path, 0, 0,
                     first ? "the file is empty (expected user, item, score rows)"
                           : "no recommendation rows after the header line");
  }
  out.hasRank = cRank >= 0;

  out.lists.resize(rowsByList.size());
  for (std::size_t l = 0; l < rowsByList.size(); ++l) {
    auto& rows = rowsByList[l];
    // Duplicates: report the later line, naming the first.
    std::vector<std::size_t> byItem(rows.size());
    std::iota(byItem.begin(), byItem.end(), std::size_t{0});
    std::sort(byItem.begin(), byItem.end(), [&](std::size_t a, std::size_t b) {
      return rows[a].item != rows[b].item ? rows[a].item < rows[b].item
                                          : rows[a].line < rows[b].line;
    });
    for (std::size_t p = 1; p < byItem.size(); ++p) {
      const Row& a = rows[byItem[p - 1]];
      const Row& b = rows[byItem[p]];
      if (a.item == b.item) {
        throw ParseError(path, b.line, static_cast<std::uint64_t>(cItem) + 1,
                         "item '" + out.items.external(b.item) + "' is listed twice for user '" +
                             out.users.external(out.listUsers[l]) + "' (first on line " +
                             std::to_string(a.line) + ")");
      }
    }
    // Rows are in file order; a stable sort keeps equal scores (and equal ranks) in that order,
    // as the reference library's stable sort on the prediction column does.
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      if (a.rank != b.rank) return a.rank < b.rank;
      return a.score > b.score;
    });
    auto& list = out.lists[l].items;
    list.reserve(rows.size());
    for (const Row& r : rows) list.push_back({r.item, r.score});
  }
  out.newUsers = out.users.size() - baseUsers;
  out.newItems = out.items.size() - baseItems;
  out.counts.rowsSkipped = 0;
  return out;
}

EvalResult evaluateRecommendationFile(const Dataset& train, const Dataset& test,
                                      const std::string& path, const EvalOptions& options,
                                      TaskContext& ctx) {
  TaskContext reading(ctx, 0.0, 0.5);
  const RecommendationFile recs = loadRecommendations(path, test, {}, reading);
  TaskContext scoring(ctx, 0.5, 1.0);
  return evaluate(train, test, recs.listUsers, recs.lists, options, scoring);
}

}  // namespace rwb
