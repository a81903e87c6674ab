#pragma once
/// \file
/// Ranking metrics for one user, as pure functions. Formulas and sources: docs/metrics.md.
///
/// Common conventions (identical to Microsoft Recommenders' python_evaluation):
/// - `ranked` is the user's recommendation list, best first. Only its first k entries count
///   (fewer if the list is shorter); an item is relevant when it is in the user's test set.
/// - `relevant` holds the user's test items, sorted ascending and unique; `values` (same length)
///   their test values (ratings), used only by graded nDCG.
/// - Callers guarantee that `ranked` has no duplicates (the evaluator rejects them).
/// - A user with no relevant items has no defined value: these functions return NaN and the
///   evaluator never averages such users (they are not "in the test set").

#include <cstddef>
#include <span>

#include "core/data/id_map.h"

namespace rwb {

/// nDCG gain of a relevant item: 1 (binary), its test value (raw) or 2^value - 1 (exp).
enum class Gain { kBinary, kRaw, kExp };

/// Position of item in the sorted `relevant` span, or -1.
std::ptrdiff_t relevantPosition(std::span<const Index> relevant, Index item) noexcept;

/// Number of relevant items among the first k of ranked.
std::size_t hitsAtK(std::span<const Index> ranked, std::span<const Index> relevant,
                    std::size_t k) noexcept;

/// hits@k / k (k, not the list length, is the denominator, as in Spark and the library).
double precisionAtK(std::span<const Index> ranked, std::span<const Index> relevant, std::size_t k);

/// hits@k / |relevant|.
double recallAtK(std::span<const Index> ranked, std::span<const Index> relevant, std::size_t k);

/// R-precision capped at k (the library's `r_precision_at_k`): with R = |relevant|, the number
/// of relevant items among the first min(k, R) of ranked, divided by R. When R <= k this is
/// precision@R; when R > k it is hits@k / R (recall@k, not precision@k). A user with relevant
/// items always has a value, 0 without a hit in the first min(k, R); the library leaves such
/// users out of its mean instead (docs/metrics.md).
double rPrecisionAtK(std::span<const Index> ranked, std::span<const Index> relevant, std::size_t k);

/// 1 if any of the first k items is relevant, else 0.
double hitRateAtK(std::span<const Index> ranked, std::span<const Index> relevant, std::size_t k);

/// 1 / (rank of the first relevant item among the first k), 0 when there is none.
double reciprocalRankAtK(std::span<const Index> ranked, std::span<const Index> relevant,
                         std::size_t k);

/// Sum over hits h (1-based rank r_h, h-th hit) of h / r_h, within the first k items, divided
/// by |relevant| (Microsoft Recommenders' `map`, after Spark MLlib's meanAveragePrecision).
double averagePrecision(std::span<const Index> ranked, std::span<const Index> relevant,
                        std::size_t k);

/// Same numerator as averagePrecision, divided by min(k, |relevant|) (the library's
/// `map_at_k`, Spark's meanAveragePrecisionAt(k)).
double averagePrecisionAtK(std::span<const Index> ranked, std::span<const Index> relevant,
                           std::size_t k);

/// DCG@k / IDCG@k with discount 1/log2(1 + rank). DCG sums the gains of the hits among the first
/// k items; IDCG sums the k largest gains of the relevant items at ranks 1..k.
double ndcgAtK(std::span<const Index> ranked, std::span<const Index> relevant,
               std::span<const float> values, std::size_t k, Gain gain);

/// The fraction of (relevant, non-relevant) candidate pairs ordered correctly, ties counting
/// one half. The list ranks its items above every unlisted candidate; unlisted candidates tie
/// with each other. numCandidates counts every item the user could be ranked over, relevant
/// ones included. NaN when there is no relevant item or no non-relevant candidate.
double userAuc(std::span<const Index> ranked, std::span<const Index> relevant,
               std::size_t numCandidates);

}  // namespace rwb
