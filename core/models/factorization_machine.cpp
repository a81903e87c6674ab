#include "core/models/factorization_machine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>

#include "core/models/early_stopping.h"
#include "core/models/engagement_model.h"
#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

namespace {
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

void l1Normalise(SparseVector& v) {
  double s = 0;
  for (const auto& f : v) s += std::abs(f.value);
  if (s > 0) {
    for (auto& f : v) f.value = static_cast<float>(f.value / s);
  }
}
}  // namespace

ModelInfo FactorizationMachine::info() {
  ModelInfo m;
  m.name = "factorization_machine";
  m.displayName = "Factorization machine";
  m.family = "hybrid";
  m.description =
      "LightFM-style hybrid: users and items as sums of id and attribute embeddings; logistic, "
      "BPR or WARP loss; scores new users and items through their features.";
  m.schema.params = paramList(
      featuresParam().describe(
          "Feature pipeline configuration (a JSON object, or its text); its user and item "
          "encoders are the fields"),
      intParam("factors", 64).range(1, 1024).searchLogRange(8, 128).describe("Embedding dimension"),
      choiceParam("loss", "warp", {"logistic", "bpr", "warp"}).searched().describe("Training loss"),
      epochsParam(20, "Passes over the positives"),
      floatParam("learning_rate", 0.05)
          .range(1e-5, 10)
          .logScale()
          .searchLogRange(1e-3, 0.3)
          .describe("Adagrad learning rate"),
      floatParam("l2", 1e-6)
          .range(0, 1)
          .logScale()
          .searchLogRange(1e-8, 1e-2)
          .describe("L2 penalty per update"),
      intParam("max_sampled", 10)
          .range(1, 10000)
          .searchRange(5, 50)
          .searchedWhen("loss", {"warp"})
          .describe("WARP: negatives tried per positive"),
      boolParam("use_ids", true)
          .describe("Add an id feature for users and items with training data"),
      boolParam("user_ids", true)
          .describe(
              "With use_ids: users with training data get an id feature (false: every user is "
              "their attribute features alone, exactly as a new user is scored)"),
      boolParam("item_ids", true)
          .describe(
              "With use_ids: items with training data get an id feature (false: every item is "
              "its content features alone, exactly as a brand-new item is scored)"),
      ndcgEarlyStoppingParams());
  return m;
}

void FactorizationMachine::userFeatures(Index u, SparseVector& out) const {
  out.clear();
  const auto nu = static_cast<std::uint32_t>(numUsers());
  if (userHasId_[u]) out.push_back({u, 1.0f});
  for (const auto& f : pipeline_.userAttributes(u)) out.push_back({nu + f.index, f.value});
  l1Normalise(out);
}

void FactorizationMachine::itemFeatures(Index i, SparseVector& out) const {
  out.clear();
  const auto ni = static_cast<std::uint32_t>(numItems());
  if (itemHasId_[i]) out.push_back({i, 1.0f});
  for (const auto& f : pipeline_.itemContent(i)) out.push_back({ni + f.index, f.value});
  l1Normalise(out);
}

void FactorizationMachine::cacheRepresentations() {
  const std::size_t k = k_;
  userRepr_.assign(numUsers() * k, 0.0f);
  itemRepr_.assign(numItems() * k, 0.0f);
  userBias_.assign(numUsers(), 0.0f);
  itemBias_.assign(numItems(), 0.0f);
  SparseVector f;
  for (Index u = 0; u < numUsers(); ++u) {
    userFeatures(u, f);
    for (const auto& e : f) {
      for (std::size_t d = 0; d < k; ++d) userRepr_[u * k + d] += e.value * V_[e.index * k + d];
      userBias_[u] += e.value * p_[e.index];
    }
  }
  for (Index i = 0; i < numItems(); ++i) {
    itemFeatures(i, f);
    for (const auto& e : f) {
      for (std::size_t d = 0; d < k; ++d) itemRepr_[i * k + d] += e.value * W_[e.index * k + d];
      itemBias_[i] += e.value * q_[e.index];
    }
  }
}

