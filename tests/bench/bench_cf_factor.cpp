// bench_cf_factor: speed, memory and quality of the factor models (iALS, BPR-MF, biased MF) and
// of the blocked factor top-k. Run by hand from the repository root (Release build):
//
//   ./build/tests/bench/bench_cf_factor recsplit [model] [json-params]   quality + fit time
//   ./build/tests/bench/bench_cf_factor tune <model>      search on a validation split of train
//   ./build/tests/bench/bench_cf_factor ials-synthetic [iterations]   set-up and per-iteration
//       time, 10M interactions (default 5 iterations; median and best of iterations 2 on)
//   ./build/tests/bench/bench_cf_factor bpr-throughput    sampled updates per second (1, 2 thr.)
//   ./build/tests/bench/bench_cf_factor topk              top-10 for 100k users x 20k items
//   ./build/tests/bench/bench_cf_factor fit-file FILE MODEL [json-params]
//       load FILE (any source recwb reads), fit MODEL on it: load time, time per epoch, peak memory
//
// Every mode runs with 2 threads (RWB_THREADS overrides) and prints its peak memory (VmHWM).
// RWB_SIMD=base|avx2 caps the run-time kernel level (default: the widest the CPU has).
// Figures and the tuning record are in docs/models-factor.md.

#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/data/dataset_loader.h"
#include "core/data/delimited_loader.h"
#include "core/eval/evaluator.h"
#include "core/models/biased_mf.h"
#include "core/models/factor_kernels.h"
#include "core/models/factor_model.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "tests/bench/bench_clock.h"

using namespace rwb;
using Clock = std::chrono::steady_clock;

namespace {

using bench::cpuSeconds;

int threadCount() {
  const char* t = std::getenv("RWB_THREADS");
  return t != nullptr ? std::atoi(t) : 2;
}

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string peakMemory() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  }
  return " unknown";
}

// The 1, 5 and 15 minute load averages (the bench machine is shared: quote them with times).
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct Split {
  Dataset train;
  Dataset test;
};

Split loadRecsplit() {
  const std::string dir = "../shared/data/ml-100k-recsplit/";
  TaskContext ctx;
  DelimitedOptions opt;
  opt.delimiter = '\t';
  opt.header = HeaderMode::kNo;
  Split s;
  s.train = loadDelimited(dir + "train.tsv", opt, ctx).dataset;
  s.test = loadDelimited(dir + "test.tsv", opt, ctx, &s.train).dataset;
  return s;
}

// Per-item stratified split of a training set (like the recsplit itself): for each item, a
// seeded random `ratio` of its rows stay in train, the rest go to validation.
Split carveValidation(const Dataset& train, double ratio, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  const auto& log = train.interactions;
  std::vector<std::pair<double, std::uint32_t>> draw(log.size());
  for (std::uint32_t r = 0; r < log.size(); ++r) draw[r] = {uni(rng), r};
  std::vector<std::vector<std::pair<double, std::uint32_t>>> byItem(train.numItems());
  for (auto& d : draw) byItem[log.item[d.second]].push_back(d);
  std::vector<std::uint32_t> tr, va;
  for (auto& rows : byItem) {
    std::sort(rows.begin(), rows.end());
    const auto keep = static_cast<std::size_t>(std::llround(ratio * rows.size()));
    for (std::size_t k = 0; k < rows.size(); ++k) (k < keep ? tr : va).push_back(rows[k].second);
  }
  std::sort(tr.begin(), tr.end());
  std::sort(va.begin(), va.end());
  return {train.withRows(tr), train.withRows(va)};
}

// nDCG@k, MAP@k (Recommenders' map_at_k), P@k, R@k from core/eval, over the test users the
// model can score.
struct RankMetrics {
  double ndcg = 0, map = 0, precision = 0, recall = 0;
};

