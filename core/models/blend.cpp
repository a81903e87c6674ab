#include "core/models/blend.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/util/error.h"
#include "core/util/json.h"
#include "core/util/random.h"

namespace rwb {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The members object {name: params} as (name, params) in key order. "auto" as params is the
// runner's placeholder for tuned parameters: a blend fitted with it was not given them.
std::vector<std::pair<std::string, Params>> parseMembers(const std::string& text) {
  if (text.empty()) throw ModelError("blend: \"members\" is empty; name at least one model");
  const auto j = parseJsonField(text, "$.params.members");
  std::vector<std::pair<std::string, Params>> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string path = "$.params.members." + it.key();
    if (it.key() == "blend") throw SpecError(path, "a blend cannot be a member of a blend");
    if (it.value().is_string()) {
      throw SpecError(path, "\"" + it.value().get<std::string>() +
                                "\": tuned member parameters are filled in by an experiment "
                                "whose models include an auto search of '" +
                                it.key() + "'");
    }
    const ModelInfo* info = findModel(it.key());
    if (info == nullptr) throw SpecError(path, "unknown model '" + it.key() + "'");
    out.emplace_back(it.key(), info->schema.resolve(it.value(), path));
  }
  if (out.empty()) throw ModelError("blend: \"members\" is empty; name at least one model");
  return out;
}

// Member scores of one user over every item, normalised over the items not in `seen`.
void normalisedScores(const Model& m, Index user, std::span<const Index> seen, bool zscore,
                      const std::vector<Index>& all, std::vector<float>& raw,
                      std::vector<double>& out) {
  raw.resize(all.size());
  m.score(user, all, raw);
  double sum = 0.0, sumSq = 0.0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::size_t n = 0;
  std::size_t s = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    while (s < seen.size() && seen[s] < static_cast<Index>(i)) ++s;
    if (s < seen.size() && seen[s] == static_cast<Index>(i)) continue;
    const double v = raw[i];
    if (!std::isfinite(v)) continue;
    sum += v;
    sumSq += v * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    ++n;
  }
  out.assign(raw.size(), 0.0);
  if (n == 0) return;
  const double mean = sum / static_cast<double>(n);
  const double sd = std::sqrt(std::max(0.0, sumSq / static_cast<double>(n) - mean * mean));
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const double v = std::isfinite(raw[i]) ? static_cast<double>(raw[i]) : lo;
    if (zscore) {
      out[i] = sd > 0.0 ? (v - mean) / sd : 0.0;
    } else {
      out[i] = hi > lo ? (v - lo) / (hi - lo) : 0.0;
    }
  }
}

// Candidate weight vectors: the simplex grid of step 1/steps over m members.
void simplexGrid(std::size_t m, int steps, std::vector<int>& cur, std::size_t d, int left,
                 std::vector<std::vector<double>>& out) {
  if (d + 1 == m) {
    cur[d] = left;
    std::vector<double> w(m);
    for (std::size_t i = 0; i < m; ++i) w[i] = static_cast<double>(cur[i]) / steps;
    out.push_back(std::move(w));
    return;
  }
  for (int v = left; v >= 0; --v) {
    cur[d] = v;
    simplexGrid(m, steps, cur, d + 1, left - v, out);
  }
}

}  // namespace

ModelInfo Blend::info() {
  ModelInfo m;
  m.name = "blend";
  m.displayName = "Blend";
  m.family = "hybrid";
  m.description =
      "Weighted sum of member models' per-user normalised scores, weights tuned on held-out "
      "training rows.";
  m.schema.params = paramList(
      jsonTextParam("members", R"({"ease": {}, "ials": {}, "rp3beta": {}})")
          .describe("Member models as a JSON object {model name: parameters}; default EASE, "
                    "iALS and RP3beta with their defaults"),
      jsonTextParam("weights").describe(
          "Fixed weights {model name: weight} (empty = tune them on held-out training rows)"),
      choiceParam("normalization", "zscore", {"zscore", "minmax"})
          .searched()
          .describe("Per-user score normalisation over the unseen items"),
      floatParam("validation_ratio", 0.8)
          .range(0.5, 0.95)
          .describe("Weight tuning: share of each user's training rows the members are fitted on"),
      intParam("validation_k", 10).range(1, 1000).describe("Weight tuning: k of the held-out nDCG"),
      choiceParam("validation_by", "rows", {"rows", "items"})
          .describe("Weight tuning: hold out a share of each user's rows (\"rows\"), or a share "
                    "of the items with all their rows, ranked among themselves as a cold-item "
                    "split ranks its new items (\"items\")"),
      intParam("validation_users", 1000)
          .range(10, 1000000)
          .describe("Weight tuning: at most this many held-out users (evenly spaced)"));
  return m;
}

