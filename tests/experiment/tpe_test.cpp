#include "core/experiment/tpe.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/util/error.h"

using namespace rwb;

namespace {

// A known function of a log-scale real, an integer and a categorical: maximum 0 at
// x = 1e-2, n = 7, c = 2.
double objective(const std::vector<double>& p) {
  const double a = std::log10(p[0]) + 2.0;
  const double b = (p[1] - 7.0) / 3.0;
  return -(a * a) - b * b - (p[2] == 2.0 ? 0.0 : 1.0);
}

std::vector<TpeDimension> space() {
  TpeDimension x{TpeDimension::Kind::kReal, 1e-5, 1e3, true, 0};
  TpeDimension n{TpeDimension::Kind::kInt, 0, 30, false, 0};
  TpeDimension c{TpeDimension::Kind::kCategorical, 0, 0, false, 4};
  return {x, n, c};
}

// Best value after `trials` evaluations, `start` of them uniform, the rest proposed by TPE
// (start == trials: pure random search).
double bestAfter(int trials, int start, std::uint64_t seed) {
  TpeSampler tpe(space());
  Rng rng(seed);
  std::vector<std::vector<double>> points;
  std::vector<double> scores;
  double best = -1e300;
  for (int t = 0; t < trials; ++t) {
    auto p = t < start ? tpe.sampleUniform(rng) : tpe.propose(points, scores, rng);
    scores.push_back(objective(p));
    points.push_back(std::move(p));
    best = std::max(best, scores.back());
  }
  return best;
}

}  // namespace

TEST_CASE("tpe: proposals stay inside the space and respect kinds", "[experiment][tpe]") {
  TpeSampler tpe(space());
  Rng rng(3);
  std::vector<std::vector<double>> points;
  std::vector<double> scores;
  for (int t = 0; t < 40; ++t) {
    auto p = t < 8 ? tpe.sampleUniform(rng) : tpe.propose(points, scores, rng);
    REQUIRE(p.size() == 3);
    CHECK(p[0] >= 1e-5);
    CHECK(p[0] <= 1e3);
    CHECK(p[1] == std::round(p[1]));
    CHECK(p[1] >= 0);
    CHECK(p[1] <= 30);
    CHECK((p[2] == 0 || p[2] == 1 || p[2] == 2 || p[2] == 3));
    scores.push_back(objective(p));
    points.push_back(std::move(p));
  }
}

TEST_CASE("tpe: finds the optimum of a known function better than random search",
          "[experiment][tpe]") {
  double tpeSum = 0.0, randomSum = 0.0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const double t = bestAfter(60, 10, seed);
    tpeSum += t;
    randomSum += bestAfter(60, 60, seed);
    // Close to the optimum (0): the right category, x within a factor ~2, n within 1-2.
    // The continuous part converges (|log10 x + 2| and |n - 7| / 3 within ~0.2 in all);
    // the category is found when the random start contains it (independent TPE's known limit).
    CHECK(t > -1.05);
  }
  CHECK(tpeSum / 8 > randomSum / 8);
}

TEST_CASE("tpe: the same history and seed give the same proposal", "[experiment][tpe]") {
  TpeSampler tpe(space());
  std::vector<std::vector<double>> points = {{1e-3, 5, 1}, {1.0, 20, 2}, {1e-2, 8, 2}};
  std::vector<double> scores;
  for (const auto& p : points) scores.push_back(objective(p));
  Rng a(11), b(11);
  CHECK(tpe.propose(points, scores, a) == tpe.propose(points, scores, b));
  // Failed points (NaN) are left out: with fewer than two usable scores the start is uniform.
  Rng c(11), d(11);
  CHECK(tpe.propose(points, {scores[0], NAN, NAN}, c) == tpe.sampleUniform(d));
}

TEST_CASE("tpe: malformed dimensions are refused", "[experiment][tpe]") {
  CHECK_THROWS_AS(TpeSampler({}), ModelError);
  CHECK_THROWS_AS(TpeSampler({{TpeDimension::Kind::kReal, 0.0, 1.0, true, 0}}), ModelError);
  CHECK_THROWS_AS(TpeSampler({{TpeDimension::Kind::kReal, 2.0, 1.0, false, 0}}), ModelError);
  CHECK_THROWS_AS(TpeSampler({{TpeDimension::Kind::kCategorical, 0, 0, false, 0}}), ModelError);
}
