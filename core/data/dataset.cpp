#include "core/data/dataset.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/util/memory.h"

namespace rwb {

bool Interactions::hasTimestamps() const noexcept {
  return std::any_of(timestamp.begin(), timestamp.end(),
                     [](std::int64_t t) { return t != kNoTimestamp; });
}

void Interactions::reserve(std::size_t n, bool withEvents) {
  // Reserved columns are about to be filled: huge pages spare most page faults (a large part of
  // a big load's time otherwise).
  user.reserve(n);
  adviseHugePages(user.data(), user.capacity() * sizeof(Index));
  item.reserve(n);
  adviseHugePages(item.data(), item.capacity() * sizeof(Index));
  value.reserve(n);
  timestamp.reserve(n);
  if (withEvents) {
    event.reserve(n);
    adviseHugePages(event.data(), event.capacity());
  }
}

void Interactions::push(Index u, Index i, float v, std::int64_t t, std::uint8_t e) {
  user.push_back(u);
  item.push_back(i);
  value.push_back(v);
  timestamp.push_back(t);
  if (!eventNames.empty()) event.push_back(e);
}

Interactions Interactions::select(std::span<const std::uint32_t> rows) const {
  Interactions out;
  out.eventNames = eventNames;
  out.user.resize(rows.size());
  out.item.resize(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    out.user[k] = user[rows[k]];
    out.item[k] = item[rows[k]];
  }
  if (hasEvents()) {
    out.event.resize(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) out.event[k] = event[rows[k]];
  }
  // The compact columns keep their representation (dictionary, base), so no re-encoding.
  out.value = value.select(rows);
  out.timestamp = timestamp.select(rows);
  return out;
}

Csr Dataset::userItemMatrix(bool binary) const {
  const std::size_t n = interactions.size();
  Csr m;
  m.rows = numUsers();
  m.cols = numItems();
  m.offsets.assign(m.rows + 1, 0);
  for (auto u : interactions.user) ++m.offsets[u + 1];
  for (std::size_t r = 0; r < m.rows; ++r) m.offsets[r + 1] += m.offsets[r];
  std::vector<Index> cols(n);
  std::vector<float> vals(n);
  {
    std::vector<std::uint64_t> next(m.offsets.begin(), m.offsets.end() - 1);
    for (std::size_t k = 0; k < n; ++k) {
      const auto dst = next[interactions.user[k]]++;
      cols[dst] = interactions.item[k];
      vals[dst] = binary ? 1.0f : interactions.value[k];
    }
  }
  // Sort each row by item and merge duplicates (summed, or 1 when binary).
  m.indices.reserve(n);
  m.values.reserve(n);
  std::vector<std::uint64_t> newOffsets(m.rows + 1, 0);
  std::vector<std::uint32_t> order;
  for (std::size_t r = 0; r < m.rows; ++r) {
    const auto b = m.offsets[r], e = m.offsets[r + 1];
    order.resize(e - b);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t x, std::uint32_t y) { return cols[b + x] < cols[b + y]; });
    for (auto o : order) {
      const Index c = cols[b + o];
      const float v = vals[b + o];
      if (m.indices.size() > newOffsets[r] && m.indices.back() == c) {
        m.values.back() = binary ? 1.0f : m.values.back() + v;
      } else {
        m.indices.push_back(c);
        m.values.push_back(v);
      }
    }
    newOffsets[r + 1] = m.indices.size();
  }
  m.offsets = std::move(newOffsets);
  return m;
}

Dataset Dataset::withRows(std::span<const std::uint32_t> rows) const {
  Dataset d = emptyLike();
  d.interactions = interactions.select(rows);
  return d;
}

void Dataset::adoptIdMapsOf(const Dataset& superset) {
  users = superset.users;
  items = superset.items;
  userAttributes = superset.userAttributes;
  itemAttributes = superset.itemAttributes;
}

Dataset Dataset::emptyLike() const {
  Dataset d;
  d.name = name;
  d.source = source;
  d.users = users;
  d.items = items;
  d.userAttributes = userAttributes;
  d.itemAttributes = itemAttributes;
  d.interactions.eventNames = interactions.eventNames;
  return d;
}

namespace {
template <typename T>
void hashVector(XXH3_state_t* st, const std::vector<T>& v) {
  const std::uint64_t n = v.size();
  XXH3_64bits_update(st, &n, sizeof n);
  if (!v.empty()) XXH3_64bits_update(st, v.data(), v.size() * sizeof(T));
}
/// Hashes a column exactly as hashVector hashes the equal std::vector (length, then the raw
/// bytes of the decoded values), in blocks, so that fingerprints do not depend on the
/// representation and stay those of the former plain-vector columns.
template <typename Column>
void hashColumn(XXH3_state_t* st, const Column& c) {
  using T = typename Column::value_type;
  const std::uint64_t n = c.size();
  XXH3_64bits_update(st, &n, sizeof n);
  constexpr std::size_t kBlock = 4096;
  T block[kBlock];
  for (std::size_t from = 0; from < c.size(); from += kBlock) {
    const std::size_t len = std::min(kBlock, c.size() - from);
    c.copyTo(from, std::span<T>(block, len));
    XXH3_64bits_update(st, block, len * sizeof(T));
  }
}
void hashStrings(XXH3_state_t* st, const std::vector<std::string>& v) {
  const std::uint64_t n = v.size();
  XXH3_64bits_update(st, &n, sizeof n);
  for (const auto& s : v) {
    const std::uint64_t len = s.size();
    XXH3_64bits_update(st, &len, sizeof len);
    XXH3_64bits_update(st, s.data(), s.size());
  }
}
void hashTable(XXH3_state_t* st, const AttributeTable& t) {
  for (const auto& c : t.columns) {
    hashStrings(st, {c.name});
    const auto type = static_cast<std::uint8_t>(c.type);
    XXH3_64bits_update(st, &type, 1);
    hashVector(st, c.numeric);
    hashVector(st, c.codes);
    hashVector(st, c.offsets);
    hashStrings(st, c.categories);
    hashStrings(st, c.text);
  }
}
}  // namespace

std::uint64_t Dataset::fingerprint() const {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  hashStrings(st, users.names());
  hashStrings(st, items.names());
  hashVector(st, interactions.user);
  hashVector(st, interactions.item);
  hashColumn(st, interactions.value);
  hashColumn(st, interactions.timestamp);
  hashVector(st, interactions.event);
  hashStrings(st, interactions.eventNames);
  hashTable(st, userAttributes);
  hashTable(st, itemAttributes);
  const auto h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

std::vector<std::uint32_t> Dataset::userCounts() const {
  std::vector<std::uint32_t> c(numUsers(), 0);
  for (auto u : interactions.user) ++c[u];
  return c;
}

std::vector<std::uint32_t> Dataset::itemCounts() const {
  std::vector<std::uint32_t> c(numItems(), 0);
  for (auto i : interactions.item) ++c[i];
  return c;
}

}  // namespace rwb
