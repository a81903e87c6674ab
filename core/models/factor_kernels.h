#pragma once
/// \file
/// Run-time SIMD dispatch for the factor models' hot loops (iALS conjugate gradient, BPR-MF
/// updates, factor top-k). The default build targets baseline x86-64 (SSE2) so that binaries run
/// anywhere; the hot loops are written once over GCC/Clang vector types and compiled a second and
/// third time inside functions marked target("avx2") / target("avx512f"), and the widest level
/// the CPU supports is chosen once at run time. No FMA contraction is used (RWB_NO_FP_CONTRACT
/// on every kernel), and every reduction runs in a fixed lane order on a 16-lane logical vector,
/// so all levels give bit-identical results: the level changes speed, never a model.

#include <cstring>

// The 64-byte vector types below change the calling convention only for non-inlined calls,
// which these helpers never are; GCC's ABI note about them is noise here.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace rwb::factor {

/// Instruction-set level of the dispatched kernels.
enum class SimdLevel { kBase = 0, kAvx2 = 1, kAvx512 = 2 };

/// The widest level this CPU supports (kBase on non-x86 builds). Computed once.
SimdLevel detectedSimdLevel() noexcept;
/// The level the kernels use: the detected one, capped by limitSimdLevel(). Thread-safe.
SimdLevel simdLevel() noexcept;
/// Caps the level for the whole process (tests compare levels; benchmarks measure each).
/// Call between fits, not while a kernel runs.
void limitSimdLevel(SimdLevel max) noexcept;
/// "base", "avx2" or "avx512".
const char* simdLevelName(SimdLevel level) noexcept;

namespace simd {

typedef float V4 __attribute__((vector_size(16)));
typedef float V8 __attribute__((vector_size(32)));
typedef float V16 __attribute__((vector_size(64)));

/// Lanes of the logical vector every reduction is defined on.
inline constexpr int kLanes = 16;

template <class V>
[[gnu::always_inline]] inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <class V>
[[gnu::always_inline]] inline void store(float* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}

/// Sum of the 16 lanes in a fixed tree order (8 + 8, 4 + 4, 2 + 2, 1 + 1).
[[gnu::always_inline]] inline float hsum(V16 v) {
  V8 lo, hi;
  std::memcpy(&lo, &v, 32);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + 32, 32);
  const V8 s8 = lo + hi;
  V4 a, b;
  std::memcpy(&a, &s8, 16);
  std::memcpy(&b, reinterpret_cast<const char*>(&s8) + 16, 16);
  const V4 s4 = a + b;
  const float s2a = s4[0] + s4[2], s2b = s4[1] + s4[3];
  return s2a + s2b;
}

/// Dot product of two padded rows of nv x 16 floats: lane-wise products summed over the chunks
/// in order, then hsum.
template <int NV>
[[gnu::always_inline]] inline float dot(const float* a, const float* b, int nv) {
  const int n = NV > 0 ? NV : nv;
  V16 acc = load<V16>(a) * load<V16>(b);
  for (int c = 1; c < n; ++c) acc += load<V16>(a + c * kLanes) * load<V16>(b + c * kLanes);
  return hsum(acc);
}

/// y += s * x over nv x 16 floats.
template <int NV>
[[gnu::always_inline]] inline void axpy(float s, const float* x, float* y, int nv) {
  const int n = NV > 0 ? NV : nv;
  for (int c = 0; c < n; ++c)
    store(y + c * kLanes, load<V16>(y + c * kLanes) + s * load<V16>(x + c * kLanes));
}

}  // namespace simd

}  // namespace rwb::factor

// GCC contracts a * b + c into an FMA by default in C++ (-ffp-contract=fast) whenever the target
// has FMA, which AVX-512F implies; that would change rounding between levels, so every
// dispatched kernel (and the scalar paths they must agree with) is compiled without it.
#define RWB_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#if defined(__x86_64__) || defined(__i386__)
/// Marks a function compiled for AVX2 / AVX-512F (called only when simdLevel() allows it).
#define RWB_TARGET_AVX2 __attribute__((target("avx2"), optimize("fp-contract=off")))
#define RWB_TARGET_AVX512 __attribute__((target("avx512f"), optimize("fp-contract=off")))
#define RWB_HAVE_SIMD_DISPATCH 1
#else
#define RWB_HAVE_SIMD_DISPATCH 0
#endif
