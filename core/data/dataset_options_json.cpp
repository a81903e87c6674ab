#include "core/data/dataset_options_json.h"

#include <iterator>
#include <optional>
#include <utility>

#include "core/data/text_parse.h"
#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

namespace {

using json = nlohmann::json;

struct NamedDelimiter {
  const char* word;
  char delimiter;
};
constexpr NamedDelimiter kNamedDelimiters[] = {
    {"comma", ','}, {"tab", '\t'}, {"semicolon", ';'}, {"pipe", '|'}, {"space", ' '}};

}  // namespace

const std::vector<OptionWord>& dataFormatWords() {
  static const std::vector<OptionWord> words = {
      {"auto", "detected from the path (docs/data.md)"},
      {"delimited", "one delimited text file (CSV, TSV, ...)"},
      {"ml-100k", "MovieLens 100K folder (u.data, u.item, u.user)"},
      {"ml-1m", "MovieLens 1M folder (ratings.dat, movies.dat, users.dat)"},
      {"ml-latest", "MovieLens latest / 25M folder (ratings.csv, movies.csv, tags.csv)"},
      {"movielens", "a MovieLens folder of any of the three layouts (detected)"},
      {"recworkbench", "RecWorkbench folder (interactions.csv, items.csv, users.csv)"},
      {"sqlite", "SQLite database file"},
      {"postgresql", "PostgreSQL server (postgresql://... libpq URI)"},
      {"odbc", "ODBC data source (odbc:DSN or odbc:<connection string>)"}};
  return words;
}

const std::vector<OptionWord>& delimiterWords() {
  static const std::vector<OptionWord> words = {{"auto", "detected from the first lines"},
                                                {"comma", ","},
                                                {"tab", "a tab character"},
                                                {"semicolon", ";"},
                                                {"pipe", "|"},
                                                {"space", "a space"}};
  return words;
}

const std::vector<OptionWord>& headerModeWords() {
  static const std::vector<OptionWord> words = {
      {"auto", "detected (a first row naming known columns is a header)"},
      {"yes", "the first row is a header"},
      {"no", "there is no header row"}};
  return words;
}

const std::vector<OptionWord>& textEncodingWords() {
  static const std::vector<OptionWord> words = {{"utf-8", "UTF-8 (ASCII included)"},
                                                {"latin-1", "ISO 8859-1, transcoded to UTF-8"}};
  return words;
}

std::string joinWords(const std::vector<OptionWord>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + std::string(w.word);
  return out;
}

std::string_view textEncodingName(TextEncoding encoding) {
  return encoding == TextEncoding::kLatin1 ? "latin-1" : "utf-8";
}

bool parseTextEncoding(std::string_view text, TextEncoding& out) {
  for (const char* w : {"utf-8", "utf8"}) {
    if (equalsIgnoreCase(text, w)) {
      out = TextEncoding::kUtf8;
      return true;
    }
  }
  for (const char* w : {"latin-1", "latin1", "iso-8859-1"}) {
    if (equalsIgnoreCase(text, w)) {
      out = TextEncoding::kLatin1;
      return true;
    }
  }
  return false;
}

std::string_view headerModeName(HeaderMode mode) {
  switch (mode) {
    case HeaderMode::kYes:
      return "yes";
    case HeaderMode::kNo:
      return "no";
    case HeaderMode::kAuto:
      break;
  }
  return "auto";
}

bool parseHeaderMode(std::string_view text, HeaderMode& out) {
  for (const HeaderMode m : {HeaderMode::kAuto, HeaderMode::kYes, HeaderMode::kNo}) {
    if (equalsIgnoreCase(text, headerModeName(m))) {
      out = m;
      return true;
    }
  }
  return false;
}

std::string delimiterName(char delimiter, const std::string& text) {
  if (!text.empty()) return text;
  if (delimiter == 0) return "auto";
  for (const auto& d : kNamedDelimiters) {
    if (d.delimiter == delimiter) return d.word;
  }
  return std::string(1, delimiter);
}

