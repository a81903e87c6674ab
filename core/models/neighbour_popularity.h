#pragma once
/// \file
/// NeighbourPopularity ("neighbour_popularity"): item popularity among the training users,
/// each weighted by how close their attributes are to the user's. A soft version of
/// demographic_popularity's cells that needs no cell boundaries and tunes how much each
/// attribute matters on held-out training users. Scores users nobody has seen from their
/// attributes alone.

#include <string>
#include <unordered_map>
#include <vector>

#include "core/models/fitted_summary.h"
#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// With x_v(i) = 1 when training user v interacted with item i, the score of item i for user u
/// (known, or new and described by an attribute row) is
///   score(i | u) = sum_v K(u, v) x_v(i) / sum_v K(u, v),
///   K(u, v) = prod over the columns c of k_c(u, v):
///     categorical c: 1 when u and v have the same value (missing is a value), else beta_c;
///     numeric c:     exp(-|a_u - a_v| / (h_c sd_c)), sd_c the column's standard deviation over
///                    the training users (1 when 0); one value missing: exp(-1 / h_c); both: 1.
/// beta_c = 1 or h_c = 0 leaves a column out; all columns out = overall popularity. A user whose
/// kernel weights are all 0 (beta 0 and no training user with the value) gets overall
/// popularity.
///
/// The kernel (`kernel`, {column: beta or h}) is given, or tuned when empty: the training users
/// with interactions are dealt (seeded) into `tuning_folds` folds; the users of a fold (at most
/// `validation_users` over all folds) rank every item from their attributes alone, as new users
/// are ranked, against the counts of the users outside the fold, and the mean nDCG@10 over them
/// is the tuning score. Starting from every column left out,
/// coordinate ascent tries each column's candidates (beta 1, 0.7, 0.5, 0.35, 0.2, 0.1, 0.05, 0;
/// h 0, 2, 1, 0.5, 0.35, 0.25) in turn for `tuning_rounds` rounds and keeps a change only when it
/// raises that score. The model then counts every training user.
///
/// Fitted summary (FittedSummary):
///   "kernel":      {column: value}, beta_c for a categorical column (the weight of a different
///                  value; 1 = column ignored), h_c for a numeric one (bandwidth in standard
///                  deviations; 0 = column ignored);
///   "kernel_kind": {column: "beta" or "h"};
///   "tuned":       whether fit tuned the kernel; when false, "untuned_reason" says why ("kernel
///                  given", "no attribute columns", "fewer than 4 training users with
///                  interactions") and the two figures below are absent (nothing was measured);
///   "tuned_ndcg", "untuned_ndcg": the tuning score (mean held-out nDCG@10 over the folds) of
///                  the tuned kernel and of every column ignored (overall popularity).
class NeighbourPopularity final : public Model, public FittedSummary {
 public:
  explicit NeighbourPopularity(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "neighbour_popularity"; }
  bool canScoreUser(Index) const override { return true; }
  bool canScoreNewUser(const NewUser&) const override { return true; }

  /// The kernel in use, one value per column (beta for categorical, h for numeric columns), in
  /// the order of columns().
  const std::vector<double>& kernel() const noexcept { return kernel_; }
  const std::vector<std::string>& columns() const noexcept { return names_; }
  /// Held-out nDCG@10 of the tuned kernel and of every column left out (0 when not tuned).
  double tunedNdcg() const noexcept { return tunedNdcg_; }
  double untunedNdcg() const noexcept { return untunedNdcg_; }
  /// Whether fit tuned the kernel (no kernel given, a column, at least 4 users with
  /// interactions); also right after a load.
  bool kernelTuned() const;
  /// The summary of the class comment; precondition: fitted.
  nlohmann::json fittedSummary() const override;

 protected:
  /// Throws ModelError naming a listed column the users lack or one of another type.
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                         std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  /// A user's attribute values: per column a category code (categorical; -1 missing, -2 a value
  /// training never saw) or a number (numeric; NaN missing), both stored as double.
  std::vector<double> rowOf(const AttributeTable* table, Index row) const;
  void scoreValues(const std::vector<double>& values, std::span<const Index> items,
                   std::span<float> out) const;

  std::vector<std::string> names_;
  std::vector<char> numeric_;                   ///< per column
  std::vector<double> scale_;                   ///< per column: sd (numeric), 1 (categorical)
  std::vector<std::vector<std::string>> cats_;  ///< per categorical column: code -> text
  std::vector<std::unordered_map<std::string, std::int32_t>> codeOf_;
  std::vector<double> kernel_;
  std::vector<double> userValues_;      ///< training users x columns, row-major
  std::vector<std::uint64_t> offsets_;  ///< training users' distinct items (CSR)
  std::vector<Index> items_;
  std::vector<double> global_;  ///< overall share per item
  double tunedNdcg_ = 0.0, untunedNdcg_ = 0.0;
};

}  // namespace rwb