void FactorizationMachine::fitModel(const TrainingData& data, TaskContext& ctx) {
  FeatureConfig cfg = FeatureConfig::parse(paramString("features"), "$.params.features");
  // Only the attribute encoders are used: skip the profile matrix.
  cfg.behaviour.profileCosine = false;
  FeaturePipeline pipeline(cfg);
  TaskContext pctx(ctx, 0.0, 0.05);
  pipeline.fit(data.train, pctx);
  pipeline_ = std::move(pipeline);

  const auto& log = data.train.interactions;
  const std::size_t nu = numUsers(), ni = numItems();
  k_ = static_cast<std::size_t>(paramInt("factors"));
  const std::size_t k = k_;
  const bool useIds = paramBool("use_ids");
  const bool userIds = useIds && paramBool("user_ids");
  const bool itemIds = useIds && paramBool("item_ids");
  userHasId_.assign(nu, 0);
  itemHasId_.assign(ni, 0);
  std::vector<std::pair<Index, Index>> positives;
  for (std::size_t r = 0; r < log.size(); ++r) {
    if (userIds) userHasId_[log.user[r]] = 1;
    if (itemIds) itemHasId_[log.item[r]] = 1;
    if (pipeline_.isPositive(log, r)) positives.emplace_back(log.user[r], log.item[r]);
  }
  std::sort(positives.begin(), positives.end());
  positives.erase(std::unique(positives.begin(), positives.end()), positives.end());
  if (positives.empty()) throw ModelError("factorization_machine: no positive training examples");
  std::vector<Index> warm;
  for (Index i = 0; i < ni; ++i) {
    if (itemPopularity()[i] > 0) warm.push_back(i);
  }
  const std::size_t nuf = nu + pipeline_.userAttributeDim(), nif = ni + pipeline_.itemContentDim();
  std::mt19937_64 rng(data.seed);
  std::normal_distribution<float> init(0.0f, 0.01f);
  V_.resize(nuf * k);
  W_.resize(nif * k);
  for (auto& v : V_) v = init(rng);
  for (auto& v : W_) v = init(rng);
  p_.assign(nuf, 0.0f);
  q_.assign(nif, 0.0f);
  w0_ = 0.0;
  std::vector<float> gV(nuf * k, 1.0f), gW(nif * k, 1.0f), gp(nuf, 1.0f), gq(nif, 1.0f);
  double g0 = 1.0;

  const std::string loss = paramString("loss");
  const double lr = paramDouble("learning_rate"), l2 = paramDouble("l2");
  const int maxSampled = static_cast<int>(paramInt("max_sampled"));
  const int epochs = static_cast<int>(paramInt("epochs"));
  const double negRatio = std::max(1.0, pipeline_.config().negatives.ratio);

  // Precomputed feature lists (normalised) for every user and item.
  std::vector<SparseVector> uf(nu), itf(ni);
  for (Index u = 0; u < nu; ++u) userFeatures(u, uf[u]);
  for (Index i = 0; i < ni; ++i) itemFeatures(i, itf[i]);
  std::vector<float> eu(k), ei(k), ej(k), gradU(k);
  auto repr = [&](const SparseVector& f, const std::vector<float>& M, const std::vector<float>& b,
                  std::vector<float>& e) {
    std::fill(e.begin(), e.end(), 0.0f);
    double bias = 0;
    for (const auto& x : f) {
      const float* row = &M[x.index * k];
      for (std::size_t d = 0; d < k; ++d) e[d] += x.value * row[d];
      bias += x.value * b[x.index];
    }
    return bias;
  };
  auto dotk = [&](const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (std::size_t d = 0; d < k; ++d) s += static_cast<double>(a[d]) * b[d];
    return s;
  };
  // Adagrad step on one side's features: param -= lr * g / sqrt(acc).
  auto update = [&](const SparseVector& f, std::vector<float>& M, std::vector<float>& acc,
                    std::vector<float>& b, std::vector<float>& bacc,
                    const std::vector<float>& other, double scale, bool withBias = true) {
    for (const auto& x : f) {
      float* row = &M[x.index * k];
      float* a = &acc[x.index * k];
      for (std::size_t d = 0; d < k; ++d) {
        const double g = scale * x.value * other[d] + l2 * row[d];
        a[d] += static_cast<float>(g * g);
        row[d] -= static_cast<float>(lr * g / std::sqrt(a[d]));
      }
      if (!withBias) continue;
      const double gb = scale * x.value;
      bacc[x.index] += static_cast<float>(gb * gb);
      b[x.index] -= static_cast<float>(lr * gb / std::sqrt(bacc[x.index]));
    }
  };
  auto isSeen = [&](Index u, Index j) {
    const auto s = seenItems(u);
    return std::binary_search(s.begin(), s.end(), j);
  };
  std::uniform_int_distribution<std::size_t> pickWarm(0, warm.size() - 1);
  // Early stopping on the validation nDCG (TaskContext's validation, like iALS and BPR): the
  // best epoch's parameters are kept and restored at the end.
  EarlyStopping early(static_cast<int>(paramInt("patience")));
  const auto validK = static_cast<std::size_t>(paramInt("validation_k"));
  struct Snapshot {
    std::vector<float> V, W, p, q;
    double w0 = 0.0;
  };
  std::optional<Snapshot> best;
  std::vector<std::size_t> order(positives.size());
  std::iota(order.begin(), order.end(), 0);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    double lossSum = 0;
    for (std::size_t n = 0; n < order.size(); ++n) {
      if ((n & 1023) == 0) ctx.throwIfStopped();
      // Plain variables, not a structured binding: the lambda below captures u, which clang
      // accepts only from version 16 (the fuzz and TSan builds use Debian's clang 14).
      const Index u = positives[order[n]].first;
      const Index i = positives[order[n]].second;
      const double bu = repr(uf[u], V_, p_, eu);
      const double bi = repr(itf[i], W_, q_, ei);
      if (loss == "logistic") {
        auto step = [&](Index item, const std::vector<float>& e, double bItem, double y) {
          const double s = w0_ + bu + bItem + dotk(eu, e);
          const double pr = sigmoid(s);
          const double g = pr - y;
          lossSum += y > 0 ? -std::log(std::max(pr, 1e-12)) : -std::log(std::max(1 - pr, 1e-12));
          gradU = eu;
          update(itf[item], W_, gW, q_, gq, gradU, g);
          update(uf[u], V_, gV, p_, gp, e, g);
          g0 += g * g;
          w0_ -= lr * g / std::sqrt(g0);
        };
        step(i, ei, bi, 1.0);
        const int nneg = static_cast<int>(negRatio);
        for (int t = 0; t < nneg; ++t) {
          Index j = warm[pickWarm(rng)];
          for (int tries = 0; tries < 20 && isSeen(u, j); ++tries) j = warm[pickWarm(rng)];
          if (isSeen(u, j)) continue;
          const double bj = repr(itf[j], W_, q_, ej);
          step(j, ej, bj, 0.0);
        }
        continue;
      }
      const double si = bi + dotk(eu, ei);
      Index j = kNoIndex;
      double sj = 0, weight = 1.0;
      if (loss == "bpr") {
        j = warm[pickWarm(rng)];
        for (int tries = 0; tries < 20 && isSeen(u, j); ++tries) j = warm[pickWarm(rng)];
        if (isSeen(u, j)) continue;
        sj = repr(itf[j], W_, q_, ej) + dotk(eu, ej);
        const double g = sigmoid(sj - si);  // d/d(si - sj) of -log sigmoid(si - sj) is -g
        lossSum += -std::log(std::max(1e-12, sigmoid(si - sj)));
        weight = g;
      } else {
        // WARP: sample until a negative violates the margin 1.
        int trials = 0;
        for (; trials < maxSampled; ++trials) {
          const Index c = warm[pickWarm(rng)];
          if (isSeen(u, c)) continue;
          const double sc = repr(itf[c], W_, q_, ej) + dotk(eu, ej);
          if (sc > si - 1.0) {
            j = c;
            sj = sc;
            break;
          }
        }
        if (j == kNoIndex) continue;
        const double nWarm = static_cast<double>(warm.size());
        weight = std::log(std::max(1.0, std::floor((nWarm - 1) / (trials + 1))));
        lossSum += weight * (1.0 - si + sj);
      }
      // Gradient of weight * (sj - si) w.r.t. the parameters.
      std::vector<float> diff(k);
      for (std::size_t d = 0; d < k; ++d) diff[d] = ej[d] - ei[d];
      update(itf[i], W_, gW, q_, gq, eu, -weight);
      update(itf[j], W_, gW, q_, gq, eu, weight);
      // The user bias cancels in s_j - s_i: ranking losses leave it alone.
      update(uf[u], V_, gV, p_, gp, diff, weight, false);
    }
    EpochMetrics metrics{{"loss", lossSum / static_cast<double>(positives.size())}};
    bool stop = false;
    if (data.validation != nullptr) {
      cacheRepresentations();
      const double ndcg = validationNdcg(*data.validation, validK);
      metrics.emplace_back("valid_ndcg@" + std::to_string(validK), ndcg);
      const auto verdict = early.observe(epoch + 1, ndcg);
      if (verdict.improved) best = Snapshot{V_, W_, p_, q_, w0_};
      stop = verdict.stop;
    }
    ctx.progress(0.05 + 0.9 * (epoch + 1) / epochs, "epoch " + std::to_string(epoch + 1));
    if (ctx.epochEnd(epoch, metrics) || stop) break;
  }
  ctx.throwIfStopped();
  if (best) {
    V_ = std::move(best->V);
    W_ = std::move(best->W);
    p_ = std::move(best->p);
    q_ = std::move(best->q);
    w0_ = best->w0;
  }
  cacheRepresentations();
  // Global importance over a sample of training pairs.
  std::vector<std::string> names;
  std::map<std::string, double> sumAbs;
  const std::size_t step = std::max<std::size_t>(1, positives.size() / 500);
  std::size_t n = 0;
  for (std::size_t r = 0; r < positives.size(); r += step, ++n) {
    for (const auto& c : explain(positives[r].first, positives[r].second).features) {
      sumAbs[c.feature] += std::abs(c.contribution);
    }
  }
  importance_.clear();
  for (const auto& [name, s] : sumAbs)
    importance_.push_back({name, s / static_cast<double>(n), 0.0});
  std::sort(importance_.begin(), importance_.end(), [](const auto& a, const auto& b) {
    return a.meanAbsContribution > b.meanAbsContribution;
  });
  if (importance_.size() > 500) importance_.resize(500);
}

