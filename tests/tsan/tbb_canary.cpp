// ThreadSanitizer canary for the instrumented oneTBB (RWB_TSAN with RWB_TSAN_TBB_DIR; built and
// registered only there, see tests/CMakeLists.txt). Two ctest entries run it:
//   tsan_tbb_clean: a parallel_for reads data written before the loop and writes disjoint
//                   outputs. TSan must stay silent: it sees TBB's task hand-offs. (Against
//                   Debian's uninstrumented libtbb this reports races in tbb's partitioner.)
//   tsan_tbb_race:  a loop of two bodies that wait for each other to start (up to 60 s), then
//                   both increment one shared counter without synchronisation. TSan must
//                   report that data race in this file: the build really checks the bodies of
//                   TBB loops, so a clean run of the suites means something. (Before the two
//                   bodies met, a loaded machine could run every iteration on one thread and
//                   leave no race to see.)
// The loops run on two threads whatever the machine (global_control).
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  const bool race = argc > 1 && std::strcmp(argv[1], "race") == 0;
  const tbb::global_control twoThreads(tbb::global_control::max_allowed_parallelism, 2);
  std::vector<double> in(200000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<double>(i);
  std::vector<double> out(in.size());
  long shared = 0;
  for (int round = 0; round < 20; ++round) {
    tbb::parallel_for(std::size_t{0}, in.size(), [&](std::size_t i) { out[i] = in[i] * 2.0; });
  }
  if (race) {
    // Two bodies (one index each, simple_partitioner) that start together: each counts
    // itself in and waits for the other, so two threads run the increments at the same time.
    std::atomic<int> started{0};
    tbb::parallel_for(
        tbb::blocked_range<int>(0, 2, 1),
        [&](const tbb::blocked_range<int>&) {
          started.fetch_add(1);
          const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
          while (started.load() < 2 && std::chrono::steady_clock::now() < until) {
            std::this_thread::yield();
          }
          for (int k = 0; k < 1000; ++k) ++shared;  // deliberately unsynchronised
        },
        tbb::simple_partitioner());
  }
  double sum = 0;
  for (const double v : out) sum += v;
  std::printf("sum %.0f shared %ld\n", sum, shared);
  return sum == static_cast<double>(in.size()) * static_cast<double>(in.size() - 1) ? 0 : 1;
}
