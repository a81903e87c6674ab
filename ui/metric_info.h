#pragma once
/// \file
/// Display helpers for metric names: formula tooltips and direction (higher or lower is better).

#include <QString>

namespace rwb::ui {

/// A tooltip with the metric's definition (HTML), or a generic text for unknown names.
/// Accepts result keys such as "ndcg@10".
QString metricTooltip(const QString& key);
/// False for error-like metrics (rmse, mae, logloss, brier, gini, avg_popularity, seconds, bytes).
bool higherIsBetter(const QString& key);

}  // namespace rwb::ui
