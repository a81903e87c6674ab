#include "core/prep/splitter.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numeric>

#include "core/prep/random.h"
#include "core/util/error.h"

namespace rwb {

namespace {

using Rows = std::vector<std::uint32_t>;

struct MethodName {
  SplitMethod method;
  std::string_view name;
};
constexpr std::array<MethodName, 8> kMethodNames{{
    {SplitMethod::kRandom, "random"},
    {SplitMethod::kStratified, "stratified"},
    {SplitMethod::kChronological, "chronological"},
    {SplitMethod::kTimeCutoff, "time_cutoff"},
    {SplitMethod::kLeaveLastN, "leave_last_n"},
    {SplitMethod::kColdItems, "cold_items"},
    {SplitMethod::kColdUsers, "cold_users"},
    {SplitMethod::kRecommenders, "recommenders"},
}};

/// Round half to even (numpy's and pandas' round), independent of the FP rounding mode.
std::uint64_t roundHalfEven(double x) {
  const double f = std::floor(x);
  const double diff = x - f;
  auto r = static_cast<std::uint64_t>(f);
  if (diff > 0.5 || (diff == 0.5 && (r % 2) == 1)) ++r;
  return r;
}

/// Number of rows a group of `count` rows keeps in train: round(ratio * count).
std::size_t trainCount(double ratio, std::size_t count) {
  return std::min<std::size_t>(count, roundHalfEven(ratio * static_cast<double>(count)));
}

void checkStop(TaskContext& ctx, std::size_t i) {
  if ((i & 0xFFFF) == 0) ctx.throwIfStopped();
}

/// Rows of a subset grouped by key, each group in subset order (a stable counting sort).
struct Groups {
  std::vector<std::uint64_t> offsets;  ///< numKeys + 1
  Rows rows;
  std::size_t size(std::size_t g) const { return offsets[g + 1] - offsets[g]; }
};

Groups groupRows(const Rows& subset, const std::vector<Index>& keys, std::size_t numKeys,
                 TaskContext& ctx) {
  Groups g;
  g.offsets.assign(numKeys + 1, 0);
  for (auto r : subset) ++g.offsets[keys[r] + 1];
  for (std::size_t k = 0; k < numKeys; ++k) g.offsets[k + 1] += g.offsets[k];
  g.rows.resize(subset.size());
  std::vector<std::uint64_t> next(g.offsets.begin(), g.offsets.end() - 1);
  for (std::size_t i = 0; i < subset.size(); ++i) {
    checkStop(ctx, i);
    g.rows[next[keys[subset[i]]]++] = subset[i];
  }
  return g;
}

void requireTimestamps(const Dataset& d, const Rows& subset, std::string_view method) {
  for (auto r : subset) {
    if (d.interactions.timestamp[r] == kNoTimestamp) {
      throw Error(std::string(method) + " split needs a timestamp on every row; row " +
                  std::to_string(r + 1) + " (user '" + d.users.external(d.interactions.user[r]) +
                  "', item '" + d.items.external(d.interactions.item[r]) + "') has none");
    }
  }
}

/// Sorts a group's rows by (timestamp, row index): equal timestamps keep file order.
void sortByTime(const Dataset& d, std::uint32_t* begin, std::uint32_t* end) {
  const auto& ts = d.interactions.timestamp;
  std::sort(begin, end, [&](std::uint32_t a, std::uint32_t b) {
    return ts[a] != ts[b] ? ts[a] < ts[b] : a < b;
  });
}

struct Parts {
  Rows train, test;
  std::optional<std::int64_t> cutoff;
  std::uint64_t dropped = 0;
  std::vector<std::string> notes;
};

Parts splitRandom(const Rows& subset, double ratio, std::uint64_t seed) {
  Parts p;
  Rows shuffled = subset;
  Rng rng(seed);
  rng.shuffle(shuffled);
  const auto k = trainCount(ratio, shuffled.size());
  p.train.assign(shuffled.begin(), shuffled.begin() + static_cast<std::ptrdiff_t>(k));
  p.test.assign(shuffled.begin() + static_cast<std::ptrdiff_t>(k), shuffled.end());
  return p;
}

Parts splitPerGroup(const Dataset& d, const Rows& subset, const SplitOptions& o, std::uint64_t seed,
                    double ratio, TaskContext& ctx) {
  const bool byUser = o.by == SplitBy::kUser;
  Groups g = groupRows(subset, byUser ? d.interactions.user : d.interactions.item,
                       byUser ? d.numUsers() : d.numItems(), ctx);
  Parts p;
  Rng rng(seed);
  std::size_t wholeInTrain = 0;
  const std::size_t numGroups = g.offsets.size() - 1;
  for (std::size_t k = 0; k < numGroups; ++k) {
    checkStop(ctx, k);
    const std::size_t count = g.size(k);
    if (count == 0) continue;
    std::uint32_t* b = g.rows.data() + g.offsets[k];
    std::uint32_t* e = b + count;
    std::size_t keep = 0;
    if (o.method == SplitMethod::kStratified) {
      // Partial Fisher-Yates from the front: the first `keep` positions become a uniform sample.
      keep = trainCount(ratio, count);
      for (std::size_t i = 0; i < keep && i + 1 < count; ++i) {
        const auto j = i + static_cast<std::size_t>(rng.below(count - i));
        std::swap(b[i], b[j]);
      }
    } else if (o.method == SplitMethod::kChronological) {
      sortByTime(d, b, e);
      keep = trainCount(ratio, count);
    } else {  // leave_last_n
      sortByTime(d, b, e);
      keep = count > o.n ? count - o.n : count;
      if (count <= o.n) ++wholeInTrain;
    }
    p.train.insert(p.train.end(), b, b + keep);
    p.test.insert(p.test.end(), b + keep, e);
  }
  if (wholeInTrain > 0) {
    p.notes.push_back(std::to_string(wholeInTrain) + (byUser ? " users" : " items") +
                      " with at most " + std::to_string(o.n) +
                      " rows kept wholly in train (nothing to leave out)");
  }
  return p;
}

Parts splitTimeCutoff(const Dataset& d, const Rows& subset, std::optional<std::int64_t> cutoff,
                      double ratio) {
  Parts p;
  const auto& ts = d.interactions.timestamp;
  if (!cutoff) {
    std::vector<std::int64_t> sorted;
    sorted.reserve(subset.size());
    for (auto r : subset) sorted.push_back(ts[r]);
    const auto k = trainCount(ratio, sorted.size());
    if (sorted.empty()) {
      cutoff = 0;
    } else if (k < sorted.size()) {
      // The k-th smallest timestamp (0-based), in linear time.
      std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k),
                       sorted.end());
      cutoff = sorted[k];
    } else {
      cutoff = *std::max_element(sorted.begin(), sorted.end()) + 1;
    }
  }
  p.cutoff = cutoff;
  for (auto r : subset) (ts[r] < *cutoff ? p.train : p.test).push_back(r);
  return p;
}

