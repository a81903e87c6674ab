#pragma once
/// \file
/// The benchmarks' clocks. The bench machine is often shared, so benchmarks print wall and CPU
/// time: with T threads the uncontended wall time is about cpu / T.
#include <time.h>

#include <chrono>

namespace rwb::bench {

/// Wall-clock seconds since t0.
inline double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// CPU seconds of the whole process (all threads) so far.
inline double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace rwb::bench
