#pragma once
// Evaluation helpers for the content/hybrid acceptance runs (cold-start item splits, warm
// re-ranking), shared by the [.slow] tests and bench_features. Header-only; nDCG and the
// paired t-test are core/eval's. The protocol is:
//  - cold-start split: a seeded 20% of the items (and all their interactions) are held out,
//    drawn by core's cold_items splitter (as `recwb run` draws them); train = every
//    interaction of the other items. Test users = users with a held-out
//    interaction; each ranks ONLY the held-out items; relevant = the held-out items the user
//    interacted with (binary); nDCG@10 with log2 discounts, ideal DCG over min(10, |relevant|).
//  - cold-user split: a seeded 20% of the users (and all their interactions) are held out,
//    drawn by core's cold_users splitter; each held-out user is scored as a new user from
//    attributes alone over the whole catalogue, as the runner scores a cold_users split.
//  - paired t-test over test users on per-user nDCG@10 (two-sided).

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/eval/ranking_metrics.h"
#include "core/eval/statistics.h"
#include "core/experiment/evaluation_protocol.h"
#include "core/experiment/validation_split.h"
#include "core/models/model.h"
#include "core/prep/splitter.h"

namespace rwb::test {

struct ColdSplit {
  Dataset train;
  std::vector<Index> heldItems;  ///< sorted
  std::vector<Index> testUsers;
  std::vector<std::vector<Index>> relevant;  ///< per test user, sorted
};

/// The cold-item split of d that holds out exactly `held` (item indices of d) with all their
/// interactions; train = every interaction of the other items.
inline ColdSplit coldSplitHolding(const Dataset& d, std::vector<Index> held) {
  ColdSplit s;
  std::sort(held.begin(), held.end());
  held.erase(std::unique(held.begin(), held.end()), held.end());
  s.heldItems = held;
  std::vector<char> isHeld(d.numItems(), 0);
  for (Index i : held) isHeld[i] = 1;
  std::vector<std::uint32_t> trainRows;
  std::vector<std::vector<Index>> rel(d.numUsers());
  for (std::uint32_t r = 0; r < d.numInteractions(); ++r) {
    if (isHeld[d.interactions.item[r]]) {
      rel[d.interactions.user[r]].push_back(d.interactions.item[r]);
    } else {
      trainRows.push_back(r);
    }
  }
  s.train = d.withRows(trainRows);
  for (Index u = 0; u < d.numUsers(); ++u) {
    if (rel[u].empty()) continue;
    std::sort(rel[u].begin(), rel[u].end());
    rel[u].erase(std::unique(rel[u].begin(), rel[u].end()), rel[u].end());
    s.testUsers.push_back(u);
    s.relevant.push_back(std::move(rel[u]));
  }
  return s;
}

/// The cold-item split of the acceptance protocol, drawn by core's `cold_items` splitter
/// (core/prep/splitter.h, train ratio 1 - fraction, the given seed): the same held-out items
/// as `recwb run` with split {"method": "cold_items", "ratio": 1 - fraction, "seed": seed} on
/// the same Dataset, so the bench and the product measure one protocol (docs/features.md,
/// "Why the bench and the spec disagreed").
inline ColdSplit coldItemSplit(const Dataset& d, double fraction, std::uint64_t seed) {
  SplitOptions o;
  o.method = SplitMethod::kColdItems;
  o.ratio = 1.0 - fraction;
  o.seed = seed;
  TaskContext ctx;
  const SplitResult r = splitDataset(d, o, ctx);
  return coldSplitHolding(d, heldOutItems(d.withRows(r.train), d.withRows(r.test)));
}

/// The validation split of a cold-item split, for choosing hyperparameters without test: core's
/// cold_items carve of the search (carveValidation, ValidationKind::kColdItems) applied to
/// s.train: a seeded `fraction` of the items with training interactions is held out the same
/// way; its train part is the fit data, its held-out items the candidates.
inline ColdSplit coldValidationSplit(const ColdSplit& s, double fraction, std::uint64_t seed) {
  TaskContext ctx;
  // A different stream from the test split's seed, so the two draws are unrelated.
  const ValidationSplit v = carveValidation(s.train, ValidationKind::kColdItems, 1.0 - fraction,
                                            seed ^ 0x9e3779b97f4a7c15ULL, ctx);
  return coldSplitHolding(s.train, v.candidates);
}

/// Cold users: a seeded `fraction` of the users is held out with all their interactions, drawn
/// by core's `cold_users` splitter (as `recwb run` draws them); train = the other users'
/// interactions. Test users = the held-out users with an interaction; relevant = every item
/// they interacted with. They are scored as new users from their attributes alone (no
/// history) over the whole catalogue, through the runner's new-user path (coldUserNdcg).
struct ColdUserSplit {
  Dataset train;
  std::vector<Index> testUsers;              ///< sorted
  std::vector<std::vector<Index>> relevant;  ///< per test user, sorted
};

/// The cold-user split of d with the given training and held-out rows (row indices of d).
inline ColdUserSplit coldUserSplitOfRows(const Dataset& d, const std::vector<std::uint32_t>& train,
                                         const std::vector<std::uint32_t>& heldOut) {
  ColdUserSplit s;
  s.train = d.withRows(train);
  std::vector<std::vector<Index>> rel(d.numUsers());
  for (const std::uint32_t r : heldOut)
    rel[d.interactions.user[r]].push_back(d.interactions.item[r]);
  for (Index u = 0; u < d.numUsers(); ++u) {
    if (rel[u].empty()) continue;
    std::sort(rel[u].begin(), rel[u].end());
    rel[u].erase(std::unique(rel[u].begin(), rel[u].end()), rel[u].end());
    s.testUsers.push_back(u);
    s.relevant.push_back(std::move(rel[u]));
  }
  return s;
}

/// The cold-user split of the acceptance protocol, drawn by core's `cold_users` splitter
/// (core/prep/splitter.h, train ratio 1 - fraction, the given seed): the same held-out users
/// and training rows as `recwb run` with split {"method": "cold_users", "ratio": 1 - fraction,
/// "seed": seed} on the same Dataset (resources/specs/ml100k-coldusers.json).
inline ColdUserSplit coldUserSplit(const Dataset& d, double fraction, std::uint64_t seed) {
  SplitOptions o;
  o.method = SplitMethod::kColdUsers;
  o.ratio = 1.0 - fraction;
  o.seed = seed;
  TaskContext ctx;
  const SplitResult r = splitDataset(d, o, ctx);
  return coldUserSplitOfRows(d, r.train, r.test);
}

/// The validation split of a cold-user split, for choosing a model without test: core's
/// cold_users carve of the search (carveValidation, ValidationKind::kColdUsers) applied to
/// s.train: a seeded `fraction` of the users with training interactions held out the same way.
inline ColdUserSplit coldUserValidationSplit(const ColdUserSplit& s, double fraction,
                                             std::uint64_t seed) {
  TaskContext ctx;
  // A different stream from the test split's seed, so the two draws are unrelated.
  const ValidationSplit v = carveValidation(s.train, ValidationKind::kColdUsers, 1.0 - fraction,
                                            seed ^ 0x9e3779b97f4a7c15ULL, ctx);
  ColdUserSplit out;
  out.train = v.fit;
  std::vector<std::vector<Index>> rel(v.valid.numUsers());
  for (std::uint32_t r = 0; r < v.valid.numInteractions(); ++r)
    rel[v.valid.interactions.user[r]].push_back(v.valid.interactions.item[r]);
  for (const Index u : v.users) {
    std::sort(rel[u].begin(), rel[u].end());
    rel[u].erase(std::unique(rel[u].begin(), rel[u].end()), rel[u].end());
    out.testUsers.push_back(u);
    out.relevant.push_back(std::move(rel[u]));
  }
  return out;
}

/// The cold-user baseline of resources/specs/ml100k-coldusers.json: core's
/// `demographic_popularity` over age decade x gender (a test checks it against the spec).
inline const char* kColdUserBaseline = "demographic_popularity";
inline Params coldUserBaselineParams() {
  Params p = Params::object();
  p["columns"] = "age,gender";
  p["bucket_width"] = 10.0;
  return p;
}

/// nDCG@k of a ranking (item indices, best first) against a sorted relevant set: core/eval's
/// binary-gain definition; a user without relevant items counts 0.
inline double ndcgAt(std::span<const Index> ranking, std::span<const Index> relevant,
                     std::size_t k) {
  if (relevant.empty()) return 0.0;
  const std::vector<float> ones(relevant.size(), 1.0f);
  return ndcgAtK(ranking, relevant, ones, k, Gain::kBinary);
}

/// Per-user nDCG@k of a model's top-k (seen items excluded) for every user with test items.
inline std::vector<double> warmNdcg(const Model& m, const Csr& truth, std::size_t k = 10) {
  std::vector<double> out;
  for (Index u = 0; u < truth.rows; ++u) {
    if (truth.rowSize(u) == 0) continue;
    std::vector<Index> top;
    for (const auto& r : m.recommend(u, k).items) top.push_back(r.item);
    out.push_back(ndcgAt(top, truth.rowIndices(u), k));
  }
  return out;
}

/// Ranks `candidates` by score (ties by item index) and returns the top k.
inline std::vector<Index> rankBy(std::span<const Index> candidates, std::span<const float> scores,
                                 std::size_t k) {
  std::vector<std::size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  const std::size_t kk = std::min(k, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kk), order.end(),
                    [&](std::size_t a, std::size_t b) {
                      return scores[a] > scores[b] ||
                             (scores[a] == scores[b] && candidates[a] < candidates[b]);
                    });
  std::vector<Index> out;
  for (std::size_t r = 0; r < kk; ++r) out.push_back(candidates[order[r]]);
  return out;
}