std::vector<std::string> Blend::memberNames() const {
  std::vector<std::string> names;
  for (const auto& [name, p] : parseMembers(paramString("members"))) names.push_back(name);
  return names;
}

bool Blend::canScoreUser(Index user) const {
  return std::any_of(members_.begin(), members_.end(),
                     [&](const auto& m) { return m->canScoreUser(user); });
}

void Blend::fitModel(const TrainingData& data, TaskContext& ctx) {
  const auto specs = parseMembers(paramString("members"));
  const bool zscore = paramString("normalization") == "zscore";
  std::vector<double> weights;
  if (!paramString("weights").empty()) {
    const auto w = parseJsonField(paramString("weights"), "$.params.weights");
    for (const auto& [name, p] : specs) {
      if (!w.contains(name)) throw SpecError("$.params.weights." + name, "is missing");
      weights.push_back(asNumber(w[name], "$.params.weights." + name));
    }
    if (w.size() != specs.size()) {
      throw SpecError("$.params.weights", "must name exactly the members");
    }
  }
  const auto fitAll = [&](const Dataset& train, double begin, double end) {
    std::vector<std::unique_ptr<Model>> fitted;
    for (std::size_t m = 0; m < specs.size(); ++m) {
      const double step = (end - begin) / static_cast<double>(specs.size());
      TaskContext sub(ctx, begin + step * static_cast<double>(m),
                      begin + step * static_cast<double>(m + 1));
      // Members' epochs stay out of the blend's learning curve: a member fitted twice (for the
      // weights, then on all of train) would report each epoch twice.
      sub.setEpochCallback([](int, const EpochMetrics&) { return false; });
      auto model = findModel(specs[m].first)->create(specs[m].second);
      model->fit(TrainingData{train, nullptr, data.seed, data.threads}, sub);
      fitted.push_back(std::move(model));
    }
    return fitted;
  };

  if (weights.empty() && specs.size() == 1) weights = {1.0};
  if (weights.empty()) {
    // Hold out 1 - validation_ratio of each user's rows (seeded per user, like two_stage), or
    // of the items with training rows (all their rows; seeded).
    const Dataset& train = data.train;
    const auto& log = train.interactions;
    const bool byItems = paramString("validation_by") == "items";
    std::vector<std::vector<std::uint32_t>> byUser(byItems ? 0 : train.numUsers());
    if (!byItems) {
      for (std::uint32_t r = 0; r < log.size(); ++r) byUser[log.user[r]].push_back(r);
    }
    std::vector<std::uint32_t> rowsA, rowsB;
    const double keep = paramDouble("validation_ratio");
    std::vector<char> heldItem(numItems(), 0);
    if (byItems) {
      std::vector<char> present(numItems(), 0);
      for (std::uint32_t r = 0; r < log.size(); ++r) present[log.item[r]] = 1;
      std::vector<Index> pool;
      for (Index i = 0; i < present.size(); ++i)
        if (present[i]) pool.push_back(i);
      Rng rng(deriveSeed(data.seed, 0xb1e4d, 0x17e35));
      rng.shuffle(pool);
      const auto nb =
          static_cast<std::size_t>(std::floor((1.0 - keep) * static_cast<double>(pool.size())));
      for (std::size_t k = 0; k < nb; ++k) heldItem[pool[k]] = 1;
      for (std::uint32_t r = 0; r < log.size(); ++r)
        (heldItem[log.item[r]] ? rowsB : rowsA).push_back(r);
    }
    for (Index u = 0; u < byUser.size(); ++u) {
      auto& rows = byUser[u];
      Rng rng(deriveSeed(data.seed, 0xb1e4d, u));
      rng.shuffle(rows);
      const auto nb = rows.size() >= 2 ? static_cast<std::size_t>(std::floor(
                                             (1.0 - keep) * static_cast<double>(rows.size())))
                                       : 0;
      rowsA.insert(rowsA.end(), rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(nb));
      rowsB.insert(rowsB.end(), rows.end() - static_cast<std::ptrdiff_t>(nb), rows.end());
    }
    std::sort(rowsA.begin(), rowsA.end());
    std::sort(rowsB.begin(), rowsB.end());
    if (rowsB.empty()) throw ModelError("blend: too few interactions per user to tune weights");
    const Dataset partA = train.withRows(rowsA);
    const Dataset partB = train.withRows(rowsB);
    auto tuning = fitAll(partA, 0.0, 0.45);

    // Held-out users, evenly spaced, and their held-out items.
    const Csr seenA = partA.userItemMatrix(true);
    const Csr relB = partB.userItemMatrix(true);
    std::vector<Index> users;
    for (Index u = 0; u < relB.rows; ++u) {
      if (relB.rowSize(u) > 0 && seenA.rowSize(u) > 0) users.push_back(u);
    }
    const auto maxUsers = static_cast<std::size_t>(paramInt("validation_users"));
    if (users.size() > maxUsers) {
      std::vector<Index> spaced;
      for (std::size_t j = 0; j < maxUsers; ++j)
        spaced.push_back(users[j * users.size() / maxUsers]);
      users = std::move(spaced);
    }
    if (users.empty()) throw ModelError("blend: no held-out user to tune weights on");
    const std::size_t nItems = numItems();
    std::vector<Index> all(nItems);
    std::iota(all.begin(), all.end(), Index{0});
    // norm[m][j * nItems + i]: member m's normalised score of item i for users[j].
    std::vector<std::vector<float>> norm(specs.size(), std::vector<float>(users.size() * nItems));
    std::vector<float> raw;
    std::vector<double> one;
    for (std::size_t m = 0; m < specs.size(); ++m) {
      for (std::size_t j = 0; j < users.size(); ++j) {
        if ((j & 63) == 0) ctx.throwIfStopped();
        normalisedScores(*tuning[m], users[j], seenA.rowIndices(users[j]), zscore, all, raw, one);
        std::copy(one.begin(), one.end(),
                  norm[m].begin() + static_cast<std::ptrdiff_t>(j * nItems));
      }
    }
    const auto k = static_cast<std::size_t>(paramInt("validation_k"));
    const auto ndcgOf = [&](const std::vector<double>& w) {
      double total = 0.0;
      std::vector<double> s(nItems);
      std::vector<Index> order(nItems);
      for (std::size_t j = 0; j < users.size(); ++j) {
        std::fill(s.begin(), s.end(), 0.0);
        for (std::size_t m = 0; m < w.size(); ++m) {
          if (w[m] == 0.0) continue;
          const float* row = norm[m].data() + j * nItems;
          for (std::size_t i = 0; i < nItems; ++i) s[i] += w[m] * row[i];
        }
        for (Index i : seenA.rowIndices(users[j])) s[i] = kNegInf;
        // Items mode: the held-out items are the candidates, ranked among themselves.
        if (byItems) {
          for (std::size_t i = 0; i < nItems; ++i)
            if (!heldItem[i]) s[i] = kNegInf;
        }
        std::iota(order.begin(), order.end(), Index{0});
        const std::size_t top = std::min(k, nItems);
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top),
                          order.end(),
                          [&](Index a, Index b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
        const auto rel = relB.rowIndices(users[j]);
        double dcg = 0.0, idcg = 0.0;
        for (std::size_t r = 0; r < top; ++r) {
          if (s[order[r]] == kNegInf) break;
          if (std::binary_search(rel.begin(), rel.end(), order[r])) {
            dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
          }
        }
        for (std::size_t r = 0; r < std::min(k, rel.size()); ++r) {
          idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
        }
        total += idcg > 0.0 ? dcg / idcg : 0.0;
      }
      return total / static_cast<double>(users.size());
    };
    std::vector<std::vector<double>> grid;
    double best = -1.0;
    if (specs.size() <= 4) {
      std::vector<int> cur(specs.size());
      simplexGrid(specs.size(), 10, cur, 0, 10, grid);
      for (std::size_t g = 0; g < grid.size(); ++g) {
        if ((g & 7) == 0) {
          ctx.throwIfStopped();
          ctx.progress(0.45 + 0.1 * static_cast<double>(g) / static_cast<double>(grid.size()),
                       "blend weights");
        }
        const double v = ndcgOf(grid[g]);
        if (v > best) {
          best = v;
          weights = grid[g];
        }
      }
    } else {
      // Coordinate ascent from equal weights: each weight over 0, 0.1, ..., 1 in turn.
      weights.assign(specs.size(), 1.0 / static_cast<double>(specs.size()));
      best = ndcgOf(weights);
      for (int round = 0; round < 3; ++round) {
        for (std::size_t m = 0; m < specs.size(); ++m) {
          ctx.throwIfStopped();
          for (int v = 0; v <= 10; ++v) {
            std::vector<double> w = weights;
            w[m] = v / 10.0;
            if (std::accumulate(w.begin(), w.end(), 0.0) <= 0.0) continue;
            const double score = ndcgOf(w);
            if (score > best) {
              best = score;
              weights = std::move(w);
            }
          }
        }
      }
      // Scaling every weight alike ranks the same; tuned weights are reported summing to 1.
      const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
      for (double& w : weights) w /= sum;
    }
  }
  auto members = fitAll(data.train, 0.55, 1.0);
  members_ = std::move(members);
  weights_ = std::move(weights);
}