Parts splitCold(const Dataset& d, const Rows& subset, bool items, double ratio,
                std::uint64_t seed) {
  const auto& keys = items ? d.interactions.item : d.interactions.user;
  std::vector<std::uint8_t> present(items ? d.numItems() : d.numUsers(), 0);
  for (auto r : subset) present[keys[r]] = 1;
  std::vector<Index> entities;
  for (std::size_t k = 0; k < present.size(); ++k) {
    if (present[k]) entities.push_back(static_cast<Index>(k));
  }
  Rng rng(seed);
  rng.shuffle(entities);
  const auto keep = trainCount(ratio, entities.size());
  std::vector<std::uint8_t> heldOut(present.size(), 0);
  for (std::size_t i = keep; i < entities.size(); ++i) heldOut[entities[i]] = 1;
  Parts p;
  for (auto r : subset) (heldOut[keys[r]] ? p.test : p.train).push_back(r);
  p.notes.push_back(std::to_string(entities.size() - keep) + " of " +
                    std::to_string(entities.size()) + (items ? " items" : " users") +
                    " held out entirely");
  return p;
}

/// The rank of every index when the external ids are sorted as pandas sorts the id column:
/// numerically when every id is an integer (the column then has an integer dtype), else by
/// string (code point order = UTF-8 byte order). Equal numbers ("7", "007") fall back to text.
std::vector<std::uint32_t> externalOrder(const IdMap& ids) {
  std::vector<std::int64_t> numbers(ids.size());
  bool numeric = true;
  for (std::size_t k = 0; k < ids.size() && numeric; ++k) {
    const auto& s = ids.external(static_cast<Index>(k));
    const auto res = std::from_chars(s.data(), s.data() + s.size(), numbers[k]);
    numeric = res.ec == std::errc() && res.ptr == s.data() + s.size();
  }
  std::vector<Index> order(ids.size());
  std::iota(order.begin(), order.end(), Index{0});
  std::sort(order.begin(), order.end(), [&](Index a, Index b) {
    if (numeric && numbers[a] != numbers[b]) return numbers[a] < numbers[b];
    return ids.external(a) < ids.external(b);
  });
  std::vector<std::uint32_t> rank(ids.size());
  for (std::size_t k = 0; k < order.size(); ++k) rank[order[k]] = static_cast<std::uint32_t>(k);
  return rank;
}