void FactorizationMachine::scoreItems(Index user, std::span<const Index> items,
                                      std::span<float> out) const {
  const float* eu = &userRepr_[static_cast<std::size_t>(user) * k_];
  for (std::size_t n = 0; n < items.size(); ++n) {
    const float* ei = &itemRepr_[static_cast<std::size_t>(items[n]) * k_];
    double s = w0_ + userBias_[user] + itemBias_[items[n]];
    for (std::size_t d = 0; d < k_; ++d) s += static_cast<double>(eu[d]) * ei[d];
    out[n] = static_cast<float>(s);
  }
}

double FactorizationMachine::validationNdcg(const Dataset& validation, std::size_t k) const {
  const Csr rel = validation.userItemMatrix(true);
  std::vector<float> scores(numItems());
  std::vector<Index> order;
  double total = 0.0;
  std::size_t users = 0;
  for (std::size_t u = 0; u < rel.rows && u < numUsers(); ++u) {
    const auto relevant = rel.rowIndices(u);
    const auto seen = seenItems(static_cast<Index>(u));
    if (relevant.empty() || seen.empty()) continue;
    scoreAllItems(static_cast<Index>(u), scores);
    for (const Index i : seen) scores[i] = -std::numeric_limits<float>::infinity();
    order.resize(numItems());
    std::iota(order.begin(), order.end(), Index{0});
    const std::size_t top = std::min(k, order.size());
    // Best first, ties by item index (the ranking rule of every model).
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                      [&](Index a, Index b) {
                        return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
                      });
    double dcg = 0.0, idcg = 0.0;
    for (std::size_t r = 0; r < top; ++r) {
      if (std::isinf(scores[order[r]])) break;
      if (std::binary_search(relevant.begin(), relevant.end(), order[r])) {
        dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
      }
    }
    for (std::size_t r = 0; r < std::min(k, relevant.size()); ++r) {
      idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    }
    total += dcg / idcg;
    ++users;
  }
  return users == 0 ? 0.0 : total / static_cast<double>(users);
}

