#pragma once
// Small datasets for the eval tests, built from (user, item, value) rows with external ids.

#include <initializer_list>
#include <string>
#include <tuple>

#include "core/data/dataset.h"

namespace rwb::test {

struct Row {
  const char* user;
  const char* item;
  float value = 1.0f;
};

/// A dataset holding rows; with base, it starts from base's id maps (as loaders do).
inline Dataset makeDataset(std::initializer_list<Row> rows, const Dataset* base = nullptr) {
  Dataset d = base ? base->emptyLike() : Dataset{};
  std::int64_t t = 1000;
  for (const auto& r : rows)
    d.interactions.push(d.users.intern(r.user), d.items.intern(r.item), r.value, t++);
  return d;
}

}  // namespace rwb::test
