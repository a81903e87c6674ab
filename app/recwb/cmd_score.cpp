#include <fstream>
#include <iostream>

#include "cli.h"
#include "core/data/delimited_loader.h"
#include "core/export/batch_scorer.h"
#include "core/util/error.h"

namespace rwb::cli {

namespace {
/// Reads one external user id per line (first field of a delimited line; '#' comments and a
/// "user"/"user_id" header are skipped).
std::vector<std::string> readUserList(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open '" + path + "' for reading");
  std::vector<std::string> users;
  std::string line;
  std::uint64_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto end = line.find_first_of(",\t;|");
    std::string id = line.substr(0, end);
    if (id.empty() || id[0] == '#') continue;
    if (lineNo == 1 && (id == "user" || id == "user_id" || id == "userId")) continue;
    users.push_back(std::move(id));
  }
  return users;
}
}  // namespace

Action registerScore(CLI::App& sub, Common& common) {
  struct Opts {
    std::string model, users = "all", history, out, shard = "0/1";
    std::size_t k = 10;
    bool keepSeen = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--model", o->model, "Model package (.rwbm)")->required();
  sub.add_option("--users", o->users, "'all' (every user of the model) or a file of user ids");
  sub.add_option("-k", o->k, "Items per user")->check(CLI::Range(1, 100000));
  sub.add_option("--exclude-seen", o->history,
                 "Interactions file (user, item, ...) whose items are excluded per user, in "
                 "addition to the training items");
  sub.add_flag("--keep-seen", o->keepSeen, "Do not exclude the users' training items");
  sub.add_option("--shard", o->shard, "Score only shard i of n (i/n), by stable user-id hash");
  sub.add_option("--out", o->out, "Output: .tsv, .csv, .sqlite or .db")->required();
  return [o, &common]() {
    const Shard shard = Shard::parse(o->shard);
    auto sink = openRecSink(o->out);
    const auto pkg = ModelPackage::load(o->model);
    BatchScoreOptions opt;
    opt.k = o->k;
    opt.shard = shard;
    opt.excludeSeen = !o->keepSeen;
    if (o->users != "all") opt.users = readUserList(o->users);
    ExclusionHistory history;
    TerminalTask task(common);
    if (!o->history.empty()) {
      DelimitedOptions dopt;
      TaskContext loadCtx(task.ctx(), 0.0, 0.1);
      const LoadResult h = loadDelimited(o->history, dopt, loadCtx);
      const auto& log = h.dataset.interactions;
      for (std::size_t r = 0; r < log.size(); ++r) {
        history[h.dataset.users.external(log.user[r])].insert(
            h.dataset.items.external(log.item[r]));
      }
      opt.history = &history;
    }
    TaskContext scoreCtx(task.ctx(), o->history.empty() ? 0.0 : 0.1, 1.0);
    const BatchScoreResult r = batchScore(*pkg, opt, *sink, scoreCtx);
    task.finish();
    const double rate = r.seconds > 0 ? static_cast<double>(r.usersScored) / r.seconds : 0.0;
    if (common.json) {
      printJson({{"users", r.usersScored},
                 {"fallback_users", r.fallbackUsers},
                 {"rows", r.rowsWritten},
                 {"seconds", r.seconds},
                 {"users_per_second", rate},
                 {"out", o->out}});
    } else {
      std::cout << "scored " << withCommas(r.usersScored) << " users ("
                << withCommas(r.fallbackUsers) << " by popularity fallback), "
                << withCommas(r.rowsWritten) << " rows to " << o->out << " in " << r.seconds
                << " s (" << withCommas(static_cast<std::uint64_t>(rate)) << " users/s)\n";
    }
    return 0;
  };
}

}  // namespace rwb::cli
