// FeaturePipeline::buildTrainingMatrix: labels, explicit and sampled negatives, leave-one-out
// behavioural features of positives, cold-user dropout.
#include "core/features/training_matrix.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <unordered_set>

#include "core/features/behaviour_stats.h"
#include "core/features/feature_pipeline.h"
#include "core/util/error.h"
#include "core/util/random.h"

namespace rwb {

namespace {
// Distinct items per user: positives under the label config, and (threshold mode with
// explicit negatives) below-threshold items that are not also positives.
struct LabelledItems {
  std::vector<std::vector<Index>> positives, explicitNegatives;
};

void sortUnique(std::vector<Index>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

LabelledItems labelledItems(const Interactions& log, const LabelConfig& labels,
                            std::size_t numUsers) {
  LabelledItems out;
  auto& pos = out.positives;
  auto& expNeg = out.explicitNegatives;
  pos.resize(numUsers);
  expNeg.resize(numUsers);
  for (std::size_t r = 0; r < log.size(); ++r) {
    if (labels.isPositive(log, r)) pos[log.user[r]].push_back(log.item[r]);
  }
  for (auto& p : pos) sortUnique(p);
  if (labels.mode == "threshold" && labels.explicitNegatives) {
    for (std::size_t r = 0; r < log.size(); ++r) {
      const Index u = log.user[r], i = log.item[r];
      if (!labels.isPositive(log, r) && !std::binary_search(pos[u].begin(), pos[u].end(), i)) {
        expNeg[u].push_back(i);
      }
    }
    for (auto& p : expNeg) sortUnique(p);
  }
  return out;
}

// Negative candidates: items with training interactions (never items unseen in training,
// which would teach "new item => negative" and touch held-out items), drawn uniformly or with
// P(i) ~ count_i ^ exponent.
class NegativeSampler {
 public:
  NegativeSampler(const BehaviourStats& stats, std::size_t numItems, const NegativeConfig& config)
      : usePop_(config.sampling == "popularity") {
    for (Index i = 0; i < numItems; ++i) {
      if (stats.itemCount(i) > 0) {
        pool_.push_back(i);
        const double w = usePop_ ? std::pow(stats.itemCount(i), config.popularityExponent) : 1.0;
        cdf_.push_back((cdf_.empty() ? 0.0 : cdf_.back()) + w);
      }
    }
  }
  std::size_t size() const noexcept { return pool_.size(); }
  /// One candidate (maybe seen or already drawn: the caller rejects those). Precondition: size() >
  /// 0.
  Index draw(std::mt19937_64& rng) const {
    std::size_t k;
    if (usePop_) {
      const double x = std::uniform_real_distribution<double>(0, cdf_.back())(rng);
      k = static_cast<std::size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), x) - cdf_.begin());
      k = std::min(k, pool_.size() - 1);
    } else {
      k = std::uniform_int_distribution<std::size_t>(0, pool_.size() - 1)(rng);
    }
    return pool_[k];
  }

 private:
  bool usePop_;
  std::vector<Index> pool_;
  std::vector<double> cdf_;
};

// Cold-user dropout: a seeded hash of the user, so the choice is the same whatever the threads.
bool droppedOut(std::uint64_t seed, Index u, double dropout) {
  return dropout > 0.0 &&
         static_cast<double>(splitmix64(seed ^ 0xC01DC01DULL ^ splitmix64(u)) >> 11) * 0x1.0p-53 <
             dropout;
}
}  // namespace

