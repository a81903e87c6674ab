#include "core/models/sar.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/util/error.h"

namespace rwb {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// y += a * x over n doubles. Cloned for AVX2 (chosen at load time by the CPU); no FMA is
// enabled, so every element rounds exactly as the scalar a * x + y does.
__attribute__((target_clones("avx2", "default"))) void addScaled(double a, const double* x,
                                                                 double* y, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) y[j] += a * x[j];
}

enum class SarSimilarity {
  kCooccurrence,
  kJaccard,
  kLift,
  kCosine,
  kInclusionIndex,
  kMutualInformation,
  kLexicographersMi
};

SarSimilarity parseSimilarity(const std::string& s) {
  if (s == "cooccurrence") return SarSimilarity::kCooccurrence;
  if (s == "jaccard") return SarSimilarity::kJaccard;
  if (s == "lift") return SarSimilarity::kLift;
  if (s == "cosine") return SarSimilarity::kCosine;
  if (s == "inclusion_index") return SarSimilarity::kInclusionIndex;
  if (s == "mutual_information") return SarSimilarity::kMutualInformation;
  if (s == "lexicographers_mi") return SarSimilarity::kLexicographersMi;
  throw ModelError("sar: unknown similarity '" + s + "'");
}
}  // namespace

ModelInfo Sar::info() {
  ModelInfo m;
  m.name = "sar";
  m.displayName = "SAR";
  m.family = "collaborative";
  m.description =
      "Microsoft's Simple Algorithm for Recommendation: time-decayed affinity x item "
      "co-occurrence similarity";
  m.schema.params = {
      {"similarity",
       ParamType::kChoice,
       "jaccard",
       {},
       {},
       false,
       {"cooccurrence", "jaccard", "lift", "cosine", "inclusion_index", "mutual_information",
        "lexicographers_mi"},
       "Item-item similarity computed from co-occurrence counts"},
      {"time_decay",
       ParamType::kBool,
       true,
       {},
       {},
       false,
       {},
       "Decay each event's weight by 0.5^(age / half-life)"},
      {"half_life_days",
       ParamType::kFloat,
       30.0,
       1e-6,
       36500.0,
       true,
       {},
       "Half-life of the time decay in days"},
      {"time_now",
       ParamType::kInt,
       0,
       0.0,
       1e13,
       false,
       {},
       "Reference time of the decay in Unix seconds (0 = latest training timestamp)"},
      {"threshold",
       ParamType::kInt,
       1,
       1.0,
       1e9,
       false,
       {},
       "Co-occurrence counts below this are dropped"},
  };
  return m;
}

std::span<const double> Sar::affinities(Index user) const {
  if (user + 1 >= affinityOffsets_.size()) return {};
  return {affinity_.data() + affinityOffsets_[user],
          static_cast<std::size_t>(affinityOffsets_[user + 1] - affinityOffsets_[user])};
}

