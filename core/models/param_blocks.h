#pragma once
/// \file
/// Parameter blocks that several models declare: the same name, range, log flag and
/// description in every model, with the per-model defaults (and, where models word it
/// differently, the description) as arguments. A model's info() lists its parameters with
/// paramList(), mixing these blocks with its own declarations, so it says only what differs.

#include <string>
#include <vector>

#include "core/models/param_schema.h"

namespace rwb {

// --- latent-factor models (iALS, BPR-MF, biased MF) ------------------------------------------

/// `factors`: number of latent factors, int in [1, 1024]; searched log-uniformly in [16, 256].
NumberParam factorsParam(long long factors);

/// `epochs`: passes of an iterative trainer, int in [1, 10000]; `description` says what one
/// pass is for the model.
NumberParam epochsParam(long long epochs, std::string description);

/// The SGD learning rate and its schedule (read by scheduledLearningRate, bpr.h):
/// `learning_rate` (float in [1e-6, maxRate], log scale; searched log-uniformly in
/// [1e-3, min(0.3, maxRate)]), `lr_schedule` (constant, exponential,
/// linear; default linear) and `lr_decay` (float in [0, 1], default 0.1).
std::vector<ParamSpec> sgdLearningRateParams(double rate, double maxRate);

/// `regularization`: L2 penalty on user and item factors, float in [0, 10]; searched
/// log-uniformly in [1e-4, 1].
NumberParam factorRegularizationParam(double regularization);

/// `bias_regularization`: L2 penalty on the biases, float in [0, 10] (searched log-uniformly
/// in [1e-4, 1]); `description` names which
/// biases the model has.
NumberParam biasRegularizationParam(double regularization, std::string description);

/// `init_scale`: standard deviation of the random initial factors, float in [1e-6, 1], log scale.
NumberParam initScaleParam(double scale);

/// `patience`: early stopping after this many epochs without a gain of the validation metric
/// (`metric`, as the description names it: "nDCG", "RMSE"), int in [0, 1000], 0 = off.
NumberParam patienceParam(const std::string& metric);

/// Early stopping on validation nDCG@k: `patience` ("nDCG") and `validation_k` (int in
/// [1, 1000], default 10).
std::vector<ParamSpec> ndcgEarlyStoppingParams();

// --- neighbourhood models (ItemKNN, RP3beta, EASE) -------------------------------------------

/// `k`: neighbours kept per item, int in [1, 1e6]; searched log-uniformly in [10, 1000].
NumberParam neighboursParam(long long k);

/// `binary`: treat every interaction as 1 (else use the interaction values); default true;
/// searched.
PlainParam binaryParam();

// --- feature models (content similarity, logistic regression, GBDT, FM, two-stage) ----------

/// `features`: the FeaturePipeline configuration as JSON text (jsonText, empty = automatic).
/// The description refers to docs/features.md; models that say more replace it with describe().
PlainParam featuresParam();

/// `l2`: the logistic scorer's L2 penalty on the (scaled) weights, float in [0, 100], default
/// 1e-4, log scale; searched in [1e-6, 10] (logistic regression; the two-stage re-ranker).
NumberParam logisticL2Param(std::string description);

}  // namespace rwb
