// Behaviour shared by the factor models (iALS, BPR-MF, biased MF): the blocked top-k path equals
// the per-user path, save/load, determinism, cancel, early stopping.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/models/factor_model.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "planted_data.h"
#include "test_support.h"

using namespace rwb;

namespace {

// Quick settings so that each fit takes milliseconds.
Params quickParams(const std::string& name) {
  if (name == "ials") return {{"factors", 8}, {"iterations", 6}};
  if (name == "bpr") return {{"factors", 8}, {"epochs", 30}};
  return {{"factors", 8}, {"epochs", 30}};
}

std::unique_ptr<Model> fitted(const std::string& name, const Dataset& d, std::uint64_t seed = 42,
                              int threads = 2, Params params = {}) {
  if (params.is_null()) params = quickParams(name);
  auto m = createModel(name, params);
  TaskContext ctx;
  m->fit({d, nullptr, seed, threads}, ctx);
  return m;
}

std::vector<float> allScores(const Model& m) {
  std::vector<Index> items(m.numItems());
  for (std::size_t i = 0; i < items.size(); ++i) items[i] = static_cast<Index>(i);
  std::vector<float> out, row(items.size());
  for (Index u = 0; u < m.numUsers(); ++u) {
    m.score(u, items, row);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

}  // namespace

TEST_CASE("factor models: blocked batch top-k equals recommend() and score()", "[models][factor]") {
  const auto p = test::plantedCommunities(70, 53, 8);  // 53 items: a partial last panel
  for (const std::string name : {"ials", "bpr", "biased_mf"}) {
    INFO(name);
    auto m = fitted(name, p.data);
    std::vector<Index> users(m->numUsers());
    for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<Index>(u);
    for (bool exclude : {true, false}) {
      for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{10}, std::size_t{100}}) {
        TaskContext ctx;
        const auto batch = m->recommendBatch(users, k, exclude, ctx);
        REQUIRE(batch.size() == users.size());
        for (Index u : users) {
          const auto single = m->recommend(u, k, exclude);
          REQUIRE(batch[u].items == single.items);
          CHECK(batch[u].fallback == single.fallback);
          // Scores of the list equal score() bit for bit.
          std::vector<Index> items;
          for (const auto& s : single.items) items.push_back(s.item);
          std::vector<float> sc(items.size());
          m->score(u, items, sc);
          for (std::size_t j = 0; j < items.size(); ++j) CHECK(sc[j] == single.items[j].score);
          if (exclude) {
            for (const auto& s : single.items) {
              const auto seen = m->seenItems(u);
              CHECK_FALSE(std::binary_search(seen.begin(), seen.end(), s.item));
            }
          }
        }
      }
    }
    const Index lonely = *p.data.users.find("lonely");
    const auto rec = m->recommend(lonely, 5);
    CHECK(rec.fallback);
    CHECK(rec.items.size() == 5);
  }
}

TEST_CASE("factor models recover planted communities", "[models][factor]") {
  const auto p = test::plantedCommunities(60, 40, 8);
  for (const std::string name : {"ials", "bpr"}) {
    INFO(name);
    Params params =
        name == "ials"
            ? Params{{"factors", 4}, {"iterations", 10}, {"regularization", 1.0}, {"alpha", 5.0}}
            : Params{{"factors", 8}, {"epochs", 60}};
    auto m = fitted(name, p.data, 42, 2, params);
    std::size_t inGroup = 0, total = 0;
    for (Index u = 0; u < p.users; ++u) {
      for (const auto& s : m->recommend(u, 5).items) {
        inGroup += p.groupOfItem(s.item) == p.groupOfUser(u) ? 1 : 0;
        ++total;
      }
    }
    // 12 unseen items of the user's own group exist; nearly all top-5 slots must come from it.
    CHECK(static_cast<double>(inGroup) / total >= 0.95);
  }
}

TEST_CASE("factor models save and load to identical scores; corrupt blobs are rejected",
          "[models][factor]") {
  const auto p = test::plantedCommunities();
  for (const std::string name : {"ials", "bpr", "biased_mf"}) {
    INFO(name);
    auto m = fitted(name, p.data);
    const std::string blob = saveModelToBytes(*m);
    auto loaded = loadModelFromBytes(blob);
    CHECK(loaded->type() == name);
    CHECK(loaded->params() == m->params());
    CHECK(allScores(*loaded) == allScores(*m));
    for (Index u = 0; u < m->numUsers(); ++u) {
      CHECK(loaded->recommend(u, 7).items == m->recommend(u, 7).items);
    }
    for (std::size_t cut = 0; cut < blob.size(); cut += 97) {
      CHECK_THROWS_AS(loadModelFromBytes(std::string_view(blob).substr(0, cut)), ModelError);
    }
    CHECK_THROWS_AS(loadModelFromBytes(blob + "x"), ModelError);
  }
}

