#pragma once
/// \file
/// TaskContext: the one mechanism for progress, cancel and early stopping of long work.
/// Every long operation in core takes a TaskContext&. The GUI adapts it to QPromise, the CLI to
/// a terminal progress bar; the engine never knows who is watching.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rwb {

/// Named values reported at the end of an epoch, e.g. {{"loss", 0.31}, {"valid_ndcg@10", 0.42}}.
using EpochMetrics = std::vector<std::pair<std::string, double>>;

/// Progress, cancellation and epoch reporting for one task (and its sub-tasks).
///
/// Thread safety: progress(), stopRequested(), requestStop(), throwIfStopped() and epochEnd()
/// may be called from any thread at any time. Callbacks are invoked on the calling thread, one
/// at a time (serialised by an internal mutex), so they must be quick and must not call back into
/// the same context. Set callbacks before the task starts.
class TaskContext {
 public:
  /// fraction in [0, 1] of the whole task; stage is a short human label ("fitting", "epoch 3").
  using ProgressFn = std::function<void(double fraction, std::string_view stage)>;
  /// Called at the end of each epoch of an iterative trainer; return true to stop training early
  /// (the model keeps the state reached so far; this is early stopping, not cancel).
  using EpochFn = std::function<bool(int epoch, const EpochMetrics& metrics)>;

  TaskContext() = default;
  TaskContext(const TaskContext&) = delete;
  TaskContext& operator=(const TaskContext&) = delete;

  /// A sub-task covering [begin, end] of the parent's progress range. It shares the parent's
  /// stop flag and callbacks; its own fractions 0..1 are mapped into that range.
  TaskContext(TaskContext& parent, double begin, double end);

  void setProgressCallback(ProgressFn fn,
                           std::chrono::milliseconds minInterval = std::chrono::milliseconds(50));
  void setEpochCallback(EpochFn fn);

  /// Reports progress. Throttled: the callback runs at most once per minInterval, except that
  /// fraction >= 1 and a change of stage always go through. Never throws.
  void progress(double fraction, std::string_view stage = {});

  /// True once requestStop() was called on this context or any ancestor. Cheap (one atomic load
  /// per level); call it at least every few milliseconds of work so cancel lands within 200 ms.
  bool stopRequested() const noexcept;

  /// Asks the task to stop as soon as possible. Callable from any thread (e.g. a Cancel button).
  void requestStop() noexcept;

  /// Throws rwb::Cancelled if a stop was requested.
  void throwIfStopped() const;

  /// Reports the end of an epoch; returns true when the trainer should stop (early stopping or
  /// the epoch callback said so, or a stop was requested). Also remembers the metrics so that
  /// learning curves can be read back with history().
  bool epochEnd(int epoch, const EpochMetrics& metrics);

  /// Every epoch reported so far through this context (not its children), in order.
  std::vector<std::pair<int, EpochMetrics>> history() const;

 private:
  void emitProgress(double mapped, std::string_view stage);

  TaskContext* parent_ = nullptr;
  double begin_ = 0.0;
  double end_ = 1.0;
  std::atomic<bool> stop_{false};

  mutable std::mutex mutex_;
  ProgressFn progressFn_;
  EpochFn epochFn_;
  std::chrono::milliseconds minInterval_{50};
  std::chrono::steady_clock::time_point lastEmit_{};
  std::string lastStage_;
  std::vector<std::pair<int, EpochMetrics>> history_;
};

}  // namespace rwb
