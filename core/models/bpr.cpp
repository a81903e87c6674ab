#include "core/models/bpr.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "core/models/early_stopping.h"
#include "core/models/factor_kernels.h"
#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

double scheduledLearningRate(const std::string& schedule, double lr, double decay, int epoch,
                             int epochs) {
  if (schedule == "exponential") return lr * std::pow(decay, epoch - 1);
  if (schedule == "linear") {
    const double t = epochs <= 1 ? 0.0 : static_cast<double>(epoch - 1) / (epochs - 1);
    return lr * (1.0 - t * (1.0 - decay));
  }
  return lr;
}

ModelInfo Bpr::info() {
  ModelInfo m;
  m.name = "bpr";
  m.displayName = "BPR-MF";
  m.family = "collaborative";
  m.description =
      "Matrix factorisation trained by pairwise SGD on sampled positive/negative pairs.";
  m.schema.params =
      paramList(factorsParam(64),
                epochsParam(200, "Epochs (each draws as many triples as there are training pairs)"),
                sgdLearningRateParams(0.05, 10.0), factorRegularizationParam(0.03),
                biasRegularizationParam(0.005, "L2 penalty on item biases"),
                boolParam("item_bias", true).searched().describe("Learn an item bias"),
                choiceParam("negative_sampling", "uniform", {"uniform", "popularity"})
                    .searched()
                    .describe("How negatives are drawn"),
                floatParam("popularity_exponent", 0.5)
                    .range(0, 2)
                    .searchRange(0, 1)
                    .searchedWhen("negative_sampling", {"popularity"})
                    .describe("popularity sampling: P(j) proportional to count(j)^exponent"),
                initScaleParam(0.1), ndcgEarlyStoppingParams());
  return m;
}

