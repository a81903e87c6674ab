#pragma once
// A small synthetic dataset with attributes that every registered model can be fitted on.

#include <random>
#include <string>

#include "core/data/dataset.h"

namespace rwb::test {

/// 60 users x 40 items in two taste groups, timestamps, item genre/price/description and user
/// segment attributes; deterministic.
inline Dataset exportFixture() {
  Dataset d;
  std::mt19937 rng(7);
  for (int i = 0; i < 40; ++i) d.items.intern("item-" + std::to_string(i));
  for (int u = 0; u < 60; ++u) d.users.intern("u" + std::to_string(u));
  std::int64_t t = 1'600'000'000;
  for (int u = 0; u < 60; ++u) {
    const int group = u % 2;
    for (int n = 0; n < 8; ++n) {
      const int item = group * 20 + static_cast<int>(rng() % 20);
      d.interactions.push(static_cast<Index>(u), static_cast<Index>(item),
                          static_cast<float>(1 + rng() % 5), t);
      t += 3600;
    }
  }
  AttributeColumn genre{"genre", ColumnType::kCategorical};
  AttributeColumn price{"price", ColumnType::kNumeric};
  AttributeColumn text{"description", ColumnType::kText};
  for (int i = 0; i < 40; ++i) {
    genre.codes.push_back(genre.internCategory(i < 20 ? "drama" : "comedy"));
    price.numeric.push_back(5.0 + i);
    text.text.push_back(i < 20 ? "a serious moving story" : "a funny light romp");
  }
  d.itemAttributes.columns = {genre, price, text};
  AttributeColumn segment{"segment", ColumnType::kCategorical};
  for (int u = 0; u < 60; ++u) segment.codes.push_back(segment.internCategory(u % 2 ? "b" : "a"));
  d.userAttributes.columns = {segment};
  return d;
}

/// Feature settings under which the fixture's planted segment x genre taste is visible to a
/// new user: the segment x genre cross, and no profile cosine. (Trained on warm users, trees
/// explain every label with the profile cosine, which is 0 for every item of a user without
/// history, so a cold user lands in a region where the cross was never needed and its scores
/// move with noise, not with the attribute; behaviour.cold_user_dropout is the other cure.)
inline constexpr const char* kSegmentCrossParams =
    R"({"features": "{\"crosses\": [{\"user\": \"segment\", \"item\": \"genre\"}], )"
    R"(\"behaviour\": {\"profile_cosine\": false}}"})";

}  // namespace rwb::test
