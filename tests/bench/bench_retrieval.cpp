// Approximate top-k (HNSW) against the exact batch scorer on a synthetic factor model.
// Usage: bench_retrieval [items] [users] [threads] [exact_users] [space] [M] [ef_construction]
//        (defaults 100000 100000 2 5000 ip 16 200; space ip or l2)
//
// The model is an iALS package state with planted, clustered low-rank factors (uniform random
// vectors are the hardest and least realistic case): 64 factors; 256 taste centres drawn
// N(0, 1/64) per coordinate; an item is its centre (item % 256 after a shuffle) plus N(0, 0.5^2/64)
// noise, scaled by a log-normal popularity factor exp(0.3 z); a user is a 70/30 mix of two
// centres plus the same noise. Each user has 20 training items drawn with Zipf(0.8)
// popularity, excluded from the lists as in production. top-10 per user.
//
// Prints: index build time, the tuned ef_search and the recall measured at build time (1,000
// users), users/s of the exact scorer on the first `exact_users` users, users/s of the HNSW
// path on all users, and recall@10 of the HNSW lists against the exact ones on those users.
#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/export/batch_scorer.h"
#include "core/export/model_package.h"
#include "core/export/retrieval_index.h"
#include "core/models/registry.h"
#include "core/util/binary_io.h"
#include "tests/bench/bench_clock.h"

using namespace rwb;

namespace {

using bench::cpuSeconds;
using bench::seconds;

// Keeps the item lists of users [0, keepUsers) (by order of arrival, which is user order).
struct ListSink final : RecSink {
  std::size_t keepUsers = 0;
  std::vector<std::vector<std::string>> lists;
  std::string last;
  std::uint64_t rows = 0;
  void write(std::string_view user, std::string_view item, double, int, RecSource) override {
    ++rows;
    if (user != last) {
      last = std::string(user);
      lists.emplace_back();
    }
    if (lists.size() <= keepUsers) lists.back().emplace_back(item);
  }
  void finish() override {}
};

}  // namespace

