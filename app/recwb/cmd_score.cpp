#include <iostream>
#include <unordered_set>

#include "cli.h"
#include "core/data/attribute_loader.h"
#include "core/data/dataset_loader.h"
#include "core/data/item_set.h"
#include "core/export/batch_scorer.h"
#include "core/export/database_rec_sink.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"

namespace rwb::cli {

namespace {
/// The users to score from --users FILE: a dataset folder or SQLite database is read by
/// loadDataset (its users, in index order: interaction users, then attribute-only users); a
/// delimited file is a users table read by the same reader as users.csv attribute files (header
/// line; id column user_id/userId/user/id or the first column; other columns ignored).
std::vector<std::string> readUserIds(const std::string& path, TaskContext& ctx) {
  std::vector<std::string> ids;
  if (detectDataFormat(path) != DataFormat::kDelimited) {
    ids = loadDataset(path, DatasetOptions{}, ctx).dataset.users.names();
  } else {
    LoadResult accounting;
    const RawTable raw =
        readAttributeFile(path, AttributeOptions{}, EntityKind::kUser, accounting, ctx);
    std::unordered_set<std::string> seen;
    for (const auto& id : raw.ids) {
      if (seen.insert(id).second) ids.push_back(id);
    }
    // Each user gets one list; say so rather than merge repeats silently.
    if (const std::size_t repeats = raw.ids.size() - ids.size(); repeats > 0) {
      std::cerr << "recwb: warning: " << path << ": " << repeats << " repeated user id"
                << (repeats == 1 ? "" : "s") << " (each user is scored once)\n";
    }
  }
  if (ids.empty()) {
    throw ParseError(path, 0, 0, "no user ids (expected a header line, then one id per line)");
  }
  return ids;
}
}  // namespace

Action registerScore(CLI::App& sub, Common& common) {
  struct Opts {
    std::string model, users = "all", history, out, shard = "0/1", userAttributes, items, table;
    std::string retrieval = "auto";
    std::size_t k = 10, batchUsers = 1000;
    bool keepSeen = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--model", o->model, "Model package (.rwbm)")->required();
  sub.add_option("--users", o->users,
                 "'all' (every user of the model), a users table (header line, then one user id "
                 "per line; id column user_id/userId/user/id or the first column), or a dataset "
                 "folder / SQLite database whose users are scored");
  sub.add_option("--user-attributes", o->userAttributes,
                 "Attributes of users unknown to the model (users.csv layout): feature models "
                 "score them from these (fallback column 'content'), others use popularity");
  sub.add_option("-k", o->k, "Items per user")->check(CLI::Range(1, 100000));
  sub.add_option("--exclude-seen", o->history,
                 "Interactions (any source the loader reads: TSV/CSV, SQLite, dataset folder) "
                 "whose items are excluded per user, in addition to the training items");
  sub.add_flag("--keep-seen", o->keepSeen, "Do not exclude the users' training items");
  sub.add_option("--items", o->items,
                 "Candidate items: a file of item ids, one per line; every list is ranked among "
                 "them only (an id the model does not know is an error naming its line)");
  sub.add_option("--retrieval", o->retrieval,
                 "'auto' (default): the package's HNSW index when it has one, else exact; "
                 "'exact'; 'hnsw': approximate top-k (the package's index, or one built now for "
                 "a factor model; any other model is an error)")
      ->check(CLI::IsMember({"auto", "exact", "hnsw"}));
  sub.add_option("--shard", o->shard, "Score only shard i of n (i/n), by stable user-id hash");
  sub.add_option("--out", o->out,
                 "Output: .tsv, .csv, .sqlite or .db, or a database: postgresql://... (libpq URI) "
                 "or odbc:DSN (with --table)")
      ->required();
  sub.add_option("--table", o->table,
                 "Database output: the table (created when missing; a user's rows are replaced)");
  sub.add_option("--batch-users", o->batchUsers,
                 "Database output: users per transaction (default 1000)")
      ->check(CLI::Range(1, 10000000));
  return [o, &common]() {
    const Shard shard = Shard::parse(o->shard);
    const bool database = databaseKind(o->out) != DatabaseKind::kNone;
    if (!database && !o->table.empty()) {
      throw SpecError("--table", "applies to a database --out (postgresql://... or odbc:...)");
    }
    const auto pkg = ModelPackage::load(o->model);
    // Refused before any output is opened: approximate retrieval needs an inner-product form.
    if (o->retrieval == "hnsw" && pkg->model().innerProductDim() == 0) {
      throw SpecError("--retrieval",
                      "'" + o->model + "' holds a '" + pkg->info().modelType +
                          "' model, which has no inner-product form (user and item vectors), so "
                          "it has no approximate retrieval; use --retrieval exact (factor models "
                          "iALS, BPR and biased MF have one)");
    }
    auto sink = database
                    ? openDatabaseRecSink(o->out, {o->table, pkg->info().checksum, o->batchUsers})
                    : openRecSink(o->out);
    BatchScoreOptions opt;
    opt.k = o->k;
    opt.shard = shard;
    opt.excludeSeen = !o->keepSeen;
    TerminalTask task(common);
    TaskContext loadCtx(task.ctx(), 0.0, 0.1);
    if (o->users != "all") opt.users = readUserIds(o->users, loadCtx);
    NewUserTable newUsers;
    if (!o->userAttributes.empty()) {
      newUsers =
          loadNewUserAttributes(o->userAttributes, AttributeOptions{}, pkg->model(), loadCtx);
      opt.newUsers = &newUsers;
    }
    std::vector<Index> candidates;
    if (!o->items.empty()) {
      candidates = readItemSetFile(o->items, pkg->items());
      opt.candidates = &candidates;
    }
    ExclusionHistory history;
    if (!o->history.empty()) {
      const LoadResult h = loadDataset(o->history, DatasetOptions{}, loadCtx);
      const auto& log = h.dataset.interactions;
      for (std::size_t r = 0; r < log.size(); ++r) {
        history[h.dataset.users.external(log.user[r])].insert(
            h.dataset.items.external(log.item[r]));
      }
      opt.history = &history;
    }
    std::unique_ptr<RetrievalIndex> built;
    if (o->retrieval != "exact") opt.retrieval = pkg->retrievalIndex();
    if (o->retrieval == "hnsw" && opt.retrieval == nullptr) {
      TaskContext indexCtx(task.ctx(), 0.1, 0.4);
      built = RetrievalIndex::build(pkg->model(), RetrievalOptions{}, indexCtx);
      opt.retrieval = built.get();
    }
    if (opt.retrieval != nullptr && !common.json && !common.quiet) {
      std::cerr << "retrieval: " << opt.retrieval->info().summary() << "\n";
    }
    TaskContext scoreCtx(task.ctx(), built ? 0.4 : 0.1, 1.0);
    const BatchScoreResult r = batchScore(*pkg, opt, *sink, scoreCtx);
    task.finish();
    const double rate = r.seconds > 0 ? static_cast<double>(r.usersScored) / r.seconds : 0.0;
    if (common.json) {
      printJson({{"users", r.usersScored},
                 {"fallback_users", r.fallbackUsers},
                 {"content_users", r.contentUsers},
                 {"rows", r.rowsWritten},
                 {"seconds", r.seconds},
                 {"users_per_second", rate},
                 {"retrieval", opt.retrieval != nullptr ? opt.retrieval->info().toJson()
                                                        : nlohmann::json("exact")},
                 {"out", redactConnectionString(o->out)}});
    } else {
      std::cout << "scored " << withCommas(r.usersScored) << " users ("
                << withCommas(r.fallbackUsers) << " by popularity fallback, "
                << withCommas(r.contentUsers) << " new users from attributes), "
                << withCommas(r.rowsWritten) << " rows to " << redactConnectionString(o->out)
                << (database ? "#" + o->table : std::string()) << " in " << r.seconds << " s ("
                << withCommas(static_cast<std::uint64_t>(rate)) << " users/s)\n";
    }
    return 0;
  };
}

}  // namespace rwb::cli
