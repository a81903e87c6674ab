#pragma once
// What every successful load promises, checked after each fuzzed load: every row accounted for,
// and every interaction's indices inside the id maps.

#include "core/data/load_result.h"
#include "fuzz_support.h"

namespace rwb::fuzz {

inline void checkLoad(const LoadResult& r) {
  for (const auto& t : r.tables) {
    check(t.rowsLoaded + t.rowsSkipped == t.rowsRead, "rows loaded + skipped == rows read");
  }
  const auto& in = r.dataset.interactions;
  for (std::size_t i = 0; i < in.size(); ++i) {
    check(in.user[i] < r.dataset.numUsers(), "interaction user index inside the user map");
    check(in.item[i] < r.dataset.numItems(), "interaction item index inside the item map");
  }
}

}  // namespace rwb::fuzz