/// Microsoft Recommenders' python_stratified_split (recommenders/datasets/python_splitters.py):
/// optional min-count filter on the grouping column, one numpy draw per remaining row in frame
/// order, sort by (group id value, draw), rank within group, rank <= round(ratio * count) ->
/// train. Output rows are in that sorted order, as the library returns them.
Parts splitRecommenders(const Dataset& d, const Rows& subset, const SplitOptions& o,
                        std::uint64_t seed, double ratio, TaskContext& ctx) {
  const bool byUser = o.by == SplitBy::kUser;
  const auto& keys = byUser ? d.interactions.user : d.interactions.item;
  std::vector<std::uint32_t> counts(byUser ? d.numUsers() : d.numItems(), 0);
  for (auto r : subset) ++counts[keys[r]];
  Parts p;
  Rows kept;
  kept.reserve(subset.size());
  for (auto r : subset) {
    if (counts[keys[r]] >= o.minCount) kept.push_back(r);
  }
  p.dropped = subset.size() - kept.size();
  if (p.dropped > 0) {
    p.notes.push_back(std::to_string(p.dropped) + " rows of " + (byUser ? "users" : "items") +
                      " with fewer than " + std::to_string(o.minCount) + " rows dropped");
  }
  const auto keyRank = externalOrder(byUser ? d.users : d.items);
  NumpyRandomState rs(static_cast<std::uint32_t>(seed));
  std::vector<double> draw(kept.size());
  for (auto& x : draw) x = rs.rand();
  // Sort by (group id, draw): a stable counting sort by group rank, then each (small) group by
  // draw. Ties in draw have probability ~2^-53; they keep frame order, like a stable sort.
  const std::size_t numKeys = keyRank.size();
  std::vector<std::uint64_t> offsets(numKeys + 1, 0);
  for (auto r : kept) ++offsets[keyRank[keys[r]] + 1];
  for (std::size_t k = 0; k < numKeys; ++k) offsets[k + 1] += offsets[k];
  std::vector<std::pair<double, std::uint32_t>> sorted(kept.size());  // (draw, frame position)
  {
    std::vector<std::uint64_t> next(offsets.begin(), offsets.end() - 1);
    for (std::uint32_t pos = 0; pos < kept.size(); ++pos) {
      sorted[next[keyRank[keys[kept[pos]]]]++] = {draw[pos], pos};
    }
  }
  for (std::size_t k = 0; k < numKeys; ++k) {
    checkStop(ctx, k);
    const auto b = sorted.begin() + static_cast<std::ptrdiff_t>(offsets[k]);
    const auto e = sorted.begin() + static_cast<std::ptrdiff_t>(offsets[k + 1]);
    std::sort(b, e);
    const auto count = static_cast<std::size_t>(e - b);
    const auto keep = trainCount(ratio, count);
    for (std::size_t r = 0; r < count; ++r) {
      (r < keep ? p.train : p.test).push_back(kept[b[static_cast<std::ptrdiff_t>(r)].second]);
    }
  }
  return p;
}

Parts splitSubset(const Dataset& d, const Rows& subset, const SplitOptions& o, std::uint64_t seed,
                  double ratio, std::optional<std::int64_t> cutoff, TaskContext& ctx) {
  switch (o.method) {
    case SplitMethod::kRandom:
      return splitRandom(subset, ratio, seed);
    case SplitMethod::kStratified:
      return splitPerGroup(d, subset, o, seed, ratio, ctx);
    case SplitMethod::kChronological:
    case SplitMethod::kLeaveLastN:
      requireTimestamps(d, subset, splitMethodName(o.method));
      return splitPerGroup(d, subset, o, seed, ratio, ctx);
    case SplitMethod::kTimeCutoff:
      requireTimestamps(d, subset, "time_cutoff");
      return splitTimeCutoff(d, subset, cutoff, ratio);
    case SplitMethod::kColdItems:
      return splitCold(d, subset, true, ratio, seed);
    case SplitMethod::kColdUsers:
      return splitCold(d, subset, false, ratio, seed);
    case SplitMethod::kRecommenders:
      return splitRecommenders(d, subset, o, seed, ratio, ctx);
  }
  throw Error("unknown split method");
}

