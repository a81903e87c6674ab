#pragma once
// Shared helpers of the experiment tests: a synthetic interactions file and test-only models
// plugged in through the runner's model lookup (the built-in registry is left untouched).

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/models/registry.h"
#include "test_support.h"

namespace rwb::test {

/// Writes a TSV (user, item, rating, timestamp) with skewed item popularity: `users` users with
/// `perUser` distinct items each out of `items`. Deterministic for a seed.
inline void writeSyntheticLog(const std::filesystem::path& file, int users, int items, int perUser,
                              std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string text = "user\titem\trating\ttimestamp\n";
  long long ts = 1000000;
  for (int u = 0; u < users; ++u) {
    std::vector<char> used(static_cast<std::size_t>(items), 0);
    int n = 0;
    while (n < perUser) {
      // Squaring a uniform draw skews towards low item ids: popular items exist.
      const double x = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
      const int i = static_cast<int>(x * x * items);
      if (used[static_cast<std::size_t>(i)]) continue;
      used[static_cast<std::size_t>(i)] = 1;
      ++n;
      // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
      text += 'u';
      text += std::to_string(u);
      text += "\ti";
      text += std::to_string(i);
      text += '\t';
      text += std::to_string(1 + static_cast<int>(rng() % 5));
      text += '\t';
      text += std::to_string(ts++);
      text += '\n';
    }
  }
  writeFile(file, text);
}

/// Observes every dataset a model is fitted on (the search-honesty test reads this).
struct FitLog {
  std::mutex mutex;
  std::vector<std::shared_ptr<const Dataset>> trains;  ///< copies of TrainingData::train
  std::vector<std::shared_ptr<const Dataset>> validations;
};

/// A simple test model: popularity ranking, reversed when "alpha" < 0.5 (so a search has a
/// right answer), trained for "epochs" epochs reported through TaskContext::epochEnd. With
/// `blockUntilStopped`, fit signals `started` and then spins until the context is stopped.
class TestIterativeModel final : public Model {
 public:
  TestIterativeModel(Params p, FitLog* log, std::function<void()> started)
      : Model(std::move(p)), log_(log), started_(std::move(started)) {}
  std::string type() const override { return "test_iterative"; }
  bool canScoreUser(Index) const override { return true; }

 protected:
  void fitModel(const TrainingData& data, TaskContext& ctx) override {
    if (log_ != nullptr) {
      std::lock_guard lock(log_->mutex);
      log_->trains.push_back(std::make_shared<const Dataset>(data.train));
      if (data.validation) {
        log_->validations.push_back(std::make_shared<const Dataset>(*data.validation));
      }
    }
    if (paramBool("block")) {
      if (started_) started_();
      while (!ctx.stopRequested()) {
        std::this_thread::yield();
      }
      ctx.throwIfStopped();
    }
    const bool good = paramDouble("alpha") >= 0.5;
    scores_.assign(numItems(), 0.0f);
    for (auto i : data.train.interactions.item) scores_[i] += good ? 1.0f : -1.0f;
    const auto epochs = paramInt("epochs");
    for (long long e = 1; e <= epochs; ++e) {
      ctx.throwIfStopped();
      if (ctx.epochEnd(static_cast<int>(e), {{"loss", 1.0 / static_cast<double>(e)}})) break;
    }
  }
  void scoreItems(Index, std::span<const Index> items, std::span<float> out) const override {
    for (std::size_t j = 0; j < items.size(); ++j) out[j] = scores_[items[j]];
  }
  void saveState(BinaryWriter& out) const override { out.putVector(scores_); }
  void loadModelState(BinaryReader& in) override { scores_ = in.getVector<float>("scores"); }

 private:
  FitLog* log_;
  std::function<void()> started_;
  std::vector<float> scores_;
};

/// A registry entry for TestIterativeModel.
inline ModelInfo testIterativeInfo(FitLog* log = nullptr, std::function<void()> started = {}) {
  ModelInfo m;
  m.name = "test_iterative";
  m.displayName = "Test iterative";
  m.family = "baseline";
  m.description = "Test-only model";
  m.schema.params = {
      {"epochs", ParamType::kInt, 9, 1.0, 100.0, false, {}, "epochs"},
      {"alpha", ParamType::kFloat, 0.7, 0.0, 1.0, false, {}, ">= 0.5 ranks well"},
      {"block", ParamType::kBool, false, {}, {}, false, {}, "spin in fit until stopped"},
  };
  m.create = [log, started](const Params& p) -> std::unique_ptr<Model> {
    return std::make_unique<TestIterativeModel>(p, log, started);
  };
  return m;
}

/// A lookup that knows the built-in models plus `extra`.
inline std::function<const ModelInfo*(std::string_view)> lookupWith(const ModelInfo* extra) {
  return [extra](std::string_view name) -> const ModelInfo* {
    if (extra != nullptr && name == extra->name) return extra;
    return findModel(name);
  };
}

}  // namespace rwb::test
