#pragma once
/// \file
/// AttributePopularity ("attribute_popularity"): ranks items by how popular their attribute
/// values were in training (e.g. genres and release-year bucket). Needs no interactions of the
/// item itself, so it ranks new (cold) items; the bar a content or hybrid model must clear.

#include <vector>

#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// For an item attribute column c and a value v of c, with T(v) the training items (items with
/// at least one training row) having v and n_j item j's training interactions:
///   pop(c, v) = (sum_{j in T(v)} n_j) / |T(v)|   (mean training interactions per item with v).
/// A numeric column is bucketed first: v = floor(x / bucket_width) (year 1994 with width 10 is
/// the 1990s bucket). A value no training item has, and a column where the item has no value,
/// count as the average training item: a = (training interactions) / (training items).
/// Per column, item i gets p(c, i) = the mean of pop(c, v) over its values (a film in two
/// genres gets the mean popularity of the two). The score of item i, warm or cold, is the mean
/// of p(c, i) over the columns (combine = "mean", default: every column weighs the same) or
/// their product (combine = "product": a naive-Bayes-like score, favouring items popular on
/// every column). The same score for every user (new users included); seen items are excluded
/// by recommend().
///
/// Columns: the `columns` parameter (comma-separated names); empty = every categorical,
/// multi-valued and numeric item column (text columns such as titles carry no shared values).
class AttributePopularity final : public Model {
 public:
  explicit AttributePopularity(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "attribute_popularity"; }
  bool canScoreUser(Index) const override { return true; }
  bool canScoreNewUser(const NewUser&) const override { return true; }

 protected:
  /// Throws ModelError naming a listed column the items lack or a text column.
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  std::vector<float> scores_;  ///< per item index
};

}  // namespace rwb
