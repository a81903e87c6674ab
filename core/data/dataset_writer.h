#pragma once
/// \file
/// Writers for interaction logs and attribute tables: the RecWorkbench folder layout (CSV) and
/// plain split files (TSV). External ids are written exactly as they were read, quoted per
/// RFC 4180 where needed (core/util/delimited_text.h), so every loader reads them back equal.

#include <string>
#include <string_view>

#include "core/data/dataset.h"
#include "core/util/task_context.h"

namespace rwb {

/// A value in its shortest round-trip decimal form ("4", "2.5", "0.1").
std::string formatValue(float value);

/// Options of the folder writer.
struct FolderWriteOptions {
  bool writeUsers = true;  ///< write users.csv when the dataset has user attributes
  bool writeItems = true;  ///< write items.csv when the dataset has item attributes
};

/// What a writer wrote.
struct WriteResult {
  std::vector<std::string> files;     ///< paths written, in order
  std::uint64_t interactionRows = 0;  ///< rows in the interactions file
  std::uint64_t userRows = 0;
  std::uint64_t itemRows = 0;
};

/// Writes the RecWorkbench folder layout into `dir` (created if missing):
///   interactions.csv  user_id,item_id,event,value,timestamp (header; no event column when the
///                     log has no event types, no timestamp column when no interaction has a
///                     timestamp, an empty field for one that lacks it), one row per interaction
///                     in log order;
///   items.csv         item_id then one column per item attribute (all items of the id map);
///   users.csv         user_id then one column per user attribute (all users of the id map).
/// Multi-valued attributes are joined with '|'. Fields are RFC 4180 quoted where needed, lines
/// end with "\n". Existing files are replaced. Throws IoError when a file cannot be written,
/// Cancelled when ctx is stopped (files already written stay complete; the one being written is
/// removed).
WriteResult writeDatasetFolder(const Dataset& data, const std::string& dir,
                               const FolderWriteOptions& options, TaskContext& ctx);

/// Writes the interactions as TSV without a header: user, item, value, timestamp (the layout of
/// MovieLens u.data and of Microsoft Recommenders' split files). When the log has event types,
/// the file starts with the header "user_id item_id event value timestamp" (tab-separated) and
/// each row carries its event after the item, so that the types survive a split. A log without
/// any timestamp gets no timestamp column (user, item, value: what the loaders read back); a
/// missing timestamp among others is written as an empty field. An id or event name holding a tab,
/// a quote or a line break is quoted per RFC 4180 (the loaders read it back). Throws IoError when
/// the file cannot be written, Cancelled when ctx is stopped (the file is removed).
WriteResult writeInteractionsTsv(const Dataset& data, const std::string& path, TaskContext& ctx);

}  // namespace rwb
