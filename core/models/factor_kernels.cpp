#include "core/models/factor_kernels.h"

#include <atomic>

namespace rwb::factor {

namespace {
std::atomic<int> gLimit{static_cast<int>(SimdLevel::kAvx512)};
}  // namespace

SimdLevel detectedSimdLevel() noexcept {
  static const SimdLevel level = [] {
#if RWB_HAVE_SIMD_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return SimdLevel::kAvx512;
    if (__builtin_cpu_supports("avx2")) return SimdLevel::kAvx2;
#endif
    return SimdLevel::kBase;
  }();
  return level;
}

SimdLevel simdLevel() noexcept {
  const int detected = static_cast<int>(detectedSimdLevel());
  const int limit = gLimit.load(std::memory_order_relaxed);
  return static_cast<SimdLevel>(detected < limit ? detected : limit);
}

void limitSimdLevel(SimdLevel max) noexcept {
  gLimit.store(static_cast<int>(max), std::memory_order_relaxed);
}

const char* simdLevelName(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::kAvx512:
      return "avx512";
    case SimdLevel::kAvx2:
      return "avx2";
    default:
      return "base";
  }
}

}  // namespace rwb::factor