void Blend::scoreAllItems(Index user, std::span<float> out) const {
  std::vector<Index> all(numItems());
  std::iota(all.begin(), all.end(), Index{0});
  const bool zscore = paramString("normalization") == "zscore";
  std::vector<double> sum(numItems(), 0.0), one;
  std::vector<float> raw;
  for (std::size_t m = 0; m < members_.size(); ++m) {
    if (weights_[m] == 0.0) continue;
    normalisedScores(*members_[m], user, seenItems(user), zscore, all, raw, one);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += weights_[m] * one[i];
  }
  for (std::size_t i = 0; i < sum.size(); ++i) out[i] = static_cast<float>(sum[i]);
}

void Blend::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  std::vector<float> all(numItems());
  scoreAllItems(user, all);
  for (std::size_t j = 0; j < items.size(); ++j) out[j] = all[items[j]];
}

void Blend::saveState(BinaryWriter& out) const {
  out.putVector(weights_);
  out.put<std::uint64_t>(members_.size());
  for (const auto& m : members_) out.putString(saveModelToBytes(*m));
}

void Blend::loadModelState(BinaryReader& in) {
  const auto names = memberNames();
  auto weights = in.getVector<double>("weights");
  in.check(weights.size() == names.size(), "blend: member count mismatch");
  const auto n = in.get<std::uint64_t>("num_members");
  in.check(n == names.size(), "blend: member count mismatch");
  std::vector<std::unique_ptr<Model>> members;
  for (std::uint64_t m = 0; m < n; ++m) {
    auto model = loadModelFromBytes(
        in.getString("members[" + std::to_string(m) + "]"),
        "model state of blend member " + std::to_string(m) + " ('" + names[m] + "')");
    in.check(model->type() == names[m], "blend: member type mismatch");
    in.check(model->numItems() == numItems() && model->numUsers() == numUsers(),
             "blend: member fitted on other id maps");
    members.push_back(std::move(model));
  }
  members_ = std::move(members);
  weights_ = std::move(weights);
}

nlohmann::json Blend::fittedSummary() const {
  const auto names = memberNames();
  nlohmann::json w = nlohmann::json::object();
  for (std::size_t m = 0; m < names.size() && m < weights_.size(); ++m) w[names[m]] = weights_[m];
  nlohmann::json j = {{"weights", std::move(w)}};
  // fitModel tunes exactly when no weights are given and there is more than one member.
  if (!paramString("weights").empty()) {
    j["tuned"] = false;
    j["untuned_reason"] = "weights given";
  } else if (names.size() == 1) {
    j["tuned"] = false;
    j["untuned_reason"] = "one member";
  } else {
    j["tuned"] = true;
  }
  return j;
}

std::size_t Blend::memoryBytes() const {
  std::size_t b = Model::memoryBytes();
  for (const auto& m : members_) b += m->memoryBytes();
  return b;
}

}  // namespace rwb
