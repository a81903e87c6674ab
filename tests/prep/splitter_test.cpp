#include "core/prep/splitter.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/data/dataset_writer.h"
#include "core/data/delimited_loader.h"
#include "core/prep/random.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

/// 60 users x up to 40 items, varying activity, random timestamps with deliberate ties.
Dataset synthetic(std::uint64_t seed = 7) {
  Dataset d;
  Rng rng(seed);
  for (int u = 0; u < 60; ++u) {
    const int count = 1 + static_cast<int>(rng.below(25));
    for (int k = 0; k < count; ++k) {
      std::string item = "i";
      item += std::to_string(rng.below(40));
      std::string user = "u";
      user += std::to_string(u);
      const auto t = static_cast<std::int64_t>(1000 + rng.below(50) * 10);  // many ties
      d.interactions.push(d.users.intern(user), d.items.intern(item),
                          static_cast<float>(1 + rng.below(5)), t);
    }
  }
  return d;
}

void requirePartition(const Dataset& d, const SplitResult& s) {
  std::vector<int> seen(d.numInteractions(), 0);
  for (auto* part : {&s.train, &s.test, &s.valid}) {
    for (auto r : *part) {
      REQUIRE(r < d.numInteractions());
      ++seen[r];
    }
  }
  const auto dup = std::count_if(seen.begin(), seen.end(), [](int c) { return c > 1; });
  CHECK(dup == 0);
  CHECK(s.train.size() + s.test.size() + s.valid.size() + s.rowsDropped == d.numInteractions());
}

SplitResult run(const Dataset& d, SplitOptions o) {
  TaskContext ctx;
  return splitDataset(d, o, ctx);
}

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("numpy RandomState(42).rand reproduces numpy's first draws", "[prep]") {
  // np.random.RandomState(42).rand(3) = [0.3745401188473625, 0.9507143064099162,
  // 0.7319939418114051] (numpy's documented legacy stream).
  NumpyRandomState rs(42);
  CHECK(rs.rand() == 0.3745401188473625);
  CHECK(rs.rand() == 0.9507143064099162);
  CHECK(rs.rand() == 0.7319939418114051);
}

TEST_CASE("split method names round-trip", "[prep]") {
  for (auto m : {SplitMethod::kRandom, SplitMethod::kStratified, SplitMethod::kChronological,
                 SplitMethod::kTimeCutoff, SplitMethod::kLeaveLastN, SplitMethod::kColdItems,
                 SplitMethod::kColdUsers, SplitMethod::kRecommenders}) {
    CHECK(splitMethodFromName(splitMethodName(m)) == m);
  }
  CHECK(splitMethodFromName("leave-last-n") == SplitMethod::kLeaveLastN);
  CHECK_FALSE(splitMethodFromName("bogus").has_value());
}

TEST_CASE("every method partitions the rows, deterministically, with the right sizes", "[prep]") {
  const Dataset d = synthetic();
  for (auto m : {SplitMethod::kRandom, SplitMethod::kStratified, SplitMethod::kChronological,
                 SplitMethod::kTimeCutoff, SplitMethod::kLeaveLastN, SplitMethod::kColdItems,
                 SplitMethod::kColdUsers, SplitMethod::kRecommenders}) {
    for (double valid : {0.0, 0.2}) {
      SplitOptions o;
      o.method = m;
      o.validRatio = valid;
      o.seed = 11;
      INFO(splitMethodName(m) << " valid " << valid);
      const auto a = run(d, o);
      requirePartition(d, a);
      CHECK_FALSE(a.train.empty());
      CHECK_FALSE(a.test.empty());
      CHECK(a.valid.empty() == (valid == 0.0));
      const auto b = run(d, o);
      CHECK(a.train == b.train);
      CHECK(a.test == b.test);
      CHECK(a.valid == b.valid);
      CHECK(a.hash() == b.hash());
      if (m != SplitMethod::kChronological && m != SplitMethod::kTimeCutoff &&
          m != SplitMethod::kLeaveLastN) {
        o.seed = 12;
        CHECK(run(d, o).hash() != a.hash());
      }
    }
  }
}

TEST_CASE("random split takes round(ratio * n) rows", "[prep]") {
  const Dataset d = synthetic();
  SplitOptions o;
  o.ratio = 0.8;
  const auto s = run(d, o);
  const auto n = static_cast<double>(d.numInteractions());
  CHECK(s.train.size() == static_cast<std::size_t>(std::nearbyint(0.8 * n)));
  CHECK(std::is_sorted(s.train.begin(), s.train.end()));
}

TEST_CASE("stratified split keeps round(ratio * count) rows of every user", "[prep]") {
  const Dataset d = synthetic();
  SplitOptions o;
  o.method = SplitMethod::kStratified;
  o.ratio = 0.5;
  const auto s = run(d, o);
  const auto all = d.userCounts();
  const auto train = d.withRows(s.train).userCounts();
  for (std::size_t u = 0; u < all.size(); ++u) {
    // round half to even: count 1 -> 0 (0.5 rounds to 0), 3 -> 2, 5 -> 2.
    CHECK(train[u] == static_cast<std::uint32_t>(std::nearbyint(0.5 * all[u])));
  }
}

