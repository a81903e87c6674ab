#pragma once
// Loader options shared by every recwb subcommand that reads a dataset (inspect, split, run,
// evaluate...): add them with addDataOptions(), then call loadFromCli().

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "core/data/dataset_loader.h"

namespace rwb::cli {

/// The raw command-line values; converted by toDatasetOptions().
struct DataCliOptions {
  std::string format = "auto";
  std::string delimiter;
  bool noHeader = false;
  bool header = false;
  std::string userCol, itemCol, valueCol, timeCol, eventCol;
  std::string encoding = "utf-8";
  bool lenient = false;
  std::string table, query;
  std::string itemsTable, itemsQuery, usersTable, usersQuery;
  std::string itemsPath, usersPath;
};

/// Adds --format, --delimiter, --header/--no-header, --user-col, --item-col, --value-col,
/// --time-col, --event-col, --encoding, --lenient, --table, --query, --items-table,
/// --items-query, --users-table, --users-query, --items, --users to `app`.
void addDataOptions(CLI::App& app, DataCliOptions& options);

/// Converts to core options with core/data's word parsers (the spec's dataset entry's words).
/// Throws rwb::SpecError ("--option: reason") for invalid values.
DatasetOptions toDatasetOptions(const DataCliOptions& options);

/// Refuses options that would be ignored for the source at path: the SQLite table and query
/// options for a file or folder that is not SQLite, and --items / --users for a dataset folder
/// or an SQLite database (they bring their own attribute tables). Throws rwb::SpecError
/// ("--option: reason"), or IoError when path does not exist.
void checkDataOptionsApply(const DataCliOptions& options, const std::string& path);

/// A column given on the command line: a 0-based position when it is all digits, else a
/// header name.
ColumnRef parseColumnArg(const std::string& text);

/// The load account as JSON: tables (file, read, loaded, skipped), skipped_by_reason, issues
/// (first 20, "file:line:column: reason"), notes, duplicate_pairs.
nlohmann::json loadAccountJson(const LoadResult& result);

/// The load account as text lines (for human output).
std::string loadAccountText(const LoadResult& result);

}  // namespace rwb::cli
