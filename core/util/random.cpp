#include "core/util/random.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rwb {

namespace {
inline std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
}  // namespace

double Rng::normal() {
  // 1 - uniform() is in (0, 1], so the log is finite.
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::size_t Rng::weighted(std::span<const double> weights) {
  double total = 0.0;
  for (double w : weights) total += w;
  double x = uniform() * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  // Rounding can leave x just above the last weight: return the last non-zero one.
  for (std::size_t i = weights.size(); i > 0; --i) {
    if (weights[i - 1] > 0.0) return i - 1;
  }
  return 0;
}

std::size_t Rng::pick(std::span<const double> cumulative) {
  const double x = uniform() * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), x);
  const auto i = static_cast<std::size_t>(it - cumulative.begin());
  return std::min(i, cumulative.size() - 1);
}

FastRng::FastRng(std::uint64_t seed) {
  for (auto& s : s_) s = splitmixNext(seed);
}

std::uint64_t FastRng::next() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double FastRng::normal() noexcept {
  if (hasSpare_) {
    hasSpare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double a = 2.0 * 3.14159265358979323846 * u2;
  spare_ = r * std::sin(a);
  hasSpare_ = true;
  return r * std::cos(a);
}

std::uint64_t deriveSeed(std::uint64_t seed, std::uint64_t a, std::uint64_t b,
                         std::uint64_t c) noexcept {
  std::uint64_t x = seed;
  std::uint64_t h = splitmixNext(x);
  x = h ^ a;
  h = splitmixNext(x);
  x = h ^ b;
  h = splitmixNext(x);
  x = h ^ c;
  return splitmixNext(x);
}

}  // namespace rwb
