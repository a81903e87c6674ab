#pragma once
/// \file
/// A user outside the fitted id maps (a new user at serving time): the feature pipeline encodes
/// it, models score it, the batch scorer and the server build it from request data.

#include <vector>

#include "core/data/attribute_table.h"
#include "core/data/id_map.h"

namespace rwb {

/// A user outside the model's id maps (a new user at serving time), described by attribute
/// values and, optionally, items the user has already engaged with. Nothing is owned except
/// history; the attribute table must outlive the calls that use it.
struct NewUser {
  /// Attribute columns named and typed as the training user attributes (see
  /// FeaturePipeline::conformUserAttributes); row `row` describes this user. nullptr = no
  /// attributes (every attribute missing). Columns the model does not use are ignored.
  const AttributeTable* attributes = nullptr;
  Index row = 0;
  /// Items (dense indices) the user engaged with: content_similarity builds the user's profile
  /// from them (weight 1 each); recommendNewUser() never recommends them.
  std::vector<Index> history;
};

}  // namespace rwb
