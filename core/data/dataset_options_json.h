#pragma once
/// \file
/// The one vocabulary of dataset options and their one JSON form. The experiment spec's
/// `dataset` entry, the `recwb` data flags and the GUI's import dialog all name formats,
/// delimiters, header modes and encodings with these words and read them with these parsers;
/// the table of words and aliases is in docs/data.md ("Dataset options: words and JSON").

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/dataset_loader.h"

namespace rwb {

/// One canonical word of an option, with what it means (for help texts and GUI lists).
struct OptionWord {
  std::string_view word;
  std::string_view meaning;
};

/// The canonical words, in the order help texts and the GUI list them. Parsers also accept the
/// aliases listed in docs/data.md; writers only ever write these words.
const std::vector<OptionWord>& dataFormatWords();    ///< auto, delimited, ml-100k, ... sqlite
const std::vector<OptionWord>& delimiterWords();     ///< auto, comma, tab, semicolon, pipe, space
const std::vector<OptionWord>& headerModeWords();    ///< auto, yes, no
const std::vector<OptionWord>& textEncodingWords();  ///< utf-8, latin-1
/// "a, b, c": the words of a list, for messages and help texts.
std::string joinWords(const std::vector<OptionWord>& words);

/// "utf-8" or "latin-1".
std::string_view textEncodingName(TextEncoding encoding);
/// A word of textEncodingWords() or an alias ("utf8", "latin1", "iso-8859-1"), any letter
/// case; false when unknown.
bool parseTextEncoding(std::string_view text, TextEncoding& out);

/// "auto", "yes" or "no".
std::string_view headerModeName(HeaderMode mode);
/// A word of headerModeWords(), any letter case; false when unknown.
bool parseHeaderMode(std::string_view text, HeaderMode& out);

/// The word of a delimiter: "auto" (delimiter 0 and no text), "comma", "tab", "semicolon",
/// "pipe", "space", else the delimiter itself (one character, or `text` such as "::").
std::string delimiterName(char delimiter, const std::string& text);
/// Reads a delimiter word, an alias ("\\t" = tab) or the delimiter itself: one character
/// (not a quote or a line break) or 2 to 4 characters (e.g. "::", set in `text`). Returns an
/// empty string on success, else the reason it is refused (delimiter and text unchanged).
std::string parseDelimiter(std::string_view word, char& delimiter, std::string& text);

/// The JSON form of DatasetOptions (everything but `base`). Only values that differ from a
/// default DatasetOptions are written, except "format", which always is; words are the
/// canonical ones. Keys: format, columns {user, item, value, timestamp, event},
/// options {delimiter, header, encoding, strict, implicit_value, quote}, table, query,
/// items_table, items_query, users_table, users_query, items, users,
/// item_attributes / user_attributes {id, delimiter, header, encoding, quote, types,
/// multi_separator}. datasetOptionsFromJson(datasetOptionsToJson(o), p) == o for every o whose
/// attribute options' `strict` equals interactions.strict (the loaders use that one).
nlohmann::json datasetOptionsToJson(const DatasetOptions& options);

/// Reads the JSON form (an object; every key optional). Accepts the aliases of every word.
/// Attribute options take the interactions' encoding unless they give their own, and the
/// interactions' `strict` always. Paths ("items", "users") are returned as written. Throws
/// SpecError located at `path` + the offending key for an unknown key, a value of the wrong
/// type or an unknown word (the message lists the words).
DatasetOptions datasetOptionsFromJson(const nlohmann::json& json, const std::string& path);

}  // namespace rwb