namespace {
struct WorkerStats {
  double loss = 0.0;
  std::uint64_t correct = 0;
  std::uint64_t steps = 0;
};

// One worker's share of a sub-epoch: a stratum of positives and the item block negatives come
// from. Rows are written only by this worker (stratified partition), so no locks are needed.
struct BprCell {
  float* x = nullptr;     // user factors, stride f
  float* y = nullptr;     // item factors, stride f
  float* bias = nullptr;  // item biases, or null
  int f = 0;
  const Index* userOf = nullptr;
  const Csr* pos = nullptr;
  std::span<const std::uint64_t> cell;
  std::span<const Index> items;
  const std::vector<double>* cumulative = nullptr;  // popularity sampling table, or null
  float lr = 0, reg = 0, regB = 0;
  const TaskContext* ctx = nullptr;
};

// sum_q x[q] * (a[q] - b[q]): 16-lane chunks, a fixed-order lane sum, then the tail in order.
template <class P, int NV>
[[gnu::always_inline]] inline float dotDiff(const float* x, const float* a, const float* b, int f) {
  const int nv = NV > 0 ? NV : f / 16;
  float d = 0.0f;
  if (nv > 0) {
    using factor::simd::loadP;
    P acc = loadP<P>(x) * (loadP<P>(a) - loadP<P>(b));
    for (int c = 1; c < nv; ++c)
      acc += loadP<P>(x + 16 * c) * (loadP<P>(a + 16 * c) - loadP<P>(b + 16 * c));
    d = factor::simd::hsum(acc);
  }
  for (int q = nv * 16; q < f; ++q) d += x[q] * (a[q] - b[q]);
  return d;
}

// The SGD step on ln sigma(x_uij) for the three rows (lane-wise the same arithmetic as the
// scalar tail, so every SIMD level gives the same bits).
template <class P, int NV>
[[gnu::always_inline]] inline void bprStep(float* xu, float* yi, float* yj, float z, float lr,
                                           float reg, int f) {
  using factor::simd::loadP;
  using factor::simd::storeP;
  const int nv = NV > 0 ? NV : f / 16;
  for (int c = 0; c < nv; ++c) {
    const P xq = loadP<P>(xu + 16 * c), iq = loadP<P>(yi + 16 * c), jq = loadP<P>(yj + 16 * c);
    storeP(xu + 16 * c, xq + lr * (z * (iq - jq) - reg * xq));
    storeP(yi + 16 * c, iq + lr * (z * xq - reg * iq));
    storeP(yj + 16 * c, jq + lr * (-z * xq - reg * jq));
  }
  for (int q = nv * 16; q < f; ++q) {
    const float xq = xu[q], iq = yi[q], jq = yj[q];
    xu[q] = xq + lr * (z * (iq - jq) - reg * xq);
    yi[q] = iq + lr * (z * xq - reg * iq);
    yj[q] = jq + lr * (-z * xq - reg * jq);
  }
}

// Walks the stratum user by user (users in a random order, each user's positives in a random
// order, every positive once), so x_u stays in L1 across its updates instead of being fetched
// from memory for each triple. `order` is the worker's scratch (no allocation per user).
template <class P, int NV>
[[gnu::always_inline]] inline bool bprCellImpl(const BprCell& c, factor::Rng& rng, WorkerStats& st,
                                               std::vector<std::uint64_t>& order,
                                               std::vector<std::uint64_t>& groups) {
  const std::size_t m = c.cell.size();
  order.assign(c.cell.begin(), c.cell.end());
  // The stratum lists positives grouped by user (ascending); find the groups, shuffle them.
  groups.clear();
  for (std::size_t q = 0; q < m; ++q) {
    if (q == 0 || c.userOf[order[q]] != c.userOf[order[q - 1]]) groups.push_back(q);
  }
  const std::size_t nGroups = groups.size();
  groups.push_back(m);
  std::vector<std::uint64_t> perm(nGroups);
  for (std::size_t g = 0; g < nGroups; ++g) perm[g] = g;
  for (std::size_t g = nGroups; g > 1; --g) std::swap(perm[g - 1], perm[rng.below(g)]);
  const auto* cum = c.cumulative;
  const std::size_t nItems = c.items.size();
  const std::size_t f = static_cast<std::size_t>(c.f);
  std::size_t done = 0;
  for (std::size_t gi = 0; gi < nGroups; ++gi) {
    const std::size_t g = perm[gi];
    std::uint64_t* begin = order.data() + groups[g];
    const std::size_t len = groups[g + 1] - groups[g];
    for (std::size_t q = len; q > 1; --q) std::swap(begin[q - 1], begin[rng.below(q)]);
    const Index u = c.userOf[begin[0]];
    const auto seen = c.pos->rowIndices(u);
    float* xu = c.x + static_cast<std::size_t>(u) * f;
    for (std::size_t q = 0; q < len; ++q) {
      if ((++done & 1023) == 0 && c.ctx->stopRequested()) return false;
      const Index i = c.pos->indices[begin[q]];
      Index j = kNoIndex;
      for (int attempt = 0; attempt < 16; ++attempt) {
        Index cand;
        if (cum != nullptr) {
          const double r = rng.uniform() * cum->back();
          const auto it = std::upper_bound(cum->begin(), cum->end(), r);
          cand = c.items[std::min<std::size_t>(it - cum->begin(), nItems - 1)];
        } else {
          cand = c.items[rng.below(nItems)];
        }
        if (!std::binary_search(seen.begin(), seen.end(), cand)) {
          j = cand;
          break;
        }
      }
      if (j == kNoIndex) continue;  // the user has seen (almost) the whole block
      float* yi = c.y + static_cast<std::size_t>(i) * f;
      float* yj = c.y + static_cast<std::size_t>(j) * f;
      float d = dotDiff<P, NV>(xu, yi, yj, c.f);
      if (c.bias != nullptr) d += c.bias[i] - c.bias[j];
      // z = sigma(-d) = d/dd ln sigma(d); -ln sigma(d) = log1p(e^-|d|) + max(-d, 0).
      const float e = std::exp(-std::abs(d));
      const float z = d > 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
      st.loss += static_cast<double>(std::log1p(e)) + (d > 0.0f ? 0.0 : -static_cast<double>(d));
      st.correct += d > 0.0f ? 1 : 0;
      ++st.steps;
      bprStep<P, NV>(xu, yi, yj, z, c.lr, c.reg, c.f);
      if (c.bias != nullptr) {
        c.bias[i] += c.lr * (z - c.regB * c.bias[i]);
        c.bias[j] += c.lr * (-z - c.regB * c.bias[j]);
      }
    }
  }
  return true;
}

template <int NV>
RWB_NO_FP_CONTRACT bool bprCellBase(const BprCell& c, factor::Rng& rng, WorkerStats& st,
                                    std::vector<std::uint64_t>& order,
                                    std::vector<std::uint64_t>& groups) {
  return bprCellImpl<factor::simd::P4, NV>(c, rng, st, order, groups);
}
#if RWB_HAVE_SIMD_DISPATCH
template <int NV>
RWB_TARGET_AVX2 bool bprCellAvx2(const BprCell& c, factor::Rng& rng, WorkerStats& st,
                                 std::vector<std::uint64_t>& order,
                                 std::vector<std::uint64_t>& groups) {
  return bprCellImpl<factor::simd::P8, NV>(c, rng, st, order, groups);
}
template <int NV>
RWB_TARGET_AVX512 bool bprCellAvx512(const BprCell& c, factor::Rng& rng, WorkerStats& st,
                                     std::vector<std::uint64_t>& order,
                                     std::vector<std::uint64_t>& groups) {
  return bprCellImpl<factor::simd::V16, NV>(c, rng, st, order, groups);
}
#endif

template <int NV>
bool bprCellAt(factor::SimdLevel level, const BprCell& c, factor::Rng& rng, WorkerStats& st,
               std::vector<std::uint64_t>& order, std::vector<std::uint64_t>& groups) {
#if RWB_HAVE_SIMD_DISPATCH
  if (level == factor::SimdLevel::kAvx512) return bprCellAvx512<NV>(c, rng, st, order, groups);
  if (level == factor::SimdLevel::kAvx2) return bprCellAvx2<NV>(c, rng, st, order, groups);
#endif
  (void)level;
  return bprCellBase<NV>(c, rng, st, order, groups);
}

// Returns false when a stop was requested mid-stratum.
bool bprCell(factor::SimdLevel level, const BprCell& c, factor::Rng& rng, WorkerStats& st,
             std::vector<std::uint64_t>& order, std::vector<std::uint64_t>& groups) {
  if (c.f == 64) return bprCellAt<4>(level, c, rng, st, order, groups);
  if (c.f == 32) return bprCellAt<2>(level, c, rng, st, order, groups);
  return bprCellAt<0>(level, c, rng, st, order, groups);
}
}  // namespace

