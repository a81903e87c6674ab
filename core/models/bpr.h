#pragma once
/// \file
/// BPR-MF: Bayesian personalised ranking with matrix factorisation and item bias
/// (Rendle et al. 2009, "BPR: Bayesian Personalized Ranking from Implicit Feedback"), trained by
/// pairwise SGD on (user, positive, negative) triples. Formulas, tuning record:
/// docs/models-factor.md.

#include "core/models/factor_model.h"
#include "core/models/registry.h"

namespace rwb {

/// score(u, i) = x_u . y_i + b_i. One epoch visits every training pair (u, i) once, in a random
/// order that is grouped by user (users shuffled, then each user's positives shuffled: x_u stays
/// in cache across its updates), and draws for each a negative j from the items the user has not
/// interacted with, either uniformly or with probability proportional to
/// count(j)^`popularity_exponent` (popularity-aware sampling).
/// Each triple does one SGD step on ln sigma(x_uij), x_uij = score(u, i) - score(u, j), with L2
/// penalties `regularization` (factors) and `bias_regularization`. The learning rate follows
/// `lr_schedule`: constant, exponential (lr * lr_decay^(epoch-1)) or linear (from lr down to
/// lr * lr_decay at the last epoch).
///
/// Threads and determinism: training uses T = TrainingData::threads workers (0 = the arena's
/// concurrency) on the stratified partition of factor::Strata: in each of T sub-epochs a worker
/// owns one user block and one item block (the negative is drawn from the positive's item
/// block), so no two workers ever write the same row. Each worker draws from its own RNG seeded
/// by (seed, epoch, sub-epoch, worker). The result is therefore identical for the same data,
/// seed and thread count; different thread counts give different (equally valid) models.
///
/// Per epoch, ctx.epochEnd gets "loss" (mean -ln sigma(x_uij) over the epoch's triples),
/// "auc" (fraction of triples with x_uij > 0 before the step) and, with a validation set,
/// "valid_ndcg@k"; `patience` > 0 stops early and keeps the best epoch's factors.
class Bpr final : public FactorModel {
 public:
  explicit Bpr(Params params) : FactorModel(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "bpr"; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void saveState(BinaryWriter& out) const override { saveFactors(out); }
  void loadModelState(BinaryReader& in) override { loadFactors(in); }
};

/// The learning rate of `epoch` (1-based) of `epochs` under a schedule named "constant",
/// "exponential" or "linear" (see Bpr). Shared by the SGD trainers.
double scheduledLearningRate(const std::string& schedule, double lr, double decay, int epoch,
                             int epochs);

}  // namespace rwb
