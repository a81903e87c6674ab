#include "core/models/sar.h"

#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "item_models_support.h"
#include "test_support.h"

using namespace rwb;

namespace {
// Three users, four items, hand-checkable co-occurrences:
//   a: x y z      b: x y      c: y w
// counts: x=2 y=3 z=1 w=1; c(x,y)=2 c(x,z)=1 c(y,z)=1 c(y,w)=1.
Dataset handData() {
  Dataset d;
  auto add = [&](const char* u, const char* i, float v, std::int64_t t) {
    d.interactions.push(d.users.intern(u), d.items.intern(i), v, t);
  };
  const std::int64_t day = 86400;
  add("a", "x", 5, 100 * day);
  add("a", "y", 3, 70 * day);  // 30 days before the latest event: decay 0.5
  add("a", "z", 4, 100 * day);
  add("b", "x", 2, 40 * day);  // 60 days: decay 0.25
  add("b", "y", 1, 100 * day);
  add("c", "y", 2, 100 * day);
  add("c", "w", 1, 100 * day);
  return d;
}

double simOf(const Sar& m, const Dataset& d, const char* a, const char* b) {
  const Index i = *d.items.find(a), j = *d.items.find(b);
  const auto sim = m.similarity();
  const auto cols = sim.rowIndices(i);
  const auto vals = sim.rowValues(i);
  for (std::size_t t = 0; t < cols.size(); ++t) {
    if (cols[t] == j) return vals[t];
  }
  return 0.0;
}
}  // namespace

TEST_CASE("sar: affinities decay by half-life and similarities follow the formulas",
          "[models][sar]") {
  const Dataset d = handData();
  TaskContext ctx;
  auto m = createModel("sar");
  m->fit({d}, ctx);
  const auto& sar = dynamic_cast<const Sar&>(*m);
  const Index b = *d.users.find("b");
  const auto aff = sar.affinities(b);  // b's seen items in index order: x (0), y (1)
  REQUIRE(aff.size() == 2);
  CHECK(aff[0] == Approx(2 * 0.25));
  CHECK(aff[1] == Approx(1.0));
  // jaccard: c(x,y) / (2 + 3 - 2) = 2/3; c(y,w) / (3 + 1 - 1) = 1/3; x and w never co-occur.
  CHECK(simOf(sar, d, "x", "y") == Approx(2.0 / 3.0));
  CHECK(simOf(sar, d, "y", "w") == Approx(1.0 / 3.0));
  CHECK(simOf(sar, d, "x", "w") == 0.0);
  CHECK(simOf(sar, d, "x", "x") == Approx(1.0));

  // score(b, z) = a_bx s(x,z) + a_by s(y,z) = 0.5 * 1/2 + 1 * 1/3
  const Index z = *d.items.find("z"), w = *d.items.find("w");
  std::vector<Index> items{z, w};
  std::vector<float> out(2);
  m->score(b, items, out);
  CHECK(out[0] == Approx(0.5 * 0.5 + 1.0 / 3.0));
  CHECK(out[1] == Approx(1.0 / 3.0));
  const auto recs = m->recommend(b, 5);
  REQUIRE(recs.items.size() == 2);
  CHECK(recs.items[0].item == z);
  CHECK(recs.items[1].item == w);
}

TEST_CASE("sar: every similarity type and the threshold", "[models][sar]") {
  const Dataset d = handData();
  TaskContext ctx;
  auto fitSim = [&](const char* type, int threshold = 1) {
    auto m = createModel("sar", {{"similarity", type}, {"threshold", threshold}});
    m->fit({d}, ctx);
    return m;
  };
  auto check = [&](const char* type, double expectXY) {
    auto m = fitSim(type);
    CHECK(simOf(dynamic_cast<const Sar&>(*m), d, "x", "y") == Approx(expectXY));
  };
  check("cooccurrence", 2.0);
  check("lift", 2.0 / (2 * 3));
  check("cosine", 2.0 / std::sqrt(6.0));
  check("inclusion_index", 2.0 / 2.0);
  check("mutual_information", std::log2(4 * 2.0 / 6.0));
  check("lexicographers_mi", 2.0 * std::log2(4 * 2.0 / 6.0));
  // threshold 2 keeps only c(x,y) = 2 and the diagonals of x and y.
  auto m = fitSim("cooccurrence", 2);
  const auto& sar = dynamic_cast<const Sar&>(*m);
  CHECK(simOf(sar, d, "x", "y") == 2.0);
  CHECK(simOf(sar, d, "y", "w") == 0.0);
  CHECK(simOf(sar, d, "z", "z") == 0.0);
  CHECK(sar.similarity().nnz() == 4);
}

