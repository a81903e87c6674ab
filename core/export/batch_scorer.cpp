#include "core/export/batch_scorer.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <system_error>

#include "core/data/rank_candidates.h"
#include "core/features/feature_pipeline.h"
#include "core/util/atomic_file.h"
#include "core/util/delimited_text.h"
#include "core/util/error.h"
#include "core/util/sqlite_db.h"

namespace rwb {

Shard Shard::parse(const std::string& text) {
  const auto slash = text.find('/');
  Shard s;
  auto num = [&](std::string_view part, std::uint32_t& out) {
    const auto res = std::from_chars(part.data(), part.data() + part.size(), out);
    return res.ec == std::errc() && res.ptr == part.data() + part.size() && !part.empty();
  };
  if (slash == std::string::npos || !num(std::string_view(text).substr(0, slash), s.index) ||
      !num(std::string_view(text).substr(slash + 1), s.count) || s.count == 0 ||
      s.index >= s.count) {
    throw SpecError("--shard", "expected i/n with 0 <= i < n, got '" + text + "'");
  }
  return s;
}

bool Shard::contains(std::string_view externalId) const noexcept {
  if (count <= 1) return true;
  return XXH3_64bits(externalId.data(), externalId.size()) % count == index;
}

std::string_view fallbackName(RecSource source) noexcept {
  switch (source) {
    case RecSource::kModel:
      return "none";
    case RecSource::kContent:
      return "content";
    case RecSource::kPopularity:
      return "popularity";
  }
  return "none";
}

NewUserTable loadNewUserAttributes(const std::string& path, const AttributeOptions& options,
                                   const Model& model, TaskContext& ctx) {
  LoadResult accounting;
  const RawTable raw = readAttributeFile(path, options, EntityKind::kUser, accounting, ctx);
  NewUserTable out;
  AttributeTable typed;
  mergeAttributes(raw, options, out.ids, typed, accounting);
  typed.ensureRows(out.ids.size());
  if (const FeaturePipeline* p = model.featurePipeline()) {
    try {
      out.table = p->conformUserAttributes(typed);
    } catch (const SpecError& e) {
      throw SpecError("--user-attributes", "'" + path + "': " + e.what());
    }
  } else {
    out.table = std::move(typed);
  }
  return out;
}

namespace {

namespace fs = std::filesystem;

class DelimitedSink final : public RecSink {
 public:
  DelimitedSink(std::string path, char delim)
      : path_(std::move(path)), file_(path_), delim_(delim) {
    out_.open(file_.tempPath(), std::ios::binary | std::ios::trunc);
    if (!out_) {
      throw IoError("cannot write '" + path_ + "': " + std::generic_category().message(errno));
    }
    buf_ = std::string("user") + delim_ + "item" + delim_ + "score" + delim_ + "rank" + delim_ +
           "fallback\n";
  }
  void write(std::string_view user, std::string_view item, double score, int rank,
             RecSource source) override {
    appendDelimitedField(buf_, user, delim_);
    buf_ += delim_;
    appendDelimitedField(buf_, item, delim_);
    buf_ += delim_;
    char num[32];
    auto r = std::to_chars(num, num + sizeof num, score);
    buf_.append(num, r.ptr);
    buf_ += delim_;
    r = std::to_chars(num, num + sizeof num, rank);
    buf_.append(num, r.ptr);
    buf_ += delim_;
    buf_ += fallbackName(source);
    buf_ += '\n';
    if (buf_.size() > (1u << 20)) flush();
  }
  void finish() override {
    flush();
    out_.flush();
    out_.close();
    if (!out_) throw IoError("cannot write '" + path_ + "': " + std::strerror(errno));
    file_.commit();
  }

