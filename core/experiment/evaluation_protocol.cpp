#include "core/experiment/evaluation_protocol.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_set>

#include "core/data/rank_candidates.h"
#include "core/util/error.h"
#include "core/util/random.h"

namespace rwb {

namespace {
bool contains(std::span<const Index> sorted, Index x) {
  return std::binary_search(sorted.begin(), sorted.end(), x);
}
}  // namespace

std::vector<Index> heldOutItems(const Dataset& train, const Dataset& test) {
  const auto trainCounts = train.itemCounts();
  const auto testCounts = test.itemCounts();
  std::vector<Index> out;
  for (std::size_t i = 0; i < testCounts.size(); ++i) {
    if (testCounts[i] > 0 && (i >= trainCounts.size() || trainCounts[i] == 0)) {
      out.push_back(static_cast<Index>(i));
    }
  }
  return out;
}

CandidateLists recommendAmong(const Model& model, std::span<const Index> users,
                              std::span<const Index> items, std::size_t k, TaskContext& ctx) {
  if (!model.isFitted()) throw ModelError("recommendAmong: the model is not fitted");
  for (const Index i : items) {
    if (i >= model.numItems()) {
      throw ModelError("candidate item index " + std::to_string(i) + " is outside the model's " +
                       std::to_string(model.numItems()) + " items");
    }
  }
  CandidateLists out;
  out.lists.resize(users.size());
  out.candidates.assign(users.size(), 0);
  tbb::parallel_for(std::size_t{0}, users.size(), [&](std::size_t x) {
    if (ctx.stopRequested()) return;
    const Index u = users[x];
    const auto seen = model.seenItems(u);
    std::vector<Index> cands;
    cands.reserve(items.size());
    for (const Index i : items) {
      if (!contains(seen, i)) cands.push_back(i);
    }
    std::vector<float> scores(cands.size());
    model.score(u, cands, scores);
    RecList& l = out.lists[x];
    l.items.reserve(cands.size());
    rankScoredCandidates(cands, scores, k, l.items);
    out.candidates[x] = cands.size();
  });
  ctx.throwIfStopped();
  return out;
}

CandidateLists recommendForNewUsers(const Model& model, std::span<const Index> users,
                                    const NewUserCohort& cohort, std::span<const Index> items,
                                    std::size_t k, TaskContext& ctx) {
  if (!model.isFitted()) throw ModelError("recommendForNewUsers: the model is not fitted");
  for (const Index i : items) {
    if (i >= model.numItems()) {
      throw ModelError("candidate item index " + std::to_string(i) + " is outside the model's " +
                       std::to_string(model.numItems()) + " items");
    }
  }
  const auto newUser = [&](Index u) {
    NewUser nu;
    nu.attributes = cohort.attributes;
    nu.row = u;
    if (u < cohort.history.size()) nu.history = cohort.history[u];
    return nu;
  };
  const bool anyHistory = std::any_of(cohort.history.begin(), cohort.history.end(),
                                      [](const auto& h) { return !h.empty(); });
  for (const Index u : users) {
    if (!model.canScoreNewUser(newUser(u))) {
      throw ModelError("model '" + model.type() +
                       "' cannot score new users (it has no path from user attributes" +
                       (anyHistory ? " or history" : "") +
                       "); a cold_users evaluation needs one, e.g. random, "
                       "demographic_popularity or a feature model");
    }
  }
  CandidateLists out;
  out.lists.resize(users.size());
  out.candidates.assign(users.size(), 0);
  tbb::parallel_for(std::size_t{0}, users.size(), [&](std::size_t x) {
    if (ctx.stopRequested()) return;
    const NewUser nu = newUser(users[x]);
    std::vector<Index> seen = nu.history;
    std::sort(seen.begin(), seen.end());
    RecList& l = out.lists[x];
    if (items.empty()) {
      l = model.recommendNewUser(nu, k);
      out.candidates[x] = model.numItems() - seen.size();
      return;
    }
    std::vector<Index> cands;
    for (const Index i : items) {
      if (!std::binary_search(seen.begin(), seen.end(), i)) cands.push_back(i);
    }
    std::vector<float> scores(cands.size());
    model.scoreNewUser(nu, cands, scores);
    rankScoredCandidates(cands, scores, k, l.items);
    out.candidates[x] = cands.size();
  });
  ctx.throwIfStopped();
  return out;
}

HistorySplit takeFirstEvents(const Dataset& test, std::size_t n) {
  HistorySplit out;
  out.history.resize(test.numUsers());
  const auto& log = test.interactions;
  std::vector<std::vector<std::uint32_t>> rowsOf(test.numUsers());
  for (std::size_t r = 0; r < log.size(); ++r) {
    rowsOf[log.user[r]].push_back(static_cast<std::uint32_t>(r));
  }
  std::vector<char> isHistory(log.size(), 0);
  for (std::size_t u = 0; u < rowsOf.size(); ++u) {
    auto& rows = rowsOf[u];
    std::stable_sort(rows.begin(), rows.end(), [&](std::uint32_t a, std::uint32_t b) {
      return log.timestamp[a] < log.timestamp[b];
    });
    for (std::size_t j = 0; j < std::min(n, rows.size()); ++j) {
      isHistory[rows[j]] = 1;
      out.history[u].push_back(log.item[rows[j]]);
    }
  }
  // A repeated (user, item) row after the history is not relevant either: the item was given.
  std::vector<std::uint32_t> keep;
  for (std::size_t r = 0; r < log.size(); ++r) {
    const auto& h = out.history[log.user[r]];
    if (!isHistory[r] && std::find(h.begin(), h.end(), log.item[r]) == h.end()) {
      keep.push_back(static_cast<std::uint32_t>(r));
    }
  }
  out.truth = test.withRows(keep);
  return out;
}

Dataset restrictToItems(const Dataset& test, std::span<const Index> items) {
  std::vector<std::uint32_t> rows;
  const auto& col = test.interactions.item;
  for (std::size_t r = 0; r < col.size(); ++r) {
    if (contains(items, col[r])) rows.push_back(static_cast<std::uint32_t>(r));
  }
  return test.withRows(rows);
}

EvalResult evaluateModel(const Model& model, const Dataset& train, const Dataset& test,
                         const EvalOptions& options, const ProtocolOptions& protocol,
                         TaskContext& ctx) {
  if (!model.isFitted()) throw ModelError("evaluateModel: the model is not fitted");
  if (protocol.mode == CandidateMode::kSampledNegatives && protocol.negatives == 0) {
    throw SpecError("protocol.negatives", "the number of sampled negatives must be at least 1");
  }
  const bool itemSet = protocol.mode == CandidateMode::kItemSet;
  if (itemSet && protocol.items.empty()) {
    throw SpecError("protocol.items", "the candidate set is empty");
  }
  const GroundTruth fullTruth = GroundTruth::fromDataset(test);
  // Under a candidate set only the test items inside it can be found: they are the relevant ones.
  const GroundTruth truth =
      itemSet ? fullTruth.filtered([&](Index i) { return contains(protocol.items, i); })
              : fullTruth;
  std::vector<Index> users;
  std::size_t unknown = 0;
  std::size_t withoutRelevant = 0;
  for (std::size_t u = 0; u < truth.numUsers(); ++u) {
    if (truth.itemsOf(static_cast<Index>(u)).empty()) {
      withoutRelevant += fullTruth.itemsOf(static_cast<Index>(u)).empty() ? 0 : 1;
      continue;
    }
    if (u < model.numUsers()) {
      users.push_back(static_cast<Index>(u));
    } else {
      ++unknown;
    }
  }
  const std::vector<std::string> names =
      options.metrics.empty() ? defaultRankingMetrics() : options.metrics;
  bool wantsAuc = false;
  for (const auto& n : names) wantsAuc |= createMetric(n, options.k)->name() == "auc";

  EvalOptions opt = options;
  std::vector<RecList> lists;
  TaskContext listing(ctx, 0.0, 0.6);
  if (protocol.mode == CandidateMode::kAllUnseen) {
    const std::size_t length = wantsAuc ? model.numItems() : options.k;
    lists = model.recommendBatch(users, length, /*excludeSeen=*/true, listing);
  } else if (itemSet) {
    const std::size_t length = wantsAuc ? protocol.items.size() : options.k;
    CandidateLists c = recommendAmong(model, users, protocol.items, length, listing);
    lists = std::move(c.lists);
    opt.candidates = std::move(c.candidates);
  } else {
    const std::size_t nItems = model.numItems();
    lists.resize(users.size());
    opt.candidates.assign(users.size(), 0);
    tbb::parallel_for(std::size_t{0}, users.size(), [&](std::size_t x) {
      if (listing.stopRequested()) return;
      const Index u = users[x];
      const auto seen = model.seenItems(u);
      const auto rel = truth.itemsOf(u);
      std::vector<Index> cands;
      for (const Index i : rel) {
        if (i < nItems) cands.push_back(i);
      }
      // Items available as negatives: neither seen in training nor in the test set.
      std::size_t available = nItems;
      for (const Index i : seen) available -= (i < nItems && !contains(rel, i)) ? 1 : 0;
      available -= cands.size();
      const std::size_t want = std::min(available, protocol.negatives * cands.size());
      std::mt19937_64 rng(splitmix64(protocol.seed ^ splitmix64(u)));
      std::uniform_int_distribution<Index> pick(0, static_cast<Index>(nItems - 1));
      std::vector<Index> negs;
      negs.reserve(want);
      if (want * 2 < available) {
        // Rejection sampling: cheap while most items are still free.
        std::unordered_set<Index> chosen;
        while (negs.size() < want) {
          const Index i = pick(rng);
          if (contains(seen, i) || contains(rel, i) || !chosen.insert(i).second) continue;
          negs.push_back(i);
        }
      } else {
        std::vector<Index> pool;
        for (Index i = 0; i < nItems; ++i) {
          if (!contains(seen, i) && !contains(rel, i)) pool.push_back(i);
        }
        std::shuffle(pool.begin(), pool.end(), rng);
        negs.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(want));
      }
      cands.insert(cands.end(), negs.begin(), negs.end());
      std::vector<float> scores(cands.size());
      model.score(u, cands, scores);
      RecList& l = lists[x];
      l.items.reserve(cands.size());
      for (std::size_t j = 0; j < cands.size(); ++j) l.items.push_back({cands[j], scores[j]});
      orderByScoreThenItem(l.items);
      opt.candidates[x] = cands.size();
    });
    listing.throwIfStopped();
  }
  TaskContext scoring(ctx, 0.6, 1.0);
  EvalResult r = evaluate(train, truth, users, lists, opt, scoring);
  if (unknown > 0) {
    // evaluate() already counts them in testUsersWithoutList; say why they have no list.
    r.warnings.push_back(std::to_string(unknown) +
                         " test users are unknown to the model and were not evaluated");
  }
  if (withoutRelevant > 0) {
    r.warnings.push_back(std::to_string(withoutRelevant) +
                         " test users have no test item among the candidates and were not "
                         "evaluated");
  }
  return r;
}

}  // namespace rwb