TEST_CASE("sar: without time decay affinities are the raw values", "[models][sar]") {
  const Dataset d = handData();
  TaskContext ctx;
  auto m = createModel("sar", {{"time_decay", false}});
  m->fit({d}, ctx);
  const auto aff = dynamic_cast<const Sar&>(*m).affinities(*d.users.find("b"));
  REQUIRE(aff.size() == 2);
  CHECK(aff[0] == 2.0);
  CHECK(aff[1] == 1.0);
}

TEST_CASE("sar: parity with Microsoft Recommenders' SAR on the recsplit", "[models][sar][shared]") {
  RWB_REQUIRE_SHARED_DATA(shared);
  const auto data = test::loadRecsplit(shared);
  TaskContext ctx;
  auto model = createModel("sar");
  model->fit({data.train}, ctx);

  // Reference lists: user -> [(item, score)] in file order.
  std::map<Index, std::vector<std::pair<Index, double>>> ref;
  std::ifstream in(shared / "ml-100k-recsplit/sar_top10.tsv");
  REQUIRE(in);
  std::string u, i;
  double s = 0;
  while (in >> u >> i >> s) {
    const auto ui = data.train.users.find(u);
    const auto ii = data.train.items.find(i);
    REQUIRE(ui);
    REQUIRE(ii);
    ref[*ui].push_back({*ii, s});
  }
  REQUIRE(ref.size() == 943);

  std::size_t exactSets = 0, scoreMismatches = 0, setMismatches = 0;
  std::map<Index, std::vector<Index>> ours;
  for (const auto& [user, list] : ref) {
    const auto recs = model->recommend(user, 10, true);
    REQUIRE(recs.items.size() == 10);
    // Our score of each reference item equals the reference score (float output).
    for (const auto& [item, refScore] : list) {
      float mine = 0;
      model->score(user, std::span<const Index>(&item, 1), std::span<float>(&mine, 1));
      if (std::abs(mine - refScore) > 1e-6 * std::max(1.0, std::abs(refScore))) ++scoreMismatches;
    }
    // Tie-aware set comparison: every item we return must reach the reference's 10th score,
    // and every reference item strictly above that score must be ours.
    const double tenth = list.back().second;
    const double tol = 1e-6 * std::max(1.0, std::abs(tenth));
    std::set<Index> mine;
    for (const auto& r : recs.items) {
      mine.insert(r.item);
      ours[user].push_back(r.item);
      if (r.score < tenth - tol) ++setMismatches;
    }
    bool same = true;
    for (const auto& [item, refScore] : list) {
      if (!mine.count(item)) {
        same = false;
        if (refScore > tenth + tol) ++setMismatches;
      }
    }
    exactSets += same ? 1 : 0;
  }
  CHECK(scoreMismatches == 0);
  CHECK(setMismatches == 0);
  INFO("users whose top-10 set equals the reference exactly: " << exactSets);
  CHECK(exactSets >= 940);

  std::ifstream mj(shared / "ml-100k-recsplit/expected_metrics.json");
  const auto expected = nlohmann::json::parse(mj);
  const auto got = test::rankingMetrics(ours, data.train, data.test, 10);
  CHECK(got.users == 943);
  CHECK(got.ndcg == Approx(expected["ndcg_at_k"].get<double>()).margin(1e-4));
  CHECK(got.map == Approx(expected["map"].get<double>()).margin(1e-4));
  CHECK(got.precision == Approx(expected["precision_at_k"].get<double>()).margin(1e-4));
  CHECK(got.recall == Approx(expected["recall_at_k"].get<double>()).margin(1e-4));
}

