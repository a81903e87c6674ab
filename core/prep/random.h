#pragma once
/// \file
/// Portable, seeded random numbers for splitters and the generator. The standard library's
/// distributions and std::shuffle are implementation-defined, so results would differ between
/// standard libraries; everything here is specified bit for bit on top of the (fully specified)
/// std::mt19937 / std::mt19937_64 engines.

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace rwb {

/// A seeded 64-bit generator with portable helpers. Not thread-safe; one per task.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  /// Next raw 64-bit output.
  std::uint64_t next() { return engine_(); }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n). Precondition: n > 0. Unbiased (rejection sampling).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % n;
  }

  /// True with probability p.
  bool chance(double p) { return uniform() < p; }

  /// Standard normal draw (Box-Muller, one value per call; the pair's twin is discarded).
  double normal();

  /// An index drawn with probability proportional to weights (non-negative, sum > 0). Linear
  /// scan; for repeated draws over the same weights build a cumulative vector and use pick().
  std::size_t weighted(std::span<const double> weights);

  /// Index drawn from a cumulative weight vector (non-decreasing, back() > 0).
  std::size_t pick(std::span<const double> cumulative);

  /// Fisher-Yates shuffle, portable across standard libraries.
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(below(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

/// numpy's legacy RandomState(seed).rand(): MT19937 seeded with init_genrand(seed), each double
/// built from two 32-bit outputs as ((a >> 5) * 2^26 + (b >> 6)) / 2^53. Reproduces numpy's
/// draws exactly, which Microsoft Recommenders' splitters rely on.
class NumpyRandomState {
 public:
  explicit NumpyRandomState(std::uint32_t seed) : engine_(seed) {}
  double rand() {
    const std::uint32_t a = static_cast<std::uint32_t>(engine_()) >> 5;
    const std::uint32_t b = static_cast<std::uint32_t>(engine_()) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

 private:
  std::mt19937 engine_;
};

}  // namespace rwb
