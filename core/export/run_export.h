#pragma once
/// \file
/// Exporting a recorded run: the model stored in a project file, packaged with the id maps of
/// the exact training data it was fitted on.

#include <cstdint>
#include <string>

#include "core/export/model_package.h"
#include "core/util/task_context.h"

namespace rwb {

/// Writes run `runId` of the project file at `projectPath` as a model package at `outPath`.
/// The training data is rebuilt from the run's stored spec (same loader, preparation and split,
/// so the same id maps) and must have the recorded dataset fingerprint and split hash, otherwise
/// the data changed since the run and nothing is written. The package carries the run's name
/// (or `runName` when given) and its test metrics. Throws StoreError (no such project or run),
/// Error (run not successful, no stored model or spec, data changed), IoError, Cancelled.
/// With `retrieval`, an HNSW index is built for the model (RetrievalIndex::build) and stored
/// in the package.
PackageInfo exportProjectRun(const std::string& projectPath, std::int64_t runId,
                             const std::string& outPath, TaskContext& ctx,
                             const std::string& runName = {},
                             const RetrievalOptions* retrieval = nullptr);

}  // namespace rwb
