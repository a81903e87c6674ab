#pragma once
/// \file
/// Little binary (de)serialisation helpers for model state. The reader checks every length
/// against what remains, so a truncated or tampered blob raises rwb::ModelError and never reads
/// out of bounds. Layout is native little-endian (x86-64, aarch64).

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/util/error.h"

namespace rwb {

/// Appends values to a byte string.
class BinaryWriter {
 public:
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void put(const T& v) { buf_.append(reinterpret_cast<const char*>(&v), sizeof(T)); }
  void putString(std::string_view s) {
    put<std::uint64_t>(s.size());
    buf_.append(s.data(), s.size());
  }
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void putVector(std::span<const T> v) {
    put<std::uint64_t>(v.size());
    if (!v.empty()) buf_.append(reinterpret_cast<const char*>(v.data()), v.size_bytes());
  }
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void putVector(const std::vector<T>& v) { putVector(std::span<const T>(v)); }
  void putStrings(const std::vector<std::string>& v) {
    put<std::uint64_t>(v.size());
    for (const auto& s : v) putString(s);
  }
  const std::string& bytes() const noexcept { return buf_; }
  std::string take() { return std::move(buf_); }

 private:
  std::string buf_;
};

/// Reads values written by BinaryWriter, with bounds checks. Every read names the field it
/// reads, so that a failure can say which one: fail() and check() report
/// "<what>, field '<field>' (byte <offset> of <size>): <reason>", where <field> is the field
/// being read or last read. Loaders of nested structures open a scope(): fields read inside it
/// are labelled "<scope>.<field>", and after it the label is the scope's name.
class BinaryReader {
 public:
  explicit BinaryReader(std::string_view bytes, std::string what = "model state")
      : data_(bytes), what_(std::move(what)) {}

  template <typename T>
  requires std::is_trivially_copyable_v<T> T get(std::string_view field) {
    setField(field);
    return take<T>();
  }
  /// The next value without consuming it.
  template <typename T>
  requires std::is_trivially_copyable_v<T> T peek(std::string_view field) {
    setField(field);
    need(sizeof(T));
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    return v;
  }
  std::string getString(std::string_view field) {
    setField(field);
    return takeString();
  }
  template <typename T>
  requires std::is_trivially_copyable_v<T> std::vector<T> getVector(std::string_view field) {
    setField(field);
    const auto n = take<std::uint64_t>();
    if (n > remaining() / (sizeof(T) == 0 ? 1 : sizeof(T))) fail("vector length out of range");
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), data_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return v;
  }
  std::vector<std::string> getStrings(std::string_view field) {
    setField(field);
    const auto n = take<std::uint64_t>();
    if (n > remaining() / sizeof(std::uint64_t)) fail("string list length out of range");
    std::vector<std::string> v;
    v.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(takeString());
    return v;
  }
  /// Skips n bytes (fails when fewer remain).
  void skip(std::uint64_t n) {
    need(n);
    pos_ += n;
  }
  /// The offset of the next byte.
  std::size_t position() const noexcept { return pos_; }

  /// Labels the fields read until it is destroyed "<name>.<field>" (nested in any enclosing
  /// scope); afterwards the current field is "<name>": a check on the nested structure as a
  /// whole names it.
  class Scope {
   public:
    Scope(BinaryReader& r, std::string_view name) : r_(r), outer_(r.prefix_.size()) {
      r_.prefix_.append(name).push_back('.');
      r_.field_ = r_.prefix_.substr(0, r_.prefix_.size() - 1);
    }
    ~Scope() {
      r_.field_ = r_.prefix_.substr(0, r_.prefix_.size() - 1);
      r_.prefix_.resize(outer_);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    BinaryReader& r_;
    std::size_t outer_;
  };
  [[nodiscard]] Scope scope(std::string_view name) { return Scope(*this, name); }

  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool atEnd() const noexcept { return pos_ == data_.size(); }
  /// Throws ModelError("<what>, field '<field>' (byte <offset> of <size>): <reason>").
  [[noreturn]] void fail(const std::string& reason) const {
    throw ModelError(what_ + (field_.empty() ? "" : ", field '" + field_ + "'") + " (byte " +
                     std::to_string(pos_) + " of " + std::to_string(data_.size()) + "): " + reason);
  }
  /// Fails unless cond holds; use to validate sizes and indices right after reading them.
  void check(bool cond, const char* reason) const {
    if (!cond) fail(reason);
  }

 private:
  void setField(std::string_view field) {
    field_.assign(prefix_);
    field_.append(field);
  }
  template <typename T>
  T take() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string takeString() {
    const auto n = take<std::uint64_t>();
    need(n);
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  void need(std::uint64_t n) const {
    if (n > remaining()) fail("truncated (needs " + std::to_string(n) + " more bytes)");
  }
  std::string_view data_;
  std::size_t pos_ = 0;
  std::string what_;
  std::string prefix_;  ///< "<scope>.<scope>." of the open scopes
  std::string field_;   ///< the field being read or last read, with its prefix
};

}  // namespace rwb
