#pragma once
/// \file
/// FactorModel: the shared base of the latent-factor models (iALS, BPR-MF, biased MF). It holds
/// the user and item factors (float, row-major) and optional biases, and implements scoring and
/// top-k with one blocked kernel, so that recommend(), recommendBatch() and score() return
/// bit-identical scores. Also small helpers the factor trainers share: a seeded RNG, the thread
/// arena, validation nDCG for early stopping and stratified (conflict-free) SGD partitioning.

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/models/model.h"
#include "core/util/random.h"

namespace rwb {

/// Row-major float matrix: one row per user or item, one column per factor.
using FactorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Base class of latent-factor models.
///
/// score(u, i) = x_u . y_i + itemBias[i] + userOffset[u], where the bias terms are 0 when the
/// model has none (userOffset folds user bias and global mean; it does not change a ranking).
/// The dot product is accumulated in float over factors 0..F-1 in order, in every code path.
///
/// recommendBatch() never materialises a users x items matrix: it walks blocks of 16 items
/// (factor-major panels, L2-sized item blocks) against tiles of users held in registers and
/// keeps a k-heap per user with a running threshold (memory O(users x k)). The tile kernel is
/// dispatched at run time (SSE2 / AVX2 / AVX-512F, factor_kernels.h); every level and the
/// scalar score() path give bit-identical scores (no FMA contraction).
class FactorModel : public Model {
 public:
  using Model::Model;

  std::vector<RecList> recommendBatch(std::span<const Index> users, std::size_t k, bool excludeSeen,
                                      TaskContext& ctx) const override;
  /// Cosine similarity of the item factor vectors, cos(y_i, y_j); items without training
  /// interactions are neither queried (empty result) nor returned. Ties by item index.
  std::vector<ScoredItem> similarItems(Index item, std::size_t k) const override;
  std::size_t memoryBytes() const override;
  /// The factors, plus one coordinate (query 1, item bias b_i) when the model has item biases:
  /// q_u = (x_u[, 1]), v_i = (y_i[, b_i]); the user offset is the per-user constant.
  std::size_t innerProductDim() const override;
  void innerProductQuery(Index user, std::span<float> out) const override;
  void innerProductItem(Index item, std::span<float> out) const override;

  /// Number of latent factors (0 before fit).
  std::size_t numFactors() const noexcept { return factors_; }
  /// The fitted factor rows (user u / item i); empty spans before fit. Valid until refit/load.
  std::span<const float> userFactors(Index user) const;
  std::span<const float> itemFactors(Index item) const;

 protected:
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;

  /// Installs factors (rows = numUsers() / numItems(), equal column counts) and biases (each
  /// either empty or of length numItems() / numUsers()); builds the scoring panels.
  void setFactors(const FactorMatrix& users, const FactorMatrix& items,
                  std::vector<float> itemBias = {}, std::vector<float> userOffset = {});
  /// Drops all factor state (used when fitting is cancelled or fails).
  void clearFactors();

  /// Writes / reads the factor state (validated on read: sizes, finite values).
  void saveFactors(BinaryWriter& out) const;
  void loadFactors(BinaryReader& in);

  /// Mean nDCG@k (binary relevance, seen training items excluded) of the installed factors on
  /// the users of `validation` that the model can score. Works during fitModel (after
  /// setFactors), which recommendBatch cannot since the model is not yet marked fitted.
  double validationNdcg(const Dataset& validation, std::size_t k) const;

  /// Top-k for the given users with the blocked kernel (no fitted / range checks; users must be
  /// scorable). Result i belongs to users[i].
  std::vector<std::vector<ScoredItem>> blockedTopK(std::span<const Index> users, std::size_t k,
                                                   bool excludeSeen, TaskContext* ctx) const;

  float userOffset(Index user) const noexcept {
    return userOffset_.empty() ? 0.0f : userOffset_[user];
  }
  float itemBias(Index item) const noexcept { return itemBias_.empty() ? 0.0f : itemBias_[item]; }

 private:
  std::size_t factors_ = 0;
  std::vector<float> users_;       ///< numUsers x factors_, row-major
  std::vector<float> items_;       ///< numItems x factors_, row-major
  std::vector<float> panels_;      ///< items in panels of kPanel: [panel][factor][lane]
  std::vector<float> panelBias_;   ///< item bias per padded item (0 for padding), or empty
  std::vector<float> itemBias_;    ///< numItems or empty
  std::vector<float> userOffset_;  ///< numUsers or empty
};

namespace factor {

/// Number of items per scoring panel (one 64-byte line of floats per factor).
inline constexpr std::size_t kPanel = 16;

/// The factor models' generator and seed derivation (core/util/random.h).
using Rng = FastRng;

/// Fills m with scale * N(0, 1) draws from FastRng(seed), row by row.
void randomNormal(FactorMatrix& m, double scale, std::uint64_t seed);

/// The thread count a trainer uses: threads if > 0, else the current arena's concurrency.
int effectiveThreads(int threads);

/// Runs fn inside a TBB arena of `threads` threads (or the caller's arena when threads <= 0).
void runInArena(int threads, const std::function<void()>& fn);

/// Stratified SGD partitioning (DSGD, Gemulla et al. 2011). Users are split into T blocks by
/// u mod T, items into T blocks by a seeded random permutation (redrawn every epoch). In
/// sub-epoch s, worker t owns user block t and item block (t + s) mod T, so T workers never
/// touch the same user or item row: updates are lock-free yet free of races, and for a fixed
/// seed and T the result is bit-identical however the OS schedules the workers.
class Strata {
 public:
  /// rowsOfUser: CSR offsets (users + 1) of the interaction list whose column is itemOf.
  Strata(std::span<const std::uint64_t> userOffsets, std::span<const Index> itemOf,
         std::size_t numItems, int blocks);
  /// Redraws the item blocks with `seed` and re-buckets the interactions.
  void shuffle(std::uint64_t seed);
  int blocks() const noexcept { return blocks_; }
  /// Interaction ids (positions in the CSR) of stratum (userBlock, itemBlock).
  std::span<const std::uint64_t> cell(int userBlock, int itemBlock) const;
  /// Items of an item block, and the block of an item.
  std::span<const Index> itemsOf(int itemBlock) const;
  int blockOfItem(Index item) const noexcept { return itemBlock_[item]; }

 private:
  std::span<const std::uint64_t> offsets_;
  std::span<const Index> itemOf_;
  std::size_t numItems_;
  int blocks_;
  std::vector<int> itemBlock_;
  std::vector<std::vector<Index>> blockItems_;
  std::vector<std::uint64_t> cellStart_;  ///< blocks^2 + 1
  std::vector<std::uint64_t> cells_;
};

}  // namespace factor

}  // namespace rwb
