#pragma once
/// \file
/// SAR, Microsoft's Simple Algorithm for Recommendation, computed exactly as the reference
/// implementation (Microsoft Recommenders, recommenders/models/sar/sar_singlenode.py and
/// recommenders/utils/python_utils.py) computes it. Formulas and deviations: docs/models-item.md.

#include <memory>

#include "core/models/item_similarity.h"
#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// SAR.
///
/// Affinity: a_ui = sum over u's training events on i of value * d(t), with
/// d(t) = min(1, 0.5^((t_now - t) / half_life)) when time_decay is on (t_now = time_now, or the
/// latest training timestamp when time_now = 0; events without a timestamp get d = 1), else
/// d = 1.
/// Co-occurrence: c_ij = number of users with both i and j (binary), entries below `threshold`
/// dropped (the diagonal d_i = c_ii included).
/// Similarity s_ij from c: cooccurrence c_ij; jaccard c_ij / (c_ii + c_jj - c_ij); lift
/// c_ij / (c_ii c_jj); cosine c_ij / sqrt(c_ii c_jj); inclusion_index c_ij / min(c_ii, c_jj);
/// mutual_information log2(n * lift_ij); lexicographers_mi c_ij * log2(n * lift_ij), where n is
/// the number of items with training data (the reference's matrix size).
/// Score: score(u, j) = sum_i a_ui s_ij, accumulated in double over i ascending (the order of the
/// reference's sparse product). Items without training interactions score -infinity, as the
/// reference does not know them. recommend() then removes seen items.
///
/// Thread safety: const members may be called concurrently after fit.
class Sar final : public Model {
 public:
  explicit Sar(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "sar"; }
  std::size_t memoryBytes() const override;
  /// The k items with the largest learned weight from `item` (its row of the item-item
  /// matrix, itself excluded; ties by index). Throws ModelError when unfitted or out of range.
  std::vector<ScoredItem> similarItems(Index item, std::size_t k) const override;
  /// recommend() for many users through the blocked scoring kernel (blocks of users, column
  /// tiles of the similarity, running top-k per user); equal to recommend() user by user.
  /// Users the model cannot score go through the base class (popularity fallback). Checks ctx
  /// between user blocks; throws Cancelled when stopped.
  std::vector<RecList> recommendBatch(std::span<const Index> users, std::size_t k, bool excludeSeen,
                                      TaskContext& ctx) const override;
  /// One user through the batch path, so a single list ranks in double exactly as a batch.
  RecList recommend(Index user, std::size_t k, bool excludeSeen = true) const override;

  /// The fitted item-item similarity (rows = source items; exact zeros are not stored), built
  /// as a sparse matrix on each call (the model keeps full rows dense), for inspection, tests
  /// and save().
  ItemMatrix<double> similarity() const;
  /// The user's affinities, aligned with seenItems(user), on the user's own scale: the
  /// reference's affinities times 2^-logScale(user) (see fit; 1 unless time decay moved the
  /// user's reference time).
  std::span<const double> affinities(Index user) const;
  /// log2 of the factor from the user's stored scale to the reference's (<= 0).
  double logScale(Index user) const { return user < logScale_.size() ? logScale_[user] : 0.0; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  struct TileScratch;
  /// The one scoring kernel: for the given users (all scorable) walks the columns in tiles of
  /// kTile items and calls sink(b, t0, width, acc) with users[b]'s double scores of items
  /// t0 .. t0 + width (untrained items not yet masked). Each score is summed over the user's
  /// items ascending, so recommend(), score() and recommendBatch() see identical values.
  template <typename Sink>
  void scoreTiles(std::span<const Index> users, TileScratch& scratch, Sink&& sink) const;
  /// Dense similarity rows of n doubles each, allocated in chunks of rows as rows are added
  /// (values left uninitialised; the adder writes the row). Row order within the store is of no
  /// consequence: the model reaches each row through its pointer.
  class DenseRowStore {
   public:
    void reset(std::size_t n);
    /// A new row of n doubles; not thread-safe (callers serialise).
    double* add();
    std::size_t rows() const noexcept { return used_; }
    std::size_t bytes() const noexcept { return chunks_.size() * chunkBytes_; }

   private:
    std::size_t n_ = 0, rowsPerChunk_ = 1, chunkBytes_ = 0, used_ = 0;
    bool huge_ = false;  ///< chunks on huge-page boundaries (large matrices)
    struct Free {
      std::size_t mappedBytes = 0;  ///< > 0: the chunk was mmap'ed with this size
      void operator()(double* p) const noexcept;
    };
    std::vector<std::unique_ptr<double[], Free>> chunks_;
  };
  /// Similarity rows on their way into the model: per row either a dense row in `store`
  /// (dense[i], n values) or its sparse entries (cols[i], vals[i]).
  struct SimilarityRows {
    explicit SimilarityRows(std::size_t n) : cols(n), vals(n), dense(n, nullptr) { store.reset(n); }
    DenseRowStore store;
    std::vector<std::vector<Index>> cols;
    std::vector<std::vector<double>> vals;
    std::vector<double*> dense;
  };
  /// Co-occurrence and similarity rows (type = SarSimilarity, diag = thresholded c_ii, thr =
  /// threshold, nMatrix = the reference's matrix size), in parallel; throws Cancelled.
  SimilarityRows buildSimilarity(const Csr& userItem, const Csr& itemUser, int type,
                                 std::span<const double> diag, double thr, double nMatrix,
                                 TaskContext& ctx) const;
  /// Takes over built or loaded rows: adds the remaining dense rows (the rule, denseNow() and
  /// then the fullest rows within the budget, is the same for both, so a loaded model sums
  /// exactly like the fitted one) and builds sparse_ and the masks.
  void adoptRows(SimilarityRows rows);
  /// Row i's stored entries, columns ascending.
  void rowEntries(Index i, std::vector<Index>& cols, std::vector<double>& vals) const;

  /// The similarity, split by row: rows whose dense form is no larger than their sparse form
  /// (at least 2/3 filled) are dense, and so are rows at least 1/4 filled when the n x n matrix
  /// fits in 64 MB, otherwise the fullest of those within 64 MB; the others are the rows of
  /// sparse_ (empty for dense rows). denseRow_[i] is row i's n values, or null.
  DenseRowStore dense_;
  std::vector<const double*> denseRow_;
  std::size_t numDense_ = 0;
  ItemMatrix<double> sparse_;
  std::vector<Index> untrained_;  ///< items without training interactions (score -infinity)
  std::vector<std::uint8_t> untrainedMask_;  ///< 1 for the items in untrained_

  /// 2^logScale_[u] turns user u's stored (rescaled) scores into the reference's (see fit).
  double userScale(Index user) const;
  /// First word of the saved state since per-user rescaling (older states start with the
  /// affinity vector's length, which can never be this value).
  static constexpr std::uint64_t kRescaledTag = 0x5341525f52534331ull;  // "SAR_RSC1"

  std::vector<std::uint64_t> affinityOffsets_;  ///< per user, into affinity_ (= seen offsets)
  /// Per user, decayed towards the user's reference time (fit): the reference's affinities
  /// times 2^-logScale_[u].
  std::vector<double> affinity_;
  std::vector<double> logScale_;  ///< per user, log2 of the factor back to the reference (<= 0)
};

}  // namespace rwb
