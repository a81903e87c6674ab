#pragma once
// Small synthetic datasets with planted structure for the feature and engagement-model tests.
// Header-only so that tests in several modules and the benchmarks can share it.

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace rwb::test {

/// Adds a column to a table and returns it.
inline AttributeColumn& addColumn(AttributeTable& t, std::string name, ColumnType type) {
  AttributeColumn c;
  c.name = std::move(name);
  c.type = type;
  t.columns.push_back(std::move(c));
  return t.columns.back();
}

/// Planted taste data. Users belong to group "A" or "B" (user column "group", plus numeric
/// "age"); items have a multi-valued "genres" (action or drama, sometimes plus "comedy"),
/// a "title" text with genre-specific words, and numeric "year". A-users engage only with
/// action items, B-users only with drama items (value 4-5), and each user also gives a few
/// low ratings (1-2) to items of the other genre. Items numItems-numCold..numItems-1 ("cold")
/// have attributes but no interactions.
struct Planted {
  Dataset data;
  std::vector<char> userIsA;       ///< per user
  std::vector<char> itemIsAction;  ///< per item
  std::size_t numCold = 0;
};

inline Planted plantedData(std::size_t numUsers = 60, std::size_t numItems = 80,
                           std::size_t numCold = 10, unsigned seed = 7) {
  Planted p;
  p.numCold = numCold;
  Dataset& d = p.data;
  std::mt19937 rng(seed);
  // References returned by addColumn stay valid only without reallocation.
  d.userAttributes.columns.reserve(4);
  d.itemAttributes.columns.reserve(4);
  for (std::size_t u = 0; u < numUsers; ++u) d.users.intern("u" + std::to_string(u));
  for (std::size_t i = 0; i < numItems; ++i) d.items.intern("i" + std::to_string(i));
  auto& group = addColumn(d.userAttributes, "group", ColumnType::kCategorical);
  auto& age = addColumn(d.userAttributes, "age", ColumnType::kNumeric);
  for (std::size_t u = 0; u < numUsers; ++u) {
    const bool a = u % 2 == 0;
    p.userIsA.push_back(a);
    group.codes.push_back(group.internCategory(a ? "A" : "B"));
    age.numeric.push_back(20.0 + static_cast<double>(u % 30));
  }
  auto& genres = addColumn(d.itemAttributes, "genres", ColumnType::kMultiCategorical);
  auto& title = addColumn(d.itemAttributes, "title", ColumnType::kText);
  auto& year = addColumn(d.itemAttributes, "year", ColumnType::kNumeric);
  genres.offsets = {0};
  const char* actionWords[] = {"explosion", "chase", "hero", "battle"};
  const char* dramaWords[] = {"love", "family", "tears", "letter"};
  for (std::size_t i = 0; i < numItems; ++i) {
    const bool action = (i * 7 + 3) % 5 < 2 || i % 2 == 0;
    p.itemIsAction.push_back(action);
    genres.codes.push_back(genres.internCategory(action ? "action" : "drama"));
    if (i % 3 == 0) genres.codes.push_back(genres.internCategory("comedy"));
    genres.offsets.push_back(genres.codes.size());
    const char** words = action ? actionWords : dramaWords;
    title.text.push_back(std::string("The ") + words[i % 4] + " " + words[(i + 1) % 4] + " " +
                         std::to_string(i));
    year.numeric.push_back(1980.0 + static_cast<double>(i % 40));
  }
  const std::size_t warm = numItems - numCold;
  for (std::size_t u = 0; u < numUsers; ++u) {
    for (std::size_t i = 0; i < warm; ++i) {
      const bool match = p.itemIsAction[i] == static_cast<bool>(p.userIsA[u]);
      const double r = std::uniform_real_distribution<double>(0, 1)(rng);
      // Random times: a user's latest interactions are not tied to any item property.
      const std::int64_t t = 1'000'000'000 + static_cast<std::int64_t>(rng() % 10'000'000);
      if (match && r < 0.45) {
        d.interactions.push(static_cast<Index>(u), static_cast<Index>(i), r < 0.2 ? 5.0f : 4.0f, t);
      } else if (!match && r < 0.05) {
        d.interactions.push(static_cast<Index>(u), static_cast<Index>(i), r < 0.02 ? 1.0f : 2.0f,
                            t);
      }
    }
  }
  return p;
}

/// Planted data plus one in-map user without interactions ("cold", group B, age 33).
inline Dataset withColdUser(Dataset d) {
  d.users.intern("cold");
  auto& cols = d.userAttributes.columns;
  cols.at(0).codes.push_back(cols.at(0).internCategory("B"));
  cols.at(1).numeric.push_back(33.0);
  return d;
}

/// A one-row attribute table describing a new user like withColdUser's "cold" user.
inline AttributeTable coldUserAttributes() {
  AttributeTable t;
  auto& g = addColumn(t, "group", ColumnType::kCategorical);
  g.codes.push_back(g.internCategory("B"));
  addColumn(t, "age", ColumnType::kNumeric).numeric.push_back(33.0);
  return t;
}

/// A logistic-regression feature set for plantedData(): group and age, genres, title words and
/// year, the group x genre cross that plants the tastes, genre affinity, threshold labels.
inline const char* kPlantedLrFeatures = R"({
  "user": [{"column": "group", "kind": "onehot"}, {"column": "age", "kind": "numeric"}],
  "item": [{"column": "genres", "kind": "multihot"}, {"column": "title", "kind": "tfidf"},
           {"column": "year", "kind": "numeric"}],
  "crosses": [{"user": "group", "item": "genres"}],
  "behaviour": {"affinity": ["genres"]},
  "labels": {"mode": "threshold", "threshold": 4}
})";

}  // namespace rwb::test