void validate(const SplitOptions& o) {
  auto fmt = [](double x) { return std::to_string(x); };
  const bool ratioUsed =
      o.method != SplitMethod::kLeaveLastN && !(o.method == SplitMethod::kTimeCutoff && o.cutoff);
  if (ratioUsed && !(o.ratio > 0.0 && o.ratio < 1.0)) {
    throw SpecError("split.ratio", "must be strictly between 0 and 1, got " + fmt(o.ratio));
  }
  if (!(o.validRatio >= 0.0 && o.validRatio < 1.0)) {
    throw SpecError("split.valid_ratio", "must be in [0, 1), got " + fmt(o.validRatio));
  }
  if (o.method == SplitMethod::kLeaveLastN && o.n == 0) {
    throw SpecError("split.n", "must be at least 1");
  }
  if (o.method == SplitMethod::kRecommenders) {
    const std::uint64_t maxSeed = o.validRatio > 0.0 ? 0xFFFFFFFEull : 0xFFFFFFFFull;
    if (o.seed > maxSeed) {
      throw SpecError("split.seed", "the recommenders method takes a 32-bit seed (numpy), got " +
                                        std::to_string(o.seed));
    }
    if (o.minCount == 0) throw SpecError("split.min_count", "must be at least 1");
  }
}

}  // namespace

std::string_view splitMethodName(SplitMethod method) {
  for (const auto& m : kMethodNames) {
    if (m.method == method) return m.name;
  }
  return "unknown";
}

std::optional<SplitMethod> splitMethodFromName(std::string_view name) {
  std::string n(name);
  std::replace(n.begin(), n.end(), '-', '_');
  for (const auto& m : kMethodNames) {
    if (m.name == n) return m.method;
  }
  return std::nullopt;
}

std::string splitMethodNames() {
  std::string out;
  for (const auto& m : kMethodNames) {
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

std::uint64_t SplitResult::hash() const {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  for (const Rows* part : {&train, &test, &valid}) {
    const std::uint64_t n = part->size();
    XXH3_64bits_update(st, &n, sizeof n);
    if (n > 0) XXH3_64bits_update(st, part->data(), n * sizeof(std::uint32_t));
  }
  const auto h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

SplitResult splitDataset(const Dataset& data, const SplitOptions& options, TaskContext& ctx) {
  validate(options);
  if (data.numInteractions() > static_cast<std::size_t>(UINT32_MAX)) {
    throw Error("cannot split more than 4,294,967,295 interactions");
  }
  ctx.progress(0.0, "splitting");
  Rows all(data.numInteractions());
  std::iota(all.begin(), all.end(), 0u);
  Parts first = splitSubset(data, all, options, options.seed, options.ratio, options.cutoff, ctx);
  SplitResult result;
  result.cutoff = first.cutoff;
  result.rowsDropped = first.dropped;
  result.notes = std::move(first.notes);
  result.test = std::move(first.test);
  const bool keepOrder = options.method == SplitMethod::kRecommenders;
  if (options.validRatio > 0.0) {
    ctx.progress(0.5, "carving validation from train");
    // The same method on the train rows only; a derived cutoff for time_cutoff (the given one
    // would put nothing in validation).
    Parts second = splitSubset(data, first.train, options, options.seed + 1,
                               1.0 - options.validRatio, std::nullopt, ctx);
    result.train = std::move(second.train);
    result.valid = std::move(second.test);
    for (auto& n : second.notes) result.notes.push_back("validation: " + n);
  } else {
    result.train = std::move(first.train);
  }
  if (!keepOrder) {
    // Ascending row order in one linear pass (cheaper than sorting three lists).
    std::vector<std::uint8_t> part(data.numInteractions(), 3);
    for (auto r : result.train) part[r] = 0;
    for (auto r : result.test) part[r] = 1;
    for (auto r : result.valid) part[r] = 2;
    std::array<Rows*, 3> out{&result.train, &result.test, &result.valid};
    for (auto* o : out) o->clear();
    for (std::uint32_t r = 0; r < part.size(); ++r) {
      if (part[r] < 3) out[part[r]]->push_back(r);
    }
  }
  ctx.progress(1.0, "split done");
  return result;
}

SplitDatasets materializeSplit(const Dataset& data, const SplitResult& split) {
  SplitDatasets out{data.withRows(split.train), data.withRows(split.test), std::nullopt};
  if (!split.valid.empty()) out.valid = data.withRows(split.valid);
  return out;
}

}  // namespace rwb
