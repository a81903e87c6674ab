#pragma once
/// \file
/// Reads recommendation files written by any tool: one row per (user, item) with a score and
/// an optional rank, delimited (TSV, CSV, ';' or '|'), header optional.
///
/// Scores are read and kept as double (not the float of Dataset values), so close or tiny
/// scores never collapse into ties. Lists are ordered by the rank column when there is one
/// (then score descending), otherwise by score descending; what is still equal keeps the order
/// of the file, exactly as Microsoft Recommenders' stable sort does.

#include <string>
#include <vector>

#include "core/data/delimited_loader.h"
#include "core/data/id_map.h"
#include "core/data/load_result.h"
#include "core/data/rec_list.h"
#include "core/eval/evaluator.h"
#include "core/util/task_context.h"

namespace rwb {

/// How to read a recommendations file. Without a header the columns are user, item, score and
/// (optionally) rank; a header is detected when the first line's score field is not a number,
/// and columns are then found by name: user/userid/user_id, item/itemid/item_id/movieid,
/// score/prediction/rating/value, rank.
struct RecFileOptions {
  char delimiter = 0;  ///< 0 = detect among '\t', ',', ';', '|'
  HeaderMode header = HeaderMode::kAuto;
};

/// A recommendations file, with ids mapped onto a base dataset's indices.
struct RecommendationFile {
  IdMap users;                   ///< the base's users, then ids new to this file
  IdMap items;                   ///< the base's items, then ids new to this file
  std::vector<Index> listUsers;  ///< user of lists[i], in order of first appearance
  std::vector<RecList> lists;    ///< ordered best first (see above)
  bool hasRank = false;
  LoadCounts counts;
  std::vector<std::string> notes;
  /// Number of ids not known to the base (they cannot be relevant, but count for coverage).
  std::size_t newUsers = 0, newItems = 0;
};

/// Reads path. base supplies the id maps (pass the test dataset, itself loaded with the train
/// as base, so all three share indices). Strict: throws IoError when the file cannot be read,
/// ParseError ("file:line:column: reason") for a malformed row, a non-finite score, a bad rank,
/// an item listed twice for one user, or a file without any row (empty or only a header);
/// Cancelled when ctx stops.
RecommendationFile loadRecommendations(const std::string& path, const Dataset& base,
                                       const RecFileOptions& options, TaskContext& ctx);

/// Convenience: reads a recommendations file (ids mapped onto test, which must share the
/// train's id maps) and evaluates it. Same errors as loadRecommendations() and evaluate().
EvalResult evaluateRecommendationFile(const Dataset& train, const Dataset& test,
                                      const std::string& path, const EvalOptions& options,
                                      TaskContext& ctx);

}  // namespace rwb