TrainingMatrix FeaturePipeline::buildTrainingMatrix(const Dataset& train, std::uint64_t seed,
                                                    TaskContext& ctx) const {
  if (!fitted_) throw ModelError("feature pipeline: buildTrainingMatrix before fit");
  if (train.numUsers() != numUsers_ || train.numItems() != numItems_) {
    throw ModelError("feature pipeline: training data has other id maps than the fitted data");
  }
  const auto& log = train.interactions;
  const Csr counts = train.userItemMatrix(true);
  const LabelledItems labelled = labelledItems(log, config_.labels, numUsers_);
  const auto& pos = labelled.positives;
  const auto& expNeg = labelled.explicitNegatives;
  const NegativeSampler sampler(*beh_, numItems_, config_.negatives);
  std::vector<SparseMatrix> parts(numUsers_);
  std::vector<std::vector<float>> labels(numUsers_);
  std::vector<std::vector<Index>> items(numUsers_);
  std::atomic<std::size_t> done{0};
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, numUsers_, 16),
      [&](const tbb::blocked_range<std::size_t>& range) {
        if (ctx.stopRequested()) return;
        SparseVector row;
        std::vector<float> sc;
        for (std::size_t uu = range.begin(); uu != range.end(); ++uu) {
          const auto u = static_cast<Index>(uu);
          auto& part = parts[u];
          part.cols = dim();
          std::mt19937_64 rng(splitmix64(seed ^ splitmix64(u)));
          const auto seen = counts.rowIndices(u);
          // A dropped-out user's rows are the rows a new user with these attributes gets.
          const bool asNew = droppedOut(seed, u, config_.behaviour.coldUserDropout);
          const NewUser unknown{&train.userAttributes, u, {}};
          auto addRow = [&](Index i, float label, bool loo) {
            loo = loo && !asNew;  // a history-less row has no own engagement to leave out
            const float looW = loo ? beh_->engagementWeight(u, i) : 0.0f;
            sc.assign(scoreSources_.size(), 0.0f);
            scoreSourceValues(asNew ? PairUser::fresh(unknown) : PairUser::known(u),
                              std::span<const Index>(&i, 1), {}, sc);
            rowInto(asNew ? kNoIndex : u, u, userAttr_[u], i, loo, looW, sc.data(), row);
            part.appendRow(row);
            labels[u].push_back(label);
            items[u].push_back(i);
          };
          for (Index i : pos[u]) addRow(i, 1.0f, true);
          for (Index i : expNeg[u]) addRow(i, 0.0f, false);
          if (pos[u].empty() || sampler.size() == 0) continue;
          const double want = config_.negatives.ratio * static_cast<double>(pos[u].size());
          auto n = static_cast<std::size_t>(want);
          if (std::uniform_real_distribution<double>(0, 1)(rng) < want - static_cast<double>(n))
            ++n;
          n = std::min(
              n, sampler.size() > seen.size() ? sampler.size() - seen.size() : std::size_t{0});
          std::unordered_set<Index> drawn;
          std::size_t tries = 0;
          while (drawn.size() < n && tries < 50 * n + 100) {
            ++tries;
            const Index i = sampler.draw(rng);
            if (std::binary_search(seen.begin(), seen.end(), i) || drawn.count(i)) continue;
            drawn.insert(i);
            addRow(i, 0.0f, false);
          }
        }
        const auto d = done.fetch_add(range.size()) + range.size();
        ctx.progress(static_cast<double>(d) / static_cast<double>(numUsers_), "training matrix");
      });
  ctx.throwIfStopped();
  TrainingMatrix tm;
  tm.x.cols = dim();
  std::size_t nnz = 0, nrows = 0;
  for (const auto& p : parts) {
    nnz += p.entries.size();
    nrows += p.rows();
  }
  tm.x.entries.reserve(nnz);
  tm.x.offsets.reserve(nrows + 1);
  tm.label.reserve(nrows);
  for (Index u = 0; u < numUsers_; ++u) {
    const auto& p = parts[u];
    for (std::size_t r = 0; r < p.rows(); ++r) tm.x.appendRow(p.row(r));
    tm.label.insert(tm.label.end(), labels[u].begin(), labels[u].end());
    tm.item.insert(tm.item.end(), items[u].begin(), items[u].end());
    tm.user.insert(tm.user.end(), labels[u].size(), u);
  }
  for (float l : tm.label) (l > 0.5f ? tm.positives : tm.negatives)++;
  return tm;
}

}  // namespace rwb
