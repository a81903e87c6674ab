#pragma once
/// \file
/// The one rule by which RecWorkbench writes a field of delimited text (CSV, TSV): RFC 4180
/// quoting, so that any id or name survives a write and a read. Every writer of delimited files
/// (dataset folders and split files, `recwb run` lists, batch-scorer outputs, per-user exports)
/// uses it; CsvReader, hence every loader, reads the quoted form back.

#include <string>
#include <string_view>

namespace rwb {

/// Appends `text` to `out` as one field: unchanged when it holds none of the delimiter, a
/// double quote, CR or LF and neither begins nor ends with a space; otherwise enclosed in
/// double quotes with the quotes inside doubled ("a\tb" -> "\"a\tb\"" for TSV).
void appendDelimitedField(std::string& out, std::string_view text, char delimiter);

/// appendDelimitedField into a new string.
std::string delimitedField(std::string_view text, char delimiter);

}  // namespace rwb