TEST_CASE("chronological split: no test event precedes a train event of the same user", "[prep]") {
  const Dataset d = synthetic();
  for (double valid : {0.0, 0.25}) {
    SplitOptions o;
    o.method = SplitMethod::kChronological;
    o.validRatio = valid;
    const auto s = run(d, o);
    std::vector<std::int64_t> lastTrain(d.numUsers(), INT64_MIN),
        firstLater(d.numUsers(), INT64_MAX);
    const auto& log = d.interactions;
    for (auto r : s.train)
      lastTrain[log.user[r]] = std::max(lastTrain[log.user[r]], log.timestamp[r]);
    for (auto* part : {&s.test, &s.valid}) {
      for (auto r : *part) {
        firstLater[log.user[r]] = std::min(firstLater[log.user[r]], log.timestamp[r]);
      }
    }
    for (std::size_t u = 0; u < d.numUsers(); ++u) CHECK(lastTrain[u] <= firstLater[u]);
    if (valid > 0) {
      // validation precedes test for every user
      std::vector<std::int64_t> lastValid(d.numUsers(), INT64_MIN);
      for (auto r : s.valid)
        lastValid[log.user[r]] = std::max(lastValid[log.user[r]], log.timestamp[r]);
      for (auto r : s.test) CHECK(lastValid[log.user[r]] <= log.timestamp[r]);
    }
  }
}

TEST_CASE("chronological ties are broken by file order", "[prep]") {
  Dataset d;
  const Index u = d.users.intern("u");
  for (int k = 0; k < 4; ++k) d.interactions.push(u, d.items.intern(std::to_string(k)), 1, 500);
  SplitOptions o;
  o.method = SplitMethod::kChronological;
  o.ratio = 0.5;
  const auto s = run(d, o);
  CHECK(s.train == std::vector<std::uint32_t>{0, 1});
  CHECK(s.test == std::vector<std::uint32_t>{2, 3});
}

TEST_CASE("time cutoff: train strictly before, test at or after the cutoff", "[prep]") {
  const Dataset d = synthetic();
  SplitOptions o;
  o.method = SplitMethod::kTimeCutoff;
  o.cutoff = 1200;
  auto s = run(d, o);
  REQUIRE(s.cutoff == 1200);
  for (auto r : s.train) CHECK(d.interactions.timestamp[r] < 1200);
  for (auto r : s.test) CHECK(d.interactions.timestamp[r] >= 1200);
  o.cutoff.reset();
  o.ratio = 0.6;
  s = run(d, o);
  REQUIRE(s.cutoff.has_value());
  const double share = static_cast<double>(s.train.size()) / d.numInteractions();
  CHECK(share <= 0.6 + 1e-9);
  CHECK(share > 0.5);  // ties at the cutoff all go to test, so the share is a bit below 0.6
  for (auto r : s.test) CHECK(d.interactions.timestamp[r] >= *s.cutoff);
}

TEST_CASE("leave-last-n-out holds out each user's last n events", "[prep]") {
  const Dataset d = synthetic();
  SplitOptions o;
  o.method = SplitMethod::kLeaveLastN;
  o.n = 2;
  const auto s = run(d, o);
  const auto all = d.userCounts();
  const auto test = d.withRows(s.test).userCounts();
  for (std::size_t u = 0; u < all.size(); ++u) CHECK(test[u] == (all[u] > 2 ? 2u : 0u));
  std::vector<std::int64_t> lastTrain(d.numUsers(), INT64_MIN);
  for (auto r : s.train) {
    lastTrain[d.interactions.user[r]] =
        std::max(lastTrain[d.interactions.user[r]], d.interactions.timestamp[r]);
  }
  for (auto r : s.test) CHECK(d.interactions.timestamp[r] >= lastTrain[d.interactions.user[r]]);
}

TEST_CASE("cold-start splits keep held-out entities out of train entirely", "[prep]") {
  const Dataset d = synthetic();
  for (auto m : {SplitMethod::kColdItems, SplitMethod::kColdUsers}) {
    SplitOptions o;
    o.method = m;
    o.ratio = 0.7;
    o.validRatio = 0.2;
    const auto s = run(d, o);
    const auto& keys = m == SplitMethod::kColdItems ? d.interactions.item : d.interactions.user;
    std::set<Index> train, valid, test;
    for (auto r : s.train) train.insert(keys[r]);
    for (auto r : s.valid) valid.insert(keys[r]);
    for (auto r : s.test) test.insert(keys[r]);
    for (auto k : test) {
      CHECK(train.count(k) == 0);
      CHECK(valid.count(k) == 0);
    }
    for (auto k : valid) CHECK(train.count(k) == 0);
    const std::size_t entities = train.size() + valid.size() + test.size();
    CHECK(test.size() == entities - static_cast<std::size_t>(std::nearbyint(0.7 * entities)));
  }
}

