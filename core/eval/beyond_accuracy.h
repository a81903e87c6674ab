#pragma once
/// \file
/// Beyond-accuracy metrics (coverage, concentration, novelty, diversity, serendipity,
/// popularity) and the training statistics they need. Definitions follow Microsoft
/// Recommenders' python_evaluation where it has the metric; formulas and sources:
/// docs/metrics.md.

#include <Eigen/Dense>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/data/csr.h"
#include "core/data/dataset.h"
#include "core/util/task_context.h"

namespace rwb {

/// How item-item similarity is measured for diversity and serendipity.
enum class SimilarityKind {
  kCooccurrence,  ///< |U_a ∩ U_b| / sqrt(n_a n_b) over training users (the library's default)
  kFeatures       ///< cosine of item feature vectors (0 when either vector is zero)
};

/// Statistics of the training interactions shared by the beyond-accuracy metrics.
/// Build once per evaluation; after prepareSimilarity() every const member is thread-safe.
class TrainStats {
 public:
  /// catalogSize: number of item indices in use (>= train.numItems()); items beyond the
  /// training id map simply have no training interactions.
  TrainStats(const Dataset& train, std::size_t catalogSize);

  std::size_t catalogSize() const noexcept { return itemCount_.size(); }
  /// Training interactions (rows).
  std::uint64_t numRows() const noexcept { return numRows_; }
  /// Distinct items with at least one training interaction.
  std::size_t numTrainItems() const noexcept { return numTrainItems_; }
  /// Training interactions of an item (0 for items out of range or unseen in training).
  std::uint32_t itemCount(Index item) const noexcept {
    return item < itemCount_.size() ? itemCount_[item] : 0;
  }
  /// Training items of a user, ascending (empty for users unseen in training).
  std::span<const Index> userItems(Index user) const noexcept;
  std::size_t numTrainUsers() const noexcept { return byUser_.rows; }

  /// Switches to cosine over feature vectors (row i = item i; rows beyond the matrix count as
  /// zero vectors). Default is co-occurrence.
  void useItemFeatures(Eigen::MatrixXf features);
  SimilarityKind similarityKind() const noexcept { return kind_; }

  /// Precomputes co-occurrence rows for `items` (in parallel; no-op for features) so that
  /// similarity(a, b) with a or b among them is a lookup. Throws Cancelled when ctx stops.
  void prepareSimilarity(std::span<const Index> items, TaskContext& ctx);

  /// Similarity of two items in [0, 1] (features: [-1, 1]); 1 when a == b. Exact whether or
  /// not prepared (unprepared pairs are computed by intersecting user lists).
  double similarity(Index a, Index b) const;

 private:
  std::vector<std::uint32_t> itemCount_;
  std::uint64_t numRows_ = 0;
  std::size_t numTrainItems_ = 0;
  Csr byUser_;  ///< binary user x item
  Csr byItem_;  ///< binary item x user
  SimilarityKind kind_ = SimilarityKind::kCooccurrence;
  Eigen::MatrixXf features_;
  Eigen::VectorXf featureNorms_;
  std::unordered_map<Index, std::size_t> preparedRow_;
  std::vector<std::vector<std::pair<Index, std::uint32_t>>> prepared_;  ///< (item, co-count)
};

/// Distinct recommended items / distinct items in training (Shani & Gunawardana 2010).
double catalogCoverage(std::span<const std::span<const Index>> lists, const TrainStats& train);
/// Shannon entropy (bits) of the recommended-item distribution: -sum p_i log2 p_i,
/// p_i = share of all recommendation rows that are item i. NaN when there are no rows.
double distributionalCoverage(std::span<const std::span<const Index>> lists,
                              const TrainStats& train);
/// Gini index of how often each catalogue item is recommended (0 = perfectly even,
/// -> 1 = all on one item): sum_j (2j - n - 1) c_(j) / ((n - 1) sum c), c ascending over
/// all n catalogue items. NaN when there are no rows or n < 2.
double giniIndex(std::span<const std::span<const Index>> lists, const TrainStats& train);
/// Mean over all recommendation rows of -log2(n_i / N) (N = training rows, n_i = training rows
/// of item i; items never seen in training contribute 0, as in the library).
double novelty(std::span<const std::span<const Index>> lists, const TrainStats& train);
/// 1 - mean similarity over the unordered pairs of the list; NaN for lists shorter than 2.
double intraListDiversity(std::span<const Index> list, const TrainStats& train);
/// Mean over listed items i of (1 - mean_{j in seen} sim(i, j)) * rel(i); rel(i) = 1 when
/// `relevant` is empty-and-unused (useRelevance false, the library's default), else 1 if i is
/// in `relevant`. NaN when the list or `seen` is empty.
double serendipity(std::span<const Index> list, std::span<const Index> seen,
                   std::span<const Index> relevant, const TrainStats& train, bool useRelevance);
/// Mean training interaction count of the listed items (average recommendation popularity,
/// Abdollahpouri et al. 2019); NaN for an empty list.
double averagePopularity(std::span<const Index> list, const TrainStats& train);

}  // namespace rwb
