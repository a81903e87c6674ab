#include "core/util/json.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/util/error.h"

namespace rwb {

namespace {

using json = nlohmann::json;

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  // Overlong forms, surrogates and code points above U+10FFFF.
  if (c == 0xE0 && b(i + 1) < 0xA0) return 0;
  if (c == 0xED && b(i + 1) > 0x9F) return 0;
  if (c == 0xF0 && b(i + 1) < 0x90) return 0;
  if (c == 0xF4 && b(i + 1) > 0x8F) return 0;
  return n;
}

// Line and column (1-based, in bytes) of a byte offset.
std::pair<std::uint64_t, std::uint64_t> lineColumn(std::string_view text, std::size_t offset) {
  std::uint64_t line = 1, col = 1;
  const std::size_t end = std::min(offset, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// nlohmann's messages read "[json.exception.parse_error.101] parse error at line 1, column 5:
// syntax error ..."; keep the reason after the position (ours is computed from the offset).
std::string reasonOf(const std::string& what) {
  std::string r = what;
  if (const auto p = r.find("] "); p != std::string::npos && r.rfind("[json.exception", 0) == 0) {
    r = r.substr(p + 2);
  }
  if (r.rfind("parse error", 0) == 0) {
    if (const auto p = r.find(": "); p != std::string::npos) r = r.substr(p + 2);
  }
  return printableText(r, 200);
}

struct Frame {
  json* value;
  std::string key;  // for objects: the member being read
};

// Builds the document like nlohmann's own DOM parser, and also knows the JSON path of the value
// being read, refuses duplicate keys, and keeps the first error with its offset.
class StrictSax {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  json root;
  enum class Failure { kNone, kSyntax, kDuplicate, kOverflow } failure = Failure::kNone;
  std::string errorPath, errorReason;
  std::size_t errorOffset = 0;

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(number_integer_t v) { return put(v); }
  bool number_unsigned(number_unsigned_t v) { return put(v); }
  bool number_float(number_float_t v, const string_t&) { return put(v); }
  bool string(string_t& v) { return put(std::move(v)); }
  bool binary(binary_t& v) { return put(json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(string_t& k) {
    Frame& top = stack_.back();
    if (top.value->contains(k)) {
      failure = Failure::kDuplicate;
      errorPath = jsonPath(pathOfTop(), k);
      errorReason = "duplicate key \"" + printableText(k) + "\" (each key may appear only once)";
      return false;
    }
    top.key = std::move(k);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    errorOffset = position;
    errorPath = pathOfCurrent();
    if (e.id == 406) {
      failure = Failure::kOverflow;
      errorReason = reasonOf(e.what());
    } else {
      failure = Failure::kSyntax;
      errorReason = reasonOf(e.what());
    }
    return false;
  }

 private:
  std::vector<Frame> stack_;

  // Where the next value goes; the pointer stays valid while its container is open, because a
  // container receives no other value before the child is closed.
  json* place(json v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    Frame& top = stack_.back();
    if (top.value->is_object()) {
      json& slot = (*top.value)[top.key];
      slot = std::move(v);
      return &slot;
    }
    top.value->push_back(std::move(v));
    return &top.value->back();
  }
  bool put(json v) {
    place(std::move(v));
    return true;
  }
  bool open(json v) {
    json* p = place(std::move(v));
    stack_.push_back({p, {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  // Path of the innermost open container: each enclosing frame adds the member or element it
  // is reading.
  std::string pathOfTop() const {
    std::string p = "$";
    for (std::size_t d = 0; d + 1 < stack_.size(); ++d) {
      const Frame& f = stack_[d];
      p = f.value->is_object() ? jsonPath(p, f.key) : jsonPath(p, f.value->size() - 1);
    }
    return p;
  }
  // Path of the value being read: the open member or the next array element.
  std::string pathOfCurrent() const {
    if (stack_.empty()) return "$";
    const Frame& top = stack_.back();
    const std::string parent = pathOfTop();
    if (top.value->is_object()) return top.key.empty() ? parent : jsonPath(parent, top.key);
    return jsonPath(parent, top.value->size());
  }
};

}  // namespace

std::string printableText(std::string_view text, std::size_t maxBytes) {
  std::string out;
  static const char* hex = "0123456789ABCDEF";
  std::size_t i = 0;
  while (i < text.size()) {
    if (out.size() >= maxBytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (const std::size_t n = c >= 0x80 ? utf8Length(text, i) : 0; n > 0) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 0xF];
    ++i;
  }
  return out;
}

std::string jsonPath(const std::string& parent, std::string_view key) {
  return parent + "." + printableText(key, 200);
}

std::string jsonPath(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

json parseJson(std::string_view text, const std::string& file) {
  StrictSax sax;
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (ok && sax.failure == StrictSax::Failure::kNone) return std::move(sax.root);
  const auto [line, col] = lineColumn(text, sax.errorOffset == 0 ? 0 : sax.errorOffset - 1);
  const std::string where = (file.empty() ? std::string("line ") + std::to_string(line)
                                          : file + ":" + std::to_string(line)) +
                            (file.empty() ? ", column " : ":") + std::to_string(col);
  switch (sax.failure) {
    case StrictSax::Failure::kDuplicate:
      throw SpecError(sax.errorPath,
                      sax.errorReason + (file.empty() ? std::string() : " in " + file));
    case StrictSax::Failure::kOverflow:
      throw SpecError(sax.errorPath, "number out of range of a double (" + sax.errorReason +
                                         ", at " + where + ")");
    default:
      throw ParseError(file, line, col, "malformed JSON: " + sax.errorReason);
  }
}

json loadJsonFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw IoError("cannot open '" + file.string() + "': " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError("cannot read '" + file.string() + "': " + std::strerror(errno));
  return parseJson(ss.str(), file.string());
}

json parseJsonField(std::string_view text, const std::string& path) {
  try {
    return parseJson(text);
  } catch (const ParseError& e) {
    throw SpecError(path, "not valid JSON (line " + std::to_string(e.line()) + ", column " +
                              std::to_string(e.column()) + "): " + e.reason());
  } catch (const SpecError& e) {
    // The inner path starts with "$": graft it onto the field's path.
    std::string inner = e.path().substr(1);
    const std::string what = e.what();
    throw SpecError(path + inner, what.substr(e.path().size() + 2));
  }
}

std::string jsonTypeName(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  if (j.is_binary()) return "binary data";
  return "an object";
}

void requireObject(const json& value, const std::string& path) {
  if (!value.is_object()) throw SpecError(path, "must be an object, not " + jsonTypeName(value));
}

void checkKeys(const json& value, const std::string& path,
               std::initializer_list<std::string_view> allowed) {
  requireObject(value, path);
  for (auto it = value.begin(); it != value.end(); ++it) {
    bool ok = false;
    for (const auto a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      std::string known;
      for (const auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      throw SpecError(jsonPath(path, it.key()), "unknown key (allowed: " + known + ")");
    }
  }
}

std::string asString(const json& value, const std::string& path) {
  if (!value.is_string()) throw SpecError(path, "must be a string, not " + jsonTypeName(value));
  return value.get<std::string>();
}

std::string asNonEmptyString(const json& value, const std::string& path) {
  std::string s = asString(value, path);
  if (s.empty()) throw SpecError(path, "must not be empty");
  return s;
}

std::string asChoice(const json& value, const std::string& path,
                     std::initializer_list<std::string_view> choices) {
  const std::string s = asString(value, path);
  std::string known;
  for (const auto c : choices) {
    if (s == c) return s;
    known += (known.empty() ? "" : ", ") + std::string(c);
  }
  throw SpecError(path, "unknown value '" + printableText(s) + "' (one of: " + known + ")");
}

bool asBool(const json& value, const std::string& path) {
  if (!value.is_boolean()) {
    throw SpecError(path, "must be true or false, not " + jsonTypeName(value));
  }
  return value.get<bool>();
}

namespace {
std::string numberText(double v) {
  if (v == std::numeric_limits<double>::max()) return "inf";
  if (v == -std::numeric_limits<double>::max()) return "-inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return json(v).dump();
}
}  // namespace

double asNumber(const json& value, const std::string& path, double lo, double hi) {
  if (!value.is_number()) throw SpecError(path, "must be a number, not " + jsonTypeName(value));
  const double d = value.get<double>();
  if (!std::isfinite(d)) throw SpecError(path, "must be finite");
  if (d < lo || d > hi) {
    throw SpecError(path, "out of range [" + numberText(lo) + ", " + numberText(hi) + "]");
  }
  return d;
}

long long asInt(const json& value, const std::string& path, long long lo, long long hi) {
  const auto range = [&] {
    return SpecError(path, "out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  };
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (hi < 0 || u > static_cast<std::uint64_t>(hi)) throw range();
    const auto v = static_cast<long long>(u);
    if (v < lo) throw range();
    return v;
  }
  if (value.is_number_integer()) {
    const auto v = value.get<long long>();
    if (v < lo || v > hi) throw range();
    return v;
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && std::floor(d) == d) {
      // Compare as doubles first: casting an out-of-range double is undefined.
      if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) throw range();
      return static_cast<long long>(d);
    }
  }
  throw SpecError(path, "must be an integer, not " + (value.is_number_float()
                                                          ? std::string("a fractional number")
                                                          : jsonTypeName(value)));
}

std::uint64_t asUnsigned(const json& value, const std::string& path, std::uint64_t max) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > max) throw SpecError(path, "out of range [0, " + std::to_string(max) + "]");
    return u;
  }
  if (value.is_number_integer() && value.get<long long>() < 0) {
    throw SpecError(path, "must be a non-negative integer");
  }
  const long long v = asInt(value, path, 0, std::numeric_limits<long long>::max());
  if (static_cast<std::uint64_t>(v) > max) {
    throw SpecError(path, "out of range [0, " + std::to_string(max) + "]");
  }
  return static_cast<std::uint64_t>(v);
}

std::vector<std::string> asStringList(const json& value, const std::string& path) {
  if (!value.is_array()) {
    throw SpecError(path, "must be an array of strings, not " + jsonTypeName(value));
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i)
    out.push_back(asString(value[i], jsonPath(path, i)));
  return out;
}

const json* findKey(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const json& requireKey(const json& obj, std::string_view key, const std::string& path) {
  requireObject(obj, path);
  const json* v = findKey(obj, key);
  if (v == nullptr) throw SpecError(jsonPath(path, key), "is required");
  return *v;
}

std::string requireString(const json& obj, std::string_view key, const std::string& path) {
  return asString(requireKey(obj, key, path), jsonPath(path, key));
}

std::string optString(const json& obj, std::string_view key, const std::string& path,
                      std::string def) {
  const json* v = findKey(obj, key);
  return v == nullptr ? def : asString(*v, jsonPath(path, key));
}

bool optBool(const json& obj, std::string_view key, const std::string& path, bool def) {
  const json* v = findKey(obj, key);
  return v == nullptr ? def : asBool(*v, jsonPath(path, key));
}

double optNumber(const json& obj, std::string_view key, const std::string& path, double def,
                 double lo, double hi) {
  const json* v = findKey(obj, key);
  return v == nullptr ? def : asNumber(*v, jsonPath(path, key), lo, hi);
}

long long optInt(const json& obj, std::string_view key, const std::string& path, long long def,
                 long long lo, long long hi) {
  const json* v = findKey(obj, key);
  return v == nullptr ? def : asInt(*v, jsonPath(path, key), lo, hi);
}

std::vector<std::string> optStringList(const json& obj, std::string_view key,
                                       const std::string& path, std::vector<std::string> def) {
  const json* v = findKey(obj, key);
  return v == nullptr ? def : asStringList(*v, jsonPath(path, key));
}

}  // namespace rwb
