// Batch-scoring benchmark: top-10 for 100,000 users x 20,000 items with a 64-factor model.
// Usage: bench_score [users] [items] [threads]   (defaults 100000 20000 2)
// Prints users per second for the in-memory batch path and for writing a TSV file.
#include <tbb/global_control.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>

#include "core/export/batch_scorer.h"
#include "core/export/model_package.h"
#include "core/models/registry.h"
#include "tests/bench/bench_clock.h"

using namespace rwb;

namespace {

using bench::cpuSeconds;
using bench::seconds;
struct NullSink final : RecSink {
  std::uint64_t rows = 0;
  void write(std::string_view, std::string_view, double, int, RecSource) override { ++rows; }
  void finish() override {}
};

}  // namespace

int main(int argc, char** argv) {
  const std::size_t nUsers = argc > 1 ? std::stoul(argv[1]) : 100000;
  const std::size_t nItems = argc > 2 ? std::stoul(argv[2]) : 20000;
  const int threads = argc > 3 ? std::stoi(argv[3]) : 2;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);

  // Zipf-like popularity, 20 interactions per user.
  Dataset d;
  for (std::size_t i = 0; i < nItems; ++i) d.items.intern("i" + std::to_string(i));
  for (std::size_t u = 0; u < nUsers; ++u) d.users.intern("u" + std::to_string(u));
  std::vector<double> w(nItems);
  for (std::size_t i = 0; i < nItems; ++i) w[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.8);
  std::discrete_distribution<std::uint32_t> pick(w.begin(), w.end());
  std::mt19937_64 rng(1);
  for (std::size_t u = 0; u < nUsers; ++u) {
    for (int n = 0; n < 20; ++n) d.interactions.push(static_cast<Index>(u), pick(rng), 1.0f, 0);
  }
  auto model = createModel("ials", {{"factors", 64}, {"iterations", 1}});
  TaskContext ctx;
  auto t0 = std::chrono::steady_clock::now();
  model->fit({d}, ctx);
  std::printf("fit (1 iALS iteration, %zu interactions): %.2f s\n", d.numInteractions(),
              seconds(t0));
  const auto path = (std::filesystem::temp_directory_path() / "bench_score.rwbm").string();
  writePackage(path, *model, d.users, d.items);
  const auto pkg = ModelPackage::load(path);

  BatchScoreOptions opt;
  opt.k = 10;
  NullSink null;
  t0 = std::chrono::steady_clock::now();
  double c0 = cpuSeconds();
  auto r = batchScore(*pkg, opt, null, ctx);
  double s = seconds(t0), cpu = cpuSeconds() - c0;
  std::printf(
      "top-10, %zu users x %zu items, 64 factors, %d threads, no output: %.3f s = %.0f users/s "
      "(%.3f s cpu = %.0f users per cpu-second)\n",
      nUsers, nItems, threads, s, static_cast<double>(r.usersScored) / s, cpu,
      static_cast<double>(r.usersScored) / cpu);

  const auto out = (std::filesystem::temp_directory_path() / "bench_score.tsv").string();
  auto sink = openRecSink(out);
  t0 = std::chrono::steady_clock::now();
  c0 = cpuSeconds();
  r = batchScore(*pkg, opt, *sink, ctx);
  s = seconds(t0);
  cpu = cpuSeconds() - c0;
  std::printf("same, written to TSV (%llu rows): %.3f s = %.0f users/s (%.3f s cpu)\n",
              static_cast<unsigned long long>(r.rowsWritten), s,
              static_cast<double>(r.usersScored) / s, cpu);
  std::filesystem::remove(path);
  std::filesystem::remove(out);
  return 0;
}
