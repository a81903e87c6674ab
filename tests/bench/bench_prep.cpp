// bench_prep: throughput of the preparation steps and splitters on a synthetic log.
//   ./build/tests/bench/bench_prep [rows=10000000]
// Users and items are drawn with a skewed distribution, timestamps uniformly over a year.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>

#include "core/prep/preparation.h"
#include "core/prep/random.h"
#include "core/prep/splitter.h"

using namespace rwb;

namespace {
// Process CPU seconds (single-threaded code, so this is its run time on an idle core; wall
// time on a shared machine would count other people's work).
double seconds(const std::function<void()>& f) {
  const std::clock_t t0 = std::clock();
  f();
  return static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC;
}
}  // namespace

int main(int argc, char** argv) {
  const std::size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  const std::size_t users = rows / 50, items = rows / 200 + 1000;
  Dataset d;
  for (std::size_t u = 0; u < users; ++u) d.users.intern(std::to_string(u));
  for (std::size_t i = 0; i < items; ++i) d.items.intern(std::to_string(i));
  Rng rng(1);
  d.interactions.reserve(rows);
  for (std::size_t k = 0; k < rows; ++k) {
    // Squaring a uniform skews towards low indices: a crude long tail.
    const double a = rng.uniform(), b = rng.uniform();
    d.interactions.push(static_cast<Index>(a * a * static_cast<double>(users)),
                        static_cast<Index>(b * b * static_cast<double>(items)),
                        static_cast<float>(1 + rng.below(5)),
                        1700000000 + static_cast<std::int64_t>(rng.below(365 * 86400)));
  }
  std::printf("%zu rows, %zu users, %zu items\n", rows, users, items);
  TaskContext ctx;
  auto report = [&](const char* name, double s) {
    std::printf("%-28s %7.3f s CPU  %6.1f M rows/s\n", name, s,
                static_cast<double>(rows) / s / 1e6);
  };
  report("duplicates (last)", seconds([&] { removeDuplicates(d, {}, ctx); }));
  report("binarize (>= 4)", seconds([&] { binarize(d, {}, ctx); }));
  report("k-core (5, 5)", seconds([&] { kCore(d, {}, ctx); }));
  report("time window", seconds([&] { timeWindow(d, {1710000000, 1720000000}, ctx); }));
  for (auto m : {SplitMethod::kRandom, SplitMethod::kStratified, SplitMethod::kChronological,
                 SplitMethod::kTimeCutoff, SplitMethod::kLeaveLastN, SplitMethod::kColdItems,
                 SplitMethod::kRecommenders}) {
    SplitOptions o;
    o.method = m;
    const std::string name = "split " + std::string(splitMethodName(m));
    report(name.c_str(), seconds([&] { splitDataset(d, o, ctx); }));
  }
  return 0;
}
