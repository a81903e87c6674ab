#include "core/models/attribute_columns.h"

#include <algorithm>

#include "core/util/error.h"

namespace rwb {

std::vector<const AttributeColumn*> columnsFromParam(const AttributeTable& table,
                                                     const std::string& list,
                                                     const ColumnUse& use) {
  std::vector<const AttributeColumn*> out;
  if (list.empty()) {
    for (const auto& c : table.columns) {
      if (use.usable(c)) out.push_back(&c);
    }
    return out;
  }
  const std::string prefix = std::string(use.model) + ": params.columns: ";
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    std::string_view name(list.data() + pos, comma - pos);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    const AttributeColumn* c = table.find(name);
    if (c == nullptr) {
      std::string known;
      for (const auto& k : table.columns) known += (known.empty() ? "" : ", ") + k.name;
      throw ModelError(prefix + "the " + std::string(use.owners) + " have no attribute '" +
                       std::string(name) + "' (columns: " + (known.empty() ? "none" : known) + ")");
    }
    if (!use.usable(*c)) {
      throw ModelError(prefix + "'" + std::string(name) + "' " + std::string(use.unusable));
    }
    out.push_back(c);
    pos = comma + 1;
  }
  return out;
}

}  // namespace rwb