namespace {
// 3,000 items with Zipf-like popularity (popular items get dense similarity rows, the tail
// sparse ones, and the columns span several passes of the scoring kernel), 400 users with 3..60
// items, one user and one item without training data.
Dataset zipfData(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::size_t items = 3000;
  std::vector<double> w(items);
  for (std::size_t i = 0; i < items; ++i) w[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.9);
  std::discrete_distribution<std::size_t> pick(w.begin(), w.end());
  Dataset d;
  for (std::size_t i = 0; i < items; ++i) d.items.intern("i" + std::to_string(i));
  d.items.intern("never-seen");
  d.users.intern("no-history");
  for (int u = 0; u < 400; ++u) {
    const Index user = d.users.intern("u" + std::to_string(u));
    const std::size_t count = 3 + rng() % 58;
    for (std::size_t t = 0; t < count; ++t) {
      d.interactions.push(user, static_cast<Index>(pick(rng)), 1.0f + static_cast<float>(rng() % 5),
                          1'600'000'000 + static_cast<std::int64_t>(rng() % 10'000'000));
    }
  }
  return d;
}
}  // namespace

TEST_CASE("sar: the blocked batch top-k equals recommend() and score()", "[models][sar]") {
  const Dataset d = zipfData(7);
  // jaccard with decay: almost no ties; co-occurrence without decay: many exact ties, which
  // both paths must break by item index.
  for (const Params& p :
       {Params::object(), Params{{"similarity", "cooccurrence"}, {"time_decay", false}}}) {
    INFO(p.dump());
    auto m = createModel("sar", p);
    TaskContext ctx;
    m->fit({d}, ctx);
    const auto& sar = dynamic_cast<const Sar&>(*m);
    std::size_t sparseRows = 0, denseRows = 0;
    const auto sim = sar.similarity();
    for (std::size_t i = 0; i < d.numItems(); ++i) {
      const auto nnz = sim.rowIndices(i).size();
      if (nnz * 4 >= d.numItems()) {
        ++denseRows;
      } else if (nnz > 0) {
        ++sparseRows;
      }
    }
    CHECK(denseRows > 20);  // both kinds of rows are exercised
    CHECK(sparseRows > 500);
    std::vector<Index> users(d.numUsers());
    std::iota(users.begin(), users.end(), Index{0});
    std::reverse(users.begin(), users.end());  // any order
    const Index never = *d.items.find("never-seen");
    std::size_t trained = 0;
    for (float pop : m->itemPopularity()) trained += pop > 0.0f ? 1 : 0;
    for (bool exclude : {true, false}) {
      for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{10}, std::size_t{5000},
                            std::numeric_limits<std::size_t>::max()}) {
        const auto batch = m->recommendBatch(users, k, exclude, ctx);
        REQUIRE(batch.size() == users.size());
        std::size_t mismatches = 0;
        for (std::size_t j = 0; j < users.size(); ++j) {
          const auto single = m->recommend(users[j], k, exclude);
          if (batch[j].items != single.items || batch[j].fallback != single.fallback) ++mismatches;
          if (batch[j].fallback) continue;  // popularity lists are the base class's
          std::vector<Index> items;
          for (const auto& s : batch[j].items) items.push_back(s.item);
          std::vector<float> scores(items.size());
          m->score(users[j], items, scores);
          for (std::size_t t = 0; t < items.size(); ++t) {
            // score() is the list's (double) score as a float.
            if (items[t] == never || scores[t] != static_cast<float>(batch[j].items[t].score))
              ++mismatches;
          }
        }
        CHECK(mismatches == 0);
        CHECK(batch.back().fallback);  // "no-history" has index 0
        CHECK_FALSE(batch.front().fallback);
        // Every trained item gets a finite score, so a long list holds all of them.
        const std::size_t seen = exclude ? m->seenItems(users[0]).size() : 0;
        CHECK(batch.front().items.size() == std::min(k, trained - seen));
      }
    }
    TaskContext stopped;
    stopped.requestStop();
    CHECK_THROWS_AS(m->recommendBatch(users, 10, true, stopped), Cancelled);
  }
}

namespace {
// zipfData's users, with the first `oldUsers` users' events moved `yearsBack` years into the
// past: a log that spans decades, as real logs do.
Dataset longSpanData(int oldUsers, int yearsBack) {
  Dataset d = zipfData(11);
  const std::int64_t shift = static_cast<std::int64_t>(yearsBack) * 365 * 86400;
  for (std::size_t r = 0; r < d.numInteractions(); ++r) {
    if (d.interactions.user[r] >= 1 && d.interactions.user[r] <= static_cast<Index>(oldUsers))
      d.interactions.timestamp.set(r, d.interactions.timestamp[r] - shift);
  }
  return d;
}

std::int64_t newestTimestamp(const Dataset& d) {
  return *std::max_element(d.interactions.timestamp.begin(), d.interactions.timestamp.end());
}
}  // namespace

