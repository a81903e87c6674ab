#pragma once
/// \file
/// Rating-prediction metrics over aligned (true, predicted) vectors, as scikit-learn (and so
/// Microsoft Recommenders' rmse, mae, rsquared, exp_var) defines them. Formulas: docs/metrics.md.
/// All take spans of equal, non-zero length (else rwb::Error).

#include <span>

namespace rwb {

/// sqrt(mean((y - p)^2)).
double rmse(std::span<const double> truth, std::span<const double> predicted);
/// mean(|y - p|).
double mae(std::span<const double> truth, std::span<const double> predicted);
/// 1 - SS_res / SS_tot. When SS_tot = 0: 1 if SS_res = 0, else 0 (scikit-learn's force_finite).
double rSquared(std::span<const double> truth, std::span<const double> predicted);
/// 1 - Var(y - p) / Var(y) (population variances), with the same rule when Var(y) = 0.
double explainedVariance(std::span<const double> truth, std::span<const double> predicted);

}  // namespace rwb
