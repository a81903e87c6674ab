#include "core/data/interaction_columns.h"

#include <algorithm>
#include <cstring>

#include "core/util/memory.h"

namespace rwb {

namespace {
/// Reserves room for n values and advises huge pages for it (see adviseHugePages).
template <typename T>
void reserveFor(std::vector<T>& v, std::size_t n) {
  if (n <= v.capacity()) return;
  v.reserve(n);
  adviseHugePages(v.data(), v.capacity() * sizeof(T));
}
}  // namespace

// ---- TimestampColumn -------------------------------------------------------------------------

bool TimestampColumn::range(std::int64_t& lo, std::int64_t& hi) const {
  bool any = false;
  lo = std::numeric_limits<std::int64_t>::max();
  hi = std::numeric_limits<std::int64_t>::min();
  for (std::size_t k = 0; k < size_; ++k) {
    const std::int64_t t = (*this)[k];
    if (t == kNoTimestamp) continue;
    any = true;
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  return any;
}

void TimestampColumn::rebase(std::int64_t lo, std::int64_t hi) {
  // Precondition: hi - lo <= kMaxOffset. Centre [lo, hi] in the offset range, so that the free
  // room is split between earlier and later values.
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::uint64_t slack = (kMaxOffset - span) / 2;
  const std::uint64_t roomBelow =
      static_cast<std::uint64_t>(lo) - static_cast<std::uint64_t>(kNoTimestamp);
  const std::int64_t base =
      static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) - std::min(slack, roomBelow));
  if (mode_ == Mode::kOffset) {
    // Every stored offset moves by (old base - new base); missing entries stay missing.
    const std::uint64_t shift =
        static_cast<std::uint64_t>(base_) - static_cast<std::uint64_t>(base);
    for (auto& o : offsets_) {
      if (o != kMissing) o = static_cast<std::uint32_t>(o + shift);
    }
  } else {  // constant
    const std::int64_t value = base_;
    offsets_.clear();
    reserveFor(offsets_, std::max(reserve_, size_ + 1));
    base_ = base;
    offsets_.assign(size_, encode(value));
    mode_ = Mode::kOffset;
  }
  base_ = base;
}

void TimestampColumn::widen() {
  std::vector<std::int64_t> wide;
  reserveFor(wide, std::max(reserve_, size_ + 1));
  wide.resize(size_);
  copyTo(0, wide);
  wide_ = std::move(wide);
  offsets_ = {};
  mode_ = Mode::kWide;
}

void TimestampColumn::accommodate(std::int64_t t) {
  if (mode_ == Mode::kWide) return;
  if (mode_ == Mode::kConstant) {
    if (size_ == 0 || t == base_) return;
    if (base_ == kNoTimestamp) {
      // All missing so far: offsets of missing rows do not depend on the base.
      reserveFor(offsets_, std::max(reserve_, size_ + 1));
      offsets_.assign(size_, kMissing);
      mode_ = Mode::kOffset;
      rebase(t, t);
      return;
    }
  } else if (fitsOffset(t)) {
    return;
  }
  std::int64_t lo, hi;
  if (mode_ == Mode::kConstant) {
    lo = hi = base_;
  } else if (!range(lo, hi)) {
    lo = hi = t;
  }
  if (t != kNoTimestamp) {
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  if (static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) <= kMaxOffset) {
    rebase(lo, hi);
  } else {
    widen();
  }
}

void TimestampColumn::pushSlow(std::int64_t t) {
  if (mode_ == Mode::kConstant && (size_ == 0 || t == base_)) {
    base_ = t;
    ++size_;
    return;
  }
  accommodate(t);
  if (mode_ == Mode::kWide) {
    wide_.push_back(t);
  } else {
    offsets_.push_back(encode(t));
  }
  ++size_;
}

void TimestampColumn::set(std::size_t k, std::int64_t t) {
  if (mode_ == Mode::kConstant && t == base_) return;
  accommodate(t);
  if (mode_ == Mode::kWide) {
    wide_[k] = t;
  } else {
    offsets_[k] = encode(t);
  }
}

void TimestampColumn::reserve(std::size_t n) {
  reserve_ = std::max(reserve_, n);
  if (mode_ == Mode::kOffset) reserveFor(offsets_, n);
  if (mode_ == Mode::kWide) reserveFor(wide_, n);
}

void TimestampColumn::shrink_to_fit() {
  reserve_ = 0;
  offsets_.shrink_to_fit();
  wide_.shrink_to_fit();
}

void TimestampColumn::clear() { *this = TimestampColumn(); }

TimestampColumn TimestampColumn::select(std::span<const std::uint32_t> rows) const {
  TimestampColumn out;
  out.mode_ = mode_;
  out.base_ = base_;
  out.size_ = rows.size();
  if (mode_ == Mode::kOffset) {
    out.offsets_.resize(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) out.offsets_[k] = offsets_[rows[k]];
  } else if (mode_ == Mode::kWide) {
    out.wide_.resize(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) out.wide_[k] = wide_[rows[k]];
  } else if (rows.empty()) {
    out.base_ = kNoTimestamp;
  }
  return out;
}

void TimestampColumn::copyTo(std::size_t from, std::span<std::int64_t> out) const {
  switch (mode_) {
    case Mode::kConstant:
      std::fill(out.begin(), out.end(), base_);
      return;
    case Mode::kOffset:
      for (std::size_t k = 0; k < out.size(); ++k) {
        const std::uint32_t o = offsets_[from + k];
        out[k] = o == kMissing ? kNoTimestamp
                               : static_cast<std::int64_t>(static_cast<std::uint64_t>(base_) + o);
      }
      return;
    case Mode::kWide:
      std::copy_n(wide_.begin() + static_cast<std::ptrdiff_t>(from), out.size(), out.begin());
      return;
  }
}