TEST_CASE("factor models are deterministic for a fixed seed and thread count", "[models][factor]") {
  const auto p = test::plantedCommunities(80, 50, 10);
  for (const std::string name : {"ials", "bpr", "biased_mf"}) {
    INFO(name);
    for (int threads : {1, 2, 3}) {
      INFO("threads " << threads);
      const auto a = allScores(*fitted(name, p.data, 7, threads));
      const auto b = allScores(*fitted(name, p.data, 7, threads));
      CHECK(a == b);
      const auto c = allScores(*fitted(name, p.data, 8, threads));
      CHECK(a != c);
    }
  }
}

TEST_CASE("factor models report epochs, stop early and cancel", "[models][factor]") {
  const auto p = test::plantedCommunities();
  const Dataset validation = p.data.withRows(std::vector<std::uint32_t>{0, 9, 17, 300, 301});
  for (const std::string name : {"ials", "bpr", "biased_mf"}) {
    INFO(name);
    SECTION("epoch metrics and early stop keep a fitted model") {
      auto m = createModel(name, quickParams(name));
      TaskContext ctx;
      ctx.setEpochCallback([](int epoch, const EpochMetrics&) { return epoch == 3; });
      m->fit({p.data, &validation, 1, 2}, ctx);
      CHECK(m->isFitted());
      const auto h = ctx.history();
      REQUIRE(h.size() == 3);
      CHECK(h[0].second[0].first == "loss");
      CHECK(std::isfinite(h[0].second[0].second));
      const std::string valid = name == "biased_mf" ? "valid_rmse" : "valid_ndcg@10";
      REQUIRE(h[0].second.size() == 2);
      CHECK(h[0].second[1].first == valid);
    }
    SECTION("a stop request cancels and leaves the model unfitted") {
      auto m = createModel(name, quickParams(name));
      TaskContext ctx;
      ctx.setEpochCallback([&ctx](int epoch, const EpochMetrics&) {
        if (epoch == 2) ctx.requestStop();
        return false;
      });
      CHECK_THROWS_AS(m->fit({p.data, nullptr, 1, 2}, ctx), Cancelled);
      CHECK_FALSE(m->isFitted());
      CHECK_THROWS_AS(m->recommend(0, 3), ModelError);
      CHECK(ctx.history().size() == 2);
    }
  }
}

TEST_CASE("factor model training cancels within 200 ms from another thread", "[models][factor]") {
  // A dataset big enough that a fit runs for seconds: 4000 users x 2000 items, 60 per user.
  const auto p = test::plantedCommunities(4000, 2000, 60, 3);
  for (const std::string name : {"ials", "bpr", "biased_mf"}) {
    INFO(name);
    Params params = name == "ials" ? Params{{"factors", 64}, {"iterations", 1000}}
                                   : Params{{"factors", 64}, {"epochs", 10000}};
    auto m = createModel(name, params);
    TaskContext ctx;
    std::mutex mu;
    std::condition_variable cv;
    bool started = false;
    ctx.setEpochCallback([&](int, const EpochMetrics&) {
      std::lock_guard lock(mu);
      started = true;
      cv.notify_all();
      return false;
    });
    std::chrono::steady_clock::time_point stoppedAt;
    std::thread canceller([&] {
      std::unique_lock lock(mu);
      REQUIRE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return started; }));
      stoppedAt = std::chrono::steady_clock::now();
      ctx.requestStop();
    });
    CHECK_THROWS_AS(m->fit({p.data, nullptr, 1, 2}, ctx), Cancelled);
    const auto latency = std::chrono::steady_clock::now() - stoppedAt;
    canceller.join();
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(latency).count() < 200);
    CHECK_FALSE(m->isFitted());
  }
}

TEST_CASE("factor models refuse to score before fit", "[models][factor]") {
  for (const std::string name : {"ials", "bpr", "biased_mf"}) {
    auto m = createModel(name);
    TaskContext ctx;
    const std::vector<Index> users{0};
    CHECK_THROWS_AS(m->recommendBatch(users, 3, true, ctx), ModelError);
    CHECK_THROWS_AS(m->recommend(0, 3), ModelError);
  }
}

TEST_CASE("factor models: similar items come from the same planted community", "[models][factor]") {
  const auto p = test::plantedCommunities(60, 40, 8);
  for (const std::string name : {"ials", "bpr"}) {
    INFO(name);
    Params params =
        name == "ials"
            ? Params{{"factors", 4}, {"iterations", 10}, {"regularization", 1.0}, {"alpha", 5.0}}
            : Params{{"factors", 8}, {"epochs", 60}};
    auto m = fitted(name, p.data, 42, 2, params);
    std::size_t same = 0, total = 0;
    for (Index i = 0; i < p.items; ++i) {
      const auto sim = m->similarItems(i, 5);
      REQUIRE(sim.size() == 5);
      for (std::size_t r = 0; r < sim.size(); ++r) {
        CHECK(sim[r].item != i);
        CHECK(sim[r].score <= 1.0001f);
        if (r > 0) CHECK(sim[r].score <= sim[r - 1].score);
        same += p.groupOfItem(sim[r].item) == p.groupOfItem(i) ? 1 : 0;
        ++total;
      }
    }
    CHECK(static_cast<double>(same) / total >= 0.95);
    CHECK_THROWS_AS(m->similarItems(static_cast<Index>(p.items), 3), ModelError);
  }
}
