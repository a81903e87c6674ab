#pragma once
/// \file
/// Reading a project's stored runs back for the session (worker side, no Qt): each run's
/// record, fitted model, bootstrap CIs and per-user evaluation; and adding them to the session
/// (GUI thread).

#include <QString>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/store/project_store.h"
#include "core/store/run_annotations.h"
#include "core/util/task_context.h"

namespace rwb {
struct EvalResult;
}

namespace rwb::ui {

class Session;

/// One stored run read back from a project, ready for the session.
struct StoredRunView {
  StoredRun stored;
  std::shared_ptr<const Model> fitted;
  std::map<std::string, std::pair<double, double>> ci;
  std::shared_ptr<const EvalResult> evaluation;
  std::string modelError;  ///< why the stored model could not be read ("" when it could)
  std::string split;       ///< how train/test were formed (from its stored spec; "" unknown)
  RunLabels labels;        ///< tags, note, archived (core/store RunAnnotations)
  bool champion = false;   ///< the current champion of its dataset and split
};

/// Ids of the stored runs, oldest first.
std::vector<std::int64_t> storedRunIds(const ProjectStore& store);

/// Reads the stored runs `ids` (in that order) with their models, CIs and evaluations. Runs
/// deleted meanwhile are skipped; a model failing its checksum leaves the run's figures.
std::vector<StoredRunView> readStoredRuns(const ProjectStore& store,
                                          const std::vector<std::int64_t>& ids, TaskContext& ctx);

/// Adds stored runs to the session, in order, labelled runLabel(name, store id) (GUI thread).
/// Unreadable models are reported through `error`.
void addStoredRuns(Session& session, std::vector<StoredRunView>& runs,
                   const std::function<void(const QString&)>& error);

}  // namespace rwb::ui
