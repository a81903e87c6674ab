#include "core/data/rec_list.h"

#include <algorithm>
#include <limits>

#include "core/data/rank_candidates.h"

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

void rankScoredCandidates(std::span<const Index> items, std::span<const float> scores,
                          std::size_t k, std::vector<ScoredItem>& out) {
  for (std::size_t j = 0; j < items.size(); ++j) {
    if (scores[j] != -std::numeric_limits<float>::infinity()) out.push_back({items[j], scores[j]});
  }
  orderByScoreThenItem(out);
  if (out.size() > k) out.resize(k);
}

}  // namespace rwb