TEST_CASE("sar: moving time_now multiplies every score by one factor and keeps every list",
          "[models][sar]") {
  // Regression: scores went through float, so users ~10 years older than time_now scored 0
  // everywhere and got item-index order instead of their ranking.
  for (const int years : {0, 30}) {
    DYNAMIC_SECTION("events up to " << years << " years before the newest") {
      const Dataset d = longSpanData(150, years);
      const std::int64_t later = newestTimestamp(d) + 20LL * 365 * 86400;
      TaskContext ctx;
      auto base = createModel("sar");
      auto moved = createModel("sar", {{"time_now", later}});
      base->fit({d}, ctx);
      moved->fit({d}, ctx);
      // 2^-(20 years / 30 days): every reference score shrinks by this factor.
      const double factor =
          std::exp2(-static_cast<double>(later - newestTimestamp(d)) / (30.0 * 86400.0));
      std::size_t compared = 0;
      for (Index u = 1; u < d.numUsers(); ++u) {
        const auto a = base->recommend(u, 10), b = moved->recommend(u, 10);
        REQUIRE(a.items.size() == b.items.size());
        for (std::size_t k = 0; k < a.items.size(); ++k) {
          REQUIRE(a.items[k].item == b.items[k].item);
          CHECK(b.items[k].score == Approx(a.items[k].score * factor).epsilon(1e-12));
          REQUIRE(a.items[k].score > 0.0);  // never an underflowed 0
        }
        compared += a.items.size();
      }
      CHECK(compared > 3000);
    }
  }
}

TEST_CASE("sar: a user decades older than time_now ranks as if time_now were their newest event",
          "[models][sar]") {
  const Dataset d = longSpanData(50, 30);
  TaskContext ctx;
  auto model = createModel("sar");
  model->fit({d}, ctx);
  const auto& sar = dynamic_cast<const Sar&>(*model);
  for (Index u = 1; u <= 50; u += 7) {
    // The user's own newest event as time_now: the reference's own weights, nothing rescaled.
    std::int64_t newest = 0;
    for (std::size_t r = 0; r < d.numInteractions(); ++r) {
      if (d.interactions.user[r] == u) newest = std::max(newest, d.interactions.timestamp[r]);
    }
    auto own = createModel("sar", {{"time_now", newest}});
    own->fit({d}, ctx);
    CHECK(sar.logScale(u) < -300.0);  // 30 years = 365 half-lives: far below float's range
    const auto a = model->recommend(u, 10), b = own->recommend(u, 10);
    REQUIRE(a.items.size() == 10);
    for (std::size_t k = 0; k < 10; ++k) {
      CHECK(a.items[k].item == b.items[k].item);
      CHECK(a.items[k].score ==
            Approx(b.items[k].score * std::exp2(sar.logScale(u))).epsilon(1e-12));
    }
    // Save and load keep the scale.
    const auto back = loadModelFromBytes(saveModelToBytes(*model));
    CHECK(back->recommend(u, 10).items == a.items);
  }
}

TEST_CASE("models that use time refuse implausible timestamps, naming the row",
          "[models][sar][timestamps]") {
  // Regression: one year-3000 (or millisecond) timestamp became every user's t_now and
  // silently rescaled the whole decay.
  for (const std::int64_t bad :
       {std::int64_t{32503680000}, std::int64_t{1700000000000}, std::int64_t{-5}}) {
    DYNAMIC_SECTION("timestamp " << bad) {
      Dataset d = handData();
      d.interactions.timestamp.set(3, bad);  // user b, item x
      TaskContext ctx;
      auto sar = createModel("sar");
      CHECK_THROWS_WITH(sar->fit({d}, ctx), Catch::Contains("sar with time_decay uses time") &&
                                                Catch::Contains("1 of 7 training rows") &&
                                                Catch::Contains("user 'b', item 'x'") &&
                                                Catch::Contains(std::to_string(bad)) &&
                                                Catch::Contains("or set time_decay to false"));
      CHECK_FALSE(sar->isFitted());
      if (bad == 1700000000000) {
        CHECK_THROWS_WITH(createModel("sar")->fit({d}, ctx), Catch::Contains("milliseconds"));
      }
      // Without decay the timestamps are not used: accepted.
      auto plain = createModel("sar", {{"time_decay", false}});
      plain->fit({d}, ctx);
      CHECK(plain->isFitted());
      // Popularity decay refuses too; plain popularity does not use time.
      CHECK_THROWS_WITH(createModel("most_popular", {{"half_life_days", 30.0}})->fit({d}, ctx),
                        Catch::Contains("half_life_days"));
      auto pop = createModel("most_popular");
      pop->fit({d}, ctx);
      CHECK(pop->isFitted());
    }
  }
  Dataset d = handData();
  TaskContext ctx;
  CHECK_THROWS_WITH(createModel("sar", {{"time_now", 32503680000LL}})->fit({d}, ctx),
                    Catch::Contains("time_now 32503680000"));
}

