#pragma once
/// \file
/// Candidate item sets given by external ids: a file of item ids (one per line) for
/// `evaluation.candidates` and `recwb score --items`, or a comma-separated list for the
/// server's `items=` parameter. Every id must be known to the catalogue: an unknown or repeated
/// id is an error naming it (and, for files, its line), never silently dropped.

#include <string>
#include <string_view>
#include <vector>

#include "core/data/id_map.h"

namespace rwb {

/// Reads a file of external item ids, one per line. Surrounding spaces, tabs and a trailing CR
/// are trimmed; empty lines are skipped. Returns the dense indices, ascending and unique.
/// Throws IoError when the file cannot be read; ParseError (file:line:1) for an id that `items`
/// does not know or one listed twice (naming the earlier line), and ParseError (file:0:0) when
/// the file lists no item.
std::vector<Index> readItemSetFile(const std::string& path, const IdMap& items);

/// Parses a comma-separated list of external item ids ("i1,i2,i3"; spaces around ids are
/// trimmed). Returns the dense indices, ascending and unique. Throws rwb::Error naming the first
/// id that is empty, unknown or repeated, and when the list is empty.
std::vector<Index> parseItemSetList(std::string_view list, const IdMap& items);

}  // namespace rwb