/// Per-test-user nDCG@k of a model ranking only the held-out items.
inline std::vector<double> coldNdcg(const Model& m, const ColdSplit& s, std::size_t k = 10) {
  std::vector<double> out;
  std::vector<float> scores(s.heldItems.size());
  for (std::size_t t = 0; t < s.testUsers.size(); ++t) {
    m.score(s.testUsers[t], s.heldItems, scores);
    const auto top = rankBy(s.heldItems, scores, k);
    out.push_back(ndcgAt(top, s.relevant[t], k));
  }
  return out;
}

/// Per-user nDCG@k of any per-item scorer (same score for every user, e.g. a baseline).
template <typename F>
std::vector<double> coldNdcgFn(F scoreFn, const ColdSplit& s, std::size_t k = 10) {
  std::vector<double> out;
  std::vector<float> scores(s.heldItems.size());
  for (std::size_t t = 0; t < s.testUsers.size(); ++t) {
    for (std::size_t j = 0; j < s.heldItems.size(); ++j)
      scores[j] = scoreFn(s.testUsers[t], s.heldItems[j]);
    const auto top = rankBy(s.heldItems, scores, k);
    out.push_back(ndcgAt(top, s.relevant[t], k));
  }
  return out;
}

/// Per-test-user nDCG@k of a model scoring each held-out user as a new user, by the runner's
/// path for cold_users splits: recommendForNewUsers (NewUser = row u of the training split's
/// user attributes, no history; top k over the whole catalogue), then core's binary nDCG.
inline std::vector<double> coldUserNdcg(const Model& m, const ColdUserSplit& s,
                                        std::size_t k = 10) {
  NewUserCohort cohort;
  cohort.attributes = &s.train.userAttributes;
  TaskContext ctx;
  const CandidateLists c = recommendForNewUsers(m, s.testUsers, cohort, {}, k, ctx);
  std::vector<double> out;
  for (std::size_t t = 0; t < s.testUsers.size(); ++t) {
    std::vector<Index> top;
    for (const auto& r : c.lists[t].items) top.push_back(r.item);
    out.push_back(ndcgAt(top, s.relevant[t], k));
  }
  return out;
}