namespace {
// 600 items, 70 heavy users (120 to 480 distinct items each: their co-occurrence goes through
// bit rows) and 60 light ones (2 to 20 items: scattered counts), Zipf-like popularity.
Dataset heavyUserData() {
  std::mt19937_64 rng(99);
  const std::size_t items = 600;
  std::vector<double> w(items);
  for (std::size_t i = 0; i < items; ++i) w[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.9);
  std::discrete_distribution<std::size_t> pick(w.begin(), w.end());
  Dataset d;
  for (std::size_t i = 0; i < items; ++i) d.items.intern("i" + std::to_string(i));
  for (int u = 0; u < 130; ++u) {
    const Index user = d.users.intern("u" + std::to_string(u));
    const std::size_t count = u % 2 == 0 || u < 10 ? 120 + rng() % 361 : 2 + rng() % 19;
    std::vector<std::uint8_t> taken(items, 0);
    for (std::size_t t = 0; t < count;) {
      const auto i = pick(rng);
      if (taken[i]) continue;
      taken[i] = 1;
      ++t;
      d.interactions.push(user, static_cast<Index>(i), 1.0f + static_cast<float>(rng() % 5),
                          1'600'000'000 + static_cast<std::int64_t>(rng() % 10'000'000));
    }
  }
  return d;
}
}  // namespace

TEST_CASE("sar: heavy users' co-occurrence equals the plain count for every similarity",
          "[models][sar]") {
  const Dataset d = heavyUserData();
  const std::size_t n = d.numItems();
  // Brute force: c_ij = number of users with both.
  std::vector<std::vector<Index>> byUser(d.numUsers());
  for (std::size_t r = 0; r < d.numInteractions(); ++r)
    byUser[d.interactions.user[r]].push_back(d.interactions.item[r]);
  std::vector<double> c(n * n, 0.0);
  for (const auto& items : byUser) {
    for (const Index i : items) {
      for (const Index j : items) c[i * n + j] += 1.0;
    }
  }
  std::size_t trained = 0;
  for (std::size_t i = 0; i < n; ++i) trained += c[i * n + i] > 0 ? 1 : 0;
  const std::vector<std::pair<std::string, std::function<double(double, double, double)>>> types{
      {"cooccurrence", [](double x, double, double) { return x; }},
      {"jaccard", [](double x, double a, double b) { return x / (a + b - x); }},
      {"lift", [](double x, double a, double b) { return x / (a * b); }},
      {"cosine", [](double x, double a, double b) { return x / std::sqrt(a * b); }},
      {"inclusion_index", [](double x, double a, double b) { return x / std::min(a, b); }},
      {"mutual_information",
       [&](double x, double a, double b) { return std::log2(trained * (x / (a * b))); }},
      {"lexicographers_mi",
       [&](double x, double a, double b) { return x * std::log2(trained * (x / (a * b))); }}};
  TaskContext ctx;
  for (const auto& [type, formula] : types) {
    INFO(type);
    auto m = createModel("sar", {{"similarity", type}, {"time_decay", false}});
    m->fit({d}, ctx);
    const auto sim = dynamic_cast<const Sar&>(*m).similarity();
    std::size_t wrong = 0, stored = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<double> row(n, 0.0);
      const auto cols = sim.rowIndices(i);
      const auto vals = sim.rowValues(i);
      for (std::size_t t = 0; t < cols.size(); ++t) row[cols[t]] = vals[t];
      stored += cols.size();
      for (std::size_t j = 0; j < n; ++j) {
        const double x = c[i * n + j];
        double want = x > 0 ? formula(x, c[i * n + i], c[j * n + j]) : 0.0;
        if (!std::isfinite(want)) want = 0.0;
        if (row[j] != want) ++wrong;
      }
    }
    CHECK(wrong == 0);
    CHECK(stored > n * n / 4);  // dense enough that many rows are kept dense
  }
}

