#pragma once
/// \file
/// IdMap: external ids (as written in the source, strings or integers) <-> dense indices.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rwb {

/// Dense index of a user or an item: 0 .. IdMap::size()-1, in order of first appearance.
using Index = std::uint32_t;
inline constexpr Index kNoIndex = static_cast<Index>(-1);

/// Maps external ids to dense indices and back. External ids are kept exactly as read (the
/// text "007" stays "007"), so ids round-trip unchanged whether they are numbers or strings.
/// Not thread-safe for writes; concurrent const use is safe.
///
/// Implementation: ids written as canonical decimal integers below kDirectLimit ("0", "42", not
/// "042" or "+42") are found by direct addressing in an array indexed by their value (one
/// memory access; the array grows to the largest such id seen, 4 bytes per slot). Every other
/// id goes to an open-addressing hash table (linear probing, load <= 1/2) of 8-byte slots
/// holding 32 bits of the id's hash and its index. The route depends only on the id's text, so
/// an id always lands in the same place. The id text itself lives once, in names().
class IdMap {
 public:
  /// Largest value + 1 of an id served by direct addressing (array of at most 16 MiB).
  static constexpr std::uint32_t kDirectLimit = std::uint32_t{1} << 22;

  /// Returns the index of id, adding it (at index size()) if it is new.
  /// Throws rwb::Error when more than 4,294,967,294 distinct ids would be stored.
  Index intern(std::string_view id);
  /// The index of id, or nullopt if unknown.
  std::optional<Index> find(std::string_view id) const;
  /// The external id of a dense index. Precondition: index < size().
  const std::string& external(Index index) const { return names_[index]; }
  std::size_t size() const noexcept { return names_.size(); }
  bool empty() const noexcept { return names_.empty(); }
  /// Prepares room for n ids without rehashing.
  void reserve(std::size_t n);
  /// All external ids in index order.
  const std::vector<std::string>& names() const noexcept { return names_; }

  /// True when id takes the direct-addressing route (canonical decimal below kDirectLimit);
  /// then value is its number. Loaders use this with internDirect() to intern in bulk.
  static bool directId(std::string_view id, std::uint32_t& value) noexcept;
  /// Bulk intern of ids given by directId() values, in order: each values[k] is replaced by
  /// the index of that id (new ids are added in order of first appearance, exactly as repeated
  /// intern() calls would). A tight loop lets the memory accesses overlap, which is several
  /// times faster than interning row by row on large, shuffled data.
  /// Precondition: every values[k] < kDirectLimit.
  void internDirect(std::span<Index> values);

 private:
  struct Slot {
    std::uint32_t tag = 0;   ///< upper 32 bits of the hash
    Index index = kNoIndex;  ///< kNoIndex = empty slot
  };
  void rehash(std::size_t slotCount);
  void growDirect(std::size_t at);
  std::size_t probe(std::string_view id, std::uint64_t hash) const noexcept;

  std::vector<std::string> names_;
  std::vector<Slot> slots_;    ///< power-of-two size, or empty
  std::vector<Index> direct_;  ///< value -> index for canonical small integer ids
  std::size_t hashed_ = 0;     ///< ids stored in slots_
};

}  // namespace rwb
