#pragma once
/// \file
/// RP3beta: a three-step random walk user -> item -> user -> item on the bipartite interaction
/// graph, with transition probabilities raised to alpha and a popularity penalty beta
/// (Paudel et al., "Updatable, accurate, diverse, and scalable recommendations for interactive
/// applications", ACM TiiS 2017). Formulas: docs/models-item.md.

#include "core/models/item_similarity.h"
#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// RP3beta on binary interactions.
///
/// With deg_u and deg_i the user's and item's interaction counts:
///   W_ij = (1/deg_i)^alpha * sum over users u of i and j of (1/deg_u)^alpha / deg_j^beta
/// for j != i; each row i keeps its k largest entries (ties: lower index) and, with
/// `normalize`, is divided by its sum. score(u, j) = sum over i in u of W_ij. W is stored sparse.
///
/// Thread safety: const members may be called concurrently after fit.
class Rp3beta final : public Model {
 public:
  explicit Rp3beta(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "rp3beta"; }
  std::size_t memoryBytes() const override;
  /// The k items with the largest learned weight from `item` (its row of the item-item
  /// matrix, itself excluded; ties by index). Throws ModelError when unfitted or out of range.
  std::vector<ScoredItem> similarItems(Index item, std::size_t k) const override;
  /// Fitted transition weights, rows = source items.
  const ItemMatrix<float>& weights() const noexcept { return weights_; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  ItemMatrix<float> weights_;
};

}  // namespace rwb