/// Genre + year popularity baseline fitted on the training split: for an item with year y and
/// genres G, score = popYear(y) * mean_{g in G} popGenre(g), where pop*(v) = mean training
/// interactions per training item having value v (unseen values: the overall mean).
struct AttributePopularity {
  std::vector<float> score;  ///< per item
  AttributePopularity(const Dataset& train, const char* genreCol = "genres",
                      const char* yearCol = "year") {
    const auto counts = train.itemCounts();
    const auto* g = train.itemAttributes.find(genreCol);
    const auto* y = train.itemAttributes.find(yearCol);
    std::vector<double> gSum(g ? g->categories.size() : 0), gN(gSum.size());
    std::map<long long, std::pair<double, double>> ySum;
    double all = 0, allN = 0;
    auto yearOf = [&](Index i) {
      return y && i < y->rows() && !std::isnan(y->numeric[i]) ? std::llround(y->numeric[i]) : -1LL;
    };
    for (Index i = 0; i < train.numItems(); ++i) {
      if (counts[i] == 0) continue;
      all += counts[i];
      allN += 1;
      if (g && i < g->rows()) {
        for (auto k = g->offsets[i]; k < g->offsets[i + 1]; ++k) {
          gSum[g->codes[k]] += counts[i];
          gN[g->codes[k]] += 1;
        }
      }
      auto& ys = ySum[yearOf(i)];
      ys.first += counts[i];
      ys.second += 1;
    }
    const double mean = allN ? all / allN : 0.0;
    score.assign(train.numItems(), 0.0f);
    for (Index i = 0; i < train.numItems(); ++i) {
      double gs = 0, gc = 0;
      if (g && i < g->rows()) {
        for (auto k = g->offsets[i]; k < g->offsets[i + 1]; ++k) {
          gs += gN[g->codes[k]] ? gSum[g->codes[k]] / gN[g->codes[k]] : mean;
          gc += 1;
        }
      }
      const double gp = gc ? gs / gc : mean;
      const auto it = ySum.find(yearOf(i));
      const double yp = it != ySum.end() ? it->second.first / it->second.second : mean;
      score[i] = static_cast<float>(gp * yp);
    }
  }
};

