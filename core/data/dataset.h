#pragma once
/// \file
/// Dataset: an interaction log plus id maps and attribute tables.

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/data/attribute_table.h"
#include "core/data/csr.h"
#include "core/data/id_map.h"
#include "core/data/interaction_columns.h"

namespace rwb {

/// The interaction log in column form (structure of arrays). All columns have the same length,
/// except `event`, which is empty when the source has no event types. user and item take 4
/// bytes each per interaction; value and timestamp are compact columns (interaction_columns.h)
/// that pick their representation from the data: typically 1 byte for a rating or count with
/// at most 256 distinct values (4 otherwise, 0 when constant) and 4 bytes for a timestamp when
/// the timestamps span at most 136 years (8 otherwise, 0 when constant or absent), so
/// 13 bytes per interaction for rated, timestamped data; plus one byte when event types are
/// present. Values read back are exactly those stored; the fingerprint does not depend on the
/// representation. Write single values with value.set(k, v) / timestamp.set(k, t).
struct Interactions {
  std::vector<Index> user;
  std::vector<Index> item;
  ValueColumn value;                    ///< rating, count or 1 for implicit events
  TimestampColumn timestamp;            ///< Unix seconds, or kNoTimestamp
  std::vector<std::uint8_t> event;      ///< index into eventNames, or empty
  std::vector<std::string> eventNames;  ///< e.g. {"view", "click", "purchase"}

  std::size_t size() const noexcept { return user.size(); }
  bool empty() const noexcept { return user.empty(); }
  bool hasEvents() const noexcept { return !event.empty(); }
  bool hasTimestamps() const noexcept;
  void reserve(std::size_t n, bool withEvents = false);
  /// Appends one interaction (event is ignored unless hasEvents()).
  void push(Index u, Index i, float v, std::int64_t t, std::uint8_t e = 0);
  /// The rows at `rows`, in that order (event names are kept).
  Interactions select(std::span<const std::uint32_t> rows) const;
};

/// Users, items, their interactions and their attributes. Splits of one dataset share the same
/// id maps (copied), so a dense index means the same user or item in train, validation and test.
///
/// A Dataset is built by loaders and then treated as immutable; workers receive
/// std::shared_ptr<const Dataset>. All const members are safe to call concurrently.
struct Dataset {
  std::string name;    ///< short display name ("ml-100k")
  std::string source;  ///< where it came from (path, query), for records

  IdMap users;
  IdMap items;
  Interactions interactions;
  AttributeTable userAttributes;  ///< rows = users.size() (or fewer: missing)
  AttributeTable itemAttributes;  ///< rows = items.size() (or fewer: missing)

  std::size_t numUsers() const noexcept { return users.size(); }
  std::size_t numItems() const noexcept { return items.size(); }
  std::size_t numInteractions() const noexcept { return interactions.size(); }

  /// Users x items matrix of the interactions; duplicate (user, item) pairs are summed.
  /// Values are the interaction values, or 1 when binary is true.
  Csr userItemMatrix(bool binary = false) const;

  /// Same id maps and attributes, only the interactions at `rows` (in that order).
  Dataset withRows(std::span<const std::uint32_t> rows) const;

  /// Same id maps and attributes, no interactions.
  Dataset emptyLike() const;

  /// Takes the id maps and attribute tables of `superset`, a dataset loaded on top of this one
  /// (LoadOptions::base: its maps extend ours, earlier indices unchanged), so that both index
  /// users and items alike. Interactions are kept: their indices stay valid.
  void adoptIdMapsOf(const Dataset& superset);

  /// A 64-bit fingerprint (xxHash3) over ids, interactions and attributes, stable across runs
  /// and platforms of the same endianness. Equal data => equal fingerprint.
  std::uint64_t fingerprint() const;

  /// Number of interactions per user / per item (length numUsers() / numItems()).
  std::vector<std::uint32_t> userCounts() const;
  std::vector<std::uint32_t> itemCounts() const;
};

}  // namespace rwb
