#pragma once
/// \file
/// TpeSampler: the Tree-structured Parzen Estimator of Bergstra et al., "Algorithms for
/// Hyper-Parameter Optimization" (NIPS 2011), in its independent (per-dimension) form.
///
/// Given the points tried so far and their scores (higher is better), the observations are
/// split into the best gamma share ("good", at least one) and the rest ("bad"). Each dimension
/// gets two Parzen densities, l(x) over the good points and g(x) over the bad ones: a mixture
/// of truncated Gaussians centred on the points (bandwidth: the larger distance to the sorted
/// neighbours, clipped to [range / min(100, n + 1), range]) plus one prior component centred on
/// the middle of the range with bandwidth = range, weight priorWeight. Categorical dimensions
/// use the smoothed frequencies (count + priorWeight / categories). `candidates` points are
/// drawn from l and the one maximising sum over dimensions of log l(x) - log g(x) is proposed.
/// A group of equal scores split by the boundary goes wholly to l when it holds the best
/// score, else wholly to g. Known limit of the independent form: a
/// category that lost the random start is rarely drawn again.
/// Log-scale dimensions are modelled on log(x); integer dimensions are rounded after sampling.

#include <cstdint>
#include <vector>

#include "core/util/random.h"

namespace rwb {

/// One searched coordinate.
struct TpeDimension {
  enum class Kind { kReal, kInt, kCategorical };
  Kind kind = Kind::kReal;
  double min = 0.0;  ///< kReal / kInt: inclusive bounds (min > 0 when logScale)
  double max = 1.0;  ///< kReal / kInt
  bool logScale = false;
  int categories = 0;  ///< kCategorical: values are 0 .. categories - 1
};

/// Tuning of the sampler itself (the defaults are those of the paper and common practice).
struct TpeOptions {
  double gamma = 0.25;       ///< share of observations that form the good density, in (0, 1)
  int candidates = 24;       ///< draws from l(x) scored per proposal, >= 1
  double priorWeight = 1.0;  ///< weight of the prior component in each density, > 0
};

/// Proposes the next point of a search from the history. Deterministic: the same history and
/// the same generator state give the same proposal. Not thread-safe; one per search.
class TpeSampler {
 public:
  /// Throws ModelError for an empty dimension list or a malformed dimension (min > max, a log
  /// range with min <= 0, a categorical with no category).
  explicit TpeSampler(std::vector<TpeDimension> dims, TpeOptions options = {});

  /// A point drawn uniformly (log-uniformly for log dimensions) over the space: the random start.
  std::vector<double> sampleUniform(Rng& rng) const;

  /// The next point. points[i] has one value per dimension (categorical: the index as a
  /// double; NaN = the dimension was inactive for that point and is left out of its
  /// densities); scores[i] is its score, higher is better, NaN for failed points (left out).
  /// With fewer than two usable scores, returns sampleUniform(rng).
  std::vector<double> propose(const std::vector<std::vector<double>>& points,
                              const std::vector<double>& scores, Rng& rng) const;

  const std::vector<TpeDimension>& dimensions() const noexcept { return dims_; }

 private:
  std::vector<TpeDimension> dims_;
  TpeOptions options_;
};

}  // namespace rwb
