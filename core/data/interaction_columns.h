#pragma once
/// \file
/// Compact columns of the interaction log: TimestampColumn and ValueColumn. Each stores its
/// values in the smallest of a few representations that holds them exactly and switches to a
/// wider one by itself when a value does not fit, so readers always get back exactly the value
/// (bit for bit) that was stored. Readers see a sequence of values (operator[], size(),
/// iteration); writers use push_back() and set().
///
/// Not thread-safe for writes; concurrent const use is safe.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <vector>

namespace rwb {

/// Timestamp value meaning "no timestamp". Timestamps are Unix seconds (UTC).
inline constexpr std::int64_t kNoTimestamp = std::numeric_limits<std::int64_t>::min();

/// Random-access read-only iterator over a column that yields values (not references).
template <typename Column, typename T>
class ColumnIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using reference = T;
  using pointer = void;

  ColumnIterator() = default;
  ColumnIterator(const Column* column, std::size_t at) : column_(column), at_(at) {}
  T operator*() const { return (*column_)[at_]; }
  T operator[](difference_type n) const {
    return (*column_)[static_cast<std::size_t>(static_cast<difference_type>(at_) + n)];
  }
  ColumnIterator& operator++() {
    ++at_;
    return *this;
  }
  ColumnIterator operator++(int) {
    auto old = *this;
    ++at_;
    return old;
  }
  ColumnIterator& operator--() {
    --at_;
    return *this;
  }
  ColumnIterator operator--(int) {
    auto old = *this;
    --at_;
    return old;
  }
  ColumnIterator& operator+=(difference_type n) {
    at_ = static_cast<std::size_t>(static_cast<difference_type>(at_) + n);
    return *this;
  }
  ColumnIterator& operator-=(difference_type n) { return *this += -n; }
  friend ColumnIterator operator+(ColumnIterator it, difference_type n) { return it += n; }
  friend ColumnIterator operator+(difference_type n, ColumnIterator it) { return it += n; }
  friend ColumnIterator operator-(ColumnIterator it, difference_type n) { return it -= n; }
  friend difference_type operator-(const ColumnIterator& a, const ColumnIterator& b) {
    return static_cast<difference_type>(a.at_) - static_cast<difference_type>(b.at_);
  }
  friend bool operator==(const ColumnIterator& a, const ColumnIterator& b) {
    return a.at_ == b.at_;
  }
  friend auto operator<=>(const ColumnIterator& a, const ColumnIterator& b) {
    return a.at_ <=> b.at_;
  }

 private:
  const Column* column_ = nullptr;
  std::size_t at_ = 0;
};

/// A column of timestamps (Unix seconds, any int64, or kNoTimestamp).
///
/// Representations, chosen automatically (never visible to readers):
/// - constant: every row holds the same value (e.g. no timestamp column at all): 0 bytes a row;
/// - offset: a uint32 offset from a per-column base, 0xFFFFFFFF meaning kNoTimestamp, while the
///   stored timestamps span at most 4,294,967,294 seconds (136 years): 4 bytes a row;
/// - wide: plain int64: 8 bytes a row, from the first value that does not fit the offset form.
/// The base is placed in the middle of the free range, so that later earlier or later values
/// fit without moving it; when one does not, the offsets are re-based (at most ~32 times over
/// a column's life, since each re-base at least halves the free range) or the column widens.
class TimestampColumn {
 public:
  using value_type = std::int64_t;
  using const_iterator = ColumnIterator<TimestampColumn, std::int64_t>;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// The value of row k. Precondition: k < size().
  std::int64_t operator[](std::size_t k) const noexcept {
    switch (mode_) {
      case Mode::kConstant:
        return base_;
      case Mode::kOffset: {
        const std::uint32_t o = offsets_[k];
        return o == kMissing ? kNoTimestamp
                             : static_cast<std::int64_t>(static_cast<std::uint64_t>(base_) + o);
      }
      case Mode::kWide:
        break;
    }
    return wide_[k];
  }
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, size_}; }

  /// Appends t.
  void push_back(std::int64_t t) {
    if (mode_ == Mode::kOffset && fitsOffset(t)) {
      offsets_.push_back(encode(t));
      ++size_;
      return;
    }
    pushSlow(t);
  }
  /// Replaces the value of row k. Precondition: k < size().
  void set(std::size_t k, std::int64_t t);
  /// Prepares room for n rows (applied to whichever representation is in use, now or later).
  void reserve(std::size_t n);
  /// Releases spare capacity.
  void shrink_to_fit();
  void clear();
  /// The rows at `rows`, in that order, in the same representation (indices < size()).
  TimestampColumn select(std::span<const std::uint32_t> rows) const;
  /// Decodes rows [from, from + out.size()) into out. Precondition: from + out.size() <= size().
  void copyTo(std::size_t from, std::span<std::int64_t> out) const;
  /// All values as a plain vector.
  std::vector<std::int64_t> toVector() const;
  /// Heap bytes held (capacity), for memory accounting.
  std::size_t heapBytes() const noexcept;
  /// Bytes a row of the representation in use (0, 4 or 8).
  std::size_t bytesPerRow() const noexcept;

  friend bool operator==(const TimestampColumn& a, const TimestampColumn& b);
  friend bool operator==(const TimestampColumn& a, const std::vector<std::int64_t>& b);

 private:
  enum class Mode : std::uint8_t { kConstant, kOffset, kWide };
  static constexpr std::uint32_t kMissing = 0xFFFFFFFFu;
  static constexpr std::uint64_t kMaxOffset = 0xFFFFFFFEull;

  bool fitsOffset(std::int64_t t) const noexcept {
    return t == kNoTimestamp ||
           (t >= base_ &&
            static_cast<std::uint64_t>(t) - static_cast<std::uint64_t>(base_) <= kMaxOffset);
  }
  std::uint32_t encode(std::int64_t t) const noexcept {
    return t == kNoTimestamp ? kMissing
                             : static_cast<std::uint32_t>(static_cast<std::uint64_t>(t) -
                                                          static_cast<std::uint64_t>(base_));
  }
  void pushSlow(std::int64_t t);
  /// Makes room for t (leaving constant mode, re-basing or widening as needed).
  void accommodate(std::int64_t t);
  void rebase(std::int64_t lo, std::int64_t hi);
  void widen();
  /// min and max of the stored non-missing values; false when there are none.
  bool range(std::int64_t& lo, std::int64_t& hi) const;

  Mode mode_ = Mode::kConstant;
  std::size_t size_ = 0;
  std::size_t reserve_ = 0;
  std::int64_t base_ = kNoTimestamp;  ///< the value (constant) or the offset base (offset)
  std::vector<std::uint32_t> offsets_;
  std::vector<std::int64_t> wide_;
};

