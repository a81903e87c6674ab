#pragma once
/// \file
/// Descriptive statistics of a Dataset, as shown by `recwb inspect` and the GUI's data page.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/data/dataset.h"

namespace rwb {

/// Quantiles of a count distribution, by linear interpolation between order statistics
/// (numpy's default, "type 7"): q(p) = x[floor(h)] + (h - floor(h)) (x[floor(h)+1] - x[floor(h)])
/// with h = (n - 1) p over the sorted counts x. All zero when there are no counts.
struct CountQuantiles {
  double min = 0, p25 = 0, median = 0, p75 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};

/// One histogram bin [lower, upper) (the last bin includes upper). For discrete values
/// (at most 20 distinct) each bin is one value: lower == upper.
struct HistogramBin {
  double lower = 0;
  double upper = 0;
  std::uint64_t count = 0;
};

/// Distinct and missing values of one attribute column.
struct AttributeColumnSummary {
  std::string entity;  ///< "user" or "item"
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  std::uint64_t distinct = 0;  ///< distinct values (categories used, for multi: distinct tokens)
  std::uint64_t missing = 0;   ///< rows with no value
  std::uint64_t rows = 0;
};

struct DatasetSummary {
  std::uint64_t users = 0, items = 0, interactions = 0;
  double density = 0;  ///< interactions / (users * items)
  std::uint64_t usersWithoutInteractions = 0, itemsWithoutInteractions = 0;
  CountQuantiles perUser;  ///< over users with at least one interaction
  CountQuantiles perItem;  ///< over items with at least one interaction
  /// Long-tail concentration: the share of interactions on the most popular 20% of the items
  /// (max(1, items / 5) items, all items counted), in [0, 1]; 0 without interactions.
  double top20ItemShare = 0;
  double valueMin = 0, valueMax = 0, valueMean = 0;
  bool discreteValues = false;
  std::vector<HistogramBin> valueHistogram;  ///< empty when there are no interactions
  std::uint64_t withTimestamp = 0;           ///< interactions with a timestamp
  std::int64_t timeMin = 0, timeMax = 0;     ///< Unix seconds; valid when withTimestamp > 0
  std::vector<std::pair<std::string, std::uint64_t>> eventCounts;  ///< in eventNames order
  std::vector<AttributeColumnSummary> attributes;                  ///< users first, then items
};

/// Computes the summary. O(interactions + users log users + items log items); thread-safe on a
/// const Dataset.
DatasetSummary summarizeDataset(const Dataset& dataset);

/// Quantiles of arbitrary counts (sorted copy), exposed for tests and other modules.
CountQuantiles countQuantiles(std::vector<std::uint32_t> counts);

}  // namespace rwb