 private:
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    if (!out_) throw IoError("cannot write '" + path_ + "': " + std::strerror(errno));
    buf_.clear();
  }
  std::string path_;
  AtomicFile file_;  // removes the temporary file unless finish() committed it
  char delim_;
  std::ofstream out_;
  std::string buf_;
};

class SqliteSink final : public RecSink {
 public:
  explicit SqliteSink(std::string path) : path_(std::move(path)), file_(path_) {
    // Copy an existing database so other tables in it survive; the table is replaced.
    std::error_code ec;
    if (fs::exists(path_)) {
      fs::copy_file(path_, file_.tempPath(), fs::copy_options::overwrite_existing, ec);
    }
    if (ec) throw IoError("cannot write '" + path_ + "': " + ec.message());
    try {
      db_ = std::make_unique<SqliteDb>(file_.tempPath().string(), SqliteDb::Mode::kCreate);
      db_->exec(
          "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
          "DROP TABLE IF EXISTS recommendations;"
          "CREATE TABLE recommendations(user TEXT NOT NULL, item TEXT NOT NULL, score REAL NOT "
          "NULL, rank INTEGER NOT NULL, fallback TEXT NOT NULL, PRIMARY KEY(user, rank));"
          "BEGIN");
      insert_ = std::make_unique<SqliteStmt>(db_->prepare(
          "INSERT INTO recommendations(user, item, score, rank, fallback) VALUES (?,?,?,?,?)"));
    } catch (const IoError& e) {
      throw IoError("cannot write '" + path_ + "': " + file_.withoutTempName(e.what()));
    }
  }
  ~SqliteSink() override {
    // The statement and connection close before file_ removes the temporary file.
    insert_.reset();
    db_.reset();
  }
  void write(std::string_view user, std::string_view item, double score, int rank,
             RecSource source) override {
    try {
      insert_->bind(1, user).bind(2, item).bind(3, score);
      insert_->bind(4, static_cast<std::int64_t>(rank)).bind(5, fallbackName(source));
      insert_->run();
      insert_->reset();
    } catch (const IoError& e) {
      // SQLite names the temporary file; the user knows the destination.
      throw IoError("cannot write '" + path_ + "': " + file_.withoutTempName(e.what()));
    }
  }
  void finish() override {
    try {
      db_->exec("COMMIT");
    } catch (const IoError& e) {
      throw IoError("cannot write '" + path_ + "': " + file_.withoutTempName(e.what()));
    }
    insert_.reset();
    db_.reset();
    file_.commit();
  }

