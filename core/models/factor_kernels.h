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
[[gnu::always_inline]] inline void store(float* p, const V& v) {
  std::memcpy(p, &v, sizeof(V));
}

/// Sum of the 16 lanes in a fixed tree order (8 + 8, 4 + 4, 2 + 2, 1 + 1).
[[gnu::always_inline]] inline float hsum(const V16& v) {
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

/// A 16-lane logical vector made of N native vectors V (4 x SSE, 2 x AVX2); AVX-512 uses V16
/// itself. Generic 64-byte vectors on narrower targets are lowered through the stack by GCC, so
/// the narrower levels use these packs; lane-wise arithmetic and hsum() give the same bits.
template <class V, int N>
struct Pack {
  V v[N];
};
using P4 = Pack<V4, 4>;
using P8 = Pack<V8, 2>;

template <class V, int N>
[[gnu::always_inline]] inline Pack<V, N> operator+(Pack<V, N> a, const Pack<V, N>& b) {
  for (int i = 0; i < N; ++i) a.v[i] += b.v[i];
  return a;
}
template <class V, int N>
[[gnu::always_inline]] inline Pack<V, N> operator-(Pack<V, N> a, const Pack<V, N>& b) {
  for (int i = 0; i < N; ++i) a.v[i] -= b.v[i];
  return a;
}
template <class V, int N>
[[gnu::always_inline]] inline Pack<V, N> operator*(Pack<V, N> a, const Pack<V, N>& b) {
  for (int i = 0; i < N; ++i) a.v[i] *= b.v[i];
  return a;
}
template <class V, int N>
[[gnu::always_inline]] inline Pack<V, N> operator*(float s, Pack<V, N> a) {
  for (int i = 0; i < N; ++i) a.v[i] = s * a.v[i];
  return a;
}
template <class V, int N>
[[gnu::always_inline]] inline Pack<V, N>& operator+=(Pack<V, N>& a, const Pack<V, N>& b) {
  for (int i = 0; i < N; ++i) a.v[i] += b.v[i];
  return a;
}

/// Loads / stores / zero for V16 and the packs (a pack member by member: copying the whole
/// struct would go through the stack).
template <class P>
struct PackIo {
  [[gnu::always_inline]] static P load(const float* p) {
    P v;
    std::memcpy(&v, p, sizeof(P));
    return v;
  }
  [[gnu::always_inline]] static void store(float* p, const P& v) { std::memcpy(p, &v, sizeof(P)); }
  [[gnu::always_inline]] static P zero() { return P{}; }
};
template <class V, int N>
struct PackIo<Pack<V, N>> {
  static constexpr int kPer = 16 / N;
  [[gnu::always_inline]] static Pack<V, N> load(const float* p) {
    Pack<V, N> v;
    for (int i = 0; i < N; ++i) v.v[i] = simd::load<V>(p + i * kPer);
    return v;
  }
  [[gnu::always_inline]] static void store(float* p, const Pack<V, N>& v) {
    for (int i = 0; i < N; ++i) simd::store(p + i * kPer, v.v[i]);
  }
  [[gnu::always_inline]] static Pack<V, N> zero() {
    Pack<V, N> v;
    for (int i = 0; i < N; ++i) v.v[i] = V{};
    return v;
  }
};
template <class P>
[[gnu::always_inline]] inline P loadP(const float* p) {
  return PackIo<P>::load(p);
}
template <class P>
[[gnu::always_inline]] inline void storeP(float* p, const P& v) {
  PackIo<P>::store(p, v);
}
template <class P>
[[gnu::always_inline]] inline P zeroP() {
  return PackIo<P>::zero();
}

/// hsum() of a pack: the same tree as hsum(V16) (lanes i + i+8, then + i+4, then 0+2, 1+3).
[[gnu::always_inline]] inline float hsum(const P8& p) {
  const V8 s8 = p.v[0] + p.v[1];
  V4 a, b;
  std::memcpy(&a, &s8, 16);
  std::memcpy(&b, reinterpret_cast<const char*>(&s8) + 16, 16);
  const V4 s4 = a + b;
  return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}
[[gnu::always_inline]] inline float hsum(const P4& p) {
  const V4 s4 = (p.v[0] + p.v[2]) + (p.v[1] + p.v[3]);
  return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

/// Dot product of two padded rows of nv x 16 floats: lane-wise products summed over the chunks
/// in order, then hsum. P is V16, P8 or P4 (same result).
template <class P, int NV>
[[gnu::always_inline]] inline float dot(const float* a, const float* b, int nv) {
  const int n = NV > 0 ? NV : nv;
  P acc = loadP<P>(a) * loadP<P>(b);
  for (int c = 1; c < n; ++c) acc += loadP<P>(a + c * kLanes) * loadP<P>(b + c * kLanes);
  return hsum(acc);
}

/// y += s * x over nv x 16 floats.
template <class P, int NV>
[[gnu::always_inline]] inline void axpy(float s, const float* x, float* y, int nv) {
  const int n = NV > 0 ? NV : nv;
  for (int c = 0; c < n; ++c) {
    storeP(y + c * kLanes, loadP<P>(y + c * kLanes) + s * loadP<P>(x + c * kLanes));
  }
}

}  // namespace simd

}  // namespace rwb::factor

// GCC contracts a * b + c into an FMA by default in C++ (-ffp-contract=fast) whenever the target
// has FMA, which AVX-512F implies; that would change rounding between levels, so every
// dispatched kernel (and the scalar paths they must agree with) is compiled without it. Clang
// ignores the optimize attribute: the top-level CMakeLists.txt gives clang builds
// -ffp-contract=off instead.
#define RWB_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#if defined(__x86_64__) || defined(__i386__)
/// Marks a function compiled for AVX2 / AVX-512F (called only when simdLevel() allows it).
#define RWB_TARGET_AVX2 __attribute__((target("avx2"), optimize("fp-contract=off")))
#define RWB_TARGET_AVX512 __attribute__((target("avx512f"), optimize("fp-contract=off")))
#define RWB_HAVE_SIMD_DISPATCH 1
#else
#define RWB_HAVE_SIMD_DISPATCH 0
#endif
