#include "core/data/rec_list.h"

#include <algorithm>

namespace rwb {

void orderByScoreThenItem(std::vector<ScoredItem>& items) {
  std::sort(items.begin(), items.end(), [](const ScoredItem& a, const ScoredItem& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.item < b.item;
  });
}

void orderByScoreStable(std::vector<ScoredItem>& items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const ScoredItem& a, const ScoredItem& b) { return a.score > b.score; });
}

}  // namespace rwb
