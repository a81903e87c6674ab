// bench_load: loader speed and memory.
//   bench_load [--rows N] [--file PATH] [--keep] [--udata PATH]
// 1. u.data (MovieLens 100K, from ../shared/data when present): median of 15 loads
//    (target < 100 ms).
// 2. A synthetic interactions CSV (default 10,000,000 rows: user_id,item_id,value,timestamp with
//    200,000 users and 50,000 items, Zipf-like popularity), generated once: throughput in MB/s
//    (target >= 300 MB/s on one core) and resident bytes per interaction after the load, from
//    /proc/self/status VmRSS before and after (target <= 16 bytes).
// Wall time is what a user waits; CPU time (this thread) is the one-core cost and is the fair
// figure on a shared machine. Both are printed, with the CPU time of the whole process beside
// the thread's, so that a loader that started threads could not pass for a one-core figure.
// Resident bytes count everything the load leaves behind: the interaction columns, the id maps
// and their names, and the load account.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/data/dataset_loader.h"

namespace {

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double processCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double wallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1.
long statusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') {
      return std::strtol(line.c_str() + n + 1, nullptr, 10);
    }
  }
  return -1;
}

void generate(const std::string& path, std::size_t rows) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::mt19937_64 rng(20240229);
  // Zipf-like popularity: index = floor(n * u^3) concentrates mass on small indices.
  auto skewed = [&](std::uint64_t n) {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    return static_cast<std::uint64_t>(static_cast<double>(n) * u * u * u);
  };
  std::string buf;
  buf.reserve(1 << 22);
  const std::string_view header = "user_id,item_id,value,timestamp\n";
  buf.append(header.data(), header.size());
  char tmp[32];
  auto put = [&](std::uint64_t v) {
    auto res = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf.append(tmp, static_cast<std::size_t>(res.ptr - tmp));
  };
  for (std::size_t r = 0; r < rows; ++r) {
    put(1 + rng() % 200000);
    buf += ',';
    put(1 + skewed(50000));
    buf += ',';
    put(1 + rng() % 5);
    buf += ',';
    put(1500000000 + rng() % 100000000);
    buf += '\n';
    if (buf.size() > (1 << 22) - 64) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rows = 10'000'000;
  std::string file = (std::filesystem::temp_directory_path() / "rwb_bench_10m.csv").string();
  std::string udata = std::string(RWB_SOURCE_DIR) + "/../shared/data/ml-100k/u.data";
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc)
      rows = std::stoull(argv[++i]);
    else if (a == "--file" && i + 1 < argc)
      file = argv[++i];
    else if (a == "--udata" && i + 1 < argc)
      udata = argv[++i];
    else if (a == "--keep")
      keep = true;
    else {
      std::fprintf(stderr, "usage: bench_load [--rows N] [--file PATH] [--keep] [--udata PATH]\n");
      return 2;
    }
  }
  rwb::TaskContext ctx;
  rwb::DatasetOptions options;
  options.format = rwb::DataFormat::kDelimited;

  if (std::filesystem::exists(udata)) {
    std::vector<double> wall, cpu;
    rwb::loadDataset(udata, options, ctx);  // warm the page cache
    for (int i = 0; i < 15; ++i) {
      const double w0 = wallSeconds(), c0 = threadCpuSeconds();
      const auto r = rwb::loadDataset(udata, options, ctx);
      cpu.push_back(threadCpuSeconds() - c0);
      wall.push_back(wallSeconds() - w0);
      if (r.dataset.numInteractions() != 100000) {
        std::fprintf(stderr, "unexpected row count %zu\n", r.dataset.numInteractions());
        return 1;
      }
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    std::printf(
        "u.data (100,000 rows): median wall %.1f ms, median CPU %.1f ms, best wall %.1f ms"
        "  [target < 100 ms]\n",
        wall[7] * 1e3, cpu[7] * 1e3, wall[0] * 1e3);
  } else {
    std::printf("u.data: skipped (%s not found)\n", udata.c_str());
  }

  const bool existed = std::filesystem::exists(file);
  if (!existed) {
    std::printf("generating %zu rows into %s ...\n", rows, file.c_str());
    std::fflush(stdout);
    generate(file, rows);
  }
  const double mb = static_cast<double>(std::filesystem::file_size(file)) / 1e6;
  {
    // Read the file once so the measurement is the parser, not the disk.
    std::ifstream warm(file, std::ios::binary);
    std::vector<char> block(1 << 20);
    while (warm.read(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  const long rss0 = statusKb("VmRSS");
  const double w0 = wallSeconds(), c0 = threadCpuSeconds(), p0 = processCpuSeconds();
  auto result = rwb::loadDataset(file, options, ctx);
  const double cpu = threadCpuSeconds() - c0, wall = wallSeconds() - w0;
  const double processCpu = processCpuSeconds() - p0;
  const long rss1 = statusKb("VmRSS");
  const long hwm = statusKb("VmHWM");
  const auto n = static_cast<double>(result.dataset.numInteractions());
  std::printf("synthetic CSV: %.0f rows, %.1f MB, %zu users, %zu items\n", n, mb,
              result.dataset.numUsers(), result.dataset.numItems());
  std::printf(
      "  wall %.2f s = %.0f MB/s; CPU %.2f s = %.0f MB/s on one core (process CPU %.2f s)"
      "  [target >= 300 MB/s]\n",
      wall, mb / wall, cpu, mb / cpu, processCpu);
  std::printf(
      "  resident after load: %.1f bytes/interaction (RSS %ld -> %ld kB; peak %ld kB = "
      "%.1f bytes/interaction)  [target <= 16]\n",
      static_cast<double>(rss1 - rss0) * 1024.0 / n, rss0, rss1, hwm,
      static_cast<double>(hwm - rss0) * 1024.0 / n);
  std::printf("  read %llu, loaded %llu, skipped %llu, duplicate pairs %llu\n",
              static_cast<unsigned long long>(result.rowsRead()),
              static_cast<unsigned long long>(result.rowsLoaded()),
              static_cast<unsigned long long>(result.rowsSkipped()),
              static_cast<unsigned long long>(result.duplicatePairs));
  if (!existed && !keep) std::filesystem::remove(file);
  return 0;
}
