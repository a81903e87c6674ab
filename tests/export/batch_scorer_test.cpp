#include "core/export/batch_scorer.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/models/registry.h"
#include "core/util/error.h"
#include "core/util/sqlite_db.h"
#include "export_fixtures.h"
#include "test_support.h"

using namespace rwb;
namespace fs = std::filesystem;

namespace {

/// Collects rows in memory.
struct MemorySink final : RecSink {
  std::vector<std::string> rows;
  bool finished = false;
  void write(std::string_view user, std::string_view item, double score, int rank,
             RecSource source) override {
    std::ostringstream s;
    s << user << '\t' << item << '\t' << score << '\t' << rank << '\t' << fallbackName(source);
    rows.push_back(s.str());
  }
  void finish() override { finished = true; }
};

std::shared_ptr<const ModelPackage> fixturePackage(const test::TempDir& dir) {
  const Dataset d = test::exportFixture();
  auto model = createModel("most_popular");
  TaskContext ctx;
  model->fit({d}, ctx);
  const auto path = (dir / "m.rwbm").string();
  writePackage(path, *model, d.users, d.items);
  return ModelPackage::load(path);
}

std::vector<std::string> lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("shard parsing and stable partition", "[export]") {
  CHECK(Shard::parse("2/5").index == 2);
  CHECK_THROWS_AS(Shard::parse("5/5"), SpecError);
  CHECK_THROWS_AS(Shard::parse("1/0"), SpecError);
  CHECK_THROWS_AS(Shard::parse("a/b"), SpecError);
  CHECK_THROWS_AS(Shard::parse("1"), SpecError);
  // Every id lands in exactly one of n shards.
  for (int id = 0; id < 500; ++id) {
    int hits = 0;
    for (std::uint32_t i = 0; i < 3; ++i) hits += Shard{i, 3}.contains(std::to_string(id)) ? 1 : 0;
    CHECK(hits == 1);
  }
}

TEST_CASE("the union of shards equals the unsharded output", "[export]") {
  test::TempDir dir;
  const auto pkg = fixturePackage(dir);
  TaskContext ctx;
  MemorySink whole;
  BatchScoreOptions opt;
  opt.k = 5;
  const auto r = batchScore(*pkg, opt, whole, ctx);
  CHECK(whole.finished);
  CHECK(r.usersScored == pkg->users().size());
  CHECK(whole.rows.size() == r.rowsWritten);
  std::multiset<std::string> unionRows;
  for (std::uint32_t i = 0; i < 4; ++i) {
    MemorySink part;
    opt.shard = {i, 4};
    opt.blockSize = 7;  // many small blocks must not change anything
    batchScore(*pkg, opt, part, ctx);
    unionRows.insert(part.rows.begin(), part.rows.end());
  }
  CHECK(unionRows == std::multiset<std::string>(whole.rows.begin(), whole.rows.end()));
}

TEST_CASE("unknown users get the flagged fallback; history exclusions are applied", "[export]") {
  test::TempDir dir;
  const auto pkg = fixturePackage(dir);
  TaskContext ctx;
  MemorySink sink;
  BatchScoreOptions opt;
  opt.k = 3;
  opt.users = {"u0", "stranger"};
  ExclusionHistory history;
  const auto first = recommendExternal(*pkg, "u0", 1, true, nullptr);
  REQUIRE(first.list.items.size() == 1);
  CHECK(first.source == RecSource::kModel);
  const std::string top = pkg->items().external(first.list.items[0].item);
  history["u0"].insert(top);
  opt.history = &history;
  const auto r = batchScore(*pkg, opt, sink, ctx);
  CHECK(r.fallbackUsers == 1);
  REQUIRE(sink.rows.size() == 6);
  for (int j = 0; j < 3; ++j) {
    CHECK(sink.rows[j].find("\t" + top + "\t") == std::string::npos);
    CHECK(sink.rows[j].ends_with("\tnone"));
    CHECK(sink.rows[3 + j].rfind("stranger", 0) == 0);
    CHECK(sink.rows[3 + j].ends_with("\tpopularity"));
  }
}

TEST_CASE("file sinks: TSV, CSV with quoting, SQLite; cancel leaves no file", "[export]") {
  test::TempDir dir;
  const auto pkg = fixturePackage(dir);
  TaskContext ctx;
  BatchScoreOptions opt;
  opt.k = 2;
  for (const char* name : {"out.tsv", "out.csv", "out.sqlite"}) {
    const auto path = (dir / name).string();
    auto sink = openRecSink(path);
    const auto r = batchScore(*pkg, opt, *sink, ctx);
    REQUIRE(fs::exists(path));
    if (std::string(name) == "out.sqlite") {
      SqliteDb db(path, SqliteDb::Mode::kReadOnly);
      auto q = db.prepare("SELECT COUNT(*), MIN(rank), MAX(rank) FROM recommendations");
      REQUIRE(q.step());
      CHECK(static_cast<std::uint64_t>(q.columnInt(0)) == r.rowsWritten);
      CHECK(q.columnInt(1) == 1);
      CHECK(q.columnInt(2) == 2);
    } else {
      const auto ls = lines(path);
      CHECK(ls.size() == r.rowsWritten + 1);
      CHECK(ls[0].rfind("user", 0) == 0);
    }
  }
  CHECK_THROWS_AS(openRecSink((dir / "out.parquet").string()), SpecError);
  TaskContext stopped;
  stopped.requestStop();
  {
    auto sink = openRecSink((dir / "cancelled.tsv").string());
    CHECK_THROWS_AS(batchScore(*pkg, opt, *sink, stopped), Cancelled);
  }
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    files += e.path().filename().string().find("cancelled") != std::string::npos ? 1 : 0;
  }
  CHECK(files == 0);
}

