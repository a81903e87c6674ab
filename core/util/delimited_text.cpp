#include "core/util/delimited_text.h"

namespace rwb {

void appendDelimitedField(std::string& out, std::string_view text, char delimiter) {
  const char special[] = {delimiter, '"', '\r', '\n'};
  // Loaders may trim unquoted fields, so edge spaces are quoted too.
  const bool quote =
      text.find_first_of(std::string_view(special, sizeof special)) != std::string_view::npos ||
      (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!quote) {
    out.append(text);
    return;
  }
  out += '"';
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string delimitedField(std::string_view text, char delimiter) {
  std::string out;
  appendDelimitedField(out, text, delimiter);
  return out;
}

}  // namespace rwb
