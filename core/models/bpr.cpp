#include "core/models/bpr.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>

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
  m.schema.params = {
      {"factors", ParamType::kInt, 64, 1.0, 1024.0, true, {}, "Number of latent factors"},
      {"epochs",
       ParamType::kInt,
       200,
       1.0,
       10000.0,
       false,
       {},
       "Epochs (each draws as many triples as there are training pairs)"},
      {"learning_rate", ParamType::kFloat, 0.05, 1e-6, 10.0, true, {}, "Initial SGD step size"},
      {"lr_schedule",
       ParamType::kChoice,
       "linear",
       {},
       {},
       false,
       {"constant", "exponential", "linear"},
       "Learning-rate schedule over epochs"},
      {"lr_decay",
       ParamType::kFloat,
       0.1,
       0.0,
       1.0,
       false,
       {},
       "exponential: factor per epoch; linear: final rate as a fraction of the initial one"},
      {"regularization",
       ParamType::kFloat,
       0.03,
       0.0,
       10.0,
       false,
       {},
       "L2 penalty on user and item factors"},
      {"bias_regularization",
       ParamType::kFloat,
       0.005,
       0.0,
       10.0,
       false,
       {},
       "L2 penalty on item biases"},
      {"item_bias", ParamType::kBool, true, {}, {}, false, {}, "Learn an item bias"},
      {"negative_sampling",
       ParamType::kChoice,
       "uniform",
       {},
       {},
       false,
       {"uniform", "popularity"},
       "How negatives are drawn"},
      {"popularity_exponent",
       ParamType::kFloat,
       0.5,
       0.0,
       2.0,
       false,
       {},
       "popularity sampling: P(j) proportional to count(j)^exponent"},
      {"init_scale",
       ParamType::kFloat,
       0.1,
       1e-6,
       1.0,
       true,
       {},
       "Standard deviation of the random initial factors"},
      {"patience",
       ParamType::kInt,
       0,
       0.0,
       1000.0,
       false,
       {},
       "Early stopping: epochs without validation nDCG gain before stopping (0 = off)"},
      {"validation_k",
       ParamType::kInt,
       10,
       1.0,
       1000.0,
       false,
       {},
       "k of the validation nDCG reported each epoch"},
  };
  return m;
}

namespace {
struct WorkerStats {
  double loss = 0.0;
  std::uint64_t correct = 0;
  std::uint64_t steps = 0;
};
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
      factor::randomNormal(x, scale, factor::mixSeed(data.seed, 1));
      factor::randomNormal(y, scale, factor::mixSeed(data.seed, 2));
      std::vector<float> bias(numItems(), 0.0f);
      factor::Strata strata(pos.offsets, pos.indices, pos.cols, threads);
      std::vector<std::vector<double>> cumulative(threads);

      FactorMatrix bestX, bestY;
      std::vector<float> bestBias;
      double bestNdcg = -1.0;
      int sinceBest = 0;
      for (int epoch = 1; epoch <= epochs; ++epoch) {
        const auto lr =
            static_cast<float>(scheduledLearningRate(schedule, lr0, decay, epoch, epochs));
        strata.shuffle(factor::mixSeed(data.seed, 3, static_cast<std::uint64_t>(epoch)));
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
            const auto cell = strata.cell(t, ib);
            const auto items = strata.itemsOf(ib);
            if (cell.empty() || items.size() < 2) return;
            factor::Rng rng(factor::mixSeed(data.seed, static_cast<std::uint64_t>(epoch),
                                            static_cast<std::uint64_t>(sub),
                                            static_cast<std::uint64_t>(t)));
            const auto& cum = cumulative[ib];
            WorkerStats& st = stats[static_cast<std::size_t>(sub) * threads + t];
            for (std::size_t n = 0; n < cell.size(); ++n) {
              if ((n & 1023) == 0 && ctx.stopRequested()) return;
              const auto k = cell[rng.below(cell.size())];
              const Index u = userOf[k];
              const Index i = pos.indices[k];
              const auto seen = pos.rowIndices(u);
              Index j = kNoIndex;
              for (int attempt = 0; attempt < 16; ++attempt) {
                Index cand;
                if (popular) {
                  const double r = rng.uniform() * cum.back();
                  const auto it = std::upper_bound(cum.begin(), cum.end(), r);
                  cand = items[std::min<std::size_t>(it - cum.begin(), items.size() - 1)];
                } else {
                  cand = items[rng.below(items.size())];
                }
                if (!std::binary_search(seen.begin(), seen.end(), cand)) {
                  j = cand;
                  break;
                }
              }
              if (j == kNoIndex) continue;  // the user has seen (almost) the whole block
              float* xu = x.row(u).data();
              float* yi = y.row(i).data();
              float* yj = y.row(j).data();
              float d = useBias ? bias[i] - bias[j] : 0.0f;
              for (Eigen::Index q = 0; q < f; ++q) d += xu[q] * (yi[q] - yj[q]);
              // z = sigma(-x_uij) = d/dx ln sigma(x_uij)
              const float z = 1.0f / (1.0f + std::exp(d));
              st.loss += d > 0 ? std::log1p(std::exp(-static_cast<double>(d)))
                               : -static_cast<double>(d) + std::log1p(std::exp(d));
              st.correct += d > 0 ? 1 : 0;
              ++st.steps;
              for (Eigen::Index q = 0; q < f; ++q) {
                const float xq = xu[q], iq = yi[q], jq = yj[q];
                xu[q] += lr * (z * (iq - jq) - reg * xq);
                yi[q] += lr * (z * xq - reg * iq);
                yj[q] += lr * (-z * xq - reg * jq);
              }
              if (useBias) {
                bias[i] += lr * (z - regB * bias[i]);
                bias[j] += lr * (-z - regB * bias[j]);
              }
            }
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
          if (ndcg > bestNdcg) {
            bestNdcg = ndcg;
            sinceBest = 0;
            if (patience > 0) {
              bestX = x;
              bestY = y;
              bestBias = bias;
            }
          } else if (patience > 0 && ++sinceBest >= patience) {
            stop = true;
          }
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
