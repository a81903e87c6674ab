#pragma once
/// \file
/// Display helpers for metric names: formula tooltips and direction (higher or lower is better).

#include <QString>

namespace rwb::ui {

/// A tooltip with the metric's definition (HTML), or a generic text for unknown names.
/// Accepts result keys such as "ndcg@10".
QString metricTooltip(const QString& key);
/// core/eval's Metric::higherIsBetter() of the metric named by a result key (e.g. "rmse",
/// "ndcg@10"); false for the runs table's "fit seconds" and "model MB"; true for other names.
bool higherIsBetter(const QString& key);

}  // namespace rwb::ui
