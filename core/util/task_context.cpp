#include "core/util/task_context.h"

#include <algorithm>

#include "core/util/error.h"

namespace rwb {

TaskContext::TaskContext(TaskContext& parent, double begin, double end)
    : parent_(&parent), begin_(begin), end_(end) {}

void TaskContext::setProgressCallback(ProgressFn fn, std::chrono::milliseconds minInterval) {
  std::lock_guard lock(mutex_);
  progressFn_ = std::move(fn);
  minInterval_ = minInterval;
}

void TaskContext::setEpochCallback(EpochFn fn) {
  std::lock_guard lock(mutex_);
  epochFn_ = std::move(fn);
}

void TaskContext::progress(double fraction, std::string_view stage) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  emitProgress(begin_ + (end_ - begin_) * fraction, stage);
}

void TaskContext::emitProgress(double mapped, std::string_view stage) {
  // A context without its own callback forwards to its parent, mapped into the parent's range.
  {
    std::unique_lock lock(mutex_);
    if (progressFn_) {
      const auto now = std::chrono::steady_clock::now();
      const bool stageChanged = !stage.empty() && stage != lastStage_;
      if (!stageChanged && mapped < 1.0 && now - lastEmit_ < minInterval_) return;
      lastEmit_ = now;
      if (!stage.empty()) lastStage_.assign(stage);
      try {
        progressFn_(mapped, stage.empty() ? std::string_view(lastStage_) : stage);
      } catch (...) {
        // Progress display must never break the computation it reports on.
      }
      return;
    }
  }
  if (parent_ != nullptr) {
    parent_->emitProgress(parent_->begin_ + (parent_->end_ - parent_->begin_) * mapped, stage);
  }
}

bool TaskContext::stopRequested() const noexcept {
  for (const TaskContext* c = this; c != nullptr; c = c->parent_) {
    if (c->stop_.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

void TaskContext::requestStop() noexcept { stop_.store(true, std::memory_order_relaxed); }

void TaskContext::throwIfStopped() const {
  if (stopRequested()) throw Cancelled();
}

bool TaskContext::epochEnd(int epoch, const EpochMetrics& metrics) {
  bool stop = false;
  {
    std::lock_guard lock(mutex_);
    history_.emplace_back(epoch, metrics);
    if (epochFn_) {
      try {
        stop = epochFn_(epoch, metrics);
      } catch (...) {
        stop = false;
      }
    }
  }
  // Children without their own epoch callback let the parent decide (e.g. the GUI's curve).
  if (!stop && parent_ != nullptr) {
    bool parentHasFn;
    {
      std::lock_guard lock(mutex_);
      parentHasFn = static_cast<bool>(epochFn_);
    }
    if (!parentHasFn) stop = parent_->epochEnd(epoch, metrics);
  }
  return stop || stopRequested();
}

std::vector<std::pair<int, EpochMetrics>> TaskContext::history() const {
  std::lock_guard lock(mutex_);
  return history_;
}

}  // namespace rwb
