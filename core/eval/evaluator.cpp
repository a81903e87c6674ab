#include "core/eval/evaluator.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <unordered_set>

#include "core/eval/beyond_accuracy.h"
#include "core/util/error.h"

namespace rwb {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string userName(const Dataset& d, Index u) {
  return u < d.users.size() ? "'" + d.users.external(u) + "'" : "#" + std::to_string(u);
}
std::string itemName(const Dataset& d, Index i) {
  return i < d.items.size() ? "'" + d.items.external(i) + "'" : "#" + std::to_string(i);
}

// The lists of a run flattened into one buffer (spans point into it).
struct FlatLists {
  std::vector<Index> items;
  std::vector<double> scores;
  std::vector<std::size_t> offsets{0};
  std::span<const Index> list(std::size_t i) const {
    return {items.data() + offsets[i], offsets[i + 1] - offsets[i]};
  }
  std::span<const double> listScores(std::size_t i) const {
    return {scores.data() + offsets[i], offsets[i + 1] - offsets[i]};
  }
};

FlatLists flatten(std::span<const RecList> lists) {
  FlatLists f;
  f.offsets.reserve(lists.size() + 1);
  std::size_t total = 0;
  for (const auto& l : lists) total += l.items.size();
  f.items.reserve(total);
  f.scores.reserve(total);
  for (const auto& l : lists) {
    for (const auto& s : l.items) {
      f.items.push_back(s.item);
      f.scores.push_back(s.score);
    }
    f.offsets.push_back(f.items.size());
  }
  return f;
}

// Everything one scoring pass needs; the real run and the oracle run share the code.
struct Pass {
  std::span<const Index> users;  // aligned with flat lists
  const FlatLists* lists = nullptr;
  std::size_t globalCut = std::numeric_limits<std::size_t>::max();  // oracle: lists cut at k
  bool perfectClassifier = false;  // oracle: classification scores equal the labels
};

struct PassResult {
  std::vector<std::vector<double>> perUser;  // [metric][evaluated user]
  std::vector<double> value;
};

}  // namespace

std::span<const Index> GroundTruth::itemsOf(Index user) const noexcept {
  if (user >= numUsers()) return {};
  return {items.data() + offsets[user],
          static_cast<std::size_t>(offsets[user + 1] - offsets[user])};
}

std::span<const float> GroundTruth::valuesOf(Index user) const noexcept {
  if (user >= numUsers()) return {};
  return {values.data() + offsets[user],
          static_cast<std::size_t>(offsets[user + 1] - offsets[user])};
}

GroundTruth GroundTruth::fromDataset(const Dataset& test) {
  const auto& log = test.interactions;
  GroundTruth g;
  const std::size_t nu = test.numUsers();
  std::vector<std::uint64_t> counts(nu + 1, 0);
  for (const Index u : log.user) ++counts[u + 1];
  for (std::size_t u = 0; u < nu; ++u) counts[u + 1] += counts[u];
  std::vector<std::pair<Index, float>> rows(log.size());
  {
    std::vector<std::uint64_t> next(counts.begin(), counts.end() - 1);
    for (std::size_t r = 0; r < log.size(); ++r)
      rows[next[log.user[r]]++] = {log.item[r], log.value[r]};
  }
  g.offsets.assign(1, 0);
  g.offsets.reserve(nu + 1);
  g.items.reserve(rows.size());
  g.values.reserve(rows.size());
  for (std::size_t u = 0; u < nu; ++u) {
    const auto b = rows.begin() + static_cast<std::ptrdiff_t>(counts[u]);
    const auto e = rows.begin() + static_cast<std::ptrdiff_t>(counts[u + 1]);
    std::sort(b, e);
    for (auto it = b; it != e; ++it) {
      if (g.items.size() > g.offsets.back() && g.items.back() == it->first) {
        g.values.back() = std::max(g.values.back(), it->second);
      } else {
        g.items.push_back(it->first);
        g.values.push_back(it->second);
      }
    }
    g.offsets.push_back(g.items.size());
  }
  return g;
}

