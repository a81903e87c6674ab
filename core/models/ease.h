#pragma once
/// \file
/// EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): a closed-form
/// item-item regression with a zero diagonal. Formulas and cost model: docs/models-item.md.

#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// Memory and time EASE needs for a catalogue of `items` items.
struct EaseEstimate {
  std::uint64_t bytes = 0;  ///< peak working memory of fit (two items x items matrices, plus
                            ///< the float weights in double precision)
  double seconds = 0.0;     ///< rough time on one core (items^3 flops at 50 GFLOP/s)
};

/// EASE.
///
/// G = X^T X + Lambda (X binary, or the interaction values), Lambda = lambda I +
/// p / (1 - p) diag(X^T X) with p = `dropout` (EDLAE, Steck, "Autoencoders that don't overfit
/// towards the identity", NeurIPS 2020: the closed form of EASE trained with dropout on its
/// input; p = 0 is EASE), P = G^-1,
/// B = I - P diag(1/diag(P)), i.e. B_ij = -P_ij / P_jj and B_ii = 0; score(u, j) = x_u . B_:j.
/// G is factorised with a blocked Cholesky (G = L L^T), L^-1 and P = L^-T L^-1 are formed block by
/// block, in float or double (`precision`); every block is one single-threaded OpenBLAS / LAPACKE
/// call run as a TBB task (within the caller's arena, so the thread budget holds), checked for
/// cancel between blocks. The blocks do not depend on the thread count, so B is bit-identical
/// for any number of threads. B is kept dense as float (items^2 x 4 bytes).
/// Before fitting, the memory estimate is compared with MemAvailable of /proc/meminfo and fit
/// throws ModelError, naming the estimate, when it would not fit.
///
/// Thread safety: const members may be called concurrently after fit.
class Ease final : public Model {
 public:
  explicit Ease(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "ease"; }
  std::size_t memoryBytes() const override;
  /// The k items with the largest learned weight from `item` (its row of the item-item
  /// matrix, itself excluded; ties by index). Throws ModelError when unfitted or out of range.
  std::vector<ScoredItem> similarItems(Index item, std::size_t k) const override;

  /// What fitting `items` items would need, in the given precision (4 or 8 bytes).
  static EaseEstimate estimate(std::size_t items, std::size_t bytesPerValue);
  /// B_ij (row i = source item, column j = target item). Precondition: fitted.
  float weight(Index i, Index j) const { return b_[static_cast<std::size_t>(i) * numItems() + j]; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  template <typename T>
  std::vector<float> solve(const Dataset& train, TaskContext& ctx) const;

  std::vector<float> b_;           ///< items x items, row i contiguous (= B's row i)
  std::vector<float> userValues_;  ///< x_ui aligned with seenItems (empty when binary)
  std::vector<std::uint64_t> userOffsets_;
};

}  // namespace rwb
