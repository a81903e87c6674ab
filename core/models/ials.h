#pragma once
/// \file
/// iALS: implicit-feedback matrix factorisation by alternating least squares
/// (Hu, Koren & Volinsky 2008, "Collaborative Filtering for Implicit Feedback Datasets"), with
/// the conjugate-gradient solver of Takacs, Pilaszy & Tikk 2011 (as the `implicit` library uses
/// it) or an exact Cholesky solve. Formulas and the tuning record: docs/models-factor.md.

#include "core/models/factor_model.h"
#include "core/models/registry.h"

namespace rwb {

/// Minimises  sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + sum_u l_u |x_u|^2 + sum_i l_i |y_i|^2
/// over all user/item pairs, where p_ui = 1 for observed pairs (0 otherwise),
/// c_ui = 1 + alpha * t(r_ui) (t = 1 / value / log(1 + value)), and l_u = lambda * n_u^nu
/// (nu = `reg_exponent`, 0 = plain lambda; n_u = the user's interaction count, at least 1).
/// Each half-step solves every user (then item) system exactly (Cholesky, O(n_u F^2 + F^3)) or
/// approximately by `cg_steps` conjugate-gradient steps warm-started at the previous factors
/// (O(n_u F + F^2) per step). Parallel over users/items (TBB); deterministic for any thread
/// count because each row's solve depends only on the other side's factors.
///
/// Per epoch it reports through ctx.epochEnd: "loss" (the objective above divided by
/// sum c_ui + users x items - nnz, as `implicit` does) and, when TrainingData::validation is set,
/// "valid_ndcg@k". With `patience` > 0 and a validation set, training stops after that many
/// epochs without improvement and the best epoch's factors are kept.
class Ials final : public FactorModel {
 public:
  explicit Ials(Params params) : FactorModel(std::move(params)) {}
  static ModelInfo info();
  std::string type() const override { return "ials"; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override;
  void saveState(BinaryWriter& out) const override { saveFactors(out); }
  void loadModelState(BinaryReader& in) override { loadFactors(in); }
};

}  // namespace rwb
