// bench_eval: speed of the evaluation engine (issue 3 targets).
//   1. all ranking metrics at k = 10 on ml-100k-recsplit's SAR top-10 (943 users)   < 20 ms
//   2. 100,000 users, top-10 lists over 20,000 items                                 < 2 s
//   3. bootstrap CI, 1,000 resamples over 100,000 per-user values                    < 2 s
// Run by hand from the repository root: ./build/tests/bench/bench_eval [threads=2]
#include <tbb/global_control.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <vector>

#include "core/data/delimited_loader.h"
#include "core/eval/evaluator.h"
#include "core/eval/recommendation_file.h"
#include "core/eval/statistics.h"

using namespace rwb;
using Clock = std::chrono::steady_clock;

namespace {
const std::vector<std::string> kRanking = {"precision@k", "recall@k", "ndcg@k", "ndcg_raw@k",
                                           "ndcg_exp@k",  "map",      "map@k",  "mrr",
                                           "hit_rate@k",  "auc"};

double cpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Median wall time in ms over reps; also the median process CPU time (all threads), which is
// what the work costs when the machine is shared.
double lastCpuMs = 0.0;
template <typename F>
double medianMs(int reps, F&& f) {
  std::vector<double> t, c;
  for (int r = 0; r < reps; ++r) {
    const auto a = Clock::now();
    const double c0 = cpuMs();
    f();
    c.push_back(cpuMs() - c0);
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  lastCpuMs = c[c.size() / 2];
  return t[t.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(std::max(1, threads)));
  std::printf("bench_eval: %d threads\n", threads);
  TaskContext ctx;

  // 1. ml-100k-recsplit.
  const std::filesystem::path dir =
      std::filesystem::path(RWB_SOURCE_DIR) / "../shared/data/ml-100k-recsplit";
  if (std::filesystem::exists(dir / "sar_top10.tsv")) {
    const auto train = loadDelimited((dir / "train.tsv").string(), {}, ctx);
    const auto test = loadDelimited((dir / "test.tsv").string(), {}, ctx, &train.dataset);
    const auto recs = loadRecommendations((dir / "sar_top10.tsv").string(), test.dataset, {}, ctx);
    EvalOptions opt;
    opt.metrics = kRanking;
    opt.oracle = false;
    double ndcg = 0;
    const double ms = medianMs(21, [&] {
      ndcg = evaluate(train.dataset, test.dataset, recs.listUsers, recs.lists, opt, ctx)
                 .value("ndcg@10");
    });
    const double cpu = lastCpuMs;
    opt.oracle = true;
    const double msOracle = medianMs(
        21, [&] { evaluate(train.dataset, test.dataset, recs.listUsers, recs.lists, opt, ctx); });
    std::printf(
        "ml-100k, %zu users, 10 ranking metrics at k=10: %.2f ms wall, %.2f ms CPU "
        "(with oracle %.2f ms wall, %.2f ms CPU)  [ndcg@10 %.6f; target < 20 ms]\n",
        recs.listUsers.size(), ms, cpu, msOracle, lastCpuMs, ndcg);
  } else {
    std::printf("ml-100k: skipped (reference data absent at %s)\n", dir.string().c_str());
  }

  // 2. Synthetic: 100k users, 20k items, 20 training and 10 test items per user, top-10 lists
  //    drawn from a skewed popularity so that hits happen.
  const std::size_t nUsers = 100000, nItems = 20000;
  Dataset train, test;
  for (std::size_t i = 0; i < nItems; ++i) train.items.intern("i" + std::to_string(i));
  for (std::size_t u = 0; u < nUsers; ++u) train.users.intern("u" + std::to_string(u));
  test = train.emptyLike();
  std::mt19937_64 rng(7);
  std::geometric_distribution<Index> pop(0.002);
  auto draw = [&] { return std::min<Index>(pop(rng), nItems - 1); };
  std::vector<Index> users(nUsers);
  std::vector<RecList> lists(nUsers);
  for (std::size_t u = 0; u < nUsers; ++u) {
    const auto ui = static_cast<Index>(u);
    users[u] = ui;
    std::vector<Index> seen;
    while (seen.size() < 30) {
      const Index i = draw();
      if (std::find(seen.begin(), seen.end(), i) == seen.end()) seen.push_back(i);
    }
    for (std::size_t j = 0; j < 20; ++j) train.interactions.push(ui, seen[j], 1.0f, 0);
    for (std::size_t j = 20; j < 30; ++j) test.interactions.push(ui, seen[j], 1.0f + j % 5, 0);
    auto& l = lists[u].items;
    while (l.size() < 10) {
      const Index i = draw();
      if (std::find(seen.begin(), seen.begin() + 20, i) != seen.begin() + 20) continue;
      if (std::any_of(l.begin(), l.end(), [&](const ScoredItem& s) { return s.item == i; }))
        continue;
      l.push_back({i, static_cast<float>(10 - l.size())});
    }
  }
  EvalOptions opt;
  opt.metrics = kRanking;
  opt.oracle = false;
  double prec = 0;
  const double ms = medianMs(
      5, [&] { prec = evaluate(train, test, users, lists, opt, ctx).value("precision@10"); });
  const double cpu = lastCpuMs;
  opt.oracle = true;
  const double msOracle = medianMs(3, [&] { evaluate(train, test, users, lists, opt, ctx); });
  std::printf(
      "synthetic, %zu users x %zu items, 10 ranking metrics at k=10: %.1f ms wall, "
      "%.1f ms CPU (with oracle %.1f ms wall, %.1f ms CPU)  [precision@10 %.4f; "
      "target < 2000 ms]\n",
      nUsers, nItems, ms, cpu, msOracle, lastCpuMs, prec);

  // 3. Bootstrap over 100k per-user values.
  opt.oracle = false;
  const EvalResult r = evaluate(train, test, users, lists, opt, ctx);
  const auto& values = r.find("ndcg@10")->perUserValues;
  BootstrapOptions bo;
  ConfidenceInterval ci;
  const double msBoot = medianMs(5, [&] { ci = bootstrapMean(values, bo, ctx); });
  std::printf(
      "bootstrap, %zu resamples over %zu values: %.1f ms wall, %.1f ms CPU  [mean %.5f, "
      "95%% CI %.5f..%.5f; target < 2000 ms]\n",
      bo.resamples, values.size(), msBoot, lastCpuMs, ci.estimate, ci.lower, ci.upper);
  return 0;
}