std::vector<std::int64_t> TimestampColumn::toVector() const {
  std::vector<std::int64_t> v(size_);
  copyTo(0, v);
  return v;
}

std::size_t TimestampColumn::heapBytes() const noexcept {
  return offsets_.capacity() * sizeof(std::uint32_t) + wide_.capacity() * sizeof(std::int64_t);
}

std::size_t TimestampColumn::bytesPerRow() const noexcept {
  return mode_ == Mode::kConstant ? 0 : mode_ == Mode::kOffset ? 4 : 8;
}

bool operator==(const TimestampColumn& a, const TimestampColumn& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

bool operator==(const TimestampColumn& a, const std::vector<std::int64_t>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

// ---- ValueColumn -----------------------------------------------------------------------------

int ValueColumn::codeOf(float v) {
  const std::uint32_t b = bitsOf(v);
  std::size_t pos = slotOf(b);
  while (slots_[pos] != 0) {
    const auto code = static_cast<std::size_t>(slots_[pos] - 1u);
    if (bitsOf(dict_[code]) == b) return static_cast<int>(code);
    pos = (pos + 1) % kSlots;
  }
  if (dict_.size() >= kMaxCodes) return -1;
  dict_.push_back(v);
  slots_[pos] = static_cast<std::uint16_t>(dict_.size());
  return static_cast<int>(dict_.size() - 1);
}

void ValueColumn::toCodes() {
  // From constant: every row so far holds dict_[0] (code 0).
  slots_.assign(kSlots, 0);
  const std::vector<float> dict = std::move(dict_);
  dict_.clear();
  for (float d : dict) codeOf(d);
  reserveFor(codes_, std::max(reserve_, size_ + 1));
  codes_.assign(size_, 0);
  lastBits_ = bitsOf(dict_[0]);
  lastCode_ = 0;
  mode_ = Mode::kCodes;
}

void ValueColumn::toFloats() {
  std::vector<float> floats;
  reserveFor(floats, std::max(reserve_, size_ + 1));
  floats.resize(size_);
  copyTo(0, floats);
  floats_ = std::move(floats);
  codes_ = {};
  dict_ = {};
  slots_ = {};
  mode_ = Mode::kFloats;
}

void ValueColumn::pushSlow(float v) {
  if (mode_ == Mode::kConstant) {
    if (size_ == 0) {
      dict_.assign(1, v);
      ++size_;
      return;
    }
    if (bitsOf(v) == bitsOf(dict_[0])) {
      ++size_;
      return;
    }
    toCodes();
  }
  if (mode_ == Mode::kCodes) {
    const int code = codeOf(v);
    if (code >= 0) {
      lastBits_ = bitsOf(v);
      lastCode_ = static_cast<std::uint8_t>(code);
      codes_.push_back(lastCode_);
      ++size_;
      return;
    }
    toFloats();
  }
  floats_.push_back(v);
  ++size_;
}

void ValueColumn::set(std::size_t k, float v) {
  if (mode_ == Mode::kConstant) {
    if (bitsOf(v) == bitsOf(dict_[0])) return;
    toCodes();
  }
  if (mode_ == Mode::kCodes) {
    const int code = codeOf(v);
    if (code >= 0) {
      codes_[k] = static_cast<std::uint8_t>(code);
      return;
    }
    toFloats();
  }
  floats_[k] = v;
}

void ValueColumn::reserve(std::size_t n) {
  reserve_ = std::max(reserve_, n);
  if (mode_ == Mode::kCodes) reserveFor(codes_, n);
  if (mode_ == Mode::kFloats) reserveFor(floats_, n);
}

void ValueColumn::shrink_to_fit() {
  reserve_ = 0;
  codes_.shrink_to_fit();
  floats_.shrink_to_fit();
}

void ValueColumn::clear() { *this = ValueColumn(); }

ValueColumn ValueColumn::select(std::span<const std::uint32_t> rows) const {
  ValueColumn out;
  if (rows.empty()) return out;
  out.mode_ = mode_;
  out.size_ = rows.size();
  out.dict_ = dict_;
  out.slots_ = slots_;
  out.lastBits_ = lastBits_;
  out.lastCode_ = lastCode_;
  if (mode_ == Mode::kCodes) {
    out.codes_.resize(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) out.codes_[k] = codes_[rows[k]];
  } else if (mode_ == Mode::kFloats) {
    out.floats_.resize(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) out.floats_[k] = floats_[rows[k]];
  }
  return out;
}

void ValueColumn::copyTo(std::size_t from, std::span<float> out) const {
  switch (mode_) {
    case Mode::kConstant:
      if (!out.empty()) std::fill(out.begin(), out.end(), dict_[0]);
      return;
    case Mode::kCodes:
      for (std::size_t k = 0; k < out.size(); ++k) out[k] = dict_[codes_[from + k]];
      return;
    case Mode::kFloats:
      std::copy_n(floats_.begin() + static_cast<std::ptrdiff_t>(from), out.size(), out.begin());
      return;
  }
}

std::vector<float> ValueColumn::toVector() const {
  std::vector<float> v(size_);
  copyTo(0, v);
  return v;
}

std::size_t ValueColumn::heapBytes() const noexcept {
  return codes_.capacity() + (floats_.capacity() + dict_.capacity()) * sizeof(float) +
         slots_.capacity() * sizeof(std::uint16_t);
}

std::size_t ValueColumn::bytesPerRow() const noexcept {
  return mode_ == Mode::kConstant ? 0 : mode_ == Mode::kCodes ? 1 : 4;
}

bool operator==(const ValueColumn& a, const ValueColumn& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

bool operator==(const ValueColumn& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] != b[k]) return false;
  }
  return true;
}

}  // namespace rwb