const MetricValue* EvalResult::find(std::string_view name) const {
  for (const auto& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

double EvalResult::value(std::string_view name) const {
  const MetricValue* m = find(name);
  if (!m) throw Error("metric '" + std::string(name) + "' was not computed in this evaluation");
  return m->value;
}

namespace {

// The evaluation proper, shared by the real lists and the ideal (oracle) lists.
PassResult runPass(const std::vector<std::unique_ptr<Metric>>& metrics, const GroundTruth& truth,
                   const TrainStats& stats, const Pass& pass,
                   std::span<const std::size_t> evaluated,  // positions into pass.users
                   std::span<const std::size_t> candidates, ClassificationLabels labels,
                   TaskContext& ctx) {
  PassResult out;
  out.perUser.assign(metrics.size(), {});
  out.value.assign(metrics.size(), kNaN);
  bool anyPerUser = false;
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    if (metrics[m]->perUser()) {
      out.perUser[m].assign(evaluated.size(), kNaN);
      anyPerUser = true;
    }
  }
  const std::size_t catalog = stats.catalogSize();
  if (anyPerUser) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, evaluated.size(), 512),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        if (ctx.stopRequested()) return;
                        for (std::size_t e = r.begin(); e != r.end(); ++e) {
                          const std::size_t pos = evaluated[e];
                          UserCase c;
                          c.user = pass.users[pos];
                          c.ranked = pass.lists->list(pos);
                          c.relevant = truth.itemsOf(c.user);
                          c.values = truth.valuesOf(c.user);
                          c.seen = stats.userItems(c.user);
                          c.numCandidates = candidates.empty()
                                                ? catalog - std::min(catalog, c.seen.size())
                                                : candidates[pos];
                          c.train = &stats;
                          for (std::size_t m = 0; m < metrics.size(); ++m) {
                            if (metrics[m]->perUser()) out.perUser[m][e] = metrics[m]->userValue(c);
                          }
                        }
                      });
    ctx.throwIfStopped();
  }
  // Global metrics.
  bool needLists = false, needRating = false, needClass = false;
  for (const auto& m : metrics) {
    if (m->perUser()) continue;
    needLists |= m->family() == MetricFamily::kBeyondAccuracy;
    needRating |= m->family() == MetricFamily::kRating;
    needClass |= m->family() == MetricFamily::kClassification;
  }
  GlobalCase g;
  g.train = &stats;
  std::vector<std::span<const Index>> allLists;
  std::vector<double> truthV, predV, labelV, scoreV;
  if (needLists) {
    allLists.reserve(pass.users.size());
    for (std::size_t i = 0; i < pass.users.size(); ++i) {
      const auto l = pass.lists->list(i);
      allLists.push_back(l.first(std::min(l.size(), pass.globalCut)));
    }
    g.lists = allLists;
  }
  if (needRating || needClass) {
    for (const std::size_t pos : evaluated) {
      const Index u = pass.users[pos];
      const auto rel = truth.itemsOf(u);
      const auto vals = truth.valuesOf(u);
      const auto items = pass.lists->list(pos);
      const auto scores = pass.lists->listScores(pos);
      for (std::size_t j = 0; j < items.size(); ++j) {
        const auto p = relevantPosition(rel, items[j]);
        if (p >= 0) {
          truthV.push_back(vals[static_cast<std::size_t>(p)]);
          predV.push_back(scores[j]);
        }
        if (labels == ClassificationLabels::kMembership) {
          labelV.push_back(p >= 0 ? 1.0 : 0.0);
        } else if (p >= 0) {
          labelV.push_back(vals[static_cast<std::size_t>(p)]);
        } else {
          continue;
        }
        scoreV.push_back(pass.perfectClassifier ? labelV.back() : scores[j]);
      }
    }
    g.truth = truthV;
    g.predicted = predV;
    g.labels = labelV;
    g.scores = scoreV;
  }
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    if (metrics[m]->perUser()) {
      double s = 0.0;
      std::size_t n = 0;
      for (const double v : out.perUser[m]) {
        if (!std::isnan(v)) {
          s += v;
          ++n;
        }
      }
      out.value[m] = n ? s / static_cast<double>(n) : kNaN;
    } else {
      out.value[m] = metrics[m]->globalValue(g);
    }
  }
  return out;
}

