#pragma once
/// \file
/// EarlyStopping: the best-epoch bookkeeping of the iterative trainers (iALS, BPR-MF, biased MF).

#include <limits>

namespace rwb {

/// Tracks a validation metric epoch by epoch and says when to stop.
///
/// Each call to observe() records one epoch's value. The value improves on the best so far when
/// it is strictly greater (kHigherIsBetter, e.g. nDCG) or strictly smaller (kLowerIsBetter, e.g.
/// RMSE); NaN never improves. With patience p > 0, observe() returns `stop` once p epochs in a
/// row brought no improvement, and `improved` tells the trainer to keep a copy of the state (the
/// trainer restores it at the end, so the model is the best epoch's). With patience 0 it only
/// keeps the record (best value and epoch) and never asks to stop or to keep a copy.
/// Not thread-safe; one instance per fit.
class EarlyStopping {
 public:
  enum class Direction { kHigherIsBetter, kLowerIsBetter };

  /// What the trainer should do after an epoch.
  struct Verdict {
    bool improved = false;  ///< a new best: snapshot the state now (only set when patience > 0)
    bool stop = false;      ///< patience exhausted: stop training (only when patience > 0)
  };

  /// patience < 0 is treated as 0 (off).
  explicit EarlyStopping(int patience, Direction direction = Direction::kHigherIsBetter) noexcept
      : patience_(patience > 0 ? patience : 0), direction_(direction) {}

  /// Records epoch `epoch`'s validation value.
  Verdict observe(int epoch, double value) noexcept {
    const bool better = direction_ == Direction::kHigherIsBetter ? value > best_ : value < best_;
    Verdict v;
    if (better) {
      best_ = value;
      bestEpoch_ = epoch;
      sinceBest_ = 0;
      v.improved = patience_ > 0;
    } else if (patience_ > 0 && ++sinceBest_ >= patience_) {
      v.stop = true;
    }
    return v;
  }

  /// True when the trainer keeps best-epoch snapshots (patience > 0).
  bool keepsBest() const noexcept { return patience_ > 0; }
  /// The best value seen so far (-inf / +inf before the first observe()).
  double bestValue() const noexcept { return best_; }
  /// The epoch of the best value (0 before the first improvement).
  int bestEpoch() const noexcept { return bestEpoch_; }

 private:
  int patience_;
  Direction direction_;
  double best_ = direction_ == Direction::kHigherIsBetter ? -std::numeric_limits<double>::infinity()
                                                          : std::numeric_limits<double>::infinity();
  int bestEpoch_ = 0;
  int sinceBest_ = 0;
};

}  // namespace rwb