std::string parseDelimiter(std::string_view word, char& delimiter, std::string& text) {
  if (equalsIgnoreCase(word, "auto")) {
    delimiter = 0;
    text.clear();
    return {};
  }
  if (word == "\\t") word = "tab";
  for (const auto& d : kNamedDelimiters) {
    if (equalsIgnoreCase(word, d.word)) {
      delimiter = d.delimiter;
      text.clear();
      return {};
    }
  }
  if (word.empty()) return "is empty (\"auto\" detects the delimiter)";
  if (word.size() > 4) {
    return "'" + printableText(word) + "' is not a delimiter (" + joinWords(delimiterWords()) +
           ", or 1 to 4 characters such as \"::\")";
  }
  for (const char c : word) {
    if (c == '\n' || c == '\r' || c == '"') return "a delimiter cannot be a quote or a line break";
  }
  if (word.size() == 1) {
    delimiter = word[0];
    text.clear();
  } else {
    delimiter = 0;
    text = std::string(word);
  }
  return {};
}

namespace {

json columnJson(const ColumnRef& c) {
  if (!c.name.empty()) return c.name;
  return c.position;
}

ColumnRef columnFromJson(const json& v, const std::string& path) {
  ColumnRef c;
  if (v.is_string()) {
    c.name = asNonEmptyString(v, path);
  } else if (v.is_number_integer()) {
    c.position = static_cast<int>(asInt(v, path, 0, 10000));
  } else {
    throw SpecError(path, "must be a column name (string) or a 0-based position (integer)");
  }
  return c;
}

std::string quoteName(char quote) { return quote == 0 ? "none" : std::string(1, quote); }

char quoteFromJson(const json& v, const std::string& path) {
  const std::string s = asString(v, path);
  if (equalsIgnoreCase(s, "none")) return 0;
  if (s.size() != 1 || s[0] == '\n' || s[0] == '\r') {
    throw SpecError(path, "must be one character, or \"none\" for no quoting");
  }
  return s[0];
}

template <typename Parse>
auto wordFromJson(const json& v, const std::string& path, const std::vector<OptionWord>& words,
                  Parse parse) {
  const std::string s = asString(v, path);
  const auto parsed = parse(s);
  if (!parsed) {
    throw SpecError(path,
                    "unknown value '" + printableText(s) + "' (one of: " + joinWords(words) + ")");
  }
  return *parsed;
}

DataFormat formatFromJson(const json& v, const std::string& path) {
  return wordFromJson(v, path, dataFormatWords(), [](const std::string& s) {
    DataFormat f = DataFormat::kAuto;
    return parseDataFormat(s, f) ? std::optional<DataFormat>(f) : std::nullopt;
  });
}

HeaderMode headerFromJson(const json& v, const std::string& path) {
  return wordFromJson(v, path, headerModeWords(), [](const std::string& s) {
    HeaderMode h = HeaderMode::kAuto;
    return parseHeaderMode(s, h) ? std::optional<HeaderMode>(h) : std::nullopt;
  });
}

TextEncoding encodingFromJson(const json& v, const std::string& path) {
  return wordFromJson(v, path, textEncodingWords(), [](const std::string& s) {
    TextEncoding e = TextEncoding::kUtf8;
    return parseTextEncoding(s, e) ? std::optional<TextEncoding>(e) : std::nullopt;
  });
}

void delimiterFromJson(const json& v, const std::string& path, char& delimiter, std::string& text) {
  const std::string why = parseDelimiter(asString(v, path), delimiter, text);
  if (!why.empty()) throw SpecError(path, why);
}

ColumnType columnTypeFromJson(const json& v, const std::string& path) {
  const std::string s = asString(v, path);
  for (const ColumnType t : {ColumnType::kNumeric, ColumnType::kCategorical,
                             ColumnType::kMultiCategorical, ColumnType::kText}) {
    if (equalsIgnoreCase(s, columnTypeName(t))) return t;
  }
  throw SpecError(path, "unknown column type '" + printableText(s) +
                            "' (one of: numeric, categorical, multi, text)");
}

// Attribute options as written: only what differs from `def` (the interactions' encoding and
// strictness, everything else default).
json attributesJson(const AttributeOptions& a, const AttributeOptions& def) {
  json j = json::object();
  if (a.id != def.id) j["id"] = columnJson(a.id);
  if (a.delimiter != def.delimiter || a.delimiterText != def.delimiterText) {
    j["delimiter"] = delimiterName(a.delimiter, a.delimiterText);
  }
  if (a.header != def.header) j["header"] = std::string(headerModeName(a.header));
  if (a.encoding != def.encoding) j["encoding"] = std::string(textEncodingName(a.encoding));
  if (a.quote != def.quote) j["quote"] = quoteName(a.quote);
  if (!a.types.empty()) {
    json types = json::object();
    for (const auto& [name, type] : a.types) types[name] = std::string(columnTypeName(type));
    j["types"] = types;
  }
  if (a.multiSeparator != def.multiSeparator)
    j["multi_separator"] = std::string(1, a.multiSeparator);
  return j;
}

AttributeOptions attributesFromJson(const json& j, const std::string& path,
                                    const AttributeOptions& def) {
  checkKeys(j, path,
            {"id", "delimiter", "header", "encoding", "quote", "types", "multi_separator"});
  AttributeOptions a = def;
  if (const json* v = findKey(j, "id")) a.id = columnFromJson(*v, jsonPath(path, "id"));
  if (const json* v = findKey(j, "delimiter")) {
    delimiterFromJson(*v, jsonPath(path, "delimiter"), a.delimiter, a.delimiterText);
  }
  if (const json* v = findKey(j, "header")) a.header = headerFromJson(*v, jsonPath(path, "header"));
  if (const json* v = findKey(j, "encoding")) {
    a.encoding = encodingFromJson(*v, jsonPath(path, "encoding"));
  }
  if (const json* v = findKey(j, "quote")) a.quote = quoteFromJson(*v, jsonPath(path, "quote"));
  if (const json* v = findKey(j, "types")) {
    const std::string tp = jsonPath(path, "types");
    requireObject(*v, tp);
    for (auto it = v->begin(); it != v->end(); ++it) {
      a.types[it.key()] = columnTypeFromJson(it.value(), jsonPath(tp, it.key()));
    }
  }
  if (const json* v = findKey(j, "multi_separator")) {
    const std::string mp = jsonPath(path, "multi_separator");
    const std::string s = asString(*v, mp);
    if (s.size() != 1) throw SpecError(mp, "must be one character");
    a.multiSeparator = s[0];
  }
  return a;
}

AttributeOptions attributeDefaults(const DelimitedOptions& interactions) {
  AttributeOptions a;
  a.encoding = interactions.encoding;
  a.strict = interactions.strict;
  return a;
}

constexpr const char* kColumnKeys[] = {"user", "item", "value", "timestamp", "event"};

ColumnRef DelimitedOptions::*const kColumnFields[] = {
    &DelimitedOptions::user, &DelimitedOptions::item, &DelimitedOptions::value,
    &DelimitedOptions::timestamp, &DelimitedOptions::event};

struct TextField {
  const char* key;
  std::string DatasetOptions::*field;
};
constexpr TextField kTextFields[] = {{"table", &DatasetOptions::table},
                                     {"query", &DatasetOptions::query},
                                     {"items_table", &DatasetOptions::itemsTable},
                                     {"items_query", &DatasetOptions::itemsQuery},
                                     {"users_table", &DatasetOptions::usersTable},
                                     {"users_query", &DatasetOptions::usersQuery},
                                     {"items", &DatasetOptions::itemsPath},
                                     {"users", &DatasetOptions::usersPath}};

}  // namespace