void Sar::fitModel(const TrainingData& data, TaskContext& ctx) {
  const Dataset& train = data.train;
  const auto& log = train.interactions;
  const SarSimilarity simType = parseSimilarity(paramString("similarity"));
  const bool decay = paramBool("time_decay");
  const double halfLife = paramDouble("half_life_days") * 86400.0;
  const long long threshold = paramInt("threshold");
  std::int64_t tNow = paramInt("time_now");
  if (decay && tNow == 0) {
    tNow = kNoTimestamp;
    for (auto t : log.timestamp) tNow = std::max(tNow, t);
  }

  // Affinity, aligned with the binary seen-items matrix (duplicates of a (user, item) pair are
  // summed after decay, as the reference's groupby-sum does).
  const std::size_t nu = numUsers();
  const std::size_t ni = numItems();
  std::vector<std::uint64_t> offsets(nu + 1, 0);
  for (std::size_t u = 0; u < nu; ++u) offsets[u + 1] = offsets[u] + seenItems(u).size();
  std::vector<double> affinity(offsets[nu], 0.0);
  for (std::size_t r = 0; r < log.size(); ++r) {
    double w = static_cast<double>(log.value[r]);
    if (decay && log.timestamp[r] != kNoTimestamp && tNow != kNoTimestamp) {
      const double age = static_cast<double>(tNow - log.timestamp[r]) / halfLife;
      w *= std::min(1.0, std::pow(0.5, age));
    }
    const auto seen = seenItems(log.user[r]);
    const auto pos = std::lower_bound(seen.begin(), seen.end(), log.item[r]) - seen.begin();
    affinity[offsets[log.user[r]] + static_cast<std::size_t>(pos)] += w;
    if ((r & 0xFFFF) == 0) ctx.throwIfStopped();
  }

  // Co-occurrence diagonal (thresholded like every other entry) and the reference's matrix
  // size (items present in the training data).
  Csr userItem;
  userItem.rows = nu;
  userItem.cols = ni;
  userItem.offsets = offsets;
  userItem.indices.reserve(offsets[nu]);
  for (std::size_t u = 0; u < nu; ++u) {
    const auto s = seenItems(u);
    userItem.indices.insert(userItem.indices.end(), s.begin(), s.end());
  }
  userItem.values.assign(userItem.indices.size(), 1.0f);
  const Csr itemUser = userItem.transposed();
  std::vector<double> diag(ni, 0.0);
  std::size_t trainItems = 0;
  for (std::size_t i = 0; i < ni; ++i) {
    const auto c = itemUser.rowSize(i);
    if (c > 0) ++trainItems;
    diag[i] = static_cast<long long>(c) >= threshold ? static_cast<double>(c) : 0.0;
  }
  const double nMatrix = static_cast<double>(trainItems);
  const double thr = static_cast<double>(threshold);

  RowTransform<double> transform = [&](Index i, std::span<const Index> cols,
                                       std::span<const double> vals, std::vector<Index>& kc,
                                       std::vector<double>& kv) {
    kc.reserve(cols.size());
    kv.reserve(cols.size());
    const double di = diag[i];
    for (std::size_t t = 0; t < cols.size(); ++t) {
      const double c = vals[t];
      if (c < thr) continue;
      const double dj = diag[cols[t]];
      double s = 0.0;
      switch (simType) {
        case SarSimilarity::kCooccurrence:
          s = c;
          break;
        case SarSimilarity::kJaccard:
          s = c / (di + dj - c);
          break;
        case SarSimilarity::kLift:
          s = c / (di * dj);
          break;
        case SarSimilarity::kCosine:
          s = c / std::sqrt(di * dj);
          break;
        case SarSimilarity::kInclusionIndex:
          s = c / std::min(di, dj);
          break;
        case SarSimilarity::kMutualInformation:
          s = std::log2(nMatrix * (c / (di * dj)));
          break;
        case SarSimilarity::kLexicographersMi:
          s = c * std::log2(nMatrix * (c / (di * dj)));
          break;
      }
      if (!std::isfinite(s)) continue;
      kc.push_back(cols[t]);
      kv.push_back(s);
    }
  };
  TaskContext sub(ctx, 0.1, 1.0);
  ItemMatrix<double> sim;
  runWithThreads(data.threads, [&] {
    sim = buildItemRows<double>(userItem, itemUser, true, {}, transform, sub, "item similarity");
  });
  affinityOffsets_ = std::move(offsets);
  affinity_ = std::move(affinity);
  similarity_ = std::move(sim);
  buildDenseView();
  ctx.progress(1.0, "fitted");
}

