#include "core/models/content_similarity.h"

#include <algorithm>
#include <cmath>

#include "core/models/engagement_model.h"
#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

ModelInfo ContentSimilarity::info() {
  ModelInfo m;
  m.name = "content_similarity";
  m.displayName = "Content similarity";
  m.family = "content";
  m.description =
      "Cosine between the user's content profile and each item's attribute/TF-IDF vector; "
      "scores brand-new items.";
  m.schema.params = paramList(
      featuresParam().describe(
          "Feature pipeline configuration (a JSON object, or its text); its item encoders define "
          "the content space"),
      floatParam("half_life_days", 0.0)
          .range(0, 3650)
          .searchRange(0, 365)
          .describe(
              "Time decay of the profile in days (0 = none); overrides behaviour.half_life_days"),
      boolParam("value_weighted", true)
          .searched()
          .describe("Weight history items by their interaction value"));
  return m;
}

bool ContentSimilarity::canScoreUser(Index user) const { return pipeline_.hasProfile(user); }

void ContentSimilarity::fitModel(const TrainingData& data, TaskContext& ctx) {
  FeatureConfig cfg = FeatureConfig::parse(paramString("features"), "$.params.features");
  cfg.behaviour.profileCosine = true;
  cfg.behaviour.halfLifeDays = paramDouble("half_life_days");
  cfg.behaviour.valueWeighted = paramBool("value_weighted");
  FeaturePipeline p(cfg);
  p.fit(data.train, ctx);
  if (p.itemContentDim() == 0) {
    throw ModelError(
        "content_similarity: the item content space is empty (no item attribute "
        "columns or encoders)");
  }
  // Global importance: mean |feature contribution| over a sample of training pairs.
  std::vector<double> sumAbs(p.itemContentDim(), 0.0);
  const auto& log = data.train.interactions;
  const std::size_t step = std::max<std::size_t>(1, log.size() / 1000);
  std::size_t n = 0;
  pipeline_ = std::move(p);
  importance_.clear();
  const std::vector<std::string> names = pipeline_.featureNames();
  for (std::size_t r = 0; r < log.size(); r += step, ++n) {
    const Index u = log.user[r], i = log.item[r];
    const auto prof = pipeline_.userProfile(u);
    if (prof.empty()) continue;
    double pn = 0.0;
    for (float v : prof) pn += static_cast<double>(v) * v;
    const double in = std::sqrt(squaredNorm(pipeline_.itemContent(i)));
    if (pn <= 0 || in <= 0) continue;
    for (const auto& f : pipeline_.itemContent(i)) {
      sumAbs[f.index] += std::abs(prof[f.index] * f.value / (std::sqrt(pn) * in));
    }
  }
  for (std::size_t j = 0; j < sumAbs.size(); ++j) {
    if (sumAbs[j] > 0) {
      importance_.push_back({names[pipeline_.itemBlockOffset() + j],
                             sumAbs[j] / static_cast<double>(std::max<std::size_t>(1, n)), 0.0});
    }
  }
  std::sort(importance_.begin(), importance_.end(), [](const auto& a, const auto& b) {
    return a.meanAbsContribution > b.meanAbsContribution;
  });
  ctx.progress(1.0, "fitted");
}

void ContentSimilarity::scoreItems(Index user, std::span<const Index> items,
                                   std::span<float> out) const {
  for (std::size_t k = 0; k < items.size(); ++k) {
    out[k] = static_cast<float>(pipeline_.profileCosine(user, items[k]));
  }
}

void ContentSimilarity::scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                          std::span<float> out) const {
  const auto s = pipeline_.historyCosine(user.history, items);
  std::copy(s.begin(), s.end(), out.begin());
}

Explanation ContentSimilarity::explain(Index user, Index item) const {
  if (!isFitted()) throw ModelError("content_similarity: explain before fit");
  if (user >= numUsers() || item >= numItems()) {
    throw ModelError("content_similarity: pair (" + std::to_string(user) + ", " +
                     std::to_string(item) + ") out of range");
  }
  Explanation e;
  e.user = user;
  e.item = item;
  e.outputKind = "cosine";
  e.output = pipeline_.profileCosine(user, item);
  const auto prof = pipeline_.userProfile(user);
  const auto& x = pipeline_.itemContent(item);
  double pn = 0.0;
  for (float v : prof) pn += static_cast<double>(v) * v;
  const double in = std::sqrt(squaredNorm(x));
  if (prof.empty() || pn <= 0 || in <= 0) return e;
  const double denom = std::sqrt(pn) * in;
  for (auto [k, w] : pipeline_.profileItems(user)) {
    double d = 0.0;
    // x_k . x_i by merging the two sorted rows.
    const auto& xk = pipeline_.itemContent(k);
    std::size_t a = 0, b = 0;
    while (a < xk.size() && b < x.size()) {
      if (xk[a].index < x[b].index)
        ++a;
      else if (xk[a].index > x[b].index)
        ++b;
      else
        d += static_cast<double>(xk[a++].value) * x[b++].value;
    }
    if (d != 0.0) e.history.push_back({k, w, w * d / denom});
  }
  const auto names = pipeline_.featureNames();
  for (const auto& f : x) {
    const double c = prof[f.index] * f.value / denom;
    if (c != 0.0) e.features.push_back({names[pipeline_.itemBlockOffset() + f.index], f.value, c});
  }
  auto byAbs = [](const auto& p, const auto& q) {
    return std::abs(p.contribution) > std::abs(q.contribution);
  };
  std::sort(e.history.begin(), e.history.end(), byAbs);
  std::sort(e.features.begin(), e.features.end(), byAbs);
  return e;
}

void ContentSimilarity::saveState(BinaryWriter& out) const {
  pipeline_.save(out);
  saveImportance(out, importance_);
}

void ContentSimilarity::loadModelState(BinaryReader& in) {
  FeaturePipeline p = FeaturePipeline::load(in);
  in.check(p.numUsers() == numUsers() && p.numItems() == numItems(),
           "feature pipeline was fitted on other id maps");
  in.check(p.config().behaviour.profileCosine, "content similarity needs user profiles");
  importance_ = loadImportance(in);
  pipeline_ = std::move(p);
}

}  // namespace rwb