/// Categorical popularity baseline for catalogues described by categorical or multi-valued
/// columns (the sample data: category and brand): score = product over the columns of the mean,
/// over the item's values v, of pop(v) = mean training interactions per training item with
/// value v (unseen or missing values: the overall mean).
struct CategoryPopularity {
  std::vector<float> score;  ///< per item
  CategoryPopularity(const Dataset& train, const std::vector<std::string>& columns) {
    const auto counts = train.itemCounts();
    double all = 0, allN = 0;
    for (Index i = 0; i < train.numItems(); ++i) {
      if (counts[i] == 0) continue;
      all += counts[i];
      allN += 1;
    }
    const double mean = allN ? all / allN : 0.0;
    score.assign(train.numItems(), 1.0f);
    for (const auto& name : columns) {
      const auto* c = train.itemAttributes.find(name);
      if (c == nullptr) continue;
      auto valuesOf = [&](Index i) {
        std::vector<std::int32_t> v;
        if (i >= c->rows()) return v;
        if (c->type == ColumnType::kMultiCategorical) {
          v.assign(c->codes.begin() + static_cast<std::ptrdiff_t>(c->offsets[i]),
                   c->codes.begin() + static_cast<std::ptrdiff_t>(c->offsets[i + 1]));
        } else if (c->codes[i] >= 0) {
          v.push_back(c->codes[i]);
        }
        return v;
      };
      std::vector<double> sum(c->categories.size()), n(c->categories.size());
      for (Index i = 0; i < train.numItems(); ++i) {
        if (counts[i] == 0) continue;
        for (auto v : valuesOf(i)) {
          sum[v] += counts[i];
          n[v] += 1;
        }
      }
      for (Index i = 0; i < train.numItems(); ++i) {
        double s = 0, k = 0;
        for (auto v : valuesOf(i)) {
          s += n[v] ? sum[v] / n[v] : mean;
          k += 1;
        }
        score[i] *= static_cast<float>(k ? s / k : mean);
      }
    }
  }
};

/// core/eval's paired t-test with the mean difference the acceptance checks print.
struct PairedTest {
  double meanDiff = 0;
  double t = 0;
  double p = 1;  ///< two-sided
};

inline PairedTest pairedTTest(const std::vector<double>& a, const std::vector<double>& b) {
  PairedTest r;
  if (a.size() < 2 || b.size() != a.size()) return r;
  double d = 0;
  for (std::size_t k = 0; k < a.size(); ++k) d += a[k] - b[k];
  r.meanDiff = d / static_cast<double>(a.size());
  const TestResult t = rwb::pairedTTest(a, b);
  r.t = t.statistic;
  r.p = t.pValue;
  return r;
}

inline double mean(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace rwb::test

namespace rwb::test {

/// The MovieLens cold-start feature set: items by genres, title words and release year; users
/// by age, gender and occupation; crosses of demographics with genres; profile and affinity.
/// No item popularity or recency (held-out items have none by construction).
inline const char* kMovieLensColdFeatures = R"({
  "user": [{"column": "age", "kind": "numeric", "bins": 6},
           {"column": "gender", "kind": "onehot"},
           {"column": "occupation", "kind": "onehot"}],
  "item": [{"column": "genres", "kind": "multihot"},
           {"column": "title", "kind": "tfidf", "min_df": 2},
           {"column": "year", "kind": "numeric", "bins": 12},
           {"column": "release_date", "kind": "date", "year": false}],
  "crosses": [{"user": "gender", "item": "genres"}, {"user": "occupation", "item": "genres"}],
  "behaviour": {"profile_cosine": true, "affinity": ["genres"], "item_popularity": false,
                "item_recency": false, "user_activity": true},
  "labels": {"mode": "implicit"},
  "negatives": {"ratio": 4, "sampling": "uniform"}
})";

