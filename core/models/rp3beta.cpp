#include "core/models/rp3beta.h"

#include <cmath>

#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

ModelInfo Rp3beta::info() {
  ModelInfo m;
  m.name = "rp3beta";
  m.displayName = "RP3beta";
  m.family = "collaborative";
  m.description = "Three-step random walk on the user-item graph with a popularity penalty";
  m.schema.params =
      paramList(floatParam("alpha", 0.8)
                    .range(0, 3)
                    .searchRange(0.1, 2)
                    .describe("Exponent applied to the transition probabilities"),
                floatParam("beta", 0.5)
                    .range(0, 2)
                    .searchRange(0, 1)
                    .describe("Popularity penalty: target items are divided by popularity^beta"),
                neighboursParam(200),
                boolParam("normalize", true)
                    .searched()
                    .describe("Divide each item's kept weights by their sum"));
  return m;
}

void Rp3beta::fitModel(const TrainingData& data, TaskContext& ctx) {
  const double alpha = paramDouble("alpha");
  const double beta = paramDouble("beta");
  const auto k = static_cast<std::size_t>(paramInt("k"));
  const bool normalize = paramBool("normalize");

  const Csr userItem = data.train.userItemMatrix(true);
  const Csr itemUser = userItem.transposed();
  std::vector<double> userWeight(numUsers(), 0.0);
  for (std::size_t u = 0; u < numUsers(); ++u) {
    const auto deg = userItem.rowSize(u);
    userWeight[u] = deg > 0 ? std::pow(1.0 / static_cast<double>(deg), alpha) : 0.0;
  }
  std::vector<double> sourceW(numItems(), 0.0), targetW(numItems(), 0.0);
  for (std::size_t i = 0; i < numItems(); ++i) {
    const auto deg = itemUser.rowSize(i);
    if (deg == 0) continue;
    sourceW[i] = std::pow(1.0 / static_cast<double>(deg), alpha);
    targetW[i] = std::pow(static_cast<double>(deg), -beta);
  }
  ctx.throwIfStopped();

  RowTransform<float> transform = [&](Index i, std::span<const Index> cols,
                                      std::span<const double> vals, std::vector<Index>& kc,
                                      std::vector<float>& kv) {
    thread_local std::vector<Index> c;
    thread_local std::vector<float> v;
    c.clear();
    v.clear();
    for (std::size_t t = 0; t < cols.size(); ++t) {
      if (cols[t] == i) continue;
      c.push_back(cols[t]);
      v.push_back(static_cast<float>(sourceW[i] * vals[t] * targetW[cols[t]]));
    }
    keepTopK<float>(c, v, k, kc, kv);
    if (normalize) {
      double sum = 0;
      for (float w : kv) sum += w;
      if (sum > 0) {
        for (float& w : kv) w = static_cast<float>(w / sum);
      }
    }
  };
  TaskContext sub(ctx, 0.0, 0.99);
  ItemMatrix<float> w;
  runWithThreads(data.threads, [&] {
    w = buildItemRows<float>(userItem, itemUser, true, userWeight, transform, sub, "random walk");
  });
  weights_ = std::move(w);
  ctx.progress(1.0, "fitted");
}

void Rp3beta::scoreAllItems(Index user, std::span<float> out) const {
  scoreFromItemRows(weights_, seenItems(user), {}, out);
}

void Rp3beta::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  thread_local std::vector<float> all;
  all.resize(numItems());
  scoreAllItems(user, all);
  for (std::size_t k = 0; k < items.size(); ++k) out[k] = all[items[k]];
}

void Rp3beta::saveState(BinaryWriter& out) const { weights_.save(out); }

void Rp3beta::loadModelState(BinaryReader& in) {
  ItemMatrix<float> w;
  w.load(in, "weights", numItems());
  weights_ = std::move(w);
}

std::size_t Rp3beta::memoryBytes() const { return Model::memoryBytes() + weights_.memoryBytes(); }

std::vector<ScoredItem> Rp3beta::similarItems(Index item, std::size_t k) const {
  checkItemQuery(type(), isFitted(), item, numItems());
  std::vector<float> row(numItems());
  rowAsScores(weights_, item, row);
  return topK(row, k);
}

}  // namespace rwb
