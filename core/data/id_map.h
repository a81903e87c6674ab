#pragma once
/// \file
/// IdMap: external ids (as written in the source, strings or integers) <-> dense indices.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rwb {

/// Dense index of a user or an item: 0 .. IdMap::size()-1, in order of first appearance.
using Index = std::uint32_t;
inline constexpr Index kNoIndex = static_cast<Index>(-1);

/// Maps external ids to dense indices and back. External ids are kept exactly as read (the
/// text "007" stays "007"), so ids round-trip unchanged whether they are numbers or strings.
/// Not thread-safe for writes; concurrent const use is safe.
class IdMap {
 public:
  /// Returns the index of id, adding it (at index size()) if it is new.
  Index intern(std::string_view id);
  /// The index of id, or nullopt if unknown.
  std::optional<Index> find(std::string_view id) const;
  /// The external id of a dense index. Precondition: index < size().
  const std::string& external(Index index) const { return names_[index]; }
  std::size_t size() const noexcept { return names_.size(); }
  bool empty() const noexcept { return names_.empty(); }
  void reserve(std::size_t n);
  /// All external ids in index order.
  const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept;
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, Index, Hash, std::equal_to<>> index_;
};

}  // namespace rwb
