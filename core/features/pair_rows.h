#pragma once
/// \file
/// The arguments of FeaturePipeline::userPairMatrix: whose rows (PairUser) and which block-5
/// values the caller already has (KnownScores). The rows are built in pair_rows.cpp.

#include <cstddef>
#include <span>

#include "core/data/id_map.h"
#include "core/data/new_user.h"

namespace rwb {

/// The user of a block of pair rows: a user of the fitted id maps (with or without training
/// interactions), or a new user outside them, described by a NewUser. Refers to the NewUser,
/// never owns it: the NewUser (and its attribute table) must outlive the PairUser.
class PairUser {
 public:
  /// A user of the fitted id maps.
  static PairUser known(Index user) noexcept { return PairUser(user, nullptr); }
  /// A user outside the id maps.
  static PairUser fresh(const NewUser& user) noexcept { return PairUser(kNoIndex, &user); }
  bool isNew() const noexcept { return newUser_ != nullptr; }
  /// The dense user index (kNoIndex for a new user).
  Index index() const noexcept { return index_; }
  /// The new user (nullptr for a known user).
  const NewUser* newUser() const noexcept { return newUser_; }

 private:
  PairUser(Index index, const NewUser* user) noexcept : index_(index), newUser_(user) {}
  Index index_;
  const NewUser* newUser_;
};

/// Values of score source `model` that the caller already computed for the requested items, so
/// that the pipeline does not call the model again (e.g. a two-stage generator that scored the
/// whole catalogue to rank it). values[k] must be exactly what the model's score() (for a known
/// user) or scoreNewUser() (for a new user) returns for the k-th requested item; the pipeline
/// copies them into block 5 unchecked.
struct KnownScores {
  std::size_t model = 0;          ///< score source index, < numScoreSources()
  std::span<const float> values;  ///< one value per requested item
};

}  // namespace rwb
