#include "core/data/id_map.h"

#include <xxhash.h>

#include "core/util/error.h"

namespace rwb {

std::size_t IdMap::Hash::operator()(std::string_view s) const noexcept {
  return static_cast<std::size_t>(XXH3_64bits(s.data(), s.size()));
}

Index IdMap::intern(std::string_view id) {
  if (auto it = index_.find(id); it != index_.end()) return it->second;
  if (names_.size() >= static_cast<std::size_t>(kNoIndex)) {
    throw Error("too many distinct ids (more than 4,294,967,294)");
  }
  const auto index = static_cast<Index>(names_.size());
  names_.emplace_back(id);
  index_.emplace(names_.back(), index);
  return index;
}

std::optional<Index> IdMap::find(std::string_view id) const {
  if (auto it = index_.find(id); it != index_.end()) return it->second;
  return std::nullopt;
}

void IdMap::reserve(std::size_t n) {
  names_.reserve(n);
  index_.reserve(n);
}

}  // namespace rwb