void Bpr::fitModel(const TrainingData& data, TaskContext& ctx) {
  const auto f = static_cast<Eigen::Index>(paramInt("factors"));
  const int epochs = static_cast<int>(paramInt("epochs"));
  const double lr0 = paramDouble("learning_rate");
  const std::string schedule = paramString("lr_schedule");
  const double decay = paramDouble("lr_decay");
  const auto reg = static_cast<float>(paramDouble("regularization"));
  const auto regB = static_cast<float>(paramDouble("bias_regularization"));
  const bool useBias = paramBool("item_bias");
  const bool popular = paramString("negative_sampling") == "popularity";
  const double popExp = paramDouble("popularity_exponent");
  const int patience = static_cast<int>(paramInt("patience"));
  const auto validK = static_cast<std::size_t>(paramInt("validation_k"));
  const int threads = factor::effectiveThreads(data.threads);

  const Csr pos = data.train.userItemMatrix(true);
  if (pos.cols < 2) throw ModelError("bpr: needs at least two items to sample negatives");
  std::vector<Index> userOf(pos.nnz());
  for (std::size_t u = 0; u < pos.rows; ++u) {
    for (auto k = pos.offsets[u]; k < pos.offsets[u + 1]; ++k) userOf[k] = static_cast<Index>(u);
  }
  std::vector<double> weight(pos.cols, 1.0);
  if (popular) {
    std::vector<double> count(pos.cols, 0.0);
    for (auto i : pos.indices) count[i] += 1.0;
    for (std::size_t i = 0; i < pos.cols; ++i) weight[i] = std::pow(count[i], popExp);
  }

  try {
    factor::runInArena(data.threads, [&] {
      FactorMatrix x(static_cast<Eigen::Index>(numUsers()), f);
      FactorMatrix y(static_cast<Eigen::Index>(numItems()), f);
      const double scale = paramDouble("init_scale");
      factor::randomNormal(x, scale, deriveSeed(data.seed, 1));
      factor::randomNormal(y, scale, deriveSeed(data.seed, 2));
      std::vector<float> bias(numItems(), 0.0f);
      factor::Strata strata(pos.offsets, pos.indices, pos.cols, threads);
      std::vector<std::vector<double>> cumulative(threads);
      std::vector<std::pair<std::vector<std::uint64_t>, std::vector<std::uint64_t>>> scratch(
          threads);
      const factor::SimdLevel level = factor::simdLevel();

      FactorMatrix bestX, bestY;
      std::vector<float> bestBias;
      EarlyStopping early(patience);
      for (int epoch = 1; epoch <= epochs; ++epoch) {
        const auto lr =
            static_cast<float>(scheduledLearningRate(schedule, lr0, decay, epoch, epochs));
        strata.shuffle(deriveSeed(data.seed, 3, static_cast<std::uint64_t>(epoch)));
        if (popular) {
          for (int b = 0; b < threads; ++b) {
            const auto items = strata.itemsOf(b);
            cumulative[b].resize(items.size());
            double acc = 0.0;
            for (std::size_t q = 0; q < items.size(); ++q)
              cumulative[b][q] = acc += weight[items[q]];
          }
        }
        std::vector<WorkerStats> stats(static_cast<std::size_t>(threads) * threads);
        for (int sub = 0; sub < threads; ++sub) {
          tbb::parallel_for(0, threads, [&](int t) {
            const int ib = (t + sub) % threads;
            BprCell c;
            c.x = x.data();
            c.y = y.data();
            c.bias = useBias ? bias.data() : nullptr;
            c.f = static_cast<int>(f);
            c.userOf = userOf.data();
            c.pos = &pos;
            c.cell = strata.cell(t, ib);
            c.items = strata.itemsOf(ib);
            if (c.cell.empty() || c.items.size() < 2) return;
            c.cumulative = popular ? &cumulative[ib] : nullptr;
            c.lr = lr;
            c.reg = reg;
            c.regB = regB;
            c.ctx = &ctx;
            factor::Rng rng(deriveSeed(data.seed, static_cast<std::uint64_t>(epoch),
                                       static_cast<std::uint64_t>(sub),
                                       static_cast<std::uint64_t>(t)));
            bprCell(level, c, rng, stats[static_cast<std::size_t>(sub) * threads + t],
                    scratch[t].first, scratch[t].second);
          });
          ctx.throwIfStopped();
        }
        WorkerStats total;
        for (const auto& s : stats) {
          total.loss += s.loss;
          total.correct += s.correct;
          total.steps += s.steps;
        }
        const double steps = std::max<double>(1.0, static_cast<double>(total.steps));
        EpochMetrics metrics{{"loss", total.loss / steps},
                             {"auc", static_cast<double>(total.correct) / steps}};
        if (!std::isfinite(total.loss)) {
          throw ModelError("bpr: training diverged at epoch " + std::to_string(epoch) +
                           " (non-finite loss); lower learning_rate");
        }
        bool stop = false;
        if (data.validation != nullptr) {
          setFactors(x, y, useBias ? bias : std::vector<float>{});
          const double ndcg = validationNdcg(*data.validation, validK);
          metrics.emplace_back("valid_ndcg@" + std::to_string(validK), ndcg);
          const auto verdict = early.observe(epoch, ndcg);
          if (verdict.improved) {
            bestX = x;
            bestY = y;
            bestBias = bias;
          }
          stop = verdict.stop;
        }
        ctx.progress(static_cast<double>(epoch) / epochs, "epoch " + std::to_string(epoch));
        if (ctx.epochEnd(epoch, metrics)) {
          ctx.throwIfStopped();
          stop = true;
        }
        if (stop) break;
      }
      if (bestX.size() > 0) {
        setFactors(bestX, bestY, useBias ? bestBias : std::vector<float>{});
      } else {
        setFactors(x, y, useBias ? bias : std::vector<float>{});
      }
    });
  } catch (...) {
    clearFactors();
    throw;
  }
}

}  // namespace rwb