// Ties inside the first k entries make rank metrics measure the tie order (item index for
// models, file order for lists read from files) rather than the scores. Says so when at least
// 1% of the evaluated users' lists are one tie (every score equal: the model cannot tell these
// items apart), or when at least a quarter of all listed positions share their score with a
// neighbour.
void warnAboutTies(std::span<const RecList> lists, std::span<const std::size_t> evaluated,
                   std::size_t k, std::vector<std::string>& warnings) {
  std::size_t allTied = 0, tiedPositions = 0, positions = 0;
  for (const std::size_t e : evaluated) {
    const auto& l = lists[e].items;
    const std::size_t n = std::min(l.size(), k);
    positions += n;
    if (n < 2) continue;
    if (l[0].score == l[n - 1].score) ++allTied;
    for (std::size_t p = 0; p < n; ++p) {
      const bool tied =
          (p > 0 && l[p].score == l[p - 1].score) || (p + 1 < n && l[p].score == l[p + 1].score);
      tiedPositions += tied ? 1 : 0;
    }
  }
  const auto percent = [](std::size_t a, std::size_t b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%",
                  100.0 * static_cast<double>(a) / static_cast<double>(b));
    return std::string(buf);
  };
  if (!evaluated.empty() && allTied * 100 >= evaluated.size()) {
    warnings.push_back(std::to_string(allTied) + " of " + std::to_string(evaluated.size()) +
                       " evaluated users (" + percent(allTied, evaluated.size()) +
                       ") got top-k lists whose scores are all equal: their order is the tie "
                       "order (item index for a model, file order for a file), not a ranking, "
                       "and their metrics measure that order");
  } else if (positions > 0 && tiedPositions * 4 >= positions) {
    warnings.push_back(percent(tiedPositions, positions) +
                       " of the top-k positions hold a score equal to a neighbour's: the order "
                       "among tied items is the tie order (item index for a model, file order "
                       "for a file), so rank metrics partly measure that order");
  }
}

// Lists shorter than k (fewer candidates than k, or a model that could score only a few items)
// keep their empty positions in precision@k's denominator, as Microsoft Recommenders does: the
// metric is then capped below 1 and not comparable with runs whose lists are full. Says so when
// at least 1% of the evaluated users' lists are short.
void warnAboutShortLists(std::span<const RecList> lists, std::span<const std::size_t> evaluated,
                         std::size_t k, std::vector<std::string>& warnings) {
  std::size_t shortLists = 0, shortest = k;
  for (const std::size_t e : evaluated) {
    const std::size_t n = lists[e].items.size();
    if (n < k) {
      ++shortLists;
      shortest = std::min(shortest, n);
    }
  }
  if (evaluated.empty() || shortLists * 100 < evaluated.size()) return;
  char share[32];
  std::snprintf(share, sizeof share, "%.1f%%",
                100.0 * static_cast<double>(shortLists) / static_cast<double>(evaluated.size()));
  warnings.push_back(std::to_string(shortLists) + " of " + std::to_string(evaluated.size()) +
                     " evaluated users (" + share + ") have fewer than k = " + std::to_string(k) +
                     " recommendations (the shortest list: " + std::to_string(shortest) +
                     "; fewer candidates than k?): precision@" + std::to_string(k) +
                     " counts the empty positions as misses, so it is capped below 1 for them");
}

}  // namespace

EvalResult evaluate(const Dataset& train, const Dataset& test, std::span<const Index> users,
                    std::span<const RecList> lists, const EvalOptions& options, TaskContext& ctx) {
  const GroundTruth truth = GroundTruth::fromDataset(test);
  return evaluate(train, truth, users, lists, options, ctx);
}

