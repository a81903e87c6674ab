#pragma once
/// \file
/// Recommendation lists: the currency between whoever makes lists (models, files written by
/// other tools, the batch scorer) and whoever judges or stores them (eval, experiment, store,
/// export, ui). They live in core/data so that eval never needs a model and models never need
/// eval (docs/architecture.md).
///
/// Scores are double from end to end: a list read from a file keeps every digit the file gave,
/// and two distinct scores never collapse into a tie on the way to a metric.

#include <vector>

#include "core/data/id_map.h"

namespace rwb {

/// One recommended item with its score (higher = better).
struct ScoredItem {
  Index item = kNoIndex;
  double score = 0.0;
  friend bool operator==(const ScoredItem&, const ScoredItem&) = default;
};

/// A user's top-k list, best first. fallback is true when the model knew nothing about the user
/// and the list came from the popularity fallback (Model in core/models/model.h).
struct RecList {
  std::vector<ScoredItem> items;
  bool fallback = false;
};

/// Orders items by score descending, equal scores by item index ascending: the ranking rule of
/// every model (deterministic whatever the order the items were scored in).
void orderByScoreThenItem(std::vector<ScoredItem>& items);

/// Orders items by score descending, equal scores kept in their current order (a stable sort):
/// the rule of lists read from files, identical to Microsoft Recommenders' stable
/// `sort_values` on the prediction column, so ties keep the order of the file.
void orderByScoreStable(std::vector<ScoredItem>& items);

}  // namespace rwb
