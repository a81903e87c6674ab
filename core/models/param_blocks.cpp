#include "core/models/param_blocks.h"

#include <algorithm>

namespace rwb {

NumberParam factorsParam(long long factors) {
  return intParam("factors", factors)
      .range(1, 1024)
      .logScale()
      .searchLogRange(16, 256)
      .describe("Number of latent factors");
}

NumberParam epochsParam(long long epochs, std::string description) {
  return intParam("epochs", epochs).range(1, 10000).describe(std::move(description));
}

std::vector<ParamSpec> sgdLearningRateParams(double rate, double maxRate) {
  return paramList(floatParam("learning_rate", rate)
                       .range(1e-6, maxRate)
                       .logScale()
                       .searchLogRange(1e-3, std::min(0.3, maxRate))
                       .describe("Initial SGD step size"),
                   choiceParam("lr_schedule", "linear", {"constant", "exponential", "linear"})
                       .describe("Learning-rate schedule over epochs"),
                   floatParam("lr_decay", 0.1)
                       .range(0, 1)
                       .describe("exponential: factor per epoch; linear: final rate as a fraction "
                                 "of the initial one"));
}

NumberParam factorRegularizationParam(double regularization) {
  return floatParam("regularization", regularization)
      .range(0, 10)
      .searchLogRange(1e-4, 1)
      .describe("L2 penalty on user and item factors");
}

NumberParam biasRegularizationParam(double regularization, std::string description) {
  return floatParam("bias_regularization", regularization)
      .range(0, 10)
      .searchLogRange(1e-4, 1)
      .describe(std::move(description));
}

NumberParam initScaleParam(double scale) {
  return floatParam("init_scale", scale)
      .range(1e-6, 1)
      .logScale()
      .describe("Standard deviation of the random initial factors");
}

NumberParam patienceParam(const std::string& metric) {
  return intParam("patience", 0)
      .range(0, 1000)
      .describe("Early stopping: epochs without validation " + metric +
                " gain before stopping (0 = off)");
}

std::vector<ParamSpec> ndcgEarlyStoppingParams() {
  return paramList(patienceParam("nDCG"),
                   intParam("validation_k", 10)
                       .range(1, 1000)
                       .describe("k of the validation nDCG reported each epoch"));
}

NumberParam neighboursParam(long long k) {
  return intParam("k", k).range(1, 1e6).logScale().searchLogRange(10, 1000).describe(
      "Neighbours kept per item");
}

PlainParam binaryParam() {
  return boolParam("binary", true)
      .searched()
      .describe("Treat every interaction as 1 (else use the interaction values)");
}

PlainParam featuresParam() {
  return jsonTextParam("features")
      .describe(
          "Feature pipeline configuration (a JSON object, or its text, see docs/features.md)");
}

NumberParam logisticL2Param(std::string description) {
  return floatParam("l2", 1e-4)
      .range(0, 100)
      .logScale()
      .searchLogRange(1e-6, 10)
      .describe(std::move(description));
}

}  // namespace rwb