TEST_CASE("validation is carved from train only: test is unchanged by validRatio", "[prep]") {
  const Dataset d = synthetic();
  for (auto m : {SplitMethod::kRandom, SplitMethod::kStratified, SplitMethod::kChronological,
                 SplitMethod::kLeaveLastN, SplitMethod::kColdItems, SplitMethod::kRecommenders}) {
    SplitOptions o;
    o.method = m;
    const auto plain = run(d, o);
    o.validRatio = 0.3;
    const auto withValid = run(d, o);
    INFO(splitMethodName(m));
    CHECK(withValid.test == plain.test);
    std::set<std::uint32_t> train(plain.train.begin(), plain.train.end());
    for (auto r : withValid.valid) CHECK(train.count(r) == 1);
    CHECK(withValid.train.size() + withValid.valid.size() == plain.train.size());
  }
}

TEST_CASE("invalid split options are rejected with the field named", "[prep]") {
  const Dataset d = synthetic();
  SplitOptions o;
  o.ratio = 1.0;
  CHECK_THROWS_WITH(run(d, o), Catch::Contains("split.ratio"));
  o.ratio = 0.5;
  o.validRatio = -0.1;
  CHECK_THROWS_WITH(run(d, o), Catch::Contains("split.valid_ratio"));
  o.validRatio = 0;
  o.method = SplitMethod::kLeaveLastN;
  o.n = 0;
  CHECK_THROWS_AS(run(d, o), SpecError);
  o.method = SplitMethod::kRecommenders;
  o.seed = 1ull << 33;
  CHECK_THROWS_WITH(run(d, o), Catch::Contains("split.seed"));
}

TEST_CASE("chronological split without timestamps names the row", "[prep]") {
  Dataset d;
  d.interactions.push(d.users.intern("a"), d.items.intern("x"), 1, 10);
  d.interactions.push(d.users.intern("a"), d.items.intern("y"), 1, kNoTimestamp);
  SplitOptions o;
  o.method = SplitMethod::kChronological;
  CHECK_THROWS_WITH(run(d, o), Catch::Contains("row 2") && Catch::Contains("timestamp"));
}

TEST_CASE("a stopped context cancels the split", "[prep]") {
  const Dataset d = synthetic();
  TaskContext ctx;
  ctx.requestStop();
  SplitOptions o;
  o.method = SplitMethod::kStratified;
  CHECK_THROWS_AS(splitDataset(d, o, ctx), Cancelled);
}

TEST_CASE("materializeSplit shares id maps and keeps row order", "[prep]") {
  const Dataset d = synthetic();
  SplitOptions o;
  o.validRatio = 0.1;
  const auto s = run(d, o);
  const auto parts = materializeSplit(d, s);
  CHECK(parts.train.numInteractions() == s.train.size());
  CHECK(parts.test.numInteractions() == s.test.size());
  REQUIRE(parts.valid.has_value());
  CHECK(parts.valid->numInteractions() == s.valid.size());
  CHECK(parts.test.users.names() == d.users.names());
  CHECK(parts.test.interactions.item[0] == d.interactions.item[s.test[0]]);
}

TEST_CASE("recommenders mode reproduces python_stratified_split on ml-100k row for row",
          "[prep][shared]") {
  RWB_REQUIRE_SHARED_DATA(shared);
  TaskContext ctx;
  DelimitedOptions lo;
  lo.delimiter = '\t';
  lo.header = HeaderMode::kNo;
  const auto loaded = loadDelimited((shared / "ml-100k" / "u.data").string(), lo, ctx);
  REQUIRE(loaded.dataset.numInteractions() == 100000);
  SplitOptions o;
  o.method = SplitMethod::kRecommenders;
  o.ratio = 0.75;
  o.by = SplitBy::kItem;
  o.seed = 42;
  const auto s = splitDataset(loaded.dataset, o, ctx);
  CHECK(s.train.size() == 75066);
  CHECK(s.test.size() == 24934);
  const auto parts = materializeSplit(loaded.dataset, s);
  test::TempDir tmp;
  writeInteractionsTsv(parts.train, (tmp / "train.tsv").string(), ctx);
  writeInteractionsTsv(parts.test, (tmp / "test.tsv").string(), ctx);
  // Byte equality = same rows in the same order (the library's order: by item, then draw).
  const auto expectTrain = readAll(shared / "ml-100k-recsplit" / "train.tsv");
  const auto expectTest = readAll(shared / "ml-100k-recsplit" / "test.tsv");
  CHECK(readAll(tmp / "train.tsv") == expectTrain);
  CHECK(readAll(tmp / "test.tsv") == expectTest);
}
