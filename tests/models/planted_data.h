#pragma once
// Small synthetic data with planted structure for the factor-model tests.

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace rwb::test {

/// Two communities: users 0..users/2-1 interact only with items of group 0 (items
/// 0..items/2-1), the others only with group 1. Each user gets `perUser` distinct items of their
/// group drawn at random. Plus one user ("lonely") without any interactions.
struct Planted {
  Dataset data;
  std::size_t users = 0;
  std::size_t items = 0;
  int groupOfUser(Index u) const { return u < users / 2 ? 0 : 1; }
  int groupOfItem(Index i) const { return i < items / 2 ? 0 : 1; }
};

inline Planted plantedCommunities(std::size_t users = 60, std::size_t items = 40,
                                  std::size_t perUser = 8, std::uint64_t seed = 5) {
  Planted p;
  p.users = users;
  p.items = items;
  for (std::size_t u = 0; u < users; ++u)
    p.data.users.intern(std::string("u").append(std::to_string(u)));
  for (std::size_t i = 0; i < items; ++i)
    p.data.items.intern(std::string("i").append(std::to_string(i)));
  std::mt19937_64 rng(seed);
  const std::size_t half = items / 2;
  for (std::size_t u = 0; u < users; ++u) {
    const std::size_t base = p.groupOfUser(static_cast<Index>(u)) == 0 ? 0 : half;
    std::vector<Index> pool(half);
    for (std::size_t k = 0; k < half; ++k) pool[k] = static_cast<Index>(base + k);
    std::shuffle(pool.begin(), pool.end(), rng);
    for (std::size_t k = 0; k < perUser; ++k) {
      p.data.interactions.push(static_cast<Index>(u), pool[k], 1.0f,
                               1000 + static_cast<std::int64_t>(k));
    }
  }
  p.data.users.intern("lonely");
  return p;
}

/// Ratings r = 3 + user bias + item bias + 1.5 * a_u * b_i (a, b = +-1 planted taste) on a random
/// 50% of the users x items cells, the rest of the cells returned as a held-out test set that
/// shares the id maps.
struct PlantedRatings {
  Dataset train;
  Dataset test;
};

inline PlantedRatings plantedRatings(std::size_t users = 80, std::size_t items = 60,
                                     std::uint64_t seed = 9) {
  PlantedRatings p;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(-0.5, 0.5);
  std::vector<double> bu(users), bi(items);
  std::vector<int> a(users), b(items);
  for (std::size_t u = 0; u < users; ++u) {
    bu[u] = uni(rng);
    a[u] = rng() % 2 ? 1 : -1;
    p.train.users.intern(std::string("u").append(std::to_string(u)));
  }
  for (std::size_t i = 0; i < items; ++i) {
    bi[i] = uni(rng);
    b[i] = rng() % 2 ? 1 : -1;
    p.train.items.intern(std::string("i").append(std::to_string(i)));
  }
  p.test = p.train.emptyLike();
  for (std::size_t u = 0; u < users; ++u) {
    for (std::size_t i = 0; i < items; ++i) {
      const float r = static_cast<float>(3.0 + bu[u] + bi[i] + 1.5 * a[u] * b[i]);
      auto& target = (rng() % 2 == 0) ? p.train : p.test;
      target.interactions.push(static_cast<Index>(u), static_cast<Index>(i), r, 0);
    }
  }
  return p;
}

}  // namespace rwb::test
