#pragma once
/// \file
/// The metric interface (after LightGBM's Metric): one tiny class per metric, created by name.
/// Each class wraps a pure function (ranking_metrics.h, rating_metrics.h,
/// classification_metrics.h, beyond_accuracy.h); the evaluator feeds it one user at a time
/// (per-user metrics) or the whole run at once (global metrics). Formulas: docs/metrics.md.

#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/id_map.h"
#include "core/eval/ranking_metrics.h"

namespace rwb {

class TrainStats;  // core/eval/beyond_accuracy.h

/// What kind of quantity a metric measures.
enum class MetricFamily { kRanking, kRating, kClassification, kBeyondAccuracy };

/// "ranking", "rating", "classification", "beyond_accuracy".
std::string_view metricFamilyName(MetricFamily family) noexcept;

/// Everything a per-user metric sees for one evaluated user. Spans point into the evaluator's
/// buffers and are valid only during the call.
struct UserCase {
  Index user = kNoIndex;
  std::span<const Index> ranked;      ///< the user's whole list, best first (metrics cut at k)
  std::span<const Index> relevant;    ///< test items, ascending, unique (never empty)
  std::span<const float> values;      ///< test values aligned with relevant
  std::span<const Index> seen;        ///< training items of the user, ascending (may be empty)
  std::size_t numCandidates = 0;      ///< items the user could be ranked over (per-user AUC)
  const TrainStats* train = nullptr;  ///< training statistics (beyond-accuracy metrics)
};

/// Everything a global metric sees: the whole run.
struct GlobalCase {
  /// Every recommendation list of the run (all users given, not only evaluated ones), best
  /// first, untruncated: beyond-accuracy metrics describe the lists as delivered, as
  /// Microsoft Recommenders computes them over its whole reco_df.
  std::span<const std::span<const Index>> lists;
  /// Rating metrics: (true value, predicted score) of every recommended (user, item) pair that
  /// is also in the test set (the library's inner join).
  std::span<const double> truth, predicted;
  /// Classification metrics: labels in {0, 1} and scores.
  std::span<const double> labels, scores;
  const TrainStats* train = nullptr;
};

/// A metric. Implementations are immutable after construction and thread-safe.
class Metric {
 public:
  virtual ~Metric() = default;
  /// Canonical name with its cut-off resolved, e.g. "ndcg@10", "map", "rmse".
  virtual std::string name() const = 0;
  virtual MetricFamily family() const = 0;
  /// True: the run's value is the mean of userValue() over evaluated users with a defined
  /// (non-NaN) value. False: the run's value is globalValue().
  virtual bool perUser() const { return true; }
  /// Value for one user, NaN when undefined for that user. Only called when perUser().
  virtual double userValue(const UserCase& c) const;
  /// Value for the whole run, NaN when undefined. Only called when !perUser().
  virtual double globalValue(const GlobalCase& g) const;
  /// True when higher values are better (false for rmse, mae, logloss, brier, gini...).
  virtual bool higherIsBetter() const { return true; }
  /// True when the metric needs item similarities (diversity, serendipity).
  virtual bool needsSimilarity() const { return false; }
  /// True when the metric needs each user's training items (UserCase::seen, numCandidates).
  virtual bool needsSeenItems() const { return needsSimilarity(); }
};

/// Creates a metric by name. Accepted forms (case-insensitive):
///   ranking:  precision@k, recall@k, r_precision@k, ndcg@k (binary gains), ndcg_raw@k,
///             ndcg_exp@k, map, map@k, mrr, mrr@k, hit_rate@k, auc (per-user AUC, whole list)
///   rating:   rmse, mae, r2, explained_variance
///   classification: roc_auc, logloss, pr_auc, brier
///   beyond accuracy: catalog_coverage, distributional_coverage, gini, novelty, diversity,
///             serendipity, serendipity_relevant, avg_popularity
/// "@k" may be a number ("ndcg@5") or the letter k, which (like no suffix) means defaultK.
/// Microsoft Recommenders' function names are accepted as aliases (precision_at_k, ndcg_at_k,
/// r_precision_at_k, map_at_k, rsquared, exp_var, ...). Throws SpecError (path "metrics") for
/// unknown names or a cut-off of 0.
std::unique_ptr<Metric> createMetric(std::string_view name, std::size_t defaultK);

/// Every metric name createMetric() knows, in display order (with "@k" where it applies).
const std::vector<std::string>& knownMetricNames();

/// The metrics computed when none are asked for: precision@k, recall@k, ndcg@k, map, map@k,
/// mrr, hit_rate@k.
std::vector<std::string> defaultRankingMetrics();

}  // namespace rwb
