#pragma once
/// \file
/// DataProfile: the figures and chart series the Data view shows, computed off the GUI thread
/// from an immutable dataset (counts come from Dataset::userCounts/itemCounts).

#include <QVector>
#include <cstdint>

#include "core/data/dataset.h"
#include "core/util/task_context.h"

namespace rwb::ui {

struct DataProfile {
  std::size_t users = 0, items = 0, interactions = 0;
  double density = 0.0;
  std::int64_t firstTime = kNoTimestamp, lastTime = kNoTimestamp;
  double minValue = 0.0, maxValue = 0.0, meanValue = 0.0;
  std::size_t distinctValues = 0;
  /// Interactions per user / item sorted descending, as (rank, count) series (rank from 1).
  QVector<double> userRank, userCount, itemRank, itemCount;
  /// Value histogram: bin centres and counts (one bin per distinct value when there are few).
  QVector<double> valueBin, valueFreq;
  double valueBinWidth = 1.0;
  /// Interactions per day (Unix seconds of the day start, count); empty without timestamps.
  QVector<double> day, dayCount;
  /// Share of interactions on the top 20% of items (long-tail concentration).
  double top20ItemShare = 0.0;
  std::uint32_t medianUserCount = 0, medianItemCount = 0;
};

/// Computes the profile; throws Cancelled when ctx is stopped.
DataProfile computeProfile(const Dataset& data, TaskContext& ctx);

}  // namespace rwb::ui