TEST_CASE("candidate items restrict every list; seen and excluded items stay out",
          "[export][candidates]") {
  test::TempDir dir;
  const auto pkg = fixturePackage(dir);
  const Model& model = pkg->model();
  // u0's training items, and three items it has not seen.
  const Index u0 = *pkg->users().find("u0");
  const auto seen = model.seenItems(u0);
  REQUIRE_FALSE(seen.empty());
  std::vector<Index> unseen;
  for (Index i = 0; i < model.numItems() && unseen.size() < 3; ++i) {
    if (!std::binary_search(seen.begin(), seen.end(), i)) unseen.push_back(i);
  }
  std::vector<Index> cands = {seen[0]};
  cands.insert(cands.end(), unseen.begin(), unseen.end());
  std::sort(cands.begin(), cands.end());

  const auto l = recommendExternal(*pkg, "u0", 10, true, nullptr, nullptr, cands);
  CHECK(l.source == RecSource::kModel);
  REQUIRE(l.list.items.size() == 3);  // the seen candidate is left out; fewer than k remain
  // The order is the model's scores, ties by item index.
  std::vector<float> scores(unseen.size());
  model.score(u0, unseen, scores);
  for (std::size_t r = 0; r + 1 < l.list.items.size(); ++r) {
    const auto& a = l.list.items[r];
    const auto& b = l.list.items[r + 1];
    CHECK((a.score > b.score || (a.score == b.score && a.item < b.item)));
  }
  for (const auto& s : l.list.items) {
    CHECK(std::find(unseen.begin(), unseen.end(), s.item) != unseen.end());
  }
  // keep-seen lets the seen candidate in; an exclusion removes one.
  CHECK(recommendExternal(*pkg, "u0", 10, false, nullptr, nullptr, cands).list.items.size() == 4);
  const std::unordered_set<std::string> ex = {pkg->items().external(unseen[0])};
  CHECK(recommendExternal(*pkg, "u0", 10, true, &ex, nullptr, cands).list.items.size() == 2);
  // An unknown user gets the candidates by popularity, flagged.
  const auto stranger = recommendExternal(*pkg, "stranger", 2, true, nullptr, nullptr, cands);
  CHECK(stranger.source == RecSource::kPopularity);
  CHECK(stranger.list.items.size() == 2);

  // The batch scorer gives every user the same lists as recommendExternal.
  BatchScoreOptions opt;
  opt.k = 2;
  opt.users = {"u0", "stranger", "u5"};
  opt.candidates = &cands;
  MemorySink sink;
  TaskContext ctx;
  batchScore(*pkg, opt, sink, ctx);
  REQUIRE(sink.rows.size() == 6);
  CHECK(sink.rows[0].rfind("u0\t" + pkg->items().external(l.list.items[0].item) + "\t", 0) == 0);
  for (const auto& row : sink.rows) {
    bool inSet = false;
    for (const Index i : cands)
      inSet |= row.find("\t" + pkg->items().external(i) + "\t") != std::string::npos;
    CHECK(inSet);
  }
  const std::vector<Index> none;
  opt.candidates = &none;
  CHECK_THROWS_AS(batchScore(*pkg, opt, sink, ctx), SpecError);
  const std::vector<Index> outside = {9999};
  CHECK_THROWS_AS(recommendExternal(*pkg, "u0", 2, true, nullptr, nullptr, outside), ModelError);
}