void Sar::buildDenseView() {
  const std::size_t n = similarity_.n;
  untrained_.clear();
  const auto& pop = itemPopularity();
  for (std::size_t j = 0; j < pop.size(); ++j) {
    if (pop[j] <= 0.0f) untrained_.push_back(static_cast<Index>(j));
  }
  dense_.clear();
  denseRow_.assign(n, -1);
  if (n == 0) return;
  std::vector<Index> rows;
  for (std::size_t i = 0; i < n; ++i) {
    if (similarity_.rowIndices(i).size() * 8 >= n) rows.push_back(static_cast<Index>(i));
  }
  std::stable_sort(rows.begin(), rows.end(), [&](Index x, Index y) {
    return similarity_.rowIndices(x).size() > similarity_.rowIndices(y).size();
  });
  const std::size_t budget = (64u << 20) / (n * sizeof(double));
  if (rows.size() > budget) rows.resize(budget);
  dense_.assign(rows.size() * n, 0.0);
  for (std::size_t slot = 0; slot < rows.size(); ++slot) {
    const Index i = rows[slot];
    denseRow_[i] = static_cast<std::int64_t>(slot);
    const auto cols = similarity_.rowIndices(i);
    const auto vals = similarity_.rowValues(i);
    for (std::size_t t = 0; t < cols.size(); ++t) dense_[slot * n + cols[t]] = vals[t];
  }
}

void Sar::scoreDense(Index user, std::vector<double>& acc) const {
  acc.assign(numItems(), 0.0);
  const auto items = seenItems(user);
  const auto aff = affinities(user);
  // Ascending source item, like the reference's CSR x dense product, so sums round the same.
  const std::size_t n = numItems();
  for (std::size_t k = 0; k < items.size(); ++k) {
    const double a = aff[k];
    if (const auto slot = denseRow_[items[k]]; slot >= 0) {
      addScaled(a, dense_.data() + static_cast<std::size_t>(slot) * n, acc.data(), n);
      continue;
    }
    const auto cols = similarity_.rowIndices(items[k]);
    const auto vals = similarity_.rowValues(items[k]);
    for (std::size_t t = 0; t < cols.size(); ++t) acc[cols[t]] += a * vals[t];
  }
}

void Sar::scoreAllItems(Index user, std::span<float> out) const {
  thread_local std::vector<double> acc;
  scoreDense(user, acc);
  for (std::size_t j = 0; j < out.size(); ++j) out[j] = static_cast<float>(acc[j]);
  for (const Index j : untrained_) out[j] = kNegInf;
}

void Sar::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  thread_local std::vector<double> acc;
  scoreDense(user, acc);
  const auto& pop = itemPopularity();
  for (std::size_t k = 0; k < items.size(); ++k) {
    out[k] = pop[items[k]] > 0.0f ? static_cast<float>(acc[items[k]]) : kNegInf;
  }
}

void Sar::saveState(BinaryWriter& out) const {
  out.putVector(affinity_);
  similarity_.save(out);
}

void Sar::loadModelState(BinaryReader& in) {
  std::vector<std::uint64_t> offsets(numUsers() + 1, 0);
  for (std::size_t u = 0; u < numUsers(); ++u) offsets[u + 1] = offsets[u] + seenItems(u).size();
  auto affinity = in.getVector<double>();
  in.check(affinity.size() == offsets.back(), "affinity vector does not match the seen items");
  ItemMatrix<double> sim;
  sim.load(in, numItems());
  affinityOffsets_ = std::move(offsets);
  affinity_ = std::move(affinity);
  similarity_ = std::move(sim);
  buildDenseView();
}

std::size_t Sar::memoryBytes() const {
  return Model::memoryBytes() + affinity_.size() * sizeof(double) +
         affinityOffsets_.size() * sizeof(std::uint64_t) + similarity_.memoryBytes() +
         dense_.size() * sizeof(double) + denseRow_.size() * sizeof(std::int64_t) +
         untrained_.size() * sizeof(Index);
}

std::vector<ScoredItem> Sar::similarItems(Index item, std::size_t k) const {
  checkItemQuery(type(), isFitted(), item, numItems());
  std::vector<float> row(numItems());
  rowAsScores(similarity_, item, row);
  return topK(row, k);
}

}  // namespace rwb
