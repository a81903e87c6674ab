#pragma once
/// \file
/// The one JSON-reading layer of RecWorkbench: strict parsing (duplicate keys and numbers
/// outside the range of a double are refused, every failure is located) and typed readers that
/// all report in one style, SpecError(JSON path, reason). Specs, preparation steps, split
/// options, feature configurations and model parameters are read with these; nothing else in
/// core parses or type-checks JSON by hand.
///
/// Paths are written "$.models[1].params.factors": "$" is the document, ".key" an object member,
/// "[i]" an array element. Messages never echo raw bytes: control characters and invalid UTF-8
/// are escaped (printableText).

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rwb {

/// Parses a whole JSON document strictly. Throws
///  - ParseError(file, line, column, "malformed JSON: ...") for text that is not JSON (including
///    empty text and trailing content); line and column are 1-based;
///  - SpecError(path, "duplicate key ...") when an object holds the same key twice (nlohmann
///    would silently keep the last one); path names the repeated key;
///  - SpecError(path, "number ... is out of range ...") for a number beyond the range of a
///    double (1e400), with line and column in the reason.
/// `file` (may be empty) names the source in every message.
nlohmann::json parseJson(std::string_view text, const std::string& file = {});

/// Reads a file and parses it with parseJson (messages name the file). Throws IoError, with the
/// system's reason, when the file cannot be read.
nlohmann::json loadJsonFile(const std::filesystem::path& file);

/// Parses JSON text that is itself the value of a field of another document (e.g. a model
/// parameter given as a string). Every failure is a SpecError located at `path` (for a
/// duplicate key or an overflowing number, the path inside the text is appended).
nlohmann::json parseJsonField(std::string_view text, const std::string& path);

/// Text safe to put in a message: valid UTF-8 is kept, control characters and invalid bytes
/// are written as \xNN; longer text is cut after maxBytes with "...".
std::string printableText(std::string_view text, std::size_t maxBytes = 80);

/// The JSON path of an object member / array element: jsonPath("$.a", "b") == "$.a.b",
/// jsonPath("$.a", 2) == "$.a[2]". Keys are made printable.
std::string jsonPath(const std::string& parent, std::string_view key);
std::string jsonPath(const std::string& parent, std::size_t index);

/// "null", "a boolean", "a number", "a string", "an array" or "an object" (for messages).
std::string jsonTypeName(const nlohmann::json& value);

// ---------------------------------------------------------------------------------------------
// Typed readers. Each checks one value found at `path` and throws SpecError(path, reason).

/// Throws unless value is an object ("must be an object, not ...").
void requireObject(const nlohmann::json& value, const std::string& path);
/// requireObject, then refuses any key outside `allowed` ("unknown key (allowed: a, b)").
void checkKeys(const nlohmann::json& value, const std::string& path,
               std::initializer_list<std::string_view> allowed);
/// A string.
std::string asString(const nlohmann::json& value, const std::string& path);
/// A string that is not empty.
std::string asNonEmptyString(const nlohmann::json& value, const std::string& path);
/// A string out of `choices` ("unknown value 'x' (one of: a, b)").
std::string asChoice(const nlohmann::json& value, const std::string& path,
                     std::initializer_list<std::string_view> choices);
/// A boolean ("must be true or false").
bool asBool(const nlohmann::json& value, const std::string& path);
/// A finite number within [lo, hi] (inclusive; defaults: any finite number).
double asNumber(const nlohmann::json& value, const std::string& path,
                double lo = -std::numeric_limits<double>::max(),
                double hi = std::numeric_limits<double>::max());
/// An integer (a float with an integral value is accepted) within [lo, hi].
long long asInt(const nlohmann::json& value, const std::string& path,
                long long lo = std::numeric_limits<long long>::min(),
                long long hi = std::numeric_limits<long long>::max());
/// A non-negative integer up to max (the full unsigned 64-bit range by default, e.g. seeds).
std::uint64_t asUnsigned(const nlohmann::json& value, const std::string& path,
                         std::uint64_t max = std::numeric_limits<std::uint64_t>::max());
/// An array of strings.
std::vector<std::string> asStringList(const nlohmann::json& value, const std::string& path);

/// The member `key` of object `obj` (path = the object's path), or nullptr when absent.
const nlohmann::json* findKey(const nlohmann::json& obj, std::string_view key);
/// The member `key`; throws SpecError(path.key, "is required") when absent.
const nlohmann::json& requireKey(const nlohmann::json& obj, std::string_view key,
                                 const std::string& path);
/// requireKey + asString.
std::string requireString(const nlohmann::json& obj, std::string_view key, const std::string& path);

/// Optional members: the default when `key` is absent, else the typed value (SpecError at
/// path.key when it has the wrong type or range).
std::string optString(const nlohmann::json& obj, std::string_view key, const std::string& path,
                      std::string def);
bool optBool(const nlohmann::json& obj, std::string_view key, const std::string& path, bool def);
double optNumber(const nlohmann::json& obj, std::string_view key, const std::string& path,
                 double def, double lo = -std::numeric_limits<double>::max(),
                 double hi = std::numeric_limits<double>::max());
long long optInt(const nlohmann::json& obj, std::string_view key, const std::string& path,
                 long long def, long long lo = std::numeric_limits<long long>::min(),
                 long long hi = std::numeric_limits<long long>::max());
std::vector<std::string> optStringList(const nlohmann::json& obj, std::string_view key,
                                       const std::string& path, std::vector<std::string> def);

}  // namespace rwb