 private:
  std::string path_;
  AtomicFile file_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteStmt> insert_;
};

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::unique_ptr<RecSink> openRecSink(const std::string& path) {
  if (endsWith(path, ".tsv") || endsWith(path, ".txt"))
    return std::make_unique<DelimitedSink>(path, '\t');
  if (endsWith(path, ".csv")) return std::make_unique<DelimitedSink>(path, ',');
  if (endsWith(path, ".sqlite") || endsWith(path, ".db") || endsWith(path, ".sqlite3")) {
    return std::make_unique<SqliteSink>(path);
  }
  throw SpecError("--out",
                  "unknown output type for '" + path + "' (use .tsv, .csv, .sqlite or .db)");
}

namespace {

// recommendExternal() over a candidate set: score the candidates the user may get, rank them.
ExternalRecList recommendAmongCandidates(const ModelPackage& package, std::string_view user,
                                         std::size_t k, bool excludeSeen,
                                         const std::unordered_set<std::string>* exclude,
                                         const NewUser* newUser,
                                         std::span<const Index> candidates) {
  const Model& model = package.model();
  const IdMap& items = package.items();
  const auto known = package.users().find(user);
  std::span<const Index> seen;
  if (known && excludeSeen) seen = model.seenItems(*known);
  std::vector<Index> cands;
  cands.reserve(candidates.size());
  for (const Index i : candidates) {
    if (i >= model.numItems()) {
      throw ModelError("candidate item index " + std::to_string(i) + " is outside the model's " +
                       std::to_string(model.numItems()) + " items");
    }
    if (std::binary_search(seen.begin(), seen.end(), i)) continue;
    if (exclude != nullptr && exclude->count(items.external(i)) > 0) continue;
    if (!known && newUser != nullptr &&
        std::find(newUser->history.begin(), newUser->history.end(), i) != newUser->history.end()) {
      continue;
    }
    cands.push_back(i);
  }
  ExternalRecList out;
  std::vector<float> scores(cands.size());
  if (known) {
    model.score(*known, cands, scores);
    out.source = model.canScoreUser(*known) ? RecSource::kModel : RecSource::kPopularity;
  } else if (newUser != nullptr && model.canScoreNewUser(*newUser)) {
    model.scoreNewUser(*newUser, cands, scores);
    out.source = RecSource::kContent;
  } else {
    for (std::size_t j = 0; j < cands.size(); ++j) scores[j] = model.itemPopularity()[cands[j]];
    out.source = RecSource::kPopularity;
  }
  out.list.fallback = out.source == RecSource::kPopularity;
  rankScoredCandidates(cands, scores, k, out.list.items);
  return out;
}

}  // namespace

ExternalRecList recommendExternal(const ModelPackage& package, std::string_view user, std::size_t k,
                                  bool excludeSeen, const std::unordered_set<std::string>* exclude,
                                  const NewUser* newUser, std::span<const Index> candidates,
                                  const RetrievalIndex* retrieval) {
  const auto knownUser = package.users().find(user);
  if (retrieval != nullptr && knownUser) {
    const Model& model = package.model();
    // Candidates are ascending (documented), so the last one bounds them all: the check stays
    // O(1) per user, which a sublinear search needs.
    if (!candidates.empty() && candidates.back() >= model.numItems()) {
      throw ModelError("candidate item index " + std::to_string(candidates.back()) +
                       " is outside the model's " + std::to_string(model.numItems()) + " items");
    }
    std::function<bool(Index)> keep;
    if (!candidates.empty() || exclude != nullptr) {
      keep = [&](Index i) {
        if (!candidates.empty() && !std::binary_search(candidates.begin(), candidates.end(), i)) {
          return false;
        }
        return exclude == nullptr || exclude->count(package.items().external(i)) == 0;
      };
    }
    ExternalRecList out;
    out.list = retrieval->recommend(model, *knownUser, k, excludeSeen, keep);
    out.source = model.canScoreUser(*knownUser) ? RecSource::kModel : RecSource::kPopularity;
    out.list.fallback = out.source == RecSource::kPopularity;
    return out;
  }
  if (!candidates.empty()) {
    return recommendAmongCandidates(package, user, k, excludeSeen, exclude, newUser, candidates);
  }
  const Model& model = package.model();
  const IdMap& items = package.items();
  // Over-fetch by the number of extra exclusions so k items remain after filtering them.
  const std::size_t extra = exclude ? exclude->size() : 0;
  ExternalRecList out;
  if (auto u = package.users().find(user)) {
    out.list = model.recommend(*u, k + extra, excludeSeen);
    out.source = out.list.fallback ? RecSource::kPopularity : RecSource::kModel;
  } else if (newUser != nullptr && model.canScoreNewUser(*newUser)) {
    out.list = model.recommendNewUser(*newUser, k + extra);
    out.source = RecSource::kContent;
  } else {
    out.list.items = topK(model.itemPopularity(), k + extra);
    out.list.fallback = true;
    out.source = RecSource::kPopularity;
  }
  if (extra > 0) {
    std::erase_if(out.list.items,
                  [&](const ScoredItem& s) { return exclude->count(items.external(s.item)) > 0; });
  }
  if (out.list.items.size() > k) out.list.items.resize(k);
  return out;
}

BatchScoreResult batchScore(const ModelPackage& package, const BatchScoreOptions& options,
                            RecSink& sink, TaskContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  if (options.k == 0) throw SpecError("-k", "must be at least 1");
  if (options.candidates != nullptr && options.candidates->empty()) {
    throw SpecError("--items", "the candidate item list is empty");
  }
  // The user list: given external ids, or every user of the model.
  std::vector<std::string_view> users;
  if (options.users.empty()) {
    for (const auto& name : package.users().names()) {
      if (options.shard.contains(name)) users.push_back(name);
    }
  } else {
    for (const auto& name : options.users) {
      if (options.shard.contains(name)) users.push_back(name);
    }
  }
  BatchScoreResult result;
  const std::size_t block = std::max<std::size_t>(1, options.blockSize);
  std::vector<ExternalRecList> lists;
  for (std::size_t begin = 0; begin < users.size(); begin += block) {
    ctx.throwIfStopped();
    const std::size_t end = std::min(users.size(), begin + block);
    lists.assign(end - begin, ExternalRecList{});
    // Known users go through the model's batch path (blocked kernels for factor models),
    // over-fetching by the largest history exclusion in the block; unknown users get the
    // cold-start path of recommendExternal() (attributes or popularity). Both then drop history
    // items and keep k, exactly as recommendExternal() does for one user.
    std::vector<Index> known;
    std::vector<std::size_t> knownAt, unknownAt;
    std::vector<const std::unordered_set<std::string>*> excludes(end - begin, nullptr);
    std::size_t extra = 0;
    for (std::size_t j = begin; j < end; ++j) {
      if (options.history != nullptr) {
        if (auto it = options.history->find(std::string(users[j])); it != options.history->end()) {
          excludes[j - begin] = &it->second;
          extra = std::max(extra, it->second.size());
        }
      }
      // With candidates or an index every user goes through recommendExternal().
      if (auto u = package.users().find(users[j]);
          u && options.candidates == nullptr && options.retrieval == nullptr) {
        known.push_back(*u);
        knownAt.push_back(j - begin);
      } else {
        unknownAt.push_back(j - begin);
      }
    }
    // Users of this path (unknown users; every user with candidates or an index) are scored in
    // parallel too (feature models build rows per user).
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, unknownAt.size(), 16),
        [&](const tbb::blocked_range<std::size_t>& r) {
          if (ctx.stopRequested()) return;
          for (std::size_t n = r.begin(); n != r.end(); ++n) {
            const std::size_t at = unknownAt[n];
            NewUser nu;
            const NewUser* nuPtr = nullptr;
            if (options.newUsers != nullptr) {
              if (auto row = options.newUsers->ids.find(users[begin + at])) {
                nu.attributes = &options.newUsers->table;
                nu.row = *row;
                nuPtr = &nu;
              }
            }
            lists[at] = recommendExternal(
                package, users[begin + at], options.k, options.excludeSeen, excludes[at], nuPtr,
                options.candidates != nullptr ? std::span<const Index>(*options.candidates)
                                              : std::span<const Index>(),
                options.retrieval);
          }
        });
    ctx.throwIfStopped();
    TaskContext blockCtx(ctx, static_cast<double>(begin) / static_cast<double>(users.size()),
                         static_cast<double>(end) / static_cast<double>(users.size()));
    auto batch =
        package.model().recommendBatch(known, options.k + extra, options.excludeSeen, blockCtx);
    for (std::size_t n = 0; n < known.size(); ++n) {
      ExternalRecList& l = lists[knownAt[n]];
      l.list = std::move(batch[n]);
      l.source = l.list.fallback ? RecSource::kPopularity : RecSource::kModel;
      if (const auto* ex = excludes[knownAt[n]]) {
        std::erase_if(l.list.items, [&](const ScoredItem& s) {
          return ex->count(package.items().external(s.item)) > 0;
        });
      }
      if (l.list.items.size() > options.k) l.list.items.resize(options.k);
    }
    ctx.throwIfStopped();
    for (std::size_t j = begin; j < end; ++j) {
      const ExternalRecList& l = lists[j - begin];
      int rank = 1;
      for (const auto& s : l.list.items) {
        sink.write(users[j], package.items().external(s.item), s.score, rank++, l.source);
      }
      result.rowsWritten += l.list.items.size();
      result.fallbackUsers += l.source == RecSource::kPopularity ? 1 : 0;
      result.contentUsers += l.source == RecSource::kContent ? 1 : 0;
    }
    result.usersScored += end - begin;
    ctx.progress(static_cast<double>(end) / static_cast<double>(users.size()), "scoring users");
  }
  sink.finish();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace rwb
