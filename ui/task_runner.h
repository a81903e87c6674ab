#pragma once
/// \file
/// TaskRunner: runs engine work (anything taking an rwb::TaskContext&) on the application's own
/// QThreadPool and adapts TaskContext to QFuture/QPromise: progress -> setProgressValueAndText,
/// cancel -> TaskContext::requestStop, epochEnd -> epoch() signal. Results land on the GUI
/// thread. The runner cancels and waits for every task in its destructor.

#include <QElapsedTimer>
#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QPromise>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrent>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "core/util/error.h"
#include "core/util/task_context.h"

namespace rwb::ui {

/// How a task ended.
enum class TaskStatus { kRunning, kSucceeded, kFailed, kCancelled };

/// Time left from the measured progress rate. Stages of a run progress at very different
/// speeds (preparation is fast, a fit slow), so elapsed / fraction misleads: the rate is the
/// progress made over the last kWindowSeconds (a moving average), and the time left is what
/// remains at that rate.
class EtaEstimator {
 public:
  static constexpr double kWindowSeconds = 5.0;
  /// Progress `fraction` (0..1) seen `seconds` after the task started (non-decreasing).
  void observe(double fraction, double seconds);
  /// Seconds left; < 0 while unknown (no progress yet).
  double etaSeconds() const;

 private:
  /// (seconds, fraction), at least 0.2 s apart; the first one is the anchor at or before the
  /// window's start. Starts at the task's start.
  std::deque<std::pair<double, double>> samples_{{0.0, 0.0}};
};

/// What the GUI knows about one running task (read on the GUI thread only).
struct TaskInfo {
  int id = 0;
  QString label;
  double fraction = 0.0;
  QString stage;
  QElapsedTimer clock;
  EtaEstimator eta;
  /// Seconds left at the measured progress rate (EtaEstimator); < 0 when unknown.
  double etaSeconds() const;
};

class TaskRunner : public QObject {
  Q_OBJECT
 public:
  /// threads: size of the runner's own pool (0 = ideal thread count).
  explicit TaskRunner(QObject* parent = nullptr, int threads = 0);
  ~TaskRunner() override;

  /// Runs work(ctx) on the pool. On the GUI thread afterwards exactly one of onResult (value),
  /// onError (the engine's message) or nothing (cancelled) is called, provided `receiver` is still
  /// alive. Returns the task id.
  template <typename R>
  int start(const QString& label, std::function<R(TaskContext&)> work, QObject* receiver,
            std::function<void(R)> onResult, std::function<void(const QString&)> onError = {});

  /// Asks a task to stop (no-op for unknown ids). The task ends as cancelled soon after.
  void cancel(int id);
  void cancelAll();
  /// Blocks until every task has ended (used on shutdown and in tests).
  void waitForAll();
  bool busy() const { return !tasks_.empty(); }
  int runningCount() const { return static_cast<int>(tasks_.size()); }
  const TaskInfo* info(int id) const;
  QThreadPool* pool() { return &pool_; }

 signals:
  void taskStarted(int id, const QString& label);
  void taskProgress(int id, double fraction, const QString& stage);
  /// An iterative trainer finished an epoch (names and values in the same order).
  void taskEpoch(int id, int epoch, const QStringList& names, const QList<double>& values);
  void taskFinished(int id, rwb::ui::TaskStatus status, const QString& message);

 private:
  struct Entry {
    TaskInfo info;
    std::shared_ptr<TaskContext> ctx;
    QFutureWatcherBase* watcher = nullptr;
  };
  int registerTask(const QString& label, std::shared_ptr<TaskContext> ctx);
  void attachWatcher(int id, QFutureWatcherBase* watcher);
  void progressFromWorker(int id, double fraction, const QString& stage);
  void finishTask(int id, TaskStatus status, const QString& message);

  QThreadPool pool_;
  std::map<int, Entry> tasks_;
  int nextId_ = 1;
};

/// Lets the GUI thread win the CPU against the pool's workers (Linux: nice +5 for the calling
/// worker thread only; a no-op elsewhere or when not permitted).
void lowerWorkerPriority();

namespace detail {
template <typename R>
struct Outcome {
  std::optional<R> value;
  QString error;
  bool cancelled = false;
};
}  // namespace detail

template <typename R>
int TaskRunner::start(const QString& label, std::function<R(TaskContext&)> work, QObject* receiver,
                      std::function<void(R)> onResult,
                      std::function<void(const QString&)> onError) {
  using Out = detail::Outcome<R>;
  auto ctx = std::make_shared<TaskContext>();
  const int id = registerTask(label, ctx);
  QPointer<TaskRunner> self(this);
  ctx->setProgressCallback([self, id](double f, std::string_view stage) {
    if (self) {
      QMetaObject::invokeMethod(
          self.data(),
          [self, id, f, s = QString::fromUtf8(stage.data(), static_cast<qsizetype>(stage.size()))] {
            if (self) self->progressFromWorker(id, f, s);
          },
          Qt::QueuedConnection);
    }
  });
  ctx->setEpochCallback([self, id](int epoch, const EpochMetrics& m) {
    QStringList names;
    QList<double> values;
    for (const auto& [n, v] : m) {
      names << QString::fromStdString(n);
      values << v;
    }
    if (!self) return false;
    QMetaObject::invokeMethod(
        self.data(),
        [self, id, epoch, names, values] {
          if (self) emit self->taskEpoch(id, epoch, names, values);
        },
        Qt::QueuedConnection);
    return false;
  });
  auto future = QtConcurrent::run(&pool_, [ctx, work = std::move(work)](QPromise<Out>& promise) {
    Out out;
    lowerWorkerPriority();
    try {
      ctx->throwIfStopped();
      out.value.emplace(work(*ctx));
    } catch (const Cancelled&) {
      out.cancelled = true;
    } catch (const std::exception& e) {
      out.error = QString::fromUtf8(e.what());
    } catch (...) {
      out.error = QStringLiteral("unknown error");
    }
    if (ctx->stopRequested() && !out.value) out.cancelled = true;
    promise.addResult(std::move(out));
  });
  auto* watcher = new QFutureWatcher<Out>(this);
  attachWatcher(id, watcher);
  QPointer<QObject> guard(receiver);
  connect(watcher, &QFutureWatcherBase::finished, this,
          [this, id, watcher, guard, onResult = std::move(onResult),
           onError = std::move(onError)]() mutable {
            const QFuture<Out> f = watcher->future();
            if (f.isCanceled() || f.resultCount() == 0) {
              finishTask(id, TaskStatus::kCancelled, tr("cancelled"));
              return;
            }
            Out out = f.result();
            if (out.cancelled) {
              finishTask(id, TaskStatus::kCancelled, tr("cancelled"));
            } else if (!out.error.isEmpty()) {
              // Callbacks first, so that taskFinished observers see the final state.
              if (guard && onError) onError(out.error);
              finishTask(id, TaskStatus::kFailed, out.error);
            } else {
              if (guard && onResult) onResult(std::move(*out.value));
              finishTask(id, TaskStatus::kSucceeded, QString());
            }
          });
  watcher->setFuture(future);
  return id;
}

}  // namespace rwb::ui

Q_DECLARE_METATYPE(rwb::ui::TaskStatus)
