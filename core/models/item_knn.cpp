#include "core/models/item_knn.h"

#include <cmath>

#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

ModelInfo ItemKnn::info() {
  ModelInfo m;
  m.name = "itemknn";
  m.displayName = "ItemKNN";
  m.family = "collaborative";
  m.description = "Item-based nearest neighbours (cosine / asymmetric cosine with shrinkage)";
  m.schema.params = paramList(
      choiceParam("similarity", "asymmetric_cosine", {"cosine", "asymmetric_cosine"})
          .searched()
          .describe("Item-item similarity"),
      floatParam("alpha", 0.2)
          .range(0, 1)
          .searchRange(0, 1)
          .searchedWhen("similarity", {"asymmetric_cosine"})
          .describe("Asymmetric cosine exponent (0.5 = cosine); weight of the target item's norm"),
      floatParam("shrink", 0.0)
          .range(0, 1e6)
          .searchRange(0, 100)
          .describe("Shrinkage added to the similarity denominator"),
      neighboursParam(400),
      boolParam("normalize", false)
          .searched()
          .describe("Divide each item's neighbour weights by their sum"),
      binaryParam());
  return m;
}

void ItemKnn::fitModel(const TrainingData& data, TaskContext& ctx) {
  const bool binary = paramBool("binary");
  const double alpha = paramString("similarity") == "cosine" ? 0.5 : paramDouble("alpha");
  const double shrink = paramDouble("shrink");
  const auto k = static_cast<std::size_t>(paramInt("k"));
  const bool normalize = paramBool("normalize");

  Csr userItem = data.train.userItemMatrix(binary);
  const Csr itemUser = userItem.transposed();
  std::vector<double> norm(numItems(), 0.0);
  for (std::size_t i = 0; i < numItems(); ++i) {
    double s = 0;
    for (float v : itemUser.rowValues(i)) s += static_cast<double>(v) * v;
    norm[i] = s;
  }
  std::vector<double> targetPow(numItems()), sourcePow(numItems());
  for (std::size_t i = 0; i < numItems(); ++i) {
    targetPow[i] = std::pow(norm[i], alpha);
    sourcePow[i] = std::pow(norm[i], 1.0 - alpha);
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
      const double den = targetPow[i] * sourcePow[cols[t]] + shrink;
      if (den <= 0) continue;
      c.push_back(cols[t]);
      v.push_back(static_cast<float>(vals[t] / den));
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
  TaskContext sub(ctx, 0.0, 0.95);
  ItemMatrix<float> byTarget;
  runWithThreads(data.threads, [&] {
    byTarget = buildItemRows<float>(userItem, itemUser, binary, {}, transform, sub, "neighbours");
  });
  ctx.throwIfStopped();
  weights_ = transposeItems(byTarget);
  userOffsets_.assign(numUsers() + 1, 0);
  for (std::size_t u = 0; u < numUsers(); ++u) {
    userOffsets_[u + 1] = userOffsets_[u] + seenItems(u).size();
  }
  if (binary) {
    userValues_.clear();
  } else {
    if (userItem.values.size() != userOffsets_.back()) {
      throw ModelError("itemknn: the value matrix does not match the seen items");
    }
    userValues_ = std::move(userItem.values);
  }
  ctx.progress(1.0, "fitted");
}

void ItemKnn::scoreAllItems(Index user, std::span<float> out) const {
  std::span<const float> w;
  if (!userValues_.empty()) {
    w = {userValues_.data() + userOffsets_[user],
         static_cast<std::size_t>(userOffsets_[user + 1] - userOffsets_[user])};
  }
  scoreFromItemRows(weights_, seenItems(user), w, out);
}

void ItemKnn::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  thread_local std::vector<float> all;
  all.resize(numItems());
  scoreAllItems(user, all);
  for (std::size_t k = 0; k < items.size(); ++k) out[k] = all[items[k]];
}

void ItemKnn::saveState(BinaryWriter& out) const {
  out.putVector(userValues_);
  weights_.save(out);
}

void ItemKnn::loadModelState(BinaryReader& in) {
  std::vector<std::uint64_t> offsets(numUsers() + 1, 0);
  for (std::size_t u = 0; u < numUsers(); ++u) offsets[u + 1] = offsets[u] + seenItems(u).size();
  auto values = in.getVector<float>("user_values");
  in.check(values.empty() == paramBool("binary"), "user values do not match the binary flag");
  in.check(values.empty() || values.size() == offsets.back(),
           "user values do not match the seen items");
  ItemMatrix<float> w;
  w.load(in, "weights", numItems());
  userOffsets_ = std::move(offsets);
  userValues_ = std::move(values);
  weights_ = std::move(w);
}

std::size_t ItemKnn::memoryBytes() const {
  return Model::memoryBytes() + userValues_.size() * sizeof(float) +
         userOffsets_.size() * sizeof(std::uint64_t) + weights_.memoryBytes();
}

std::vector<ScoredItem> ItemKnn::similarItems(Index item, std::size_t k) const {
  checkItemQuery(type(), isFitted(), item, numItems());
  std::vector<float> row(numItems());
  rowAsScores(weights_, item, row);
  return topK(row, k);
}

}  // namespace rwb