RankMetrics rankMetrics(const Model& model, const Dataset& test, std::size_t k) {
  const Csr rel = test.userItemMatrix(true);
  std::vector<Index> users;
  for (std::size_t u = 0; u < rel.rows && u < model.numUsers(); ++u) {
    if (rel.rowSize(u) > 0 && model.canScoreUser(static_cast<Index>(u))) {
      users.push_back(static_cast<Index>(u));
    }
  }
  TaskContext ctx;
  const auto lists = model.recommendBatch(users, k, true, ctx);
  EvalOptions options;
  options.k = k;
  options.oracle = false;
  options.metrics = {"ndcg@k", "map@k", "precision@k", "recall@k"};
  // These four metrics read only the test items, so an empty train with the same ids suffices.
  const EvalResult r = evaluate(test.emptyLike(), test, users, lists, options, ctx);
  const std::string at = "@" + std::to_string(k);
  return {r.value("ndcg" + at), r.value("map" + at), r.value("precision" + at),
          r.value("recall" + at)};
}

struct FitOutcome {
  std::unique_ptr<Model> model;
  double fitSeconds = 0;
  double cpuSeconds = 0;
};

FitOutcome fit(const std::string& name, const Params& params, const Dataset& train,
               const Dataset* validation = nullptr, bool verbose = false) {
  FitOutcome out;
  out.model = createModel(name, params);
  TaskContext ctx;
  if (verbose) {
    ctx.setEpochCallback([](int epoch, const EpochMetrics& m) {
      std::printf("  epoch %3d", epoch);
      for (const auto& [k, v] : m) std::printf("  %s %.5f", k.c_str(), v);
      std::printf("\n");
      return false;
    });
  }
  const auto t0 = Clock::now();
  const double c0 = cpuSeconds();
  out.model->fit({train, validation, 42, threadCount()}, ctx);
  out.fitSeconds = seconds(t0, Clock::now());
  out.cpuSeconds = cpuSeconds() - c0;
  return out;
}

int recsplit(int argc, char** argv) {
  const Split s = loadRecsplit();
  std::vector<std::string> names = {"ials", "bpr", "biased_mf"};
  if (argc > 2) names = {argv[2]};
  const Params params = argc > 3 ? nlohmann::json::parse(argv[3]) : Params::object();
  for (const auto& name : names) {
    // Best of three fits for the time (the machine is shared); quality from the last.
    double best = 1e9, bestCpu = 1e9;
    FitOutcome f;
    for (int rep = 0; rep < 3; ++rep) {
      f = fit(name, params, s.train, nullptr, std::getenv("RWB_VERBOSE") != nullptr && rep == 0);
      best = std::min(best, f.fitSeconds);
      bestCpu = std::min(bestCpu, f.cpuSeconds);
    }
    const auto m = rankMetrics(*f.model, s.test, 10);
    std::printf(
        "%-10s fit %.3f s wall, %.3f s cpu  nDCG@10 %.4f  MAP@10 %.4f  P@10 %.4f  R@10 %.4f",
        name.c_str(), best, bestCpu, m.ndcg, m.map, m.precision, m.recall);
    if (auto* mf = dynamic_cast<const BiasedMf*>(f.model.get())) {
      const auto r = mf->evaluateRatings(s.test);
      std::printf("  RMSE %.4f  MAE %.4f  R2 %.4f", r.rmse, r.mae, r.r2);
    }
    std::printf("\n  params %s\n", f.model->params().dump().c_str());
  }
  std::printf("peak memory:%s\n", peakMemory().c_str());
  return 0;
}

