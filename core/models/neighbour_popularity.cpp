#include "core/models/neighbour_popularity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/models/attribute_columns.h"
#include "core/util/error.h"
#include "core/util/json.h"
#include "core/util/random.h"

namespace rwb {

namespace {

constexpr double kMissingCode = -1.0;
constexpr double kUnseenCode = -2.0;

// Fewer users with interactions than this leave the kernel untuned (folds need users).
constexpr std::size_t kMinTuningUsers = 4;

const std::vector<double> kBetaCandidates = {1.0, 0.7, 0.5, 0.35, 0.2, 0.1, 0.05, 0.0};
const std::vector<double> kBandwidthCandidates = {0.0, 2.0, 1.0, 0.5, 0.35, 0.25};

// k_c(a, b) of the class comment; `param` is beta (categorical) or h (numeric).
double factor(bool numeric, double scale, double param, double a, double b) {
  if (!numeric) return a == b && a != kUnseenCode ? 1.0 : param;
  if (param <= 0.0) return 1.0;
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na && nb) return 1.0;
  if (na || nb) return std::exp(-1.0 / param);
  return std::exp(-std::abs(a - b) / (param * scale));
}

double ndcgAt10(std::vector<double>& scores, std::vector<Index>& order,
                std::span<const Index> relevant) {
  const std::size_t k = std::min<std::size_t>(10, scores.size());
  std::iota(order.begin(), order.end(), Index{0});
  std::partial_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
      [&](Index a, Index b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
  double dcg = 0.0, idcg = 0.0;
  for (std::size_t r = 0; r < k; ++r) {
    if (std::binary_search(relevant.begin(), relevant.end(), order[r]))
      dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  }
  for (std::size_t r = 0; r < std::min(k, relevant.size()); ++r)
    idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  return idcg > 0.0 ? dcg / idcg : 0.0;
}

}  // namespace

ModelInfo NeighbourPopularity::info() {
  ModelInfo m;
  m.name = "neighbour_popularity";
  m.displayName = "Neighbour popularity";
  m.family = "baseline";
  m.description =
      "Item popularity among training users weighted by attribute similarity to the user (a "
      "kernel tuned on held-out users); scores new users from their attributes.";
  m.schema.params = paramList(
      stringParam("columns", "")
          .describe("User attribute columns the similarity uses, comma-separated (empty = every "
                    "categorical and numeric column)"),
      jsonTextParam("kernel").describe(
          "Fixed kernel {column: value}: for a categorical column the weight of a different "
          "value (0-1, 1 = ignore the column), for a numeric one the bandwidth in standard "
          "deviations (0 = ignore); columns not named are ignored. Empty = tune on held-out "
          "users"),
      intParam("tuning_folds", 5)
          .range(2, 20)
          .searchRange(3, 10)
          .describe("Kernel tuning: folds of the training users; each fold is scored from the "
                    "others' interactions"),
      intParam("validation_users", 1000)
          .range(10, 1000000)
          .describe("Kernel tuning: at most this many held-out users over all folds"),
      intParam("tuning_rounds", 2)
          .range(1, 10)
          .describe("Kernel tuning: coordinate-ascent passes over the columns"));
  return m;
}

std::vector<double> NeighbourPopularity::rowOf(const AttributeTable* table, Index row) const {
  std::vector<double> v(names_.size());
  for (std::size_t c = 0; c < names_.size(); ++c) {
    const AttributeColumn* col = table != nullptr ? table->find(names_[c]) : nullptr;
    const bool present = col != nullptr && row < col->rows();
    if (numeric_[c]) {
      v[c] = present && col->type == ColumnType::kNumeric
                 ? col->numeric[row]
                 : std::numeric_limits<double>::quiet_NaN();
    } else if (!present || col->type != ColumnType::kCategorical || col->codes[row] < 0) {
      v[c] = kMissingCode;
    } else {
      const auto it = codeOf_[c].find(col->categories[static_cast<std::size_t>(col->codes[row])]);
      v[c] = it == codeOf_[c].end() ? kUnseenCode : static_cast<double>(it->second);
    }
  }
  return v;
}

void NeighbourPopularity::fitModel(const TrainingData& data, TaskContext& ctx) {
  const AttributeTable& table = data.train.userAttributes;
  names_.clear();
  numeric_.clear();
  for (const AttributeColumn* c : columnsFromParam(table, paramString("columns"),
                                                   {"neighbour_popularity", "users",
                                                    [](const AttributeColumn& c) {
                                                      return c.type == ColumnType::kNumeric ||
                                                             c.type == ColumnType::kCategorical;
                                                    },
                                                    "is neither categorical nor numeric"})) {
    names_.push_back(c->name);
  }
  const std::size_t nc = names_.size();
  const std::size_t nu = numUsers();
  const std::size_t ni = numItems();
  cats_.assign(nc, {});
  codeOf_.assign(nc, {});
  scale_.assign(nc, 1.0);
  for (std::size_t c = 0; c < nc; ++c) {
    const AttributeColumn* col = table.find(names_[c]);
    numeric_.push_back(col->type == ColumnType::kNumeric ? 1 : 0);
    if (!numeric_[c]) {
      cats_[c] = col->categories;
      for (std::size_t k = 0; k < cats_[c].size(); ++k)
        codeOf_[c].emplace(cats_[c][k], static_cast<std::int32_t>(k));
    }
  }
  userValues_.assign(nu * nc, 0.0);
  for (std::size_t u = 0; u < nu; ++u) {
    const auto v = rowOf(&table, static_cast<Index>(u));
    std::copy(v.begin(), v.end(), userValues_.begin() + static_cast<std::ptrdiff_t>(u * nc));
  }
  // Distinct items per user.
  const auto& log = data.train.interactions;
  std::vector<std::vector<Index>> byUser(nu);
  for (std::size_t r = 0; r < log.size(); ++r) byUser[log.user[r]].push_back(log.item[r]);
  offsets_.assign(1, 0);
  items_.clear();
  global_.assign(ni, 0.0);
  double total = 0.0;
  std::vector<Index> active;
  for (std::size_t u = 0; u < nu; ++u) {
    auto& it = byUser[u];
    std::sort(it.begin(), it.end());
    it.erase(std::unique(it.begin(), it.end()), it.end());
    items_.insert(items_.end(), it.begin(), it.end());
    offsets_.push_back(items_.size());
    for (Index i : it) global_[i] += 1.0;
    total += static_cast<double>(it.size());
    if (!it.empty()) active.push_back(static_cast<Index>(u));
  }
  for (auto& g : global_) g = total > 0.0 ? g / total : 0.0;
  // Standard deviations of the numeric columns over the users with interactions.
  for (std::size_t c = 0; c < nc; ++c) {
    if (!numeric_[c]) continue;
    double s = 0.0, s2 = 0.0, n = 0.0;
    for (Index u : active) {
      const double x = userValues_[u * nc + c];
      if (std::isnan(x)) continue;
      s += x;
      s2 += x * x;
      n += 1.0;
    }
    const double var = n > 0.0 ? s2 / n - (s / n) * (s / n) : 0.0;
    scale_[c] = var > 0.0 ? std::sqrt(var) : 1.0;
  }

  kernel_.assign(nc, 0.0);
  for (std::size_t c = 0; c < nc; ++c) kernel_[c] = numeric_[c] ? 0.0 : 1.0;
  tunedNdcg_ = untunedNdcg_ = 0.0;
  const std::string given = paramString("kernel");
  if (!given.empty()) {
    const auto j = parseJsonField(given, "$.params.kernel");
    for (auto it = j.begin(); it != j.end(); ++it) {
      const auto pos = std::find(names_.begin(), names_.end(), it.key()) - names_.begin();
      const std::string path = "$.params.kernel." + it.key();
      if (static_cast<std::size_t>(pos) == nc)
        throw SpecError(path, "not one of the model's columns");
      const double v = asNumber(it.value(), path);
      if (v < 0.0 || (!numeric_[static_cast<std::size_t>(pos)] && v > 1.0))
        throw SpecError(path, numeric_[static_cast<std::size_t>(pos)]
                                  ? "a bandwidth must be >= 0"
                                  : "a weight must be in [0, 1]");
      kernel_[static_cast<std::size_t>(pos)] = v;
    }
  } else if (nc > 0 && active.size() >= kMinTuningUsers) {
    // Folds of the users with interactions (seeded); fold f's held-out users are scored from
    // the counts of the users outside f.
    std::vector<Index> pool = active;
    Rng rng(deriveSeed(data.seed, 0x4e1b0, 0));
    rng.shuffle(pool);
    const auto folds =
        std::min<std::size_t>(static_cast<std::size_t>(paramInt("tuning_folds")), pool.size());
    const auto maxUsers =
        std::min<std::size_t>(pool.size(), static_cast<std::size_t>(paramInt("validation_users")));
    struct Fold {
      std::vector<Index> held, fit;
      // Per column, held x fit: numeric = |a - b| / sd (-1 one value missing, -2 both);
      // categorical = 1 for the same value, else 0.
      std::vector<std::vector<float>> rel;
    };
    std::vector<Fold> fs(folds);
    for (std::size_t k = 0; k < pool.size(); ++k) {
      Fold& f = fs[k % folds];
      if (k < maxUsers) f.held.push_back(pool[k]);
      for (std::size_t g = 0; g < folds; ++g)
        if (g != k % folds) fs[g].fit.push_back(pool[k]);
    }
    for (Fold& f : fs) {
      const std::size_t nh = f.held.size(), nf = f.fit.size();
      f.rel.assign(nc, std::vector<float>(nh * nf));
      for (std::size_t c = 0; c < nc; ++c) {
        for (std::size_t j = 0; j < nh; ++j) {
          const double a = userValues_[f.held[j] * nc + c];
          for (std::size_t v = 0; v < nf; ++v) {
            const double b = userValues_[f.fit[v] * nc + c];
            float r;
            if (!numeric_[c]) {
              r = a == b && a != kUnseenCode ? 1.0f : 0.0f;
            } else if (std::isnan(a) && std::isnan(b)) {
              r = -2.0f;
            } else if (std::isnan(a) || std::isnan(b)) {
              r = -1.0f;
            } else {
              r = static_cast<float>(std::abs(a - b) / scale_[c]);
            }
            f.rel[c][j * nf + v] = r;
          }
        }
      }
    }
    auto candidatesOf = [&](std::size_t c) -> const std::vector<double>& {
      return numeric_[c] ? kBandwidthCandidates : kBetaCandidates;
    };
    std::vector<double> scores(ni);
    std::vector<Index> order(ni);
    std::vector<double> w;
    const auto evaluate = [&](const std::vector<double>& kern) {
      double sum = 0.0;
      std::size_t n = 0;
      for (const Fold& f : fs) {
        const std::size_t nf = f.fit.size();
        w.resize(nf);
        for (std::size_t j = 0; j < f.held.size(); ++j) {
          std::fill(w.begin(), w.end(), 1.0);
          for (std::size_t c = 0; c < nc; ++c) {
            const float* r = f.rel[c].data() + j * nf;
            const double p = kern[c];
            if (!numeric_[c]) {
              if (p == 1.0) continue;
              for (std::size_t v = 0; v < nf; ++v)
                if (r[v] == 0.0f) w[v] *= p;
            } else {
              if (p <= 0.0) continue;
              const double oneMissing = std::exp(-1.0 / p);
              for (std::size_t v = 0; v < nf; ++v)
                w[v] *= r[v] >= 0.0f ? std::exp(-r[v] / p) : (r[v] == -1.0f ? oneMissing : 1.0);
            }
          }
          std::fill(scores.begin(), scores.end(), 0.0);
          double wsum = 0.0;
          for (std::size_t v = 0; v < nf; ++v) wsum += w[v];
          for (std::size_t v = 0; v < nf; ++v) {
            const double wv = wsum > 0.0 ? w[v] : 1.0;
            if (wv == 0.0) continue;
            for (auto q = offsets_[f.fit[v]]; q < offsets_[f.fit[v] + 1]; ++q)
              scores[items_[q]] += wv;
          }
          const Index u = f.held[j];
          sum += ndcgAt10(
              scores, order,
              std::span<const Index>(items_.data() + offsets_[u], offsets_[u + 1] - offsets_[u]));
          ++n;
        }
      }
      return n > 0 ? sum / static_cast<double>(n) : 0.0;
    };
    double best = evaluate(kernel_);
    untunedNdcg_ = best;
    const int rounds = static_cast<int>(paramInt("tuning_rounds"));
    for (int round = 0; round < rounds; ++round) {
      bool changed = false;
      for (std::size_t c = 0; c < nc; ++c) {
        for (double p : candidatesOf(c)) {
          ctx.throwIfStopped();
          if (p == kernel_[c]) continue;
          auto trial = kernel_;
          trial[c] = p;
          const double v = evaluate(trial);
          if (v > best) {
            best = v;
            kernel_ = std::move(trial);
            changed = true;
          }
        }
        ctx.progress((static_cast<double>(round) + static_cast<double>(c + 1) / nc) / rounds,
                     "kernel tuning");
      }
      if (!changed) break;
    }
    tunedNdcg_ = best;
  }
  ctx.progress(1.0, "fitted");
}

void NeighbourPopularity::scoreValues(const std::vector<double>& values,
                                      std::span<const Index> items, std::span<float> out) const {
  const std::size_t nc = names_.size();
  const std::size_t nu = offsets_.size() - 1;
  std::vector<double> acc(numItems(), 0.0);
  double wsum = 0.0;
  for (std::size_t v = 0; v < nu; ++v) {
    if (offsets_[v + 1] == offsets_[v]) continue;
    double w = 1.0;
    for (std::size_t c = 0; c < nc && w > 0.0; ++c)
      w *= factor(numeric_[c], scale_[c], kernel_[c], values[c], userValues_[v * nc + c]);
    if (w == 0.0) continue;
    wsum += w;
    for (auto p = offsets_[v]; p < offsets_[v + 1]; ++p) acc[items_[p]] += w;
  }
  // Per-user totals differ only by the user's history length; the share over the kernel mass
  // keeps scores comparable between users (and equal to overall popularity when uniform).
  double mass = 0.0;
  for (double a : acc) mass += a;
  for (std::size_t j = 0; j < items.size(); ++j) {
    out[j] = wsum > 0.0 && mass > 0.0 ? static_cast<float>(acc[items[j]] / mass)
                                      : static_cast<float>(global_[items[j]]);
  }
}

void NeighbourPopularity::scoreItems(Index user, std::span<const Index> items,
                                     std::span<float> out) const {
  const std::size_t nc = names_.size();
  if (user >= numUsers()) {
    scoreValues(std::vector<double>(nc, std::numeric_limits<double>::quiet_NaN()), items, out);
    return;
  }
  const std::vector<double> v(userValues_.begin() + static_cast<std::ptrdiff_t>(user * nc),
                              userValues_.begin() + static_cast<std::ptrdiff_t>((user + 1) * nc));
  scoreValues(v, items, out);
}

void NeighbourPopularity::scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                            std::span<float> out) const {
  scoreValues(rowOf(user.attributes, user.row), items, out);
}

