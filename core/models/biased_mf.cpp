#include "core/models/biased_mf.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/models/bpr.h"
#include "core/models/early_stopping.h"
#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

ModelInfo BiasedMf::info() {
  ModelInfo m;
  m.name = "biased_mf";
  m.displayName = "Biased MF (SVD)";
  m.family = "collaborative";
  m.description =
      "Funk-style SVD: rating prediction with global mean, user and item biases, trained by SGD.";
  m.schema.params =
      paramList(factorsParam(64), epochsParam(120, "Passes over the training ratings"),
                sgdLearningRateParams(0.01, 1.0), factorRegularizationParam(0.15),
                biasRegularizationParam(0.02, "L2 penalty on user and item biases"),
                initScaleParam(0.1), patienceParam("RMSE"));
  return m;
}

void BiasedMf::fitModel(const TrainingData& data, TaskContext& ctx) {
  const auto f = static_cast<Eigen::Index>(paramInt("factors"));
  const int epochs = static_cast<int>(paramInt("epochs"));
  const double lr0 = paramDouble("learning_rate");
  const std::string schedule = paramString("lr_schedule");
  const double decay = paramDouble("lr_decay");
  const auto reg = static_cast<float>(paramDouble("regularization"));
  const auto regB = static_cast<float>(paramDouble("bias_regularization"));
  const int patience = static_cast<int>(paramInt("patience"));
  const int threads = factor::effectiveThreads(data.threads);
  const auto& log = data.train.interactions;

  // Ratings grouped by user (counting sort; duplicates kept, file order within a user).
  const std::size_t n = log.size();
  std::vector<std::uint64_t> offsets(numUsers() + 1, 0);
  for (auto u : log.user) ++offsets[u + 1];
  for (std::size_t u = 0; u < numUsers(); ++u) offsets[u + 1] += offsets[u];
  std::vector<Index> userOf(n), itemOf(n);
  std::vector<float> rating(n);
  {
    std::vector<std::uint64_t> fill(offsets.begin(), offsets.end() - 1);
    for (std::size_t r = 0; r < n; ++r) {
      const auto k = fill[log.user[r]]++;
      userOf[k] = log.user[r];
      itemOf[k] = log.item[r];
      rating[k] = log.value[r];
    }
  }
  double sum = 0.0;
  float lo = rating.empty() ? 0.0f : rating[0], hi = lo;
  for (float r : rating) {
    if (!std::isfinite(r))
      throw ModelError("biased_mf: the training ratings hold a non-finite value");
    sum += r;
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  const auto mu = static_cast<float>(sum / static_cast<double>(n));

  try {
    factor::runInArena(data.threads, [&] {
      FactorMatrix p(static_cast<Eigen::Index>(numUsers()), f);
      FactorMatrix q(static_cast<Eigen::Index>(numItems()), f);
      const double scale = paramDouble("init_scale");
      factor::randomNormal(p, scale, deriveSeed(data.seed, 1));
      factor::randomNormal(q, scale, deriveSeed(data.seed, 2));
      std::vector<float> bu(numUsers(), 0.0f), bi(numItems(), 0.0f);
      factor::Strata strata(offsets, itemOf, numItems(), threads);

      auto predictRaw = [&](Index u, Index i) {
        float d = 0.0f;
        for (Eigen::Index k = 0; k < f; ++k) d += p(u, k) * q(i, k);
        return mu + bu[u] + bi[i] + d;
      };
      auto validRmse = [&](const Dataset& v) {
        double se = 0.0;
        std::size_t count = 0;
        const auto& vl = v.interactions;
        for (std::size_t r = 0; r < vl.size(); ++r) {
          const Index u = vl.user[r], i = vl.item[r];
          float est = mu;
          if (u < numUsers() && i < numItems()) {
            est = std::clamp(predictRaw(u, i), lo, hi);
          }
          se += (vl.value[r] - est) * (vl.value[r] - est);
          ++count;
        }
        return count == 0 ? 0.0 : std::sqrt(se / static_cast<double>(count));
      };
      auto offsetsOf = [&](const std::vector<float>& b) {
        std::vector<float> off(b.size());
        for (std::size_t u = 0; u < b.size(); ++u) off[u] = mu + b[u];
        return off;
      };

      FactorMatrix bestP, bestQ;
      std::vector<float> bestBu, bestBi;
      EarlyStopping early(patience, EarlyStopping::Direction::kLowerIsBetter);
      for (int epoch = 1; epoch <= epochs; ++epoch) {
        const auto lr =
            static_cast<float>(scheduledLearningRate(schedule, lr0, decay, epoch, epochs));
        strata.shuffle(deriveSeed(data.seed, 3, static_cast<std::uint64_t>(epoch)));
        std::vector<double> se(static_cast<std::size_t>(threads) * threads, 0.0);
        for (int sub = 0; sub < threads; ++sub) {
          tbb::parallel_for(0, threads, [&](int t) {
            const auto cellSpan = strata.cell(t, (t + sub) % threads);
            std::vector<std::uint64_t> order(cellSpan.begin(), cellSpan.end());
            factor::Rng rng(deriveSeed(data.seed, static_cast<std::uint64_t>(epoch),
                                       static_cast<std::uint64_t>(sub),
                                       static_cast<std::uint64_t>(t)));
            for (std::size_t j = order.size(); j > 1; --j) {
              std::swap(order[j - 1], order[rng.below(j)]);
            }
            double& acc = se[static_cast<std::size_t>(sub) * threads + t];
            for (std::size_t m = 0; m < order.size(); ++m) {
              if ((m & 1023) == 0 && ctx.stopRequested()) return;
              const auto k = order[m];
              const Index u = userOf[k], i = itemOf[k];
              float* pu = p.row(u).data();
              float* qi = q.row(i).data();
              float d = 0.0f;
              for (Eigen::Index c = 0; c < f; ++c) d += pu[c] * qi[c];
              const float e = rating[k] - (mu + bu[u] + bi[i] + d);
              acc += static_cast<double>(e) * e;
              bu[u] += lr * (e - regB * bu[u]);
              bi[i] += lr * (e - regB * bi[i]);
              for (Eigen::Index c = 0; c < f; ++c) {
                const float pc = pu[c], qc = qi[c];
                pu[c] += lr * (e * qc - reg * pc);
                qi[c] += lr * (e * pc - reg * qc);
              }
            }
          });
          ctx.throwIfStopped();
        }
        double total = 0.0;
        for (double v : se) total += v;
        if (!std::isfinite(total)) {
          throw ModelError("biased_mf: training diverged at epoch " + std::to_string(epoch) +
                           " (non-finite loss); lower learning_rate");
        }
        EpochMetrics metrics{{"loss", total / static_cast<double>(n)}};
        bool stop = false;
        if (data.validation != nullptr && !data.validation->interactions.empty()) {
          const double rmse = validRmse(*data.validation);
          metrics.emplace_back("valid_rmse", rmse);
          const auto verdict = early.observe(epoch, rmse);
          if (verdict.improved) {
            bestP = p;
            bestQ = q;
            bestBu = bu;
            bestBi = bi;
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
      if (bestP.size() > 0) {
        p = std::move(bestP);
        q = std::move(bestQ);
        bu = std::move(bestBu);
        bi = std::move(bestBi);
      }
      // Rows without training ratings keep no random factors: they score by their biases.
      for (std::size_t u = 0; u < numUsers(); ++u) {
        if (offsets[u + 1] == offsets[u]) p.row(static_cast<Eigen::Index>(u)).setZero();
      }
      for (std::size_t i = 0; i < numItems(); ++i) {
        if (itemPopularity()[i] == 0.0f) q.row(static_cast<Eigen::Index>(i)).setZero();
      }
      setFactors(p, q, bi, offsetsOf(bu));
    });
  } catch (...) {
    clearFactors();
    throw;
  }
  mean_ = mu;
  minRating_ = lo;
  maxRating_ = hi;
}

float BiasedMf::predict(Index user, Index item) const {
  if (!isFitted()) throw ModelError("biased_mf: the model is not fitted");
  const bool userKnown = user < numUsers() && !seenItems(user).empty();
  const bool itemKnown = item < numItems() && itemPopularity()[item] > 0.0f;
  float est;
  if (userKnown && itemKnown) {
    const Index items[1] = {item};
    float out[1];
    scoreItems(user, items, out);
    est = out[0];
  } else if (itemKnown) {
    est = mean_ + itemBias(item);
  } else if (userKnown) {
    est = userOffset(user);
  } else {
    est = mean_;
  }
  return std::clamp(est, minRating_, maxRating_);
}

RatingMetrics BiasedMf::evaluateRatings(const Dataset& test) const {
  if (!isFitted()) throw ModelError("biased_mf: the model is not fitted");
  const auto& log = test.interactions;
  if (log.empty()) throw ModelError("biased_mf: the test set is empty");
  RatingMetrics m;
  double se = 0.0, ae = 0.0, sum = 0.0, sumSq = 0.0;
  for (std::size_t r = 0; r < log.size(); ++r) {
    const Index u = log.user[r], i = log.item[r];
    if (u >= numUsers() || seenItems(u).empty()) ++m.unknownUsers;
    if (i >= numItems() || itemPopularity()[i] == 0.0f) ++m.unknownItems;
    const double truth = log.value[r];
    const double err = truth - predict(u, i);
    se += err * err;
    ae += std::abs(err);
    sum += truth;
    sumSq += truth * truth;
  }
  const auto cnt = static_cast<double>(log.size());
  m.count = log.size();
  m.rmse = std::sqrt(se / cnt);
  m.mae = ae / cnt;
  const double sst = sumSq - sum * sum / cnt;
  m.r2 = sst > 0.0 ? 1.0 - se / sst : 0.0;
  return m;
}

void BiasedMf::saveState(BinaryWriter& out) const {
  out.put(mean_);
  out.put(minRating_);
  out.put(maxRating_);
  saveFactors(out);
}

void BiasedMf::loadModelState(BinaryReader& in) {
  mean_ = in.get<float>("mean");
  in.check(std::isfinite(mean_), "mean rating is not finite");
  minRating_ = in.get<float>("min_rating");
  maxRating_ = in.get<float>("max_rating");
  in.check(std::isfinite(minRating_) && std::isfinite(maxRating_) && minRating_ <= maxRating_,
           "rating range is invalid");
  loadFactors(in);
}

}  // namespace rwb
