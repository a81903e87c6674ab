#pragma once
// Reads MovieLens-100K (u.data, u.item, u.user) into a Dataset with attributes for the content
// model tests and benchmarks: items get "genres" (multi), "title" (text, year suffix removed),
// "year" (numeric release year) and "release_date" (numeric Unix seconds); users get "age"
// (numeric), "age_band" (categorical decade), "gender" and "occupation" (categorical).
// Header-only, used until the data module's MovieLens loader lands on main; it throws
// std::runtime_error naming file and line on malformed input.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace rwb::test {

inline std::vector<std::string> splitFields(const std::string& line, char sep) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : line) {
    if (c == sep) {
      f.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  f.push_back(cur);
  return f;
}

inline Dataset loadMovieLens100k(const std::filesystem::path& dir) {
  Dataset d;
  d.name = "ml-100k";
  d.source = dir.string();
  auto open = [&](const char* name) {
    std::ifstream in(dir / name, std::ios::binary);
    if (!in) throw std::runtime_error((dir / name).string() + ": cannot open");
    return in;
  };
  // Users and items first so that dense indices follow the attribute files' order.
  {
    auto in = open("u.user");
    AttributeColumn age{"age", ColumnType::kNumeric}, band{"age_band", ColumnType::kCategorical},
        gender{"gender", ColumnType::kCategorical}, occ{"occupation", ColumnType::kCategorical};
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      auto f = splitFields(line, '|');
      if (f.size() < 5)
        throw std::runtime_error("u.user:" + std::to_string(n) + ": expected 5 fields");
      const Index u = d.users.intern(f[0]);
      age.resize(u + 1);
      band.resize(u + 1);
      gender.resize(u + 1);
      occ.resize(u + 1);
      const int a = std::stoi(f[1]);
      age.numeric[u] = a;
      band.codes[u] = band.internCategory(std::to_string(a / 10 * 10) + "s");
      gender.codes[u] = gender.internCategory(f[2]);
      occ.codes[u] = occ.internCategory(f[3]);
    }
    d.userAttributes.columns = {age, band, gender, occ};
  }
  {
    auto in = open("u.item");
    const char* genreNames[] = {"unknown",   "Action",   "Adventure",   "Animation", "Children's",
                                "Comedy",    "Crime",    "Documentary", "Drama",     "Fantasy",
                                "Film-Noir", "Horror",   "Musical",     "Mystery",   "Romance",
                                "Sci-Fi",    "Thriller", "War",         "Western"};
    AttributeColumn genres{"genres", ColumnType::kMultiCategorical},
        title{"title", ColumnType::kText}, year{"year", ColumnType::kNumeric},
        date{"release_date", ColumnType::kNumeric};
    genres.offsets = {0};
    std::string line;
    std::size_t n = 0;
    const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      auto f = splitFields(line, '|');
      if (f.size() < 24)
        throw std::runtime_error("u.item:" + std::to_string(n) + ": expected 24 fields");
      const Index i = d.items.intern(f[0]);
      if (i + 1 != genres.offsets.size())
        throw std::runtime_error("u.item:" + std::to_string(n) + ": duplicate id");
      for (int g = 0; g < 19; ++g) {
        if (f[5 + g] == "1") genres.codes.push_back(genres.internCategory(genreNames[g]));
      }
      genres.offsets.push_back(genres.codes.size());
      std::string t = f[1];
      if (t.size() > 7 && t[t.size() - 1] == ')' && t[t.size() - 6] == '(')
        t = t.substr(0, t.size() - 7);
      title.text.push_back(t);
      double y = std::nan(""), secs = std::nan("");
      if (f[2].size() == 11) {  // dd-Mon-yyyy
        const int dd = std::stoi(f[2].substr(0, 2));
        const int yy = std::stoi(f[2].substr(7, 4));
        unsigned mm = 1;
        for (unsigned k = 0; k < 12; ++k) {
          if (f[2].substr(3, 3) == months[k]) mm = k + 1;
        }
        using namespace std::chrono;
        const auto days = sys_days(
            year_month_day(std::chrono::year(yy), month(mm), day(static_cast<unsigned>(dd))));
        secs = static_cast<double>(duration_cast<seconds>(days.time_since_epoch()).count());
        y = yy;
      }
      year.numeric.push_back(y);
      date.numeric.push_back(secs);
    }
    d.itemAttributes.columns = {genres, title, year, date};
  }
  {
    auto in = open("u.data");
    std::string line;
    std::size_t n = 0;
    d.interactions.reserve(100000);
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      auto f = splitFields(line, '\t');
      if (f.size() < 4)
        throw std::runtime_error("u.data:" + std::to_string(n) + ": expected 4 fields");
      const auto u = d.users.find(f[0]);
      const auto i = d.items.find(f[1]);
      if (!u || !i)
        throw std::runtime_error("u.data:" + std::to_string(n) + ": unknown user or item");
      d.interactions.push(*u, *i, std::stof(f[2]), std::stoll(f[3]));
    }
  }
  d.userAttributes.ensureRows(d.numUsers());
  d.itemAttributes.ensureRows(d.numItems());
  return d;
}

/// One file of the ml-100k-recsplit split (user, item, rating, timestamp per line) as a
/// Dataset sharing `full`'s id maps and attributes. Throws std::runtime_error naming the file
/// and line of a malformed row or an id absent from `full`.
inline Dataset loadRecsplitPart(const Dataset& full, const std::filesystem::path& file) {
  Dataset part = full.emptyLike();
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string u, i;
    float v = 0;
    long long t = 0;
    if (!(fields >> u >> i >> v >> t))
      throw std::runtime_error(file.string() + ":" + std::to_string(n) + ": expected 4 fields");
    const auto uu = full.users.find(u);
    const auto ii = full.items.find(i);
    if (!uu || !ii)
      throw std::runtime_error(file.string() + ":" + std::to_string(n) + ": unknown user or item");
    part.interactions.push(*uu, *ii, v, t);
  }
  return part;
}

}  // namespace rwb::test