int main(int argc, char** argv) {
  const std::size_t nItems = argc > 1 ? std::stoul(argv[1]) : 100000;
  const std::size_t nUsers = argc > 2 ? std::stoul(argv[2]) : 100000;
  const int threads = argc > 3 ? std::stoi(argv[3]) : 2;
  const std::size_t exactUsers = std::min(nUsers, argc > 4 ? std::stoul(argv[4]) : 5000);
  const std::string space = argc > 5 ? argv[5] : "ip";
  const std::size_t m = argc > 6 ? std::stoul(argv[6]) : 16;
  const std::size_t efc = argc > 7 ? std::stoul(argv[7]) : 200;
  const std::size_t f = 64, centres = 256, k = 10;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);

  auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const float unit = 1.0f / std::sqrt(static_cast<float>(f));
  std::vector<float> centre(centres * f);
  for (auto& x : centre) x = unit * normal(rng);
  std::vector<std::uint32_t> itemCentre(nItems);
  for (std::size_t i = 0; i < nItems; ++i) itemCentre[i] = static_cast<std::uint32_t>(i % centres);
  std::shuffle(itemCentre.begin(), itemCentre.end(), rng);
  std::vector<float> items(nItems * f), users(nUsers * f);
  for (std::size_t i = 0; i < nItems; ++i) {
    const float s = std::exp(0.3f * normal(rng));
    for (std::size_t j = 0; j < f; ++j) {
      items[i * f + j] = s * (centre[itemCentre[i] * f + j] + 0.5f * unit * normal(rng));
    }
  }
  for (std::size_t u = 0; u < nUsers; ++u) {
    const std::size_t a = rng() % centres, b = rng() % centres;
    for (std::size_t j = 0; j < f; ++j) {
      users[u * f + j] =
          0.7f * centre[a * f + j] + 0.3f * centre[b * f + j] + 0.5f * unit * normal(rng);
    }
  }
  // 20 training items per user, Zipf(0.8) popularity over a shuffled catalogue.
  std::vector<double> w(nItems);
  for (std::size_t i = 0; i < nItems; ++i) w[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.8);
  std::discrete_distribution<std::uint32_t> pick(w.begin(), w.end());
  std::vector<std::uint64_t> offsets{0};
  std::vector<Index> seen;
  std::vector<float> popularity(nItems, 0.0f);
  for (std::size_t u = 0; u < nUsers; ++u) {
    std::set<Index> mine;
    while (mine.size() < 20) mine.insert(pick(rng));
    for (Index i : mine) {
      seen.push_back(i);
      popularity[i] += 1.0f;
    }
    offsets.push_back(seen.size());
  }
  std::unique_ptr<Model> model;
  {
    BinaryWriter bw;
    bw.putString("ials");
    bw.putString(createModel("ials", {{"factors", f}})->params().dump());
    bw.put<std::uint64_t>(nUsers);
    bw.put<std::uint64_t>(nItems);
    bw.putVector(offsets);
    bw.putVector(seen);
    bw.putVector(popularity);
    bw.put<std::uint64_t>(f);
    bw.putVector(users);
    bw.putVector(items);
    bw.putVector(std::vector<float>{});
    bw.putVector(std::vector<float>{});
    model = loadModelFromBytes(bw.take());
  }
  std::printf("model: %zu items x %zu users x %zu factors (clustered, see source): %.1f s\n",
              nItems, nUsers, f, seconds(t0));

  RetrievalOptions opt;
  opt.space = parseRetrievalSpace(space, "space");
  opt.m = m;
  opt.efConstruction = efc;
  opt.threads = threads;
  TaskContext ctx;
  t0 = std::chrono::steady_clock::now();
  double c0 = cpuSeconds();
  const auto index = RetrievalIndex::build(*model, opt, ctx);
  std::printf("index build (%d threads, incl. ef_search tuning): %.1f s wall, %.1f s cpu\n  %s\n",
              threads, seconds(t0), cpuSeconds() - c0, index->info().summary().c_str());

  // A package in memory is what the scorer takes: write and load one (without the index, so
  // that the load time is not part of the figure; the index object is passed directly).
  IdMap userIds, itemIds;
  for (std::size_t u = 0; u < nUsers; ++u) userIds.intern("u" + std::to_string(u));
  for (std::size_t i = 0; i < nItems; ++i) itemIds.intern("i" + std::to_string(i));
  const auto path = "/tmp/bench_retrieval_" + std::to_string(::getpid()) + ".rwbm";
  writePackage(path, *model, userIds, itemIds);
  const auto pkg = ModelPackage::load(path);
  std::remove(path.c_str());
  model.reset();
  // The index was built on the in-memory model; the package's model has identical vectors.
  const auto pkgIndex = RetrievalIndex::load(index->bytes(), index->info(), pkg->model());

  BatchScoreOptions exact;
  exact.k = k;
  for (std::size_t u = 0; u < exactUsers; ++u) exact.users.push_back("u" + std::to_string(u));
  ListSink exactSink;
  exactSink.keepUsers = exactUsers;
  t0 = std::chrono::steady_clock::now();
  c0 = cpuSeconds();
  auto r = batchScore(*pkg, exact, exactSink, ctx);
  const double exactWall = seconds(t0), exactCpu = cpuSeconds() - c0;
  const double exactRate = static_cast<double>(r.usersScored) / exactWall;
  std::printf("exact:  %zu users in %.2f s = %.0f users/s (%.0f users per cpu-second)\n",
              static_cast<std::size_t>(r.usersScored), exactWall, exactRate,
              static_cast<double>(r.usersScored) / exactCpu);

  BatchScoreOptions approx;
  approx.k = k;
  approx.retrieval = pkgIndex.get();
  ListSink approxSink;
  approxSink.keepUsers = exactUsers;
  t0 = std::chrono::steady_clock::now();
  c0 = cpuSeconds();
  r = batchScore(*pkg, approx, approxSink, ctx);
  const double approxWall = seconds(t0), approxCpu = cpuSeconds() - c0;
  const double approxRate = static_cast<double>(r.usersScored) / approxWall;
  std::printf("hnsw:   %zu users in %.2f s = %.0f users/s (%.0f users per cpu-second)\n",
              static_cast<std::size_t>(r.usersScored), approxWall, approxRate,
              static_cast<double>(r.usersScored) / approxCpu);

  double recall = 0.0;
  for (std::size_t u = 0; u < exactUsers; ++u) {
    const auto& e = exactSink.lists[u];
    const std::set<std::string> a(approxSink.lists[u].begin(), approxSink.lists[u].end());
    std::size_t hit = 0;
    for (const auto& item : e) hit += a.count(item);
    recall += static_cast<double>(hit) / static_cast<double>(e.size());
  }
  recall /= static_cast<double>(exactUsers);
  std::printf(
      "recall@10 of hnsw against exact on %zu users: %.4f; speed-up %.1fx wall, %.1fx cpu\n",
      exactUsers, recall, approxRate / exactRate,
      (static_cast<double>(r.usersScored) / approxCpu) /
          (static_cast<double>(exactUsers) / exactCpu));
  return 0;
}
