#pragma once
/// \file
/// The last step of ranking a candidate set, shared by the evaluation protocol and the batch
/// scorer: keep the candidates the model could score, order them, cut the list to k.

#include <cstddef>
#include <span>
#include <vector>

#include "core/data/rec_list.h"

namespace rwb {

/// Appends (items[j], scores[j]) for every score other than -infinity (the models' "cannot
/// recommend") to `out`, orders `out` by orderByScoreThenItem and keeps its first k.
/// items and scores have the same length.
void rankScoredCandidates(std::span<const Index> items, std::span<const float> scores,
                          std::size_t k, std::vector<ScoredItem>& out);

}  // namespace rwb