/// A column of interaction values (float).
///
/// Representations, chosen automatically (never visible to readers):
/// - constant: every row holds the same value (e.g. implicit data, value 1): 0 bytes a row;
/// - codes: one byte a row indexing a dictionary of at most 256 distinct values (ratings,
///   small counts): 1 byte a row;
/// - floats: plain float: 4 bytes a row, from the 257th distinct value on.
/// Values are told apart by their bits, so -0.0 and 0.0 (and NaNs) come back exactly as stored.
class ValueColumn {
 public:
  using value_type = float;
  using const_iterator = ColumnIterator<ValueColumn, float>;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// The value of row k. Precondition: k < size().
  float operator[](std::size_t k) const noexcept {
    switch (mode_) {
      case Mode::kConstant:
        return dict_[0];
      case Mode::kCodes:
        return dict_[codes_[k]];
      case Mode::kFloats:
        break;
    }
    return floats_[k];
  }
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, size_}; }

  /// Appends v.
  void push_back(float v) {
    if (mode_ == Mode::kCodes) {
      const std::uint32_t b = bitsOf(v);
      if (b == lastBits_) {
        codes_.push_back(lastCode_);
        ++size_;
        return;
      }
      const std::uint16_t s = slots_[slotOf(b)];
      if (s != 0 && bitsOf(dict_[s - 1u]) == b) {
        lastBits_ = b;
        lastCode_ = static_cast<std::uint8_t>(s - 1u);
        codes_.push_back(lastCode_);
        ++size_;
        return;
      }
    }
    pushSlow(v);
  }
  /// Replaces the value of row k. Precondition: k < size().
  void set(std::size_t k, float v);
  /// Prepares room for n rows (applied to whichever representation is in use, now or later).
  void reserve(std::size_t n);
  /// Releases spare capacity.
  void shrink_to_fit();
  void clear();
  /// The rows at `rows`, in that order, in the same representation (indices < size()).
  ValueColumn select(std::span<const std::uint32_t> rows) const;
  /// Decodes rows [from, from + out.size()) into out. Precondition: from + out.size() <= size().
  void copyTo(std::size_t from, std::span<float> out) const;
  /// All values as a plain vector.
  std::vector<float> toVector() const;
  /// Heap bytes held (capacity), for memory accounting.
  std::size_t heapBytes() const noexcept;
  /// Bytes a row of the representation in use (0, 1 or 4).
  std::size_t bytesPerRow() const noexcept;

  friend bool operator==(const ValueColumn& a, const ValueColumn& b);
  friend bool operator==(const ValueColumn& a, const std::vector<float>& b);

 private:
  enum class Mode : std::uint8_t { kConstant, kCodes, kFloats };
  static constexpr std::size_t kMaxCodes = 256;
  static constexpr std::size_t kSlots = 512;  ///< hash slots (load <= 1/2)

  static std::uint32_t bitsOf(float v) noexcept { return std::bit_cast<std::uint32_t>(v); }
  static std::size_t slotOf(std::uint32_t bits) noexcept { return (bits * 0x9E3779B1u) >> 23; }
  void pushSlow(float v);
  /// The code of v, adding it to the dictionary; -1 when the dictionary is full.
  int codeOf(float v);
  void toCodes();
  void toFloats();

  Mode mode_ = Mode::kConstant;
  std::size_t size_ = 0;
  std::size_t reserve_ = 0;
  std::uint32_t lastBits_ = 0;  ///< cache of the last code looked up (codes mode)
  std::uint8_t lastCode_ = 0;
  std::vector<float> dict_;           ///< constant: {value}; codes: code -> value
  std::vector<std::uint16_t> slots_;  ///< codes: hash of bits -> code + 1 (0 = empty)
  std::vector<std::uint8_t> codes_;
  std::vector<float> floats_;
};

}  // namespace rwb