EvalResult evaluate(const Dataset& train, const GroundTruth& truth, std::span<const Index> users,
                    std::span<const RecList> lists, const EvalOptions& options, TaskContext& ctx) {
  if (users.size() != lists.size()) {
    throw Error("evaluate: " + std::to_string(users.size()) + " users but " +
                std::to_string(lists.size()) + " recommendation lists");
  }
  if (!options.candidates.empty() && options.candidates.size() != users.size()) {
    throw Error("evaluate: candidate counts given for " +
                std::to_string(options.candidates.size()) + " users but there are " +
                std::to_string(users.size()));
  }
  if (options.k == 0) throw Error("evaluate: k must be at least 1");
  const std::vector<std::string> names =
      options.metrics.empty() ? defaultRankingMetrics() : options.metrics;
  std::vector<std::unique_ptr<Metric>> metrics;
  for (const auto& n : names) {
    auto m = createMetric(n, options.k);
    const bool dup = std::any_of(metrics.begin(), metrics.end(),
                                 [&](const auto& x) { return x->name() == m->name(); });
    if (!dup) metrics.push_back(std::move(m));
  }

  // Validate: no duplicate users, no duplicate items within a list.
  {
    std::vector<Index> sorted(users.begin(), users.end());
    std::sort(sorted.begin(), sorted.end());
    const auto d = std::adjacent_find(sorted.begin(), sorted.end());
    if (d != sorted.end()) {
      throw Error("evaluate: user " + userName(train, *d) +
                  " has more than one recommendation list");
    }
  }
  std::size_t maxItem = 0;
  for (std::size_t i = 0; i < lists.size(); ++i) {
    const auto& l = lists[i].items;
    for (const auto& s : l) maxItem = std::max<std::size_t>(maxItem, s.item + std::size_t{1});
    if (l.size() < 2) continue;
    std::vector<std::pair<Index, std::size_t>> seen;
    seen.reserve(l.size());
    for (std::size_t p = 0; p < l.size(); ++p) seen.emplace_back(l[p].item, p);
    std::sort(seen.begin(), seen.end());
    for (std::size_t p = 1; p < seen.size(); ++p) {
      if (seen[p].first == seen[p - 1].first) {
        throw Error("evaluate: the recommendations of user " + userName(train, users[i]) +
                    " list item " + itemName(train, seen[p].first) + " twice (positions " +
                    std::to_string(seen[p - 1].second + 1) + " and " +
                    std::to_string(seen[p].second + 1) + ")");
      }
    }
  }
  for (std::size_t i = 0; i < lists.size(); ++i) {
    for (const auto& s : lists[i].items) {
      if (s.item == kNoIndex) {
        throw Error("evaluate: the recommendations of user " + userName(train, users[i]) +
                    " contain an invalid item index");
      }
    }
  }
  const std::size_t catalog = std::max(
      {options.catalogSize, train.numItems(), maxItem,
       truth.items.empty()
           ? std::size_t{0}
           : static_cast<std::size_t>(*std::max_element(truth.items.begin(), truth.items.end())) +
                 1});
  ctx.progress(0.05, "preparing evaluation");
  TrainStats stats(train, catalog);
  if (options.itemFeatures.size() > 0) stats.useItemFeatures(options.itemFeatures);

  EvalResult result;
  result.k = options.k;
  result.listedUsers = users.size();
  for (std::size_t u = 0; u < truth.numUsers(); ++u) {
    result.testUsers += truth.offsets[u + 1] > truth.offsets[u] ? 1 : 0;
  }
  // Evaluated users: listed and with test items, ascending index.
  std::vector<std::size_t> evaluated;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (!truth.itemsOf(users[i]).empty()) evaluated.push_back(i);
  }
  std::sort(evaluated.begin(), evaluated.end(),
            [&](std::size_t a, std::size_t b) { return users[a] < users[b]; });
  result.users.reserve(evaluated.size());
  for (const auto e : evaluated) result.users.push_back(users[e]);
  result.listedUsersWithoutTest = users.size() - evaluated.size();
  result.testUsersWithoutList = result.testUsers - evaluated.size();
  if (result.users.empty()) {
    result.warnings.push_back(
        "no user has both test items and recommendations: every metric is undefined");
  }
  if (result.testUsersWithoutList > 0) {
    result.warnings.push_back(std::to_string(result.testUsersWithoutList) +
                              " test users have no recommendations and are not evaluated");
  }
  warnAboutTies(lists, evaluated, options.k, result.warnings);
  warnAboutShortLists(lists, evaluated, options.k, result.warnings);

  const FlatLists flat = flatten(lists);
  const bool similarity = std::any_of(metrics.begin(), metrics.end(),
                                      [](const auto& m) { return m->needsSimilarity(); });
  if (std::any_of(metrics.begin(), metrics.end(),
                  [](const auto& m) { return m->needsSeenItems(); })) {
    stats.buildUserIndex();
  }
  if (similarity) {
    std::vector<Index> distinct(flat.items);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    TaskContext sub(ctx, 0.05, 0.4);
    stats.prepareSimilarity(distinct, sub);
  }
  ctx.progress(0.4, "scoring users");
  Pass pass;
  pass.users = users;
  pass.lists = &flat;
  PassResult real =
      runPass(metrics, truth, stats, pass, evaluated, options.candidates, options.labels, ctx);

  PassResult ideal;
  if (options.oracle) {
    ctx.progress(0.7, "scoring the oracle");
    // The ideal list of a user: the test items by value descending, ties by item index; its
    // scores are the test values (so rating metrics see a perfect predictor).
    std::vector<RecList> idealLists(evaluated.size());
    std::vector<Index> idealUsers(evaluated.size());
    std::vector<std::size_t> idealCandidates;
    for (std::size_t e = 0; e < evaluated.size(); ++e) {
      const Index u = users[evaluated[e]];
      idealUsers[e] = u;
      const auto rel = truth.itemsOf(u);
      const auto vals = truth.valuesOf(u);
      auto& l = idealLists[e].items;
      l.reserve(rel.size());
      for (std::size_t j = 0; j < rel.size(); ++j) l.push_back({rel[j], vals[j]});
      orderByScoreThenItem(l);
      if (!options.candidates.empty()) idealCandidates.push_back(options.candidates[evaluated[e]]);
    }
    const FlatLists idealFlat = flatten(idealLists);
    std::vector<std::size_t> all(evaluated.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    if (similarity) {
      std::vector<Index> distinct(idealFlat.items);
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      TaskContext sub(ctx, 0.7, 0.8);
      stats.prepareSimilarity(distinct, sub);
    }
    Pass idealPass;
    idealPass.users = idealUsers;
    idealPass.lists = &idealFlat;
    idealPass.globalCut = options.k;
    idealPass.perfectClassifier = true;
    // The oracle of membership-labelled classification has only positives: undefined AUC.
    ideal = runPass(metrics, truth, stats, idealPass, all, idealCandidates, options.labels, ctx);
  }

  for (std::size_t m = 0; m < metrics.size(); ++m) {
    MetricValue v;
    v.name = metrics[m]->name();
    v.family = metrics[m]->family();
    v.higherIsBetter = metrics[m]->higherIsBetter();
    v.perUser = metrics[m]->perUser();
    v.value = real.value[m];
    v.oracle = options.oracle ? ideal.value[m] : kNaN;
    if (v.perUser) {
      v.perUserValues = std::move(real.perUser[m]);
      v.definedUsers = static_cast<std::size_t>(std::count_if(
          v.perUserValues.begin(), v.perUserValues.end(), [](double x) { return !std::isnan(x); }));
    } else {
      v.definedUsers = result.users.size();
    }
    result.metrics.push_back(std::move(v));
  }
  ctx.progress(1.0, "evaluated");
  return result;
}

}  // namespace rwb
