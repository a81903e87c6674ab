#include "core/prep/preparation.h"

#include <fstream>

#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

struct Row {
  const char* user;
  const char* item;
  float value;
  std::int64_t t;
};

Dataset make(std::initializer_list<Row> rows) {
  Dataset d;
  for (const auto& r : rows) {
    d.interactions.push(d.users.intern(r.user), d.items.intern(r.item), r.value, r.t);
  }
  return d;
}

float valueOf(const Dataset& d, const char* user, const char* item) {
  for (std::size_t k = 0; k < d.numInteractions(); ++k) {
    if (d.users.external(d.interactions.user[k]) == user &&
        d.items.external(d.interactions.item[k]) == item) {
      return d.interactions.value[k];
    }
  }
  return -1.0f;
}

}  // namespace

TEST_CASE("duplicate policies pick by timestamp order and aggregate values", "[prep]") {
  // (a, x) three times, out of time order in the file; (a, y) once; (b, x) twice with a tie.
  const Dataset d = make({{"a", "x", 3, 200},
                          {"a", "y", 1, 50},
                          {"a", "x", 5, 100},
                          {"b", "x", 2, 70},
                          {"a", "x", 1, 300},
                          {"b", "x", 4, 70}});
  TaskContext ctx;
  auto run = [&](DuplicatePolicy p) { return removeDuplicates(d, {p}, ctx); };

  auto first = run(DuplicatePolicy::kKeepFirst);
  CHECK(first.dataset.numInteractions() == 3);
  CHECK(first.pairsMerged == 2);
  CHECK(valueOf(first.dataset, "a", "x") == 5.0f);  // earliest timestamp (100), not file order
  CHECK(valueOf(first.dataset, "b", "x") == 2.0f);  // tie at 70: first in file
  CHECK(first.report.rowsIn == 6);
  CHECK(first.report.rowsOut == 3);
  CHECK(first.report.rowsRemoved() == 3);

  auto last = run(DuplicatePolicy::kKeepLast);
  CHECK(valueOf(last.dataset, "a", "x") == 1.0f);
  CHECK(valueOf(last.dataset, "b", "x") == 4.0f);  // tie: last in file

  auto mx = run(DuplicatePolicy::kMax);
  CHECK(valueOf(mx.dataset, "a", "x") == 5.0f);
  CHECK(valueOf(mx.dataset, "b", "x") == 4.0f);

  auto mean = run(DuplicatePolicy::kMean);
  CHECK(valueOf(mean.dataset, "a", "x") == Approx(3.0));
  CHECK(valueOf(mean.dataset, "b", "x") == Approx(3.0));
  auto sum = run(DuplicatePolicy::kSum);
  CHECK(valueOf(sum.dataset, "a", "x") == Approx(9.0));
  // Aggregates take the latest row's timestamp; relative row order is kept.
  CHECK(sum.dataset.interactions.timestamp[sum.dataset.numInteractions() - 1] == 70);
  CHECK(sum.dataset.users.names() == d.users.names());
  CHECK(duplicatePolicyFromName("mean") == DuplicatePolicy::kMean);
  CHECK_FALSE(duplicatePolicyFromName("median").has_value());
}

TEST_CASE("binarize drops or zeroes rows below the threshold", "[prep]") {
  const Dataset d = make({{"a", "x", 5, 1}, {"a", "y", 3, 2}, {"b", "x", 4, 3}, {"b", "z", 1, 4}});
  TaskContext ctx;
  auto r = binarize(d, {4.0, false, 1.0f}, ctx);
  CHECK(r.dataset.numInteractions() == 2);
  CHECK(r.positives == 2);
  CHECK(r.negatives == 2);
  CHECK(r.report.rowsRemoved() == 2);
  for (float v : r.dataset.interactions.value) CHECK(v == 1.0f);
  auto k = binarize(d, {4.0, true, 1.0f}, ctx);
  CHECK(k.dataset.numInteractions() == 4);
  CHECK(k.dataset.interactions.value == std::vector<float>{1, 0, 1, 0});
  CHECK(k.report.rowsRemoved() == 0);
}

TEST_CASE("k-core iterates until every user and item qualifies", "[prep]") {
  // Removing item z (1 row) drops user c below 2 rows, which then drops item w below 2 rows.
  const Dataset d = make({{"a", "x", 1, 1},
                          {"a", "y", 1, 2},
                          {"b", "x", 1, 3},
                          {"b", "y", 1, 4},
                          {"c", "z", 1, 5},
                          {"c", "w", 1, 6},
                          {"a", "w", 1, 7}});
  TaskContext ctx;
  KCoreOptions o;
  o.minUserRows = 2;
  o.minItemRows = 2;
  auto r = kCore(d, o, ctx);
  CHECK(r.stable);
  CHECK(r.iterations >= 3);
  CHECK(r.dataset.numInteractions() == 4);
  CHECK(r.usersRemoved == 1);
  CHECK(r.itemsRemoved == 2);
  CHECK(r.report.rowsIn == r.report.rowsOut + r.report.rowsRemoved());
  // The result really is a 2-core.
  for (auto c : r.dataset.userCounts()) CHECK((c == 0 || c >= 2));
  for (auto c : r.dataset.itemCounts()) CHECK((c == 0 || c >= 2));
  // Id maps keep their meaning.
  CHECK(r.dataset.items.names() == d.items.names());
}

TEST_CASE("time window keeps [from, to) and reports the rest", "[prep]") {
  Dataset d = make({{"a", "x", 1, 10}, {"a", "y", 1, 20}, {"b", "x", 1, 30}, {"b", "y", 1, 40}});
  d.interactions.push(d.users.intern("c"), d.items.intern("x"), 1, kNoTimestamp);
  TaskContext ctx;
  auto r = timeWindow(d, {20, 40}, ctx);
  CHECK(r.dataset.interactions.timestamp == std::vector<std::int64_t>{20, 30});
  CHECK(r.report.removed.at("no timestamp") == 1);
  CHECK(r.report.removed.at("before 'from'") == 1);
  CHECK(r.report.removed.at("at or after 'to'") == 1);
  CHECK_THROWS_AS(timeWindow(d, {40, 20}, ctx), SpecError);
  CHECK(timeWindow(d, {}, ctx).dataset.numInteractions() == 5);
}

TEST_CASE("preparation on ml-100k: 10-core and binarisation account for every row",
          "[prep][shared]") {
  RWB_REQUIRE_SHARED_DATA(shared);
  // Reads u.data directly (tab separated) to stay independent of the loader's options.
  std::ifstream in(shared / "ml-100k" / "u.data");
  Dataset d;
  std::string u, i;
  float v;
  std::int64_t t;
  while (in >> u >> i >> v >> t) d.interactions.push(d.users.intern(u), d.items.intern(i), v, t);
  REQUIRE(d.numInteractions() == 100000);
  TaskContext ctx;
  auto k = kCore(d, {10, 10, 1000}, ctx);
  CHECK(k.stable);
  CHECK(k.report.rowsIn == k.report.rowsOut + k.report.rowsRemoved());
  for (auto c : k.dataset.userCounts()) CHECK((c == 0 || c >= 10));
  for (auto c : k.dataset.itemCounts()) CHECK((c == 0 || c >= 10));
  auto b = binarize(d, {4.0, false, 1.0f}, ctx);
  CHECK(b.positives == 55375);  // ratings 4 and 5 in u.data
}