// Grid search on a validation split carved from train (never the test split).
int tune(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_cf_factor tune <ials|bpr|biased_mf>\n");
    return 2;
  }
  const std::string name = argv[2];
  const Split s = loadRecsplit();
  const Split v = carveValidation(s.train, 0.8, 7);
  std::vector<Params> grid;
  if (name == "ials") {
    for (double reg : {1.0, 3.0, 10.0, 30.0, 100.0})
      for (double alpha : {1.0, 3.0, 10.0, 30.0})
        for (const char* t : {"binary", "raw"})
          for (int it : {15})
            grid.push_back({{"regularization", reg},
                            {"alpha", alpha},
                            {"value_transform", t},
                            {"iterations", it}});
  } else if (name == "bpr") {
    for (double lr : {0.02, 0.05, 0.1})
      for (double reg : {0.001, 0.005, 0.02})
        for (int ep : {50, 100})
          grid.push_back({{"learning_rate", lr}, {"regularization", reg}, {"epochs", ep}});
  } else if (name == "biased_mf") {
    for (double lr : {0.005, 0.01})
      for (double reg : {0.02, 0.05, 0.1})
        for (int ep : {20, 40, 80})
          grid.push_back({{"learning_rate", lr}, {"regularization", reg}, {"epochs", ep}});
  } else {
    std::fprintf(stderr, "unknown model %s\n", name.c_str());
    return 2;
  }
  if (argc > 3) {
    // An explicit grid: one parameter object or an array of them.
    const auto j = nlohmann::json::parse(argv[3]);
    grid.clear();
    if (j.is_array()) {
      for (const auto& e : j) grid.push_back(e);
    } else {
      grid.push_back(j);
    }
  }
  for (const auto& p : grid) {
    auto f = fit(name, p, v.train);
    if (auto* mf = dynamic_cast<const BiasedMf*>(f.model.get())) {
      std::printf("valid RMSE %.4f  %s\n", mf->evaluateRatings(v.test).rmse, p.dump().c_str());
    } else {
      std::printf("valid nDCG@10 %.4f  %s\n", rankMetrics(*f.model, v.test, 10).ndcg,
                  p.dump().c_str());
    }
    std::fflush(stdout);
  }
  return 0;
}

// 100k users x 20k items with Zipf-like item popularity (exponent 0.8 by rank), about 100
// interactions per user on average (geometric-ish spread), ids as decimal strings.
Dataset syntheticInteractions(std::size_t users, std::size_t items, std::size_t total,
                              std::uint64_t seed) {
  Dataset d;
  d.name = "synthetic";
  for (std::size_t u = 0; u < users; ++u) d.users.intern(std::to_string(u));
  for (std::size_t i = 0; i < items; ++i) d.items.intern(std::to_string(i));
  std::vector<double> cum(items);
  double acc = 0;
  for (std::size_t i = 0; i < items; ++i) cum[i] = acc += 1.0 / std::pow(i + 1.0, 0.8);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  d.interactions.reserve(total);
  const std::size_t per = total / users;
  std::vector<Index> mine;
  for (std::size_t u = 0; u < users; ++u) {
    mine.clear();
    while (mine.size() < per) {
      const double r = uni(rng) * acc;
      mine.push_back(static_cast<Index>(std::lower_bound(cum.begin(), cum.end(), r) - cum.begin()));
      if (mine.size() == per) {
        std::sort(mine.begin(), mine.end());
        mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
      }
    }
    for (auto i : mine) d.interactions.push(static_cast<Index>(u), i, 1.0f, 0);
  }
  return d;
}

