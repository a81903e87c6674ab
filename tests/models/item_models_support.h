#pragma once
// Helpers of the item-model tests (SAR, ItemKNN, RP3beta, EASE): the recsplit loader, the
// Microsoft Recommenders ranking metrics (used until core/eval is merged) and a planted-block
// synthetic dataset.

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/data/delimited_loader.h"
#include "core/models/model.h"

namespace rwb::test {

struct Recsplit {
  Dataset train;
  Dataset test;  // shares train's id maps (loaded with base = train)
};

inline Recsplit loadRecsplit(const std::filesystem::path& shared) {
  DelimitedOptions o;
  o.delimiter = '\t';
  o.header = HeaderMode::kNo;
  TaskContext ctx;
  Recsplit r;
  r.train = loadDelimited((shared / "ml-100k-recsplit/train.tsv").string(), o, ctx).dataset;
  r.test = loadDelimited((shared / "ml-100k-recsplit/test.tsv").string(), o, ctx, &r.train).dataset;
  return r;
}

struct RankingMetrics {
  double precision = 0, recall = 0, ndcg = 0, map = 0;
  std::size_t users = 0;
};

// Recommenders' definitions (python_evaluation.py, relevance binary, log-e discount): averages
// over users that have both test items and a recommendation list; `map` divides each user's
// average precision by all of the user's relevant items.
inline RankingMetrics rankingMetrics(const std::map<Index, std::vector<Index>>& lists,
                                     const Dataset& test, std::size_t k) {
  std::map<Index, std::set<Index>> truth;
  for (std::size_t r = 0; r < test.numInteractions(); ++r) {
    truth[test.interactions.user[r]].insert(test.interactions.item[r]);
  }
  RankingMetrics m;
  for (const auto& [u, list] : lists) {
    auto it = truth.find(u);
    if (it == truth.end() || list.empty()) continue;
    ++m.users;
    const auto& rel = it->second;
    double hits = 0, dcg = 0, ap = 0;
    for (std::size_t r = 0; r < list.size() && r < k; ++r) {
      if (rel.count(list[r]) == 0) continue;
      hits += 1;
      dcg += 1.0 / std::log(2.0 + static_cast<double>(r));
      ap += hits / static_cast<double>(r + 1);
    }
    double idcg = 0;
    for (std::size_t r = 0; r < std::min(k, rel.size()); ++r) {
      idcg += 1.0 / std::log(2.0 + static_cast<double>(r));
    }
    m.precision += hits / static_cast<double>(k);
    m.recall += hits / static_cast<double>(rel.size());
    m.ndcg += dcg / idcg;
    m.map += ap / static_cast<double>(rel.size());
  }
  if (m.users > 0) {
    const double n = static_cast<double>(m.users);
    m.precision /= n;
    m.recall /= n;
    m.ndcg /= n;
    m.map /= n;
  }
  return m;
}

// Top-k lists of a fitted model for every user that has test items.
inline std::map<Index, std::vector<Index>> topLists(const Model& model, const Dataset& test,
                                                    std::size_t k) {
  std::set<Index> users(test.interactions.user.begin(), test.interactions.user.end());
  std::vector<Index> us(users.begin(), users.end());
  TaskContext ctx;
  auto recs = model.recommendBatch(us, k, true, ctx);
  std::map<Index, std::vector<Index>> out;
  for (std::size_t j = 0; j < us.size(); ++j) {
    for (const auto& s : recs[j].items) out[us[j]].push_back(s.item);
  }
  return out;
}

// A validation split carved from train only: 20% of each user's rows (at least one kept in
// train), drawn with a fixed seed. Returns {fit part, validation part}.
inline std::pair<Dataset, Dataset> carveValidation(const Dataset& train, std::uint64_t seed,
                                                   double fraction = 0.2) {
  std::vector<std::vector<std::uint32_t>> byUser(train.numUsers());
  for (std::uint32_t r = 0; r < train.numInteractions(); ++r) {
    byUser[train.interactions.user[r]].push_back(r);
  }
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> fit, valid;
  for (auto& rows : byUser) {
    std::shuffle(rows.begin(), rows.end(), rng);
    const auto nv =
        static_cast<std::size_t>(std::floor(fraction * static_cast<double>(rows.size())));
    for (std::size_t j = 0; j < rows.size(); ++j) (j < nv ? valid : fit).push_back(rows[j]);
  }
  std::sort(fit.begin(), fit.end());
  std::sort(valid.begin(), valid.end());
  return {train.withRows(fit), train.withRows(valid)};
}

// "<prefix><block>_<index>" (built by appending: GCC 12 warns falsely on "x" + to_string()).
inline std::string blockId(char prefix, std::size_t block, std::size_t index) {
  std::string s(1, prefix);
  s += std::to_string(block);
  s += '_';
  s += std::to_string(index);
  return s;
}

// Planted structure: `blocks` groups of users and items; each user interacts with a random
// `perUser` items of its own block only (plus nothing else). A user's held-out block items are
// the obvious recommendations. Timestamps increase with the row number.
inline Dataset blockDataset(std::size_t blocks, std::size_t usersPerBlock,
                            std::size_t itemsPerBlock, std::size_t perUser, std::uint64_t seed) {
  Dataset d;
  std::mt19937_64 rng(seed);
  std::int64_t t = 1'600'000'000;
  for (std::size_t b = 0; b < blocks; ++b) {
    for (std::size_t i = 0; i < itemsPerBlock; ++i) {
      d.items.intern(blockId('i', b, i));
    }
  }
  for (std::size_t b = 0; b < blocks; ++b) {
    for (std::size_t u = 0; u < usersPerBlock; ++u) {
      const Index user = d.users.intern(blockId('u', b, u));
      std::vector<Index> items(itemsPerBlock);
      for (std::size_t i = 0; i < itemsPerBlock; ++i) {
        items[i] = static_cast<Index>(b * itemsPerBlock + i);
      }
      std::shuffle(items.begin(), items.end(), rng);
      for (std::size_t j = 0; j < perUser; ++j) {
        d.interactions.push(user, items[j], 1.0f + static_cast<float>(j % 5), t);
        t += 3600;
      }
    }
  }
  return d;
}

// Block of an item / user of blockDataset: the number between the prefix and '_'.
inline int blockOf(const std::string& id) { return std::stoi(id.substr(1, id.find('_') - 1)); }

}  // namespace rwb::test
