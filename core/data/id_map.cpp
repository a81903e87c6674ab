#include "core/data/id_map.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>

#include "core/util/error.h"

namespace rwb {

namespace {
inline std::uint64_t hashId(std::string_view s) noexcept { return XXH3_64bits(s.data(), s.size()); }
inline std::uint32_t tagOf(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> 32); }

/// The value of a canonical decimal id below IdMap's direct limit (no sign, no leading zero,
/// at most 7 digits), or -1.
inline std::int64_t directValue(std::string_view s, std::uint32_t limit) noexcept {
  const std::size_t n = s.size();
  if (n == 0 || n > 7 || (s[0] == '0' && n > 1)) return -1;
  std::uint32_t v = 0;
  for (char c : s) {
    const auto d = static_cast<unsigned>(c - '0');
    if (d > 9) return -1;
    v = v * 10 + d;
  }
  return v < limit ? static_cast<std::int64_t>(v) : -1;
}
}  // namespace

std::size_t IdMap::probe(std::string_view id, std::uint64_t hash) const noexcept {
  // Returns the slot holding id, or the empty slot where it would go.
  const std::size_t mask = slots_.size() - 1;
  const std::uint32_t tag = tagOf(hash);
  std::size_t pos = static_cast<std::size_t>(hash) & mask;
  while (true) {
    const Slot& s = slots_[pos];
    if (s.index == kNoIndex) return pos;
    if (s.tag == tag && names_[s.index] == id) return pos;
    pos = (pos + 1) & mask;
  }
}

void IdMap::rehash(std::size_t slotCount) {
  std::vector<Slot> fresh(slotCount);
  const std::size_t mask = slotCount - 1;
  for (Index i = 0; i < static_cast<Index>(names_.size()); ++i) {
    if (directValue(names_[i], kDirectLimit) >= 0) continue;
    const std::uint64_t h = hashId(names_[i]);
    std::size_t pos = static_cast<std::size_t>(h) & mask;
    while (fresh[pos].index != kNoIndex) pos = (pos + 1) & mask;
    fresh[pos] = {tagOf(h), i};
  }
  slots_ = std::move(fresh);
}

Index IdMap::intern(std::string_view id) {
  if (const auto v = directValue(id, kDirectLimit); v >= 0) {
    const auto at = static_cast<std::size_t>(v);
    if (at < direct_.size() && direct_[at] != kNoIndex) return direct_[at];
    if (names_.size() >= static_cast<std::size_t>(kNoIndex) - 1) {
      throw Error("too many distinct ids (more than 4,294,967,294)");
    }
    if (at >= direct_.size()) growDirect(at);
    const auto index = static_cast<Index>(names_.size());
    names_.emplace_back(id);
    direct_[at] = index;
    return index;
  }
  if (slots_.empty()) rehash(16);
  const std::uint64_t h = hashId(id);
  std::size_t pos = probe(id, h);
  if (slots_[pos].index != kNoIndex) return slots_[pos].index;
  if (names_.size() >= static_cast<std::size_t>(kNoIndex) - 1) {
    throw Error("too many distinct ids (more than 4,294,967,294)");
  }
  const auto index = static_cast<Index>(names_.size());
  names_.emplace_back(id);
  if (++hashed_ * 2 > slots_.size()) {
    rehash(slots_.size() * 2);
    pos = probe(id, h);
  }
  slots_[pos] = {tagOf(h), index};
  return index;
}

void IdMap::growDirect(std::size_t at) {
  std::size_t grow = std::max<std::size_t>(direct_.size() * 2, 1024);
  while (grow <= at) grow *= 2;
  direct_.resize(std::min<std::size_t>(grow, kDirectLimit), kNoIndex);
}

bool IdMap::directId(std::string_view id, std::uint32_t& value) noexcept {
  const auto v = directValue(id, kDirectLimit);
  if (v < 0) return false;
  value = static_cast<std::uint32_t>(v);
  return true;
}

void IdMap::internDirect(std::span<Index> values) {
  if (values.empty()) return;
  const Index top = *std::max_element(values.begin(), values.end());
  if (top >= direct_.size()) growDirect(top);
  Index* table = direct_.data();
  for (auto& v : values) {
    const Index found = table[v];
    if (found != kNoIndex) {
      v = found;
      continue;
    }
    if (names_.size() >= static_cast<std::size_t>(kNoIndex) - 1) {
      throw Error("too many distinct ids (more than 4,294,967,294)");
    }
    const auto index = static_cast<Index>(names_.size());
    char buf[16];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    names_.emplace_back(buf, res.ptr);
    table[v] = index;
    v = index;
  }
}

std::optional<Index> IdMap::find(std::string_view id) const {
  if (const auto v = directValue(id, kDirectLimit); v >= 0) {
    const auto at = static_cast<std::size_t>(v);
    if (at < direct_.size() && direct_[at] != kNoIndex) return direct_[at];
    return std::nullopt;
  }
  if (slots_.empty()) return std::nullopt;
  const std::size_t pos = probe(id, hashId(id));
  if (slots_[pos].index == kNoIndex) return std::nullopt;
  return slots_[pos].index;
}

void IdMap::reserve(std::size_t n) {
  names_.reserve(n);
  std::size_t want = 16;
  while (want < n * 2) want *= 2;
  if (want > slots_.size()) rehash(want);
}

}  // namespace rwb