// Times one iALS fit on the 10M synthetic interactions: the set-up before the first iteration
// (user-item and item-user matrices, cost chunks, initial factors) apart, then every iteration as
// a fit pays it (both half-steps, the Gram matrices and the loss every epoch reports).
int ialsSynthetic(int argc, char** argv) {
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 5;
  const auto t0 = Clock::now();
  const Dataset d = syntheticInteractions(100000, 20000, 10000000, 1);
  std::printf("synthetic: %zu users, %zu items, %zu interactions (built in %.1f s)\n", d.numUsers(),
              d.numItems(), d.numInteractions(), seconds(t0, Clock::now()));
  auto model = createModel("ials", {{"factors", 64}, {"iterations", iterations}});
  TaskContext ctx;
  std::printf("load average before: %s\n", loadAverage().c_str());
  std::vector<double> stamps, cpuStamps;
  auto last = Clock::now();
  double lastCpu = cpuSeconds();
  const auto mark = [&] {
    const auto now = Clock::now();
    const double cpu = cpuSeconds();
    stamps.push_back(seconds(last, now));
    cpuStamps.push_back(cpu - lastCpu);
    last = now;
    lastCpu = cpu;
  };
  ctx.setProgressCallback([&](double, std::string_view stage) {
    if (stamps.empty() && stage == "iterating") mark();
  });
  ctx.setEpochCallback([&](int, const EpochMetrics&) {
    mark();
    return false;
  });
  last = Clock::now();
  lastCpu = cpuSeconds();
  model->fit({d, nullptr, 42, threadCount()}, ctx);
  std::printf("ials 64 factors, %d threads, %s kernels:\n", threadCount(),
              factor::simdLevelName(factor::simdLevel()));
  std::printf("  set-up before iteration 1: %.3f s wall / %.3f s cpu\n", stamps[0], cpuStamps[0]);
  std::printf("  per iteration (loss included):");
  for (std::size_t e = 1; e < stamps.size(); ++e) {
    std::printf(" %.3f s wall / %.3f s cpu;", stamps[e], cpuStamps[e]);
  }
  std::vector<double> wall(stamps.begin() + 2, stamps.end()),
      cpu(cpuStamps.begin() + 2, cpuStamps.end());
  if (!wall.empty()) {
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    std::printf(
        "\n  iterations 2-%d: median %.3f s wall / %.3f s cpu, best %.3f s wall / %.3f s cpu",
        iterations, wall[wall.size() / 2], cpu[cpu.size() / 2], wall[0], cpu[0]);
  }
  std::printf("\n");
  std::printf("load average after: %s\n", loadAverage().c_str());
  std::printf("peak memory:%s\n", peakMemory().c_str());
  return 0;
}

// Sampled updates per second, timed from the end of epoch 1 to the end of the last epoch (so the
// data set, strata and factor set-up are excluded), with 1 and 2 threads.
int bprThroughput() {
  const Dataset d = syntheticInteractions(100000, 20000, 2000000, 2);
  for (const char* sampling : {"uniform", "popularity"}) {
    for (int threads : {1, 2}) {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
      constexpr int kEpochs = 4;
      auto model = createModel(
          "bpr", {{"factors", 64}, {"epochs", kEpochs}, {"negative_sampling", sampling}});
      TaskContext ctx;
      Clock::time_point t1;
      double c1 = 0.0;
      ctx.setEpochCallback([&](int epoch, const EpochMetrics&) {
        if (epoch == 1) {
          t1 = Clock::now();
          c1 = cpuSeconds();
        }
        return false;
      });
      model->fit({d, nullptr, 42, threads}, ctx);
      const double wall = seconds(t1, Clock::now()), cpu = cpuSeconds() - c1;
      const double updates = (kEpochs - 1) * static_cast<double>(d.numInteractions());
      std::printf(
          "bpr 64 factors, %s sampling, %d thread(s), %s kernels: %.2f M updates/s wall (%.0f "
          "updates in %.3f s wall, %.3f s cpu = %.2f M per cpu-second)\n",
          sampling, threads, factor::simdLevelName(factor::simdLevel()), updates / wall / 1e6,
          updates, wall, cpu, updates / cpu / 1e6);
    }
  }
  std::printf("peak memory:%s\n", peakMemory().c_str());
  return 0;
}

int topk() {
  // A 64-factor model fitted by one quick iALS epoch on 100k x 20k synthetic data, then top-10
  // for every user with seen items excluded.
  const Dataset d = syntheticInteractions(100000, 20000, 2000000, 3);
  auto model = createModel("ials", {{"factors", 64}, {"iterations", 1}});
  TaskContext ctx;
  model->fit({d, nullptr, 42, threadCount()}, ctx);
  std::vector<Index> users(d.numUsers());
  for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<Index>(u);
  const auto t0 = Clock::now();
  const double c0 = cpuSeconds();
  const auto lists = model->recommendBatch(users, 10, true, ctx);
  const double wall = seconds(t0, Clock::now()), cpu = cpuSeconds() - c0;
  if (lists.size() != users.size() || lists[0].items.size() != 10) return 1;
  std::printf(
      "top-10, 100000 users x 20000 items, 64 factors, %d threads: %.2f s wall = %.0f "
      "users/s; %.2f s cpu = %.0f users/s per cpu-second\n",
      threadCount(), wall, users.size() / wall, cpu, users.size() / cpu);
  std::printf("model memory %.1f MB, peak memory:%s\n", model->memoryBytes() / 1e6,
              peakMemory().c_str());
  return 0;
}

long statusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string k = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(k, 0) == 0) return std::strtol(line.c_str() + k.size(), nullptr, 10);
  }
  return -1;
}

// The memory ceilings of docs/scale-out.md, one model at a time: the load, the set-up before the
// first epoch (when the model reports its stage), every epoch's wall and CPU time, and the peak
// resident memory after the load and after the fit.
int fitFile(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_cf_factor fit-file FILE MODEL [json-params]\n");
    return 2;
  }
  const std::string path = argv[2], name = argv[3];
  const Params params = argc > 4 ? nlohmann::json::parse(argv[4]) : Params::object();
  std::printf("load average before: %s\n", loadAverage().c_str());
  TaskContext loadCtx;
  auto t0 = Clock::now();
  double c0 = cpuSeconds();
  const LoadResult data = loadDataset(path, DatasetOptions{}, loadCtx);
  std::printf(
      "load %s: %zu interactions, %zu users, %zu items in %.1f s wall / %.1f s cpu; "
      "RSS %.2f GB, peak %.2f GB\n",
      path.c_str(), data.dataset.numInteractions(), data.dataset.numUsers(),
      data.dataset.numItems(), seconds(t0, Clock::now()), cpuSeconds() - c0,
      statusKb("VmRSS") / 1e6, statusKb("VmHWM") / 1e6);
  std::fflush(stdout);
  auto model = createModel(name, params);
  TaskContext ctx;
  auto last = Clock::now();
  double lastCpu = cpuSeconds();
  const auto mark = [&](const char* what) {
    const auto now = Clock::now();
    const double cpu = cpuSeconds();
    std::printf("  %s: %.2f s wall / %.2f s cpu; RSS %.2f GB\n", what, seconds(last, now),
                cpu - lastCpu, statusKb("VmRSS") / 1e6);
    std::fflush(stdout);
    last = now;
    lastCpu = cpu;
  };
  bool started = false;
  ctx.setProgressCallback([&](double, std::string_view stage) {
    if (!started && stage == "iterating") {
      started = true;
      mark("set-up before epoch 1");
    }
  });
  ctx.setEpochCallback([&](int epoch, const EpochMetrics&) {
    mark(("epoch " + std::to_string(epoch)).c_str());
    return false;
  });
  t0 = Clock::now();
  c0 = cpuSeconds();
  last = t0;
  lastCpu = c0;
  model->fit({data.dataset, nullptr, 42, threadCount()}, ctx);
  std::printf("%s %s, %d threads: fit %.1f s wall / %.1f s cpu\n", name.c_str(),
              model->params().dump().c_str(), threadCount(), seconds(t0, Clock::now()),
              cpuSeconds() - c0);
  std::printf("load average after: %s\n", loadAverage().c_str());
  std::printf("peak memory: %.2f GB (VmHWM, load + fit)\n", statusKb("VmHWM") / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "recsplit";
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threadCount());
  // RWB_SIMD=base|avx2 caps the kernels' instruction set (to compare levels on one machine).
  if (const char* simd = std::getenv("RWB_SIMD")) {
    const std::string level = simd;
    factor::limitSimdLevel(level == "base"   ? factor::SimdLevel::kBase
                           : level == "avx2" ? factor::SimdLevel::kAvx2
                                             : factor::SimdLevel::kAvx512);
  }
  std::printf("kernels: %s (detected %s)\n", factor::simdLevelName(factor::simdLevel()),
              factor::simdLevelName(factor::detectedSimdLevel()));
  try {
    if (mode == "recsplit") return recsplit(argc, argv);
    if (mode == "tune") return tune(argc, argv);
    if (mode == "ials-synthetic") return ialsSynthetic(argc, argv);
    if (mode == "bpr-throughput") return bprThroughput();
    if (mode == "topk") return topk();
    if (mode == "fit-file") return fitFile(argc, argv);
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
