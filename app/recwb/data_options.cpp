#include "data_options.h"

#include <sstream>
#include <utility>

#include "cli.h"
#include "core/data/dataset_options_json.h"
#include "core/data/text_parse.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"

namespace rwb::cli {

void addDataOptions(CLI::App& app, DataCliOptions& o) {
  const char* group = "Data source";
  // The words are core/data's (dataset_options_json.h), the same as the spec's dataset entry.
  app.add_option("--format", o.format, "Source format: " + joinWords(dataFormatWords()))
      ->group(group);
  app.add_option("--delimiter", o.delimiter,
                 "Field delimiter: " + joinWords(delimiterWords()) +
                     ", or the delimiter itself (1 to 4 characters, e.g. '::'); default: auto")
      ->group(group);
  auto* h = app.add_flag("--header", o.header, "The first row is a header")->group(group);
  auto* nh = app.add_flag("--no-header", o.noHeader, "There is no header row")->group(group);
  h->excludes(nh);
  app.add_option("--user-col", o.userCol, "User column: header name or 0-based position")
      ->group(group);
  app.add_option("--item-col", o.itemCol, "Item column: header name or 0-based position")
      ->group(group);
  app.add_option("--value-col", o.valueCol, "Value (rating) column: name or position")
      ->group(group);
  app.add_option("--time-col", o.timeCol,
                 "Timestamp column (Unix seconds or ISO 8601): name or position")
      ->group(group);
  app.add_option("--event-col", o.eventCol, "Event type column: name or position")->group(group);
  app.add_option("--encoding", o.encoding,
                 "Text encoding: " + joinWords(textEncodingWords()) + " (default: utf-8)")
      ->group(group);
  app.add_flag("--lenient", o.lenient,
               "Skip bad rows (counted, first 20 listed) instead of stopping at the first")
      ->group(group);
  // Database sources: an SQLite file, postgresql://... (libpq URI) or odbc:DSN.
  app.add_option("--table", o.table, "Database: interactions table")->group(group);
  app.add_option("--query", o.query, "Database: interactions query (instead of --table)")
      ->group(group);
  app.add_option("--items-table", o.itemsTable, "Database: item attributes table")->group(group);
  app.add_option("--items-query", o.itemsQuery, "Database: item attributes query")->group(group);
  app.add_option("--users-table", o.usersTable, "Database: user attributes table")->group(group);
  app.add_option("--users-query", o.usersQuery, "Database: user attributes query")->group(group);
  app.add_option("--items", o.itemsPath, "Item attributes file (delimited; id column first)")
      ->group(group);
  app.add_option("--users", o.usersPath, "User attributes file (delimited; id column first)")
      ->group(group);
}

ColumnRef parseColumnArg(const std::string& text) {
  ColumnRef ref;
  if (text.empty()) return ref;
  std::int64_t pos;
  if (text.find_first_not_of("0123456789") == std::string::npos && parseInt64(text, pos) &&
      pos < 1'000'000) {
    ref.position = static_cast<int>(pos);
  } else {
    ref.name = text;
  }
  return ref;
}

DatasetOptions toDatasetOptions(const DataCliOptions& o) {
  DatasetOptions d;
  if (!parseDataFormat(o.format, d.format)) {
    throw SpecError("--format",
                    "unknown format '" + o.format + "' (" + joinWords(dataFormatWords()) + ")");
  }
  auto& in = d.interactions;
  if (!o.delimiter.empty()) {
    const std::string why = parseDelimiter(o.delimiter, in.delimiter, in.delimiterText);
    if (!why.empty()) throw SpecError("--delimiter", why);
  }
  if (o.header) in.header = HeaderMode::kYes;
  if (o.noHeader) in.header = HeaderMode::kNo;
  in.user = parseColumnArg(o.userCol);
  in.item = parseColumnArg(o.itemCol);
  in.value = parseColumnArg(o.valueCol);
  in.timestamp = parseColumnArg(o.timeCol);
  in.event = parseColumnArg(o.eventCol);
  if (!parseTextEncoding(o.encoding, in.encoding)) {
    throw SpecError("--encoding", "unknown encoding '" + o.encoding + "' (" +
                                      joinWords(textEncodingWords()) + ")");
  }
  in.strict = !o.lenient;
  // Attribute files and tables are read like the interactions (as the spec's entry reads them).
  for (AttributeOptions* a : {&d.itemAttributes, &d.userAttributes}) {
    a->encoding = in.encoding;
    a->strict = in.strict;
  }
  d.table = o.table;
  d.query = o.query;
  d.itemsTable = o.itemsTable;
  d.itemsQuery = o.itemsQuery;
  d.usersTable = o.usersTable;
  d.usersQuery = o.usersQuery;
  d.itemsPath = o.itemsPath;
  d.usersPath = o.usersPath;
  return d;
}

void checkDataOptionsApply(const DataCliOptions& o, const std::string& path) {
  DataFormat format = DataFormat::kAuto;
  if (!parseDataFormat(o.format, format) || format == DataFormat::kAuto) {
    format = detectDataFormat(path);
  }
  // Every database source takes tables and queries, as SQLite does.
  const bool sqlite = format == DataFormat::kSqlite || format == DataFormat::kPostgreSql ||
                      format == DataFormat::kOdbc;
  const bool delimited = format == DataFormat::kDelimited;
  const std::string what = sqlite      ? "a database"
                           : delimited ? "a delimited file"
                                       : "a dataset folder";
  const std::string shown = redactConnectionString(path);
  const std::pair<const char*, const std::string*> sqliteOnly[] = {
      {"--table", &o.table},
      {"--query", &o.query},
      {"--items-table", &o.itemsTable},
      {"--items-query", &o.itemsQuery},
      {"--users-table", &o.usersTable},
      {"--users-query", &o.usersQuery}};
  for (const auto& [flag, value] : sqliteOnly) {
    if (!sqlite && !value->empty()) {
      throw SpecError(flag, "applies to database sources only; '" + shown + "' is " + what);
    }
  }
  const std::pair<const char*, const std::string*> fileOnly[] = {{"--items", &o.itemsPath},
                                                                 {"--users", &o.usersPath}};
  for (const auto& [flag, value] : fileOnly) {
    if (!delimited && !value->empty()) {
      throw SpecError(flag, "applies to a delimited interactions file only; '" + shown + "' is " +
                                what + ", which brings its own attribute tables");
    }
  }
}

nlohmann::json loadAccountJson(const LoadResult& r) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : r.tables) {
    tables.push_back({{"file", t.file},
                      {"read", t.rowsRead},
                      {"loaded", t.rowsLoaded},
                      {"skipped", t.rowsSkipped}});
  }
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& [reason, n] : r.skippedByReason) reasons[reason] = n;
  nlohmann::json issues = nlohmann::json::array();
  for (const auto& i : r.issues) issues.push_back(i.toString());
  return {{"read", r.rowsRead()},
          {"loaded", r.rowsLoaded()},
          {"skipped", r.rowsSkipped()},
          {"tables", tables},
          {"skipped_by_reason", reasons},
          {"issues", issues},
          {"duplicate_pairs", r.duplicatePairs},
          {"notes", r.notes}};
}

std::string loadAccountText(const LoadResult& r) {
  std::ostringstream out;
  out << "load          read " << withCommas(r.rowsRead()) << ", loaded "
      << withCommas(r.rowsLoaded()) << ", skipped " << withCommas(r.rowsSkipped()) << "\n";
  for (const auto& t : r.tables) {
    out << "  " << t.file << ": read " << withCommas(t.rowsRead) << ", loaded "
        << withCommas(t.rowsLoaded) << ", skipped " << withCommas(t.rowsSkipped) << "\n";
  }
  for (const auto& [reason, n] : r.skippedByReason) {
    out << "  skipped " << withCommas(n) << ": " << reason << "\n";
  }
  if (!r.issues.empty()) {
    out << "  first " << r.issues.size() << " skipped row(s):\n";
    for (const auto& i : r.issues) out << "    " << i.toString() << "\n";
  }
  // Warnings are notes too (the GUI lists notes); they keep their own prefix here.
  for (const auto& n : r.notes)
    out << (n.rfind("warning: ", 0) == 0 ? "  " : "  note: ") << n << "\n";
  return out.str();
}

}  // namespace rwb::cli