void FactorizationMachine::scoreAllItems(Index user, std::span<float> out) const {
  std::vector<Index> all(numItems());
  std::iota(all.begin(), all.end(), Index{0});
  scoreItems(user, all, out);
}

void FactorizationMachine::scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                             std::span<float> out) const {
  // Same representation as userFeatures() of a user without training data: attribute
  // features only, L1-normalised.
  SparseVector f;
  const auto nu = static_cast<std::uint32_t>(numUsers());
  for (const auto& a : pipeline_.encodeUserAttributes(user.attributes, user.row)) {
    f.push_back({nu + a.index, a.value});
  }
  l1Normalise(f);
  // Accumulated in float in the same order as cacheRepresentations(), so a new user's scores
  // equal those of an in-map user without training data and the same attributes, bit for bit.
  std::vector<float> eu(k_, 0.0f);
  float ub = 0.0f;
  for (const auto& e : f) {
    for (std::size_t d = 0; d < k_; ++d) eu[d] += e.value * V_[e.index * k_ + d];
    ub += e.value * p_[e.index];
  }
  for (std::size_t n = 0; n < items.size(); ++n) {
    const float* ei = &itemRepr_[static_cast<std::size_t>(items[n]) * k_];
    double s = w0_ + ub + itemBias_[items[n]];
    for (std::size_t d = 0; d < k_; ++d) s += static_cast<double>(eu[d]) * ei[d];
    out[n] = static_cast<float>(s);
  }
}

