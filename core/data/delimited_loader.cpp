#include "core/data/delimited_loader.h"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string_view>

#include "core/util/error.h"

namespace rwb {

namespace {

std::vector<std::string_view> splitLine(std::string_view line, char delim) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = line.find(delim, start);
    if (pos == std::string_view::npos) {
      out.push_back(line.substr(start));
      break;
    }
    out.push_back(line.substr(start, pos - start));
    start = pos + 1;
  }
  return out;
}

char detectDelimiter(std::string_view firstLine) {
  constexpr std::array<char, 4> candidates{'\t', ',', ';', '|'};
  char best = 0;
  std::size_t bestCount = 0;
  for (char c : candidates) {
    const auto n = static_cast<std::size_t>(std::count(firstLine.begin(), firstLine.end(), c));
    if (n > bestCount) {
      best = c;
      bestCount = n;
    }
  }
  return best;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int findByNames(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    for (const char* n : names) {
      if (header[i] == n) return static_cast<int>(i);
    }
  }
  return -1;
}

bool parseDouble(std::string_view s, double& out) {
  const auto res = fast_float::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool parseInt64(std::string_view s, std::int64_t& out) {
  const auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

}  // namespace

LoadResult loadDelimited(const std::string& path, const DelimitedOptions& options, TaskContext& ctx,
                         const Dataset* base) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open '" + path + "' for reading");
  in.seekg(0, std::ios::end);
  const auto fileSize = static_cast<double>(std::max<std::streamoff>(1, in.tellg()));
  in.seekg(0);

  LoadResult result;
  if (base != nullptr) result.dataset = base->emptyLike();
  result.dataset.source = path;
  LoadCounts counts;
  counts.file = path;

  auto reject = [&](std::uint64_t line, std::uint64_t column, const std::string& reason) {
    if (options.strict) throw ParseError(path, line, column, reason);
    ++counts.rowsSkipped;
    ++result.skippedByReason[reason];
    if (result.issues.size() < LoadResult::kMaxIssues) {
      result.issues.push_back({path, line, column, reason});
    }
  };

  std::string line;
  std::uint64_t lineNo = 0;
  char delim = options.delimiter;
  int cUser = -1, cItem = -1, cValue = -1, cTime = -1;
  bool first = true;
  auto& log = result.dataset.interactions;

  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (first) {
      first = false;
      if (delim == 0) delim = detectDelimiter(line);
      if (delim == 0) delim = ',';
      auto fields = splitLine(line, delim);
      std::vector<std::string> names;
      for (auto f : fields) names.push_back(lower(f));
      double probe;
      bool header = options.header == HeaderMode::kYes;
      if (options.header == HeaderMode::kAuto) {
        header = fields.size() < 2 || !parseDouble(fields.back(), probe) ||
                 findByNames(names, {"user", "userid", "user_id"}) >= 0;
      }
      auto resolve = [&](const ColumnRef& ref, std::initializer_list<const char*> known,
                         int fallback) {
        if (ref.position >= 0) return ref.position;
        if (!ref.name.empty()) {
          const int p = findByNames(names, {lower(ref.name).c_str()});
          if (p < 0 || !header) throw ParseError(path, 1, 0, "no column named '" + ref.name + "'");
          return p;
        }
        if (header) return findByNames(names, known);
        return fallback < static_cast<int>(fields.size()) ? fallback : -1;
      };
      cUser = resolve(options.user, {"user", "userid", "user_id", "customer_id"}, 0);
      cItem = resolve(options.item, {"item", "itemid", "item_id", "movieid", "product_id"}, 1);
      cValue = resolve(options.value, {"rating", "value", "score", "weight"}, 2);
      cTime = resolve(options.timestamp, {"timestamp", "time", "ts"}, 3);
      if (cUser < 0) throw ParseError(path, 1, 0, "no user column found");
      if (cItem < 0) throw ParseError(path, 1, 0, "no item column found");
      if (header) continue;
    }
    ++counts.rowsRead;
    const auto fields = splitLine(line, delim);
    const int need = std::max({cUser, cItem, cValue, cTime});
    if (static_cast<int>(fields.size()) <= need) {
      reject(lineNo, 0,
             "expected at least " + std::to_string(need + 1) + " fields, found " +
                 std::to_string(fields.size()));
      continue;
    }
    double v = options.implicitValue;
    if (cValue >= 0 && !parseDouble(fields[static_cast<std::size_t>(cValue)], v)) {
      reject(lineNo, static_cast<std::uint64_t>(cValue) + 1, "value is not a number");
      continue;
    }
    if (!std::isfinite(v)) {
      reject(lineNo, static_cast<std::uint64_t>(cValue) + 1, "value is not finite");
      continue;
    }
    std::int64_t t = kNoTimestamp;
    if (cTime >= 0 && !parseInt64(fields[static_cast<std::size_t>(cTime)], t)) {
      reject(lineNo, static_cast<std::uint64_t>(cTime) + 1, "timestamp is not an integer");
      continue;
    }
    const auto u = fields[static_cast<std::size_t>(cUser)];
    const auto i = fields[static_cast<std::size_t>(cItem)];
    if (u.empty() || i.empty()) {
      reject(lineNo, static_cast<std::uint64_t>(u.empty() ? cUser : cItem) + 1, "empty id");
      continue;
    }
    log.push(result.dataset.users.intern(u), result.dataset.items.intern(i),
             static_cast<float>(v), t);
    ++counts.rowsLoaded;
    if ((lineNo & 0xFFFF) == 0) {
      ctx.throwIfStopped();
      ctx.progress(static_cast<double>(in.tellg()) / fileSize, "reading " + path);
    }
  }
  if (in.bad()) throw IoError("error while reading '" + path + "'");
  result.dataset.userAttributes.ensureRows(result.dataset.numUsers());
  result.dataset.itemAttributes.ensureRows(result.dataset.numItems());
  result.tables.push_back(counts);
  return result;
}

}  // namespace rwb
