// Benchmarks and the hyperparameter search of the item-item models (SAR, ItemKNN, RP3beta, EASE).
// Run from the repository root (../shared/data must resolve):
//   ./build/tests/bench/bench_cf_item            speed: every case in its own process (peak RSS)
//   ./build/tests/bench/bench_cf_item quality    test-set metrics of the defaults at k = 10
//   ./build/tests/bench/bench_cf_item tune       grid search on a validation split of train
// Figures and the search are recorded in docs/models-item.md.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "../models/item_models_support.h"
#include "core/models/registry.h"

using namespace rwb;
using Clock = std::chrono::steady_clock;

namespace {

std::filesystem::path sharedDir() {
  if (const char* env = std::getenv("RWB_SHARED_DATA")) return env;
  return std::filesystem::path(RWB_SOURCE_DIR) / ".." / "shared" / "data";
}

double peakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

double cpuMs() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// 10,000 items, 100,000 interactions: 5,000 users x 20 distinct items with Zipf-like (s = 0.9)
// item popularity, timestamps spread over a year.
Dataset synthetic() {
  const std::size_t items = 10'000, users = 5'000, perUser = 20;
  std::vector<double> w(items);
  for (std::size_t i = 0; i < items; ++i) w[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.9);
  std::discrete_distribution<std::size_t> pick(w.begin(), w.end());
  std::mt19937_64 rng(1234);
  Dataset d;
  for (std::size_t i = 0; i < items; ++i) d.items.intern(std::to_string(i));
  for (std::size_t u = 0; u < users; ++u) {
    const Index user = d.users.intern(std::to_string(u));
    std::vector<std::size_t> chosen;
    while (chosen.size() < perUser) {
      const auto i = pick(rng);
      if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) chosen.push_back(i);
    }
    for (auto i : chosen) {
      d.interactions.push(user, static_cast<Index>(i), 1.0f + static_cast<float>(rng() % 5),
                          1'600'000'000 + static_cast<std::int64_t>(rng() % 31'536'000));
    }
  }
  return d;
}

// Fit + top-10 for every user, `reps` times; prints min and median.
void timeFitRecommend(const std::string& label, const std::string& model, const Params& params,
                      const Dataset& train, int reps, bool recommend) {
  std::vector<Index> users(train.numUsers());
  std::iota(users.begin(), users.end(), Index{0});
  std::vector<double> times, fitTimes, cpu;
  std::size_t bytes = 0;
  for (int r = 0; r < reps; ++r) {
    auto m = createModel(model, params);
    TaskContext ctx;
    const auto t0 = Clock::now();
    const double c0 = cpuMs();
    m->fit({train}, ctx);
    fitTimes.push_back(ms(Clock::now() - t0));
    if (recommend) {
      auto recs = m->recommendBatch(users, 10, true, ctx);
      if (recs.size() != users.size()) std::abort();
    }
    times.push_back(ms(Clock::now() - t0));
    cpu.push_back(cpuMs() - c0);
    bytes = m->memoryBytes();
  }
  std::sort(times.begin(), times.end());
  std::sort(fitTimes.begin(), fitTimes.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf(
      "%-40s wall min %7.1f ms, median %7.1f ms (fit alone min %7.1f ms); CPU min %7.1f ms; "
      "model %6.1f MB; peak RSS %6.1f MB\n",
      label.c_str(), times.front(), times[times.size() / 2], fitTimes.front(), cpu.front(),
      static_cast<double>(bytes) / 1e6, peakRssMb());
}

int speedCase(const std::string& name) {
  const auto shared = sharedDir();
  if (name == "sar-synthetic") {
    const Dataset d = synthetic();
    timeFitRecommend("SAR fit + top-10, 10k items / 100k rows", "sar", Params::object(), d, 5,
                     true);
    return 0;
  }
  if (!std::filesystem::exists(shared / "ml-100k-recsplit/train.tsv")) {
    std::printf("%-44s skipped: reference data absent\n", name.c_str());
    return 0;
  }
  const auto data = test::loadRecsplit(shared);
  if (name == "sar") {
    timeFitRecommend("SAR fit + top-10 all users, recsplit", "sar", Params::object(), data.train,
                     11, true);
  } else if (name == "ease") {
    timeFitRecommend("EASE fit, recsplit (float)", "ease", Params::object(), data.train, 5, false);
    timeFitRecommend("EASE fit + top-10 all users, recsplit", "ease", Params::object(), data.train,
                     5, true);
  } else if (name == "ease-double") {
    timeFitRecommend("EASE fit, recsplit (double)", "ease", {{"precision", "double"}}, data.train,
                     3, false);
  } else if (name == "itemknn" || name == "rp3beta") {
    timeFitRecommend(name + " fit + top-10 all users, recsplit", name, Params::object(), data.train,
                     5, true);
  } else {
    std::fprintf(stderr, "unknown case %s\n", name.c_str());
    return 2;
  }
  return 0;
}

void printMetrics(const std::string& label, const test::RankingMetrics& m) {
  std::printf("%-60s nDCG@10 %.4f  MAP %.4f  P@10 %.4f  R@10 %.4f  (%zu users)\n", label.c_str(),
              m.ndcg, m.map, m.precision, m.recall, m.users);
}

test::RankingMetrics evaluate(const std::string& model, const Params& params, const Dataset& fit,
                              const Dataset& heldOut) {
  auto m = createModel(model, params);
  TaskContext ctx;
  m->fit({fit}, ctx);
  return test::rankingMetrics(test::topLists(*m, heldOut, 10), heldOut, 10);
}

int quality() {
  const auto shared = sharedDir();
  const auto data = test::loadRecsplit(shared);
  for (const char* name : {"sar", "itemknn", "rp3beta", "ease"}) {
    printMetrics(std::string(name) + " (defaults), test",
                 evaluate(name, {}, data.train, data.test));
  }
  return 0;
}

int tune() {
  const auto shared = sharedDir();
  const auto data = test::loadRecsplit(shared);
  const auto [fit, valid] = test::carveValidation(data.train, 42);
  std::printf("validation split: %zu fit rows, %zu validation rows (20%% per user, seed 42)\n",
              fit.numInteractions(), valid.numInteractions());
  struct Best {
    double ndcg = -1;
    Params params;
  };
  auto search = [&](const std::string& model, const std::vector<Params>& grid) {
    Best best;
    for (const auto& p : grid) {
      const auto m = evaluate(model, p, fit, valid);
      std::printf("  %-8s %-80s valid nDCG@10 %.4f\n", model.c_str(), p.dump().c_str(), m.ndcg);
      if (m.ndcg > best.ndcg) best = {m.ndcg, p};
    }
    std::printf("BEST %-8s %s valid nDCG@10 %.4f\n", model.c_str(), best.params.dump().c_str(),
                best.ndcg);
    printMetrics("  -> " + model + " with these parameters, test",
                 evaluate(model, best.params, data.train, data.test));
    std::fflush(stdout);
  };
  std::vector<Params> grid;
  for (double l : {100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 1000.0, 1500.0})
    grid.push_back({{"lambda", l}});
  search("ease", grid);
  grid.clear();
  for (double a : {0.4, 0.6, 0.8, 1.0, 1.2}) {
    for (double b : {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}) {
      for (int k : {50, 100, 200, 400}) {
        for (bool n : {true, false}) {
          grid.push_back({{"alpha", a}, {"beta", b}, {"k", k}, {"normalize", n}});
        }
      }
    }
  }
  search("rp3beta", grid);
  grid.clear();
  for (double a : {0.1, 0.2, 0.3, 0.5, 0.7}) {
    for (double s : {0.0, 10.0, 50.0, 200.0}) {
      for (int k : {50, 100, 200, 400, 800}) {
        for (bool n : {false, true}) {
          grid.push_back({{"similarity", "asymmetric_cosine"},
                          {"alpha", a},
                          {"shrink", s},
                          {"k", k},
                          {"normalize", n}});
        }
      }
    }
  }
  search("itemknn", grid);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "speed";
    if (mode == "quality") return quality();
    if (mode == "tune") return tune();
    if (mode == "case" && argc > 2) return speedCase(argv[2]);
    if (mode != "speed") {
      std::fprintf(stderr, "usage: %s [speed|quality|tune]\n", argv[0]);
      return 2;
    }
    // Each case in a fresh process, so that the peak RSS it prints is its own.
    for (const char* c : {"sar", "sar-synthetic", "ease", "ease-double", "itemknn", "rp3beta"}) {
      const std::string cmd = std::string("\"") + argv[0] + "\" case " + c;
      if (std::system(cmd.c_str()) != 0) return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
