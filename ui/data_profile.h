#pragma once
/// \file
/// DataProfile: what the Data view shows, computed off the GUI thread from an immutable
/// dataset. The figures and the value histogram are core's DatasetSummary (the summary `recwb
/// inspect` prints); the GUI adds only the series of its charts (counts by rank, per day).

#include <QVector>
#include <cstdint>

#include "core/data/dataset.h"
#include "core/data/dataset_summary.h"
#include "core/util/task_context.h"

namespace rwb::ui {

struct DataProfile {
  DatasetSummary summary;  ///< core's summarizeDataset()
  /// Interactions per user / item sorted descending, as (rank, count) series (rank from 1).
  QVector<double> userRank, userCount, itemRank, itemCount;
  /// Interactions per day (Unix seconds of the day start, count); empty without timestamps.
  QVector<double> day, dayCount;
};

/// Computes the profile; throws Cancelled when ctx is stopped.
DataProfile computeProfile(const Dataset& data, TaskContext& ctx);

}  // namespace rwb::ui