TEST_CASE("sar: the fit and the lists do not depend on the thread count", "[models][sar]") {
  for (const Dataset& d : {heavyUserData(), zipfData(3)}) {
    std::vector<std::unique_ptr<Model>> models;
    for (int threads : {1, 2, 3}) {
      auto m = createModel("sar");
      TaskContext ctx;
      m->fit({d, nullptr, 42, threads}, ctx);
      models.push_back(std::move(m));
    }
    std::vector<Index> users(d.numUsers());
    std::iota(users.begin(), users.end(), Index{0});
    const auto& first = dynamic_cast<const Sar&>(*models[0]);
    TaskContext ctx;
    // Lists of the 1-thread fit ranked in a 1-thread arena, the others in wider arenas.
    std::vector<RecList> lists;
    tbb::task_arena(1).execute([&] { lists = first.recommendBatch(users, 20, true, ctx); });
    for (std::size_t k = 1; k < models.size(); ++k) {
      const auto& other = dynamic_cast<const Sar&>(*models[k]);
      CHECK(other.similarity().values == first.similarity().values);
      CHECK(other.similarity().indices == first.similarity().indices);
      std::vector<RecList> more;
      tbb::task_arena(static_cast<int>(k) + 1).execute([&] {
        more = other.recommendBatch(users, 20, true, ctx);
      });
      std::size_t differ = 0;
      for (std::size_t u = 0; u < users.size(); ++u) differ += more[u].items != lists[u].items;
      CHECK(differ == 0);
    }
  }
}

TEST_CASE("sar: scores summed over chunks of dense rows equal the plain ascending sum",
          "[models][sar]") {
  // 2,600 items and 90 users with 700 to 1,300 items each: more than 2,048 dense rows, so the
  // scoring kernel takes them in chunks; every score must still be the sum over the user's
  // items in the documented order (dense rows ascending, then sparse rows ascending), bit for
  // bit.
  std::mt19937_64 rng(5);
  const std::size_t n = 2600;
  std::vector<double> w(n);
  for (std::size_t i = 0; i < n; ++i) w[i] = 1.0 / std::pow(static_cast<double>(i + 1), 0.5);
  std::discrete_distribution<std::size_t> pick(w.begin(), w.end());
  Dataset d;
  for (std::size_t i = 0; i < n; ++i) d.items.intern("i" + std::to_string(i));
  for (int u = 0; u < 90; ++u) {
    const Index user = d.users.intern("u" + std::to_string(u));
    const std::size_t count = 700 + rng() % 601;
    std::vector<std::uint8_t> taken(n, 0);
    for (std::size_t t = 0; t < count;) {
      const auto i = pick(rng);
      if (taken[i]) continue;
      taken[i] = 1;
      ++t;
      d.interactions.push(user, static_cast<Index>(i), 1.0f + static_cast<float>(rng() % 5), 0);
    }
  }
  auto m = createModel("sar", {{"time_decay", false}});
  TaskContext ctx;
  m->fit({d}, ctx);
  const auto& sar = dynamic_cast<const Sar&>(*m);
  const auto sim = sar.similarity();
  std::vector<double> s(n * n, 0.0);
  std::vector<std::uint8_t> dense(n, 0);
  std::size_t denseRows = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto cols = sim.rowIndices(i);
    const auto vals = sim.rowValues(i);
    for (std::size_t t = 0; t < cols.size(); ++t) s[i * n + cols[t]] = vals[t];
    dense[i] = cols.size() * 4 >= n;  // the model's rule while n x n doubles fit 64 MB
    denseRows += dense[i];
  }
  REQUIRE(denseRows > 2048);
  std::vector<Index> users(d.numUsers());
  std::iota(users.begin(), users.end(), Index{0});
  const auto lists = m->recommendBatch(users, n, false, ctx);
  std::size_t wrong = 0, checked = 0;
  for (const Index u : users) {
    const auto items = m->seenItems(u);
    const auto aff = sar.affinities(u);
    std::vector<double> want(n, 0.0);
    for (const bool denseFirst : {true, false}) {
      for (std::size_t k = 0; k < items.size(); ++k) {
        if (static_cast<bool>(dense[items[k]]) != denseFirst) continue;
        for (std::size_t j = 0; j < n; ++j) want[j] += aff[k] * s[items[k] * n + j];
      }
    }
    for (const auto& it : lists[u].items) {
      ++checked;
      if (it.score != want[it.item]) ++wrong;
    }
  }
  CHECK(checked > 90 * 2000);
  CHECK(wrong == 0);
}
