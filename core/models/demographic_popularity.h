#pragma once
/// \file
/// DemographicPopularity ("demographic_popularity"): item popularity within the user's
/// attribute cell (e.g. age band x gender). The cold-user baseline: it scores users nobody has
/// seen from their attributes alone.

#include <string>
#include <unordered_map>
#include <vector>

#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// A user's cell is the tuple of its values in the `columns` user attributes (categorical
/// values by their text, numeric values bucketed as floor(x / bucket_width), a missing value
/// is a value of its own). With n_c(i) the training interactions of item i by users of cell c,
/// N_c all interactions of cell c, n(i) and N the same over all users, and m = `smoothing`:
///   score(i | c) = (n_c(i) + m * n(i) / N) / (N_c + m),
/// the cell's share of item i shrunk towards the global share (a cell seen in no training row
/// scores the global share n(i)/N). Known users, attribute-only users and new users (by their
/// attribute row, Model::scoreNewUser) are all scored from their cell.
class DemographicPopularity final : public Model {
 public:
  explicit DemographicPopularity(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "demographic_popularity"; }
  bool canScoreUser(Index) const override { return true; }
  bool canScoreNewUser(const NewUser&) const override { return true; }

 protected:
  /// Throws ModelError naming a listed column the users lack, or a text column.
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  std::string cellKey(const AttributeTable* table, Index row) const;
  void scoreCell(std::int64_t cell, std::span<const Index> items, std::span<float> out) const;

  std::vector<std::string> columns_;  ///< the user columns forming the cell
  std::vector<std::string> keys_;     ///< cell id -> key
  std::unordered_map<std::string, std::int64_t> cellOfKey_;
  std::vector<std::int64_t> cellOfUser_;  ///< per user index; -1 = no cell seen in training
  std::vector<double> cellTotal_;         ///< N_c
  std::vector<float> cellCounts_;         ///< cells x items, row-major: n_c(i)
  std::vector<double> global_;            ///< n(i) / N
};

}  // namespace rwb
