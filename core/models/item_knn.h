#pragma once
/// \file
/// ItemKNN: item-based nearest neighbours with cosine or asymmetric cosine similarity,
/// shrinkage and a top-k neighbourhood. Formulas: docs/models-item.md.

#include "core/models/item_similarity.h"
#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// Item-based k-nearest-neighbour recommender.
///
/// With x_u the user's interaction vector (1 per training item when `binary`, else the summed
/// values) and x_i the item's column, c_ij = x_i . x_j and n_i = ||x_i||^2:
///   asymmetric cosine  s(i <- j) = c_ij / (n_i^alpha * n_j^(1 - alpha) + shrink)
///   cosine             the same with alpha = 0.5.
/// Each target item i keeps its k most similar other items (ties: lower index); with
/// `normalize` the kept weights of i are divided by their sum. score(u, i) = sum over j in u of
/// x_uj s(i <- j). The neighbour matrix is stored sparse (at most k entries per item).
///
/// Thread safety: const members may be called concurrently after fit.
class ItemKnn final : public Model {
 public:
  explicit ItemKnn(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "itemknn"; }
  std::size_t memoryBytes() const override;
  /// The k items with the largest learned weight from `item` (its row of the item-item
  /// matrix, itself excluded; ties by index). Throws ModelError when unfitted or out of range.
  std::vector<ScoredItem> similarItems(Index item, std::size_t k) const override;
  /// Fitted weights, rows = source (the user's item j), columns = target items i.
  const ItemMatrix<float>& weights() const noexcept { return weights_; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  std::vector<float> userValues_;  ///< x_uj aligned with seenItems (empty when binary)
  std::vector<std::uint64_t> userOffsets_;
  ItemMatrix<float> weights_;
};

}  // namespace rwb
