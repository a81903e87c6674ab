#include <atomic>
#include <thread>

#include "core/util/error.h"
#include "core/util/task_context.h"
#include "test_support.h"

using namespace rwb;

TEST_CASE("child context maps progress into the parent's range", "[util]") {
  TaskContext root;
  std::vector<double> seen;
  root.setProgressCallback([&](double f, std::string_view) { seen.push_back(f); },
                           std::chrono::milliseconds(0));
  TaskContext child(root, 0.5, 1.0);
  child.progress(0.0, "a");
  child.progress(0.5, "b");
  child.progress(1.0, "c");
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == Approx(0.5));
  CHECK(seen[1] == Approx(0.75));
  CHECK(seen[2] == Approx(1.0));
}

TEST_CASE("stop propagates from parent to child and throws Cancelled", "[util]") {
  TaskContext root;
  TaskContext child(root, 0.0, 1.0);
  CHECK_FALSE(child.stopRequested());
  CHECK_NOTHROW(child.throwIfStopped());
  root.requestStop();
  CHECK(child.stopRequested());
  CHECK_THROWS_AS(child.throwIfStopped(), Cancelled);
}

TEST_CASE("progress is throttled but stage changes and completion go through", "[util]") {
  TaskContext ctx;
  int calls = 0;
  ctx.setProgressCallback([&](double, std::string_view) { ++calls; }, std::chrono::hours(1));
  ctx.progress(0.1, "load");
  ctx.progress(0.2, "load");
  ctx.progress(0.3, "load");
  ctx.progress(0.4, "fit");
  ctx.progress(1.0, "fit");
  CHECK(calls == 3);
}

TEST_CASE("epochEnd records history and honours the callback's stop", "[util]") {
  TaskContext ctx;
  ctx.setEpochCallback([](int epoch, const EpochMetrics&) { return epoch >= 2; });
  CHECK_FALSE(ctx.epochEnd(1, {{"loss", 0.5}}));
  CHECK(ctx.epochEnd(2, {{"loss", 0.4}}));
  const auto h = ctx.history();
  REQUIRE(h.size() == 2);
  CHECK(h[1].second[0].second == Approx(0.4));
}

TEST_CASE("requestStop from another thread is seen", "[util]") {
  TaskContext ctx;
  std::atomic<bool> started{false};
  std::thread worker([&] {
    started = true;
    while (!ctx.stopRequested()) std::this_thread::yield();
  });
  while (!started) std::this_thread::yield();
  ctx.requestStop();
  worker.join();
  CHECK(ctx.stopRequested());
}

TEST_CASE("ParseError formats file, line, column and reason", "[util]") {
  ParseError e("ratings.csv", 12, 3, "value is not a number");
  CHECK(std::string(e.what()) == "ratings.csv:12:3: value is not a number");
  CHECK(e.line() == 12);
  SpecError s("$.models[0].name", "unknown model 'x'");
  CHECK(std::string(s.what()) == "$.models[0].name: unknown model 'x'");
}
