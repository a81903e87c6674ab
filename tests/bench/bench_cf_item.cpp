// Benchmarks and the hyperparameter search of the item-item models (SAR, ItemKNN, RP3beta, EASE).
// Run from the repository root (../shared/data must resolve):
//   ./build/tests/bench/bench_cf_item            speed: every case in its own process (peak RSS)
//   ./build/tests/bench/bench_cf_item case NAME  one case (e.g. ease-10k: EASE on 10k items)
//   ./build/tests/bench/bench_cf_item case sar-heavy [DIR]  SAR on heavy users; writes the rows
//       and our top-10 to DIR (default $TMPDIR/rwb-sar-heavy) for tests/bench/sar_reference.py
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
#include <map>
#include <random>
#include <set>
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

// 10,000 items, `users` x `perUser` distinct items per user with Zipf-like (s = 0.9) item
// popularity, timestamps spread over a year. The default is the SAR case: 5,000 x 20 = 100k rows.
Dataset synthetic(std::size_t users = 5'000, std::size_t perUser = 20) {
  const std::size_t items = 10'000;
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

// The heavy-user SAR case (issue 15): 10,000 items with Zipf-like (s = 0.9) popularity and
// `users` users. Nine in ten are heavy, with log-uniformly 1,000 to 5,000 distinct items; the
// others are light (log-uniformly 5 to 200). A user's items are a weighted sample without
// replacement (each item gets the key -ln(v) / w_i with v uniform in (0, 1], the `count`
// smallest keys win), one event per (user, item) pair with a rating 1..5 and a timestamp
// spread over a year. Only mt19937_64 output and integer arithmetic feed the draws, so every
// platform generates the same rows.
constexpr std::size_t kHeavyUsers = 2'000;
Dataset heavyUsers(std::size_t users) {
  const std::size_t items = 10'000;
  std::vector<double> w(items);
  for (std::size_t i = 0; i < items; ++i) w[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.9);
  std::mt19937_64 rng(20261203);
  auto uniform = [&] { return static_cast<double>((rng() >> 11) + 1) * 0x1.0p-53; };  // (0, 1]
  auto logUniform = [&](double lo, double hi) {
    return static_cast<std::size_t>(std::lround(lo * std::pow(hi / lo, uniform())));
  };
  Dataset d;
  for (std::size_t i = 0; i < items; ++i) d.items.intern("i" + std::to_string(i));
  std::vector<std::pair<double, Index>> keys(items);
  for (std::size_t u = 0; u < users; ++u) {
    const Index user = d.users.intern("u" + std::to_string(u));
    const std::size_t count = u % 10 == 9 ? logUniform(5, 200) : logUniform(1'000, 5'000);
    for (std::size_t i = 0; i < items; ++i) keys[i] = {-std::log(uniform()) / w[i], Index(i)};
    const auto cut = keys.begin() + static_cast<std::ptrdiff_t>(count);
    std::nth_element(keys.begin(), cut, keys.end());
    std::sort(keys.begin(), cut, [](const auto& a, const auto& b) { return a.second < b.second; });
    for (std::size_t k = 0; k < count; ++k) {
      d.interactions.push(user, keys[k].second, 1.0f + static_cast<float>(rng() % 5),
                          1'600'000'000 + static_cast<std::int64_t>(rng() % 31'536'000));
    }
  }
  return d;
}

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// Fit + top-10 for every user, `reps` times; prints min and median. The last run's lists go
// to `lastRecs` when given.
void timeFitRecommend(const std::string& label, const std::string& model, const Params& params,
                      const Dataset& train, int reps, bool recommend,
                      std::vector<RecList>* lastRecs = nullptr) {
  std::vector<Index> users(train.numUsers());
  std::iota(users.begin(), users.end(), Index{0});
  std::vector<double> times, fitTimes, cpu, fitCpu, recTimes, recCpu;
  std::size_t bytes = 0;
  for (int r = 0; r < reps; ++r) {
    auto m = createModel(model, params);
    TaskContext ctx;
    const auto t0 = Clock::now();
    const double c0 = cpuMs();
    m->fit({train}, ctx);
    const auto t1 = Clock::now();
    const double c1 = cpuMs();
    fitTimes.push_back(ms(t1 - t0));
    fitCpu.push_back(c1 - c0);
    if (recommend) {
      auto recs = m->recommendBatch(users, 10, true, ctx);
      if (recs.size() != users.size()) std::abort();
      recTimes.push_back(ms(Clock::now() - t1));
      recCpu.push_back(cpuMs() - c1);
      if (lastRecs != nullptr) *lastRecs = std::move(recs);
    }
    times.push_back(ms(Clock::now() - t0));
    cpu.push_back(cpuMs() - c0);
    bytes = m->memoryBytes();
  }
  std::sort(times.begin(), times.end());
  std::sort(fitTimes.begin(), fitTimes.end());
  for (auto* v : {&times, &fitTimes, &cpu, &fitCpu, &recTimes, &recCpu}) {
    std::sort(v->begin(), v->end());
  }
  const auto med = [](const std::vector<double>& v) { return v[v.size() / 2]; };
  std::printf(
      "%-40s wall min %7.1f ms, median %7.1f ms; CPU min %7.1f ms, median %7.1f ms; model "
      "%6.1f MB; peak RSS %6.1f MB\n",
      label.c_str(), times.front(), med(times), cpu.front(), med(cpu),
      static_cast<double>(bytes) / 1e6, peakRssMb());
  std::printf("%-40s   fit: wall min %7.1f ms, CPU min %7.1f ms", "", fitTimes.front(),
              fitCpu.front());
  if (recommend) {
    std::printf("; top-10 all users: wall min %7.1f ms, CPU min %7.1f ms", recTimes.front(),
                recCpu.front());
  }
  std::printf("\n");
}

// Issue 15: SAR on heavy users, timed side by side with the reference
// (tests/bench/sar_reference.py reads the rows and our lists from `dir`).
int sarHeavy(const std::filesystem::path& dir) {
  const Dataset d = heavyUsers(kHeavyUsers);
  std::filesystem::create_directories(dir);
  const auto csv = dir / "sar_heavy.csv";
  {
    std::ofstream out(csv);
    out << "userID,itemID,rating,timestamp\n";
    const auto& log = d.interactions;
    for (std::size_t r = 0; r < log.size(); ++r) {
      out << d.users.external(log.user[r]) << ',' << d.items.external(log.item[r]) << ','
          << log.value[r] << ',' << log.timestamp[r] << '\n';
    }
  }
  std::printf("data: %s (%zu users, %zu items, %zu rows)\n", csv.c_str(), d.numUsers(),
              d.numItems(), d.numInteractions());
  // The reference's settings, explicitly (sar_reference.py passes the same to the library).
  const Params params{{"similarity", "jaccard"},
                      {"time_decay", true},
                      {"half_life_days", 30.0},
                      {"time_now", 0},
                      {"threshold", 1}};
  std::printf("load average before: %s\n", loadAverage().c_str());
  std::vector<RecList> recs;
  timeFitRecommend("SAR fit + top-10 all users, heavy users", "sar", params, d, 3, true, &recs);
  std::printf("load average after: %s\n", loadAverage().c_str());
  const auto top = dir / "ours_top10.tsv";
  std::ofstream out(top);
  out.precision(17);
  for (std::size_t u = 0; u < recs.size(); ++u) {
    for (const auto& it : recs[u].items) {
      out << d.users.external(static_cast<Index>(u)) << '\t' << d.items.external(it.item) << '\t'
          << it.score << '\n';
    }
  }
  std::printf("our top-10 lists: %s\n", top.c_str());
  return 0;
}

int speedCase(const std::string& name, const std::filesystem::path& outDir) {
  const auto shared = sharedDir();
  if (name == "ease-10k") {
    // 10,000 items, 50,000 users x 40 = 2M interactions; the fit is dominated by the
    // items^3 dense factorisation, so the user count matters little.
    const Dataset d = synthetic(50'000, 40);
    std::printf("load average before: %s\n", loadAverage().c_str());
    timeFitRecommend("EASE fit, 10k items / 2M rows (float)", "ease", Params::object(), d, 3,
                     false);
    std::printf("load average after: %s\n", loadAverage().c_str());
    return 0;
  }
  if (name == "sar-synthetic") {
    const Dataset d = synthetic();
    timeFitRecommend("SAR fit + top-10, 10k items / 100k rows", "sar", Params::object(), d, 5,
                     true);
    return 0;
  }
  if (name == "sar-heavy") return sarHeavy(outDir);
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
  std::printf("%-44s nDCG@10 %.6f  MAP %.6f  P@10 %.6f  R@10 %.6f  (%zu users)\n", label.c_str(),
              m.ndcg, m.map, m.precision, m.recall, m.users);
}

test::RankingMetrics evaluate(const std::string& model, const Params& params, const Dataset& fit,
                              const Dataset& heldOut) {
  auto m = createModel(model, params);
  TaskContext ctx;
  m->fit({fit}, ctx);
  return test::rankingMetrics(test::topLists(*m, heldOut, 10), fit, heldOut, 10);
}

// SAR against the reference's sar_top10.tsv: users whose top-10 set is identical, and the
// largest relative difference between our score and the reference score of its items.
void sarParity(const std::filesystem::path& shared, const test::Recsplit& data) {
  auto m = createModel("sar");
  TaskContext ctx;
  m->fit({data.train}, ctx);
  std::map<Index, std::vector<std::pair<Index, double>>> ref;
  std::ifstream in(shared / "ml-100k-recsplit/sar_top10.tsv");
  std::string u, i;
  double s = 0;
  while (in >> u >> i >> s)
    ref[*data.train.users.find(u)].push_back({*data.train.items.find(i), s});
  std::size_t same = 0;
  double maxRel = 0;
  for (const auto& [user, list] : ref) {
    const auto recs = m->recommend(user, 10);
    std::set<Index> mine;
    for (const auto& r : recs.items) mine.insert(r.item);
    bool eq = true;
    for (const auto& [item, score] : list) {
      eq = eq && mine.count(item) > 0;
      float v = 0;
      m->score(user, std::span<const Index>(&item, 1), std::span<float>(&v, 1));
      maxRel = std::max(maxRel, std::abs(v - score) / std::abs(score));
    }
    same += eq ? 1 : 0;
  }
  std::printf(
      "SAR parity: %zu of %zu users have the reference's exact top-10 set; largest relative "
      "score difference %.2e (float output)\n",
      same, ref.size(), maxRel);
}

int quality() {
  const auto shared = sharedDir();
  const auto data = test::loadRecsplit(shared);
  sarParity(shared, data);
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
    if (mode == "case" && argc > 2) {
      return speedCase(argv[2], argc > 3
                                    ? std::filesystem::path(argv[3])
                                    : std::filesystem::temp_directory_path() / "rwb-sar-heavy");
    }
    if (mode != "speed") {
      std::fprintf(stderr, "usage: %s [speed|quality|tune]\n", argv[0]);
      return 2;
    }
    // Each case in a fresh process, so that the peak RSS it prints is its own.
    for (const char* c :
         {"sar", "sar-synthetic", "ease", "ease-double", "ease-10k", "itemknn", "rp3beta"}) {
      const std::string cmd = std::string("\"") + argv[0] + "\" case " + c;
      if (std::system(cmd.c_str()) != 0) return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