json datasetOptionsToJson(const DatasetOptions& o) {
  const DelimitedOptions def;
  const DelimitedOptions& in = o.interactions;
  json j = json::object();
  j["format"] = std::string(dataFormatName(o.format));
  json cols = json::object();
  for (std::size_t c = 0; c < std::size(kColumnKeys); ++c) {
    const ColumnRef& ref = in.*kColumnFields[c];
    if (ref.isSet()) cols[kColumnKeys[c]] = columnJson(ref);
  }
  if (!cols.empty()) j["columns"] = cols;
  json opt = json::object();
  if (in.delimiter != def.delimiter || in.delimiterText != def.delimiterText) {
    opt["delimiter"] = delimiterName(in.delimiter, in.delimiterText);
  }
  if (in.header != def.header) opt["header"] = std::string(headerModeName(in.header));
  if (in.encoding != def.encoding) opt["encoding"] = std::string(textEncodingName(in.encoding));
  if (in.strict != def.strict) opt["strict"] = in.strict;
  if (in.implicitValue != def.implicitValue) opt["implicit_value"] = in.implicitValue;
  if (in.quote != def.quote) opt["quote"] = quoteName(in.quote);
  if (!opt.empty()) j["options"] = opt;
  for (const auto& t : kTextFields) {
    if (!(o.*t.field).empty()) j[t.key] = o.*t.field;
  }
  const AttributeOptions attrDef = attributeDefaults(in);
  if (json a = attributesJson(o.itemAttributes, attrDef); !a.empty()) j["item_attributes"] = a;
  if (json a = attributesJson(o.userAttributes, attrDef); !a.empty()) j["user_attributes"] = a;
  return j;
}

