#include "core/models/early_stopping.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using namespace rwb;

namespace {
// Feeds the values from epoch 1 on; returns the epoch at which stop was requested (0 = never)
// and the epochs whose verdict said "snapshot".
std::pair<int, std::vector<int>> run(EarlyStopping& es, const std::vector<double>& values) {
  std::vector<int> snapshots;
  for (std::size_t e = 0; e < values.size(); ++e) {
    const auto v = es.observe(static_cast<int>(e) + 1, values[e]);
    if (v.improved) snapshots.push_back(static_cast<int>(e) + 1);
    if (v.stop) return {static_cast<int>(e) + 1, snapshots};
  }
  return {0, snapshots};
}
}  // namespace

TEST_CASE("early stopping: higher is better, patience counts epochs without gain",
          "[models][early_stopping]") {
  EarlyStopping es(2);
  CHECK(es.keepsBest());
  const auto [stopAt, snaps] = run(es, {0.1, 0.3, 0.2, 0.3, 0.25, 0.9});
  // 0.3 at epoch 2 is best; epoch 3 lower, epoch 4 equal (no strict gain) -> stop at 4.
  CHECK(stopAt == 4);
  CHECK(snaps == std::vector<int>{1, 2});
  CHECK(es.bestEpoch() == 2);
  CHECK(es.bestValue() == Approx(0.3));
}

TEST_CASE("early stopping: a gain resets the count", "[models][early_stopping]") {
  EarlyStopping es(2);
  const auto [stopAt, snaps] = run(es, {0.5, 0.4, 0.6, 0.5, 0.7, 0.6, 0.6});
  CHECK(stopAt == 7);
  CHECK(snaps == std::vector<int>{1, 3, 5});
  CHECK(es.bestEpoch() == 5);
}

TEST_CASE("early stopping: lower is better (RMSE)", "[models][early_stopping]") {
  EarlyStopping es(1, EarlyStopping::Direction::kLowerIsBetter);
  const auto [stopAt, snaps] = run(es, {1.0, 0.95, 0.96});
  CHECK(stopAt == 3);
  CHECK(snaps == std::vector<int>{1, 2});
  CHECK(es.bestValue() == Approx(0.95));
}

TEST_CASE("early stopping: patience 0 records but never stops or snapshots",
          "[models][early_stopping]") {
  EarlyStopping es(0);
  CHECK_FALSE(es.keepsBest());
  const auto [stopAt, snaps] = run(es, {0.3, 0.2, 0.1, 0.05});
  CHECK(stopAt == 0);
  CHECK(snaps.empty());
  CHECK(es.bestEpoch() == 1);
  CHECK(es.bestValue() == Approx(0.3));
  EarlyStopping negative(-3);
  CHECK_FALSE(negative.keepsBest());
}

TEST_CASE("early stopping: NaN never improves", "[models][early_stopping]") {
  EarlyStopping es(2);
  const auto [stopAt, snaps] = run(es, {std::nan(""), std::nan("")});
  CHECK(stopAt == 2);
  CHECK(snaps.empty());
  CHECK(es.bestEpoch() == 0);
}
