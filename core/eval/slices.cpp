#include "core/eval/slices.h"

#include <algorithm>
#include <numeric>

#include "core/util/error.h"

namespace rwb {

std::vector<std::uint8_t> itemPopularityBuckets(const Dataset& train, std::size_t catalogSize,
                                                double headShare, double tailShare) {
  const std::size_t n = std::max(catalogSize, train.numItems());
  std::vector<std::uint64_t> count(n, 0);
  for (const Index i : train.interactions.item) ++count[i];
  std::vector<Index> order(n);
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index a, Index b) { return count[a] > count[b]; });
  const double total = static_cast<double>(train.numInteractions());
  std::vector<std::uint8_t> bucket(n, 3);
  double before = 0.0;
  for (const Index i : order) {
    if (count[i] == 0) break;
    const double share = before / total;
    bucket[i] = share < headShare ? 0 : (share < 1.0 - tailShare ? 1 : 2);
    before += static_cast<double>(count[i]);
  }
  return bucket;
}

std::vector<SliceResult> evaluateSlices(const Dataset& train, const Dataset& test,
                                        std::span<const Index> users,
                                        std::span<const RecList> lists, const EvalOptions& options,
                                        const SliceOptions& slices, TaskContext& ctx) {
  if (slices.heavyMin <= slices.coldMax) {
    throw Error("slices: heavyMin (" + std::to_string(slices.heavyMin) +
                ") must be larger than coldMax (" + std::to_string(slices.coldMax) + ")");
  }
  if (slices.headShare < 0 || slices.tailShare < 0 || slices.headShare + slices.tailShare > 1) {
    throw Error("slices: head and tail shares must be in [0, 1] and sum to at most 1");
  }
  if (users.size() != lists.size()) {
    throw Error("slices: " + std::to_string(users.size()) + " users but " +
                std::to_string(lists.size()) + " recommendation lists");
  }
  const GroundTruth truth = GroundTruth::fromDataset(test);
  std::vector<SliceResult> out;
  const std::size_t total = (slices.userSlices ? 4 : 0) + (slices.itemSlices ? 4 : 0);
  std::size_t done = 0;
  auto sub = [&]() {
    const double b = static_cast<double>(done) / static_cast<double>(total);
    ++done;
    return std::make_unique<TaskContext>(ctx, b,
                                         static_cast<double>(done) / static_cast<double>(total));
  };
  if (slices.userSlices) {
    const auto counts = train.userCounts();
    auto bucketOf = [&](Index u) -> int {
      const std::uint32_t n = u < counts.size() ? counts[u] : 0;
      if (n == 0) return 0;
      if (n <= slices.coldMax) return 1;
      if (n < slices.heavyMin) return 2;
      return 3;
    };
    const char* names[] = {"unseen", "cold", "light", "heavy"};
    for (int b = 0; b < 4; ++b) {
      std::vector<Index> su;
      std::vector<RecList> sl;
      for (std::size_t i = 0; i < users.size(); ++i) {
        if (bucketOf(users[i]) == b) {
          su.push_back(users[i]);
          sl.push_back(lists[i]);
        }
      }
      EvalOptions opt = options;
      if (!options.candidates.empty()) {
        opt.candidates.clear();
        for (std::size_t i = 0; i < users.size(); ++i) {
          if (bucketOf(users[i]) == b) opt.candidates.push_back(options.candidates[i]);
        }
      }
      SliceResult s;
      s.dimension = "user_activity";
      s.name = names[b];
      s.members = su.size();
      auto c = sub();
      s.result = evaluate(train, truth, su, sl, opt, *c);
      out.push_back(std::move(s));
    }
  }
  if (slices.itemSlices) {
    std::size_t catalog = std::max({options.catalogSize, train.numItems(), test.numItems()});
    for (const auto& l : lists) {
      for (const auto& s : l.items)
        catalog = std::max<std::size_t>(catalog, s.item + std::size_t{1});
    }
    const auto bucket = itemPopularityBuckets(train, catalog, slices.headShare, slices.tailShare);
    const char* names[] = {"head", "torso", "tail", "unseen"};
    for (std::uint8_t b = 0; b < 4; ++b) {
      const GroundTruth t = truth.filtered([&](Index i) { return bucket[i] == b; });
      SliceResult s;
      s.dimension = "item_popularity";
      s.name = names[b];
      s.members = static_cast<std::size_t>(std::count(bucket.begin(), bucket.end(), b));
      EvalOptions opt = options;
      opt.catalogSize = catalog;
      auto c = sub();
      s.result = evaluate(train, t, users, lists, opt, *c);
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace rwb