DatasetOptions datasetOptionsFromJson(const json& j, const std::string& path) {
  checkKeys(j, path,
            {"format", "columns", "options", "table", "query", "items_table", "items_query",
             "users_table", "users_query", "items", "users", "item_attributes", "user_attributes"});
  DatasetOptions o;
  DelimitedOptions& in = o.interactions;
  if (const json* v = findKey(j, "format")) o.format = formatFromJson(*v, jsonPath(path, "format"));
  if (const json* v = findKey(j, "columns")) {
    const std::string cp = jsonPath(path, "columns");
    checkKeys(*v, cp, {"user", "item", "value", "timestamp", "event"});
    for (std::size_t c = 0; c < std::size(kColumnKeys); ++c) {
      if (const json* col = findKey(*v, kColumnKeys[c])) {
        in.*kColumnFields[c] = columnFromJson(*col, jsonPath(cp, kColumnKeys[c]));
      }
    }
  }
  if (const json* v = findKey(j, "options")) {
    const std::string op = jsonPath(path, "options");
    checkKeys(*v, op, {"delimiter", "header", "encoding", "strict", "implicit_value", "quote"});
    if (const json* d = findKey(*v, "delimiter")) {
      delimiterFromJson(*d, jsonPath(op, "delimiter"), in.delimiter, in.delimiterText);
    }
    if (const json* h = findKey(*v, "header"))
      in.header = headerFromJson(*h, jsonPath(op, "header"));
    if (const json* e = findKey(*v, "encoding")) {
      in.encoding = encodingFromJson(*e, jsonPath(op, "encoding"));
    }
    in.strict = optBool(*v, "strict", op, in.strict);
    in.implicitValue =
        static_cast<float>(optNumber(*v, "implicit_value", op, in.implicitValue, -3.0e38, 3.0e38));
    if (const json* q = findKey(*v, "quote")) in.quote = quoteFromJson(*q, jsonPath(op, "quote"));
  }
  for (const auto& t : kTextFields) o.*t.field = optString(j, t.key, path, {});
  for (const auto& t : kTextFields) {
    if (findKey(j, t.key) != nullptr && (o.*t.field).empty()) {
      throw SpecError(jsonPath(path, t.key), "must not be empty (leave the key out instead)");
    }
  }
  const AttributeOptions attrDef = attributeDefaults(in);
  o.itemAttributes = attrDef;
  o.userAttributes = attrDef;
  if (const json* v = findKey(j, "item_attributes")) {
    o.itemAttributes = attributesFromJson(*v, jsonPath(path, "item_attributes"), attrDef);
  }
  if (const json* v = findKey(j, "user_attributes")) {
    o.userAttributes = attributesFromJson(*v, jsonPath(path, "user_attributes"), attrDef);
  }
  return o;
}

}  // namespace rwb