bool NeighbourPopularity::kernelTuned() const {
  std::size_t active = 0;
  for (std::size_t u = 0; u + 1 < offsets_.size(); ++u) active += offsets_[u + 1] > offsets_[u];
  return paramString("kernel").empty() && !names_.empty() && active >= kMinTuningUsers;
}

nlohmann::json NeighbourPopularity::fittedSummary() const {
  nlohmann::json kernel = nlohmann::json::object(), kind = nlohmann::json::object();
  for (std::size_t c = 0; c < names_.size(); ++c) {
    kernel[names_[c]] = kernel_[c];
    kind[names_[c]] = numeric_[c] ? "h" : "beta";
  }
  nlohmann::json j = {{"kernel", std::move(kernel)}, {"kernel_kind", std::move(kind)}};
  if (kernelTuned()) {
    j["tuned"] = true;
    j["tuned_ndcg"] = tunedNdcg_;
    j["untuned_ndcg"] = untunedNdcg_;
  } else {
    j["tuned"] = false;
    j["untuned_reason"] = !paramString("kernel").empty() ? std::string("kernel given")
                          : names_.empty()               ? std::string("no attribute columns")
                                           : "fewer than " + std::to_string(kMinTuningUsers) +
                                                 " training users with interactions";
  }
  return j;
}