std::string FactorizationMachine::userFeatureName(std::uint32_t f) const {
  if (f < numUsers()) return "user.id=" + std::to_string(f);
  return pipeline_.featureName(pipeline_.userBlockOffset() + f -
                               static_cast<std::uint32_t>(numUsers()));
}

std::string FactorizationMachine::itemFeatureName(std::uint32_t f) const {
  if (f < numItems()) return "item.id=" + std::to_string(f);
  return pipeline_.featureName(pipeline_.itemBlockOffset() + f -
                               static_cast<std::uint32_t>(numItems()));
}

Explanation FactorizationMachine::explain(Index user, Index item) const {
  if (!isFitted() && userRepr_.empty())
    throw ModelError("factorization_machine: explain before fit");
  if (user >= numUsers() || item >= numItems()) {
    throw ModelError("factorization_machine: pair (" + std::to_string(user) + ", " +
                     std::to_string(item) + ") out of range");
  }
  Explanation e;
  e.user = user;
  e.item = item;
  e.outputKind = paramString("loss") == "logistic" ? "logit" : "score";
  e.bias = w0_;
  const float* eu = &userRepr_[static_cast<std::size_t>(user) * k_];
  const float* ei = &itemRepr_[static_cast<std::size_t>(item) * k_];
  SparseVector f;
  double total = w0_;
  userFeatures(user, f);
  for (const auto& x : f) {
    double c = x.value * p_[x.index];
    double dd = 0;
    for (std::size_t d = 0; d < k_; ++d) dd += static_cast<double>(V_[x.index * k_ + d]) * ei[d];
    c += 0.5 * x.value * dd;
    total += c;
    e.features.push_back({userFeatureName(x.index), x.value, c});
  }
  itemFeatures(item, f);
  for (const auto& x : f) {
    double c = x.value * q_[x.index];
    double dd = 0;
    for (std::size_t d = 0; d < k_; ++d) dd += static_cast<double>(W_[x.index * k_ + d]) * eu[d];
    c += 0.5 * x.value * dd;
    total += c;
    e.features.push_back({itemFeatureName(x.index), x.value, c});
  }
  e.output = total;
  std::sort(e.features.begin(), e.features.end(), [](const auto& a, const auto& b) {
    return std::abs(a.contribution) > std::abs(b.contribution);
  });
  return e;
}

void FactorizationMachine::saveState(BinaryWriter& out) const {
  pipeline_.save(out);
  out.put<std::uint64_t>(k_);
  out.putVector(userHasId_);
  out.putVector(itemHasId_);
  out.putVector(V_);
  out.putVector(W_);
  out.putVector(p_);
  out.putVector(q_);
  out.put(w0_);
  saveImportance(out, importance_);
}

void FactorizationMachine::loadModelState(BinaryReader& in) {
  FeaturePipeline p = FeaturePipeline::load(in);
  in.check(p.numUsers() == numUsers() && p.numItems() == numItems(),
           "feature pipeline was fitted on other id maps");
  const auto k = in.get<std::uint64_t>("num_factors");
  in.check(k >= 1 && k <= 1024, "factor count out of range");
  const std::size_t nuf = numUsers() + p.userAttributeDim(), nif = numItems() + p.itemContentDim();
  auto uh = in.getVector<char>("user_has_id");
  in.check(uh.size() == numUsers(), "id flags have the wrong length");
  auto ih = in.getVector<char>("item_has_id");
  in.check(ih.size() == numItems(), "id flags have the wrong length");
  auto V = in.getVector<float>("user_embeddings");
  in.check(V.size() == nuf * k, "embedding table has the wrong size");
  auto W = in.getVector<float>("item_embeddings");
  in.check(W.size() == nif * k, "embedding table has the wrong size");
  auto pv = in.getVector<float>("user_weights");
  in.check(pv.size() == nuf, "weight vector has the wrong size");
  auto qv = in.getVector<float>("item_weights");
  in.check(qv.size() == nif, "weight vector has the wrong size");
  const double w0 = in.get<double>("bias");
  importance_ = loadImportance(in);
  pipeline_ = std::move(p);
  k_ = k;
  userHasId_ = std::move(uh);
  itemHasId_ = std::move(ih);
  V_ = std::move(V);
  W_ = std::move(W);
  p_ = std::move(pv);
  q_ = std::move(qv);
  w0_ = w0;
  cacheRepresentations();
}

std::size_t FactorizationMachine::memoryBytes() const {
  return Model::memoryBytes() +
         (V_.size() + W_.size() + userRepr_.size() + itemRepr_.size()) * sizeof(float);
}

}  // namespace rwb
