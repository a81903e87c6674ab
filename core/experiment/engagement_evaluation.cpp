#include "core/experiment/engagement_evaluation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/util/error.h"
#include "core/util/random.h"

namespace rwb {

EngagementEvalResult evaluateEngagement(const EngagementModel& model, const Dataset& test,
                                        const EngagementEvalOptions& options, TaskContext& ctx) {
  if (!model.isFitted()) throw ModelError(model.type() + ": evaluateEngagement before fit");
  if (test.numUsers() != model.numUsers() || test.numItems() != model.numItems()) {
    throw ModelError("evaluateEngagement: the test data has other id maps than the model");
  }
  if (!(options.negativeRatio >= 0.0) || options.bins == 0) {
    throw ModelError("evaluateEngagement: negative ratio must be >= 0 and bins >= 1");
  }
  const FeaturePipeline& p = model.pipeline();
  const auto& log = test.interactions;
  std::vector<std::vector<Index>> pos(test.numUsers()), neg(test.numUsers()),
      touched(test.numUsers());
  for (std::size_t r = 0; r < log.size(); ++r) {
    (p.isPositive(log, r) ? pos : neg)[log.user[r]].push_back(log.item[r]);
    touched[log.user[r]].push_back(log.item[r]);
  }
  auto unique = [](std::vector<Index>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  std::vector<double> labels, probs;
  std::vector<float> buf;
  std::vector<Index> items;
  for (Index u = 0; u < test.numUsers(); ++u) {
    if ((u & 255) == 0) ctx.throwIfStopped();
    unique(pos[u]);
    unique(touched[u]);
    if (pos[u].empty() && neg[u].empty()) continue;
    items.clear();
    std::size_t nPos = pos[u].size();
    items.insert(items.end(), pos[u].begin(), pos[u].end());
    if (p.config().labels.mode == "threshold") {
      unique(neg[u]);
      for (Index i : neg[u]) {
        if (!std::binary_search(pos[u].begin(), pos[u].end(), i)) items.push_back(i);
      }
    }
    const auto seen = model.seenItems(u);
    const auto want = static_cast<std::size_t>(
        std::llround(options.negativeRatio * static_cast<double>(pos[u].size())));
    std::mt19937_64 rng(linearStreamSeed(options.seed, u));
    std::uniform_int_distribution<Index> pick(0, static_cast<Index>(test.numItems() - 1));
    std::vector<Index> drawn;
    for (std::size_t tries = 0; drawn.size() < want && tries < 50 * want + 100; ++tries) {
      const Index i = pick(rng);
      if (std::binary_search(touched[u].begin(), touched[u].end(), i) ||
          std::binary_search(seen.begin(), seen.end(), i) ||
          std::find(drawn.begin(), drawn.end(), i) != drawn.end()) {
        continue;
      }
      drawn.push_back(i);
    }
    items.insert(items.end(), drawn.begin(), drawn.end());
    buf.resize(items.size());
    model.predictProbability(u, items, buf);
    for (std::size_t k = 0; k < items.size(); ++k) {
      labels.push_back(k < nPos ? 1.0 : 0.0);
      probs.push_back(std::clamp(static_cast<double>(buf[k]), 0.0, 1.0));
    }
  }
  EngagementEvalResult res;
  for (double y : labels) (y > 0.5 ? res.positives : res.negatives)++;
  if (res.positives == 0 || res.negatives == 0) {
    throw ModelError("evaluateEngagement: the labelled test pairs need positives and negatives (" +
                     std::to_string(res.positives) + " positive, " + std::to_string(res.negatives) +
                     " negative)");
  }
  res.auc = rocAuc(labels, probs);
  res.logLoss = logLoss(labels, probs);
  res.brier = brierScore(labels, probs);
  res.positiveRate = static_cast<double>(res.positives) / static_cast<double>(labels.size());
  res.meanPredicted =
      std::accumulate(probs.begin(), probs.end(), 0.0) / static_cast<double>(probs.size());
  res.calibration = calibrationBins(labels, probs, options.bins);
  return res;
}

}  // namespace rwb
