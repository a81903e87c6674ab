#include "ui/task_runner.h"

#include <QThread>
#include <cmath>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace rwb::ui {

void lowerWorkerPriority() {
#ifdef __linux__
  // On Linux, setpriority on a thread id changes that thread's nice value only.
  static thread_local bool done = false;
  if (done) return;
  done = true;
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (current < 5) ::setpriority(PRIO_PROCESS, tid, 5);
#endif
}

void EtaEstimator::observe(double fraction, double seconds) {
  // Reports arrive in bursts: rates over a few milliseconds are noise.
  if (seconds - samples_.back().first < 0.2) return;
  samples_.emplace_back(seconds, fraction);
  // Keep one sample at or before the window's start as the anchor of the rate.
  while (samples_.size() > 2 && samples_[1].first <= seconds - kWindowSeconds) {
    samples_.pop_front();
  }
}

double EtaEstimator::etaSeconds() const {
  const auto& [t0, f0] = samples_.front();
  const auto& [t1, f1] = samples_.back();
  if (f1 <= 0.01 || t1 <= t0 || f1 <= f0) return -1.0;
  return (1.0 - f1) * (t1 - t0) / (f1 - f0);
}

double TaskInfo::etaSeconds() const { return eta.etaSeconds(); }

TaskRunner::TaskRunner(QObject* parent, int threads) : QObject(parent) {
  qRegisterMetaType<rwb::ui::TaskStatus>();
  pool_.setMaxThreadCount(threads > 0 ? threads : std::max(1, QThread::idealThreadCount()));
}

TaskRunner::~TaskRunner() {
  // Owners may already be half destroyed: stop and wait, but deliver no callbacks or signals.
  blockSignals(true);
  for (auto& [id, e] : tasks_) {
    if (e.watcher != nullptr) e.watcher->disconnect(this);
  }
  cancelAll();
  pool_.waitForDone();
}

int TaskRunner::registerTask(const QString& label, std::shared_ptr<TaskContext> ctx) {
  const int id = nextId_++;
  Entry& e = tasks_[id];
  e.info.id = id;
  e.info.label = label;
  e.info.clock.start();
  e.ctx = std::move(ctx);
  emit taskStarted(id, label);
  return id;
}

void TaskRunner::attachWatcher(int id, QFutureWatcherBase* watcher) {
  auto it = tasks_.find(id);
  if (it != tasks_.end()) it->second.watcher = watcher;
}

void TaskRunner::progressFromWorker(int id, double fraction, const QString& stage) {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  it->second.info.fraction = std::clamp(fraction, 0.0, 1.0);
  if (it->second.info.clock.isValid()) {
    it->second.info.eta.observe(it->second.info.fraction,
                                static_cast<double>(it->second.info.clock.elapsed()) / 1000.0);
  }
  if (!stage.isEmpty()) it->second.info.stage = stage;
  emit taskProgress(id, it->second.info.fraction, it->second.info.stage);
}

void TaskRunner::finishTask(int id, TaskStatus status, const QString& message) {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  QFutureWatcherBase* w = it->second.watcher;
  tasks_.erase(it);
  if (w != nullptr) w->deleteLater();
  emit taskFinished(id, status, message);
}

void TaskRunner::cancel(int id) {
  auto it = tasks_.find(id);
  if (it != tasks_.end()) it->second.ctx->requestStop();
}

void TaskRunner::cancelAll() {
  for (auto& [id, e] : tasks_) e.ctx->requestStop();
}

void TaskRunner::waitForAll() {
  pool_.waitForDone();
  // Deliver the finished signals of the tasks that ended while we waited, so that their owners
  // see the final state now (finishTask erases entries: iterate over a copy of the watchers).
  std::vector<QPointer<QFutureWatcherBase>> watchers;
  for (auto& [id, e] : tasks_) watchers.emplace_back(e.watcher);
  for (auto& w : watchers) {
    if (w.isNull()) continue;
    w->waitForFinished();
    QCoreApplication::sendPostedEvents(w.data());
  }
  QCoreApplication::sendPostedEvents(this);
}

const TaskInfo* TaskRunner::info(int id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second.info;
}

}  // namespace rwb::ui