/// kMovieLensColdFeatures plus the generic history-vs-content features chosen on validation
/// splits (docs/features.md, "Cold start on MovieLens-100K"): per-genre affinities, the user's
/// mean/spread of year and release date against the item's, and the release date against the
/// user's activity window.
inline const char* kMovieLensColdHybridFeatures = R"({
  "user": [{"column": "age", "kind": "numeric", "bins": 6},
           {"column": "gender", "kind": "onehot"},
           {"column": "occupation", "kind": "onehot"}],
  "item": [{"column": "genres", "kind": "multihot"},
           {"column": "title", "kind": "tfidf", "min_df": 2},
           {"column": "year", "kind": "numeric", "bins": 12},
           {"column": "release_date", "kind": "date", "year": false}],
  "crosses": [{"user": "gender", "item": "genres"}, {"user": "occupation", "item": "genres"}],
  "behaviour": {"profile_cosine": true, "affinity": ["genres"], "affinity_values": ["genres"],
                "numeric_profile": ["year", "release_date"],
                "date_vs_activity": ["release_date"], "item_popularity": false,
                "item_recency": false, "user_activity": true},
  "labels": {"mode": "implicit"},
  "negatives": {"ratio": 4, "sampling": "uniform"}
})";

/// The factorization machine's MovieLens cold-start features, chosen on validation splits
/// (docs/features.md): kMovieLensColdFeatures' user and item encoders without the title TF-IDF
/// (the FM uses only blocks 1 and 2; rare title words became per-item embeddings that did not
/// carry to held-out items).
inline const char* kMovieLensColdFmFeatures = R"({
  "user": [{"column": "age", "kind": "numeric", "bins": 6},
           {"column": "gender", "kind": "onehot"},
           {"column": "occupation", "kind": "onehot"}],
  "item": [{"column": "genres", "kind": "multihot"},
           {"column": "year", "kind": "numeric", "bins": 12},
           {"column": "release_date", "kind": "date", "year": false}],
  "labels": {"mode": "implicit"},
  "negatives": {"ratio": 4, "sampling": "uniform"}
})";

/// The MovieLens cold-user feature set, on core's loader's user columns (age, gender,
/// occupation, zip; no age band): users by age (6 bins), gender and occupation; items by genres
/// and release year/date; gender and occupation crossed with genres, gender with the year bins;
/// item popularity (new users are scored over warm items). No profile, affinity or activity: a
/// new user has none, so training rows do without them too. (Until the cold-user bench moved to
/// core's loader it also had the fixture's "age_band" one-hot and its crosses with genres and
/// year.)
inline const char* kMovieLensColdUserFeatures = R"({
  "user": [{"column": "age", "kind": "numeric", "bins": 6},
           {"column": "gender", "kind": "onehot"},
           {"column": "occupation", "kind": "onehot"}],
  "item": [{"column": "genres", "kind": "multihot"},
           {"column": "year", "kind": "numeric", "bins": 12},
           {"column": "release_date", "kind": "date", "year": false}],
  "crosses": [{"user": "gender", "item": "genres"}, {"user": "occupation", "item": "genres"},
              {"user": "gender", "item": "year"}],
  "behaviour": {"profile_cosine": false, "item_popularity": true, "item_recency": false,
                "user_activity": false},
  "labels": {"mode": "implicit"},
  "negatives": {"ratio": 4, "sampling": "uniform"}
})";

/// The sample data's cold-start feature set (recwb generate): items by category, brand, price
/// and description terms; users by segment, age band and region; crosses of demographics with
/// category and of segment with brand (the generator's planted tastes); profile and affinity.
/// No item popularity or recency (held-out items have none).
inline const char* kSampleColdFeatures = R"({
  "user": [{"column": "segment", "kind": "onehot"},
           {"column": "age_band", "kind": "onehot"},
           {"column": "region", "kind": "onehot"}],
  "item": [{"column": "category", "kind": "onehot"},
           {"column": "brand", "kind": "onehot"},
           {"column": "price", "kind": "numeric", "log": true, "bins": 8},
           {"column": "description", "kind": "tfidf", "min_df": 2}],
  "crosses": [{"user": "age_band", "item": "category"}, {"user": "region", "item": "category"},
              {"user": "segment", "item": "brand"}],
  "behaviour": {"profile_cosine": true, "affinity": ["category", "brand"],
                "item_popularity": false, "item_recency": false, "user_activity": true},
  "labels": {"mode": "implicit"},
  "negatives": {"ratio": 4, "sampling": "uniform"}
})";

}  // namespace rwb::test