void NeighbourPopularity::saveState(BinaryWriter& out) const {
  out.putStrings(names_);
  out.putVector(numeric_);
  out.putVector(scale_);
  for (const auto& c : cats_) out.putStrings(c);
  out.putVector(kernel_);
  out.putVector(userValues_);
  out.putVector(offsets_);
  out.putVector(items_);
  out.putVector(global_);
  out.put<double>(tunedNdcg_);
  out.put<double>(untunedNdcg_);
}

void NeighbourPopularity::loadModelState(BinaryReader& in) {
  names_ = in.getStrings("columns");
  const std::size_t nc = names_.size();
  numeric_ = in.getVector<char>("numeric");
  in.check(numeric_.size() == nc, "column types have the wrong length");
  scale_ = in.getVector<double>("scales");
  in.check(scale_.size() == nc, "scales have the wrong length");
  cats_.assign(nc, {});
  codeOf_.assign(nc, {});
  for (std::size_t c = 0; c < nc; ++c) {
    cats_[c] = in.getStrings("categories");
    for (std::size_t k = 0; k < cats_[c].size(); ++k)
      codeOf_[c].emplace(cats_[c][k], static_cast<std::int32_t>(k));
  }
  kernel_ = in.getVector<double>("kernel");
  in.check(kernel_.size() == nc, "kernel has the wrong length");
  userValues_ = in.getVector<double>("user_values");
  in.check(userValues_.size() == numUsers() * nc, "user values have the wrong length");
  offsets_ = in.getVector<std::uint64_t>("user_offsets");
  in.check(offsets_.size() == numUsers() + 1 && offsets_.front() == 0,
           "user offsets have the wrong length");
  items_ = in.getVector<Index>("user_items");
  in.check(offsets_.back() == items_.size(), "user items do not match the offsets");
  for (std::size_t u = 0; u + 1 < offsets_.size(); ++u)
    in.check(offsets_[u] <= offsets_[u + 1], "user offsets decrease");
  for (Index i : items_) in.check(i < numItems(), "an item index is out of range");
  global_ = in.getVector<double>("global_popularity");
  in.check(global_.size() == numItems(), "popularity vector has the wrong length");
  tunedNdcg_ = in.get<double>("tuned_ndcg");
  untunedNdcg_ = in.get<double>("untuned_ndcg");
}

}  // namespace rwb
