#pragma once
/// \file
/// The project's random numbers: one place for the mixing function, the seed derivation and the
/// generators every module uses. Everything here is specified bit for bit (the standard
/// library's distributions and std::shuffle are implementation-defined, so results would differ
/// between standard libraries), so the same seed gives the same numbers on every platform.
///
/// Two engines, on purpose:
/// - Rng: std::mt19937_64 with portable helpers; splitters, the generator, sampling.
/// - FastRng: xoshiro256** seeded through splitmix64; the factor models' inner SGD loops, where
///   the generator's speed shows in the epoch time.
/// Streams that published figures depend on keep their engine and seeding; new code derives
/// its seeds with deriveSeed().

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace rwb {

/// The 64-bit golden-ratio increment of splitmix64.
inline constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

/// splitmix64's output for state x: mixes (x + kGoldenGamma) through the finaliser. A pure
/// function; consecutive states x, x + kGoldenGamma, ... give the splitmix64 sequence.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += kGoldenGamma;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Advances a splitmix64 state and returns the next output (a tiny generator of its own).
inline std::uint64_t splitmixNext(std::uint64_t& state) noexcept {
  const std::uint64_t out = splitmix64(state);
  state += kGoldenGamma;
  return out;
}

/// The seed derivation: a well-mixed seed for stream (a, b, c) of a base seed, so that streams
/// of nearby ids are unrelated (e.g. epoch, user block, thread).
std::uint64_t deriveSeed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0,
                         std::uint64_t c = 0) noexcept;

/// seed * kGoldenGamma + k: the weak per-stream seeding of the generator's and the two-stage
/// sampler's mt19937_64 streams, kept because their published outputs (the bundled sample data,
/// trained models) depend on it. New code uses deriveSeed().
constexpr std::uint64_t linearStreamSeed(std::uint64_t seed, std::uint64_t k) noexcept {
  return seed * kGoldenGamma + k;
}

/// A seeded 64-bit generator with portable helpers on std::mt19937_64 (fully specified).
/// Not thread-safe; one per task.
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

/// xoshiro256** seeded through splitmix64: fast and identical on every platform.
/// Not thread-safe; one per task.
class FastRng {
 public:
  explicit FastRng(std::uint64_t seed);
  std::uint64_t next() noexcept;
  /// Uniform integer in [0, n) (Lemire's multiply-shift; n > 0).
  std::uint64_t below(std::uint64_t n) noexcept {
    __extension__ typedef unsigned __int128 U128;
    return static_cast<std::uint64_t>((static_cast<U128>(next()) * n) >> 64);
  }
  /// Uniform double in [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Standard normal (Box-Muller, both values used).
  double normal() noexcept;

 private:
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool hasSpare_ = false;
};

}  // namespace rwb
