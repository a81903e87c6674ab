#pragma once
/// \file
/// The `columns` parameter of the attribute baselines (attribute_popularity,
/// demographic_popularity, neighbour_popularity): which attribute columns a model uses.

#include <string>
#include <string_view>
#include <vector>

#include "core/data/attribute_table.h"

namespace rwb {

/// What a model can use and how it words a column it cannot.
struct ColumnUse {
  std::string_view model;                  ///< the model's name, first word of every message
  std::string_view owners;                 ///< "users" or "items": whose attributes these are
  bool (*usable)(const AttributeColumn&);  ///< the column types the model can use
  std::string_view unusable;               ///< why a listed column is refused, after "'name' "
};

/// The columns `list` names (comma-separated, blanks around a name ignored), in its order; an
/// empty list takes every usable column of `table`, in table order. Throws ModelError
/// "<model>: params.columns: ..." naming a column the table lacks (with the columns it has) or
/// one that is not usable.
std::vector<const AttributeColumn*> columnsFromParam(const AttributeTable& table,
                                                     const std::string& list, const ColumnUse& use);

}  // namespace rwb
