#pragma once
/// \file
/// Blend: a weighted sum of member models' per-user normalised scores.
///
/// score(u, i) = sum_m w_m * norm_m(u, i), where norm_m is member m's score normalised per user
/// over the items the user has not seen in training: "zscore" (s - mean) / std (0 when std is
/// 0) or "minmax" (s - min) / (max - min) (0 when max = min). A member's non-finite score (an
/// item it never recommends) takes the normalised value of its lowest finite score.
///
/// Members: {model name: parameters} (default: EASE, iALS and RP3beta with their defaults).
/// Weights: given ("weights", {member: w}) or tuned on a held-out share of each user's training
/// rows: members are fitted on the rest, and the weight vector with the best nDCG@validation_k
/// on the held-out rows of up to validation_users users wins, among all vectors of the simplex
/// grid of step 0.1 (up to 4 members) or by coordinate ascent over that grid (more members);
/// ties keep the earlier vector. Then every member is refitted on the whole training set.
/// With validation_by = "items" the held-out share is 1 - validation_ratio of the items with
/// training rows (seeded), with all their rows: members are fitted without them, and each
/// held-out user ranks only those items (normalised as in scoring, over every unseen item), as a
/// cold_items split ranks its new items. Weights for a cold-start protocol are then chosen on the
/// same kind of question the test asks.
///
/// Fitted summary (FittedSummary): {"weights": {member: w}, "tuned": bool} with the weights in
/// use, as tuned or given (also after a load); when "tuned" is false, "untuned_reason" is
/// "weights given" or "one member".

#include <memory>
#include <vector>

#include "core/models/fitted_summary.h"
#include "core/models/model.h"
#include "core/models/registry.h"

namespace rwb {

/// Registry "blend".
class Blend final : public Model, public FittedSummary {
 public:
  explicit Blend(Params params) : Model(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "blend"; }
  /// Users some member scores itself.
  bool canScoreUser(Index user) const override;
  std::size_t memoryBytes() const override;

  /// The members' registry names, in the order of `weights()` (the members object's key order).
  std::vector<std::string> memberNames() const;
  /// The weights in use (tuned or given), one per member, summing to 1 when tuned.
  const std::vector<double>& weights() const noexcept { return weights_; }
  /// The fitted member m (precondition: fitted, m < number of members).
  const Model& member(std::size_t m) const { return *members_.at(m); }
  /// {"weights": {member: weight}, "tuned": ...} (see the file comment); precondition: fitted.
  nlohmann::json fittedSummary() const override;

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void scoreItems(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreAllItems(Index user, std::span<float> out) const override;
  void saveState(BinaryWriter& out) const override;
  void loadModelState(BinaryReader& in) override;

 private:
  std::vector<std::unique_ptr<Model>> members_;
  std::vector<double> weights_;
};

}  // namespace rwb
