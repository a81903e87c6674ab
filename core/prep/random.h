#pragma once
/// \file
/// numpy's legacy generator, which Microsoft Recommenders' splitters draw from. Every other
/// random number comes from core/util/random.h.

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "core/util/random.h"

namespace rwb {

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
