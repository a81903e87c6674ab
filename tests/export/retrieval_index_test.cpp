#include "core/export/retrieval_index.h"

#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "core/export/batch_scorer.h"
#include "core/export/model_package.h"
#include "core/export/model_server.h"
#include "core/models/registry.h"
#include "core/util/binary_io.h"
#include "core/util/error.h"
#include "core/util/sqlite_db.h"
#include "export_fixtures.h"
#include "test_support.h"

using namespace rwb;
namespace fs = std::filesystem;

namespace {

/// A planted inner-product problem: 20 taste clusters in 16 dimensions; users and items are
/// their cluster's centre plus noise, item norms vary (0.5x to 1.5x) so the inner product, not
/// the angle, decides. User u's training items are its exact top (u % 40) items plus 3 random
/// ones, so excluding them needs far more than k neighbours. An iALS package state written
/// through the model's own loader (validated like any package).
struct Planted {
  std::unique_ptr<Model> model;
  IdMap users, items;
};

Planted plantedModel(std::size_t nUsers = 300, std::size_t nItems = 2000, std::size_t f = 16,
                     bool itemBias = false) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> scale(0.5f, 1.5f);
  const std::size_t clusters = 20;
  std::vector<float> centre(clusters * f);
  for (auto& x : centre) x = normal(rng);
  std::vector<float> u(nUsers * f), v(nItems * f), bias;
  for (std::size_t i = 0; i < nItems; ++i) {
    const float s = scale(rng);
    for (std::size_t j = 0; j < f; ++j) {
      v[i * f + j] = s * (centre[(i % clusters) * f + j] + 0.4f * normal(rng));
    }
  }
  for (std::size_t a = 0; a < nUsers; ++a) {
    for (std::size_t j = 0; j < f; ++j) {
      u[a * f + j] = centre[(a % clusters) * f + j] + 0.4f * normal(rng);
    }
  }
  if (itemBias) {
    for (std::size_t i = 0; i < nItems; ++i) bias.push_back(0.5f * normal(rng));
  }
  // Seen items: each user's exact top (u % 40) by inner product (+ bias), and 3 random items.
  std::vector<std::uint64_t> offsets{0};
  std::vector<Index> seen;
  std::vector<float> popularity(nItems, 0.0f);
  for (std::size_t a = 0; a < nUsers; ++a) {
    std::vector<std::pair<float, Index>> s(nItems);
    for (std::size_t i = 0; i < nItems; ++i) {
      float dot = 0.0f;
      for (std::size_t j = 0; j < f; ++j) dot += u[a * f + j] * v[i * f + j];
      s[i] = {-(dot + (bias.empty() ? 0.0f : bias[i])), static_cast<Index>(i)};
    }
    std::sort(s.begin(), s.end());
    std::set<Index> mine;
    for (std::size_t n = 0; n < a % 40; ++n) mine.insert(s[n].second);
    for (int n = 0; n < 3; ++n) mine.insert(static_cast<Index>(rng() % nItems));
    for (Index i : mine) {
      seen.push_back(i);
      popularity[i] += 1.0f;
    }
    offsets.push_back(seen.size());
  }
  BinaryWriter w;
  w.putString("ials");
  w.putString(createModel("ials", {{"factors", f}})->params().dump());
  w.put<std::uint64_t>(nUsers);
  w.put<std::uint64_t>(nItems);
  w.putVector(offsets);
  w.putVector(seen);
  w.putVector(popularity);
  w.put<std::uint64_t>(f);
  w.putVector(u);
  w.putVector(v);
  w.putVector(bias);
  w.putVector(std::vector<float>{});
  const std::string bytes = w.take();
  Planted p;
  p.model = loadModelFromBytes(bytes);
  for (std::size_t a = 0; a < nUsers; ++a) p.users.intern("u" + std::to_string(a));
  for (std::size_t i = 0; i < nItems; ++i) p.items.intern("i" + std::to_string(i));
  return p;
}

RetrievalOptions deterministic() {
  RetrievalOptions o;
  o.threads = 1;
  o.efConstruction = 100;
  return o;
}

std::vector<Index> allUsers(const Model& m) {
  std::vector<Index> users(m.numUsers());
  for (Index a = 0; a < users.size(); ++a) users[a] = a;
  return users;
}

// Rewrites a package's retrieval blob (and its checksum, as a buggy writer would), so that
// the index's own validation, not the checksum, must catch the damage.
void replaceIndexBlob(const fs::path& path, const std::string& blob) {
  SqliteDb db(path.string(), SqliteDb::Mode::kReadWrite);
  std::map<std::string, std::string> meta, blobs;
  {
    auto m = db.prepare("SELECT key, value FROM meta");
    while (m.step()) meta[m.columnText(0)] = m.columnText(1);
    auto b = db.prepare("SELECT name, data FROM blobs");
    while (b.step()) blobs[b.columnText(0)] = b.columnBlob(1);
  }
  blobs["retrieval_index"] = blob;
  auto up = db.prepare("UPDATE blobs SET data = ? WHERE name = 'retrieval_index'");
  up.bindBlob(1, blob).run();
  auto cs = db.prepare("UPDATE meta SET value = ? WHERE key = 'checksum'");
  cs.bind(1, std::string_view(packageChecksum(meta, blobs))).run();
}

}  // namespace

TEST_CASE("hnsw retrieval finds the planted top-k with exact scores", "[export][retrieval]") {
  for (const auto space : {RetrievalSpace::kInnerProduct, RetrievalSpace::kL2}) {
    for (const bool bias : {false, true}) {
      INFO("space " << retrievalSpaceName(space) << ", item bias " << bias);
      const Planted p = plantedModel(300, 2000, 16, bias);
      const Model& m = *p.model;
      REQUIRE(m.innerProductDim() == (bias ? 17u : 16u));
      RetrievalOptions o = deterministic();
      o.space = space;
      TaskContext ctx;
      const auto index = RetrievalIndex::build(m, o, ctx);
      const RetrievalInfo& info = index->info();
      CHECK(info.recall >= 0.95);  // efSearch tuned for it on the (whole) sample
      CHECK(info.sampleUsers == 300);
      CHECK(info.efSearch >= 16);
      // Independently: recall over every user, and every listed score is the model's own.
      const auto users = allUsers(m);
      CHECK(measureRecall(*index, m, users, 10, ctx) >= 0.95);
      for (Index a = 0; a < m.numUsers(); a += 7) {
        const RecList l = index->recommend(m, a, 10, true);
        REQUIRE(l.items.size() == 10);
        std::vector<Index> items;
        for (const auto& s : l.items) items.push_back(s.item);
        std::vector<float> scores(items.size());
        m.score(a, items, scores);
        for (std::size_t j = 0; j < items.size(); ++j) {
          CHECK(l.items[j].score == static_cast<double>(scores[j]));
          if (j > 0) CHECK(l.items[j - 1].score >= l.items[j].score);
        }
      }
    }
  }
}

TEST_CASE("hnsw retrieval excludes seen items and never returns a short list",
          "[export][retrieval]") {
  const Planted p = plantedModel();
  const Model& m = *p.model;
  TaskContext ctx;
  const auto index = RetrievalIndex::build(m, deterministic(), ctx);
  for (Index a = 0; a < m.numUsers(); ++a) {
    INFO("user " << a << " with " << m.seenItems(a).size() << " seen items");
    const auto seen = m.seenItems(a);
    for (const std::size_t k : {std::size_t{1}, std::size_t{10}, std::size_t{50}}) {
      const RecList l = index->recommend(m, a, k, true);
      REQUIRE(l.items.size() == k);
      for (const auto& s : l.items)
        CHECK_FALSE(std::binary_search(seen.begin(), seen.end(), s.item));
    }
    // --keep-seen: the seen top items come back (user a's exact top a % 40 are all seen).
    if (a % 40 >= 1) {
      const RecList keep = index->recommend(m, a, 1, false);
      REQUIRE(keep.items.size() == 1);
      CHECK(std::binary_search(seen.begin(), seen.end(), keep.items[0].item));
    }
  }
  // A k larger than half the catalogue is answered exactly (a scan), still without seen items.
  const RecList big = index->recommend(m, 5, 1500, true);
  CHECK(big.items.size() == 1500);
  const RecList all = index->recommend(m, 5, 5000, true);
  CHECK(all.items.size() == m.numItems() - m.seenItems(5).size());
}

TEST_CASE("hnsw retrieval honours candidate restrictions and exclusions", "[export][retrieval]") {
  const Planted p = plantedModel();
  const Model& m = *p.model;
  TaskContext ctx;
  const auto index = RetrievalIndex::build(m, deterministic(), ctx);
  auto isCandidate = [](Index i) { return i % 9 == 4; };  // 222 of 2000 items
  std::size_t hits = 0, total = 0;
  for (Index a = 0; a < m.numUsers(); ++a) {
    const RecList l = index->recommend(m, a, 10, true, isCandidate);
    REQUIRE(l.items.size() == 10);
    const auto seen = m.seenItems(a);
    for (const auto& s : l.items) {
      CHECK(isCandidate(s.item));
      CHECK_FALSE(std::binary_search(seen.begin(), seen.end(), s.item));
    }
    // Exact top-10 among the candidates, for recall.
    std::vector<Index> cands;
    for (Index i = 0; i < m.numItems(); ++i) {
      if (isCandidate(i) && !std::binary_search(seen.begin(), seen.end(), i)) cands.push_back(i);
    }
    std::vector<float> scores(cands.size());
    m.score(a, cands, scores);
    std::vector<ScoredItem> exact;
    for (std::size_t j = 0; j < cands.size(); ++j) exact.push_back({cands[j], scores[j]});
    orderByScoreThenItem(exact);
    exact.resize(10);
    for (const auto& e : exact) {
      for (const auto& s : l.items) hits += s.item == e.item ? 1 : 0;
    }
    total += 10;
  }
  CHECK(static_cast<double>(hits) / static_cast<double>(total) >= 0.95);
  // Fewer allowed items than k: exactly those come back.
  const RecList few = index->recommend(m, 0, 10, true, [](Index i) { return i < 3; });
  std::set<Index> got;
  for (const auto& s : few.items) got.insert(s.item);
  std::set<Index> want;
  for (Index i = 0; i < 3; ++i) {
    if (!std::binary_search(m.seenItems(0).begin(), m.seenItems(0).end(), i)) want.insert(i);
  }
  CHECK(got == want);
}

TEST_CASE("hnsw index build is deterministic with one thread", "[export][retrieval]") {
  const Planted p = plantedModel(100, 1500);
  TaskContext ctx;
  RetrievalOptions o = deterministic();
  o.efSearch = 32;
  const auto a = RetrievalIndex::build(*p.model, o, ctx);
  const auto b = RetrievalIndex::build(*p.model, o, ctx);
  CHECK(a->bytes() == b->bytes());
  CHECK(a->info().recall == b->info().recall);
  o.seed = 7;
  const auto c = RetrievalIndex::build(*p.model, o, ctx);
  CHECK(a->bytes() != c->bytes());
  // Both spaces survive a round trip through their bytes (l2 with its stored max norm).
  for (const auto space : {RetrievalSpace::kInnerProduct, RetrievalSpace::kL2}) {
    o.space = space;
    const auto built = RetrievalIndex::build(*p.model, o, ctx);
    const auto info = RetrievalInfo::fromJson(built->info().toJson(), "test");
    const auto loaded = RetrievalIndex::load(built->bytes(), info, *p.model);
    CHECK(loaded->bytes() == built->bytes());
    for (Index u = 0; u < p.model->numUsers(); u += 9) {
      CHECK(loaded->recommend(*p.model, u, 10, true).items ==
            built->recommend(*p.model, u, 10, true).items);
    }
  }
}

TEST_CASE("a model without an inner-product form has no hnsw retrieval", "[export][retrieval]") {
  const Dataset d = test::exportFixture();
  for (const char* type : {"most_popular", "ease", "itemknn", "gbdt"}) {
    INFO(type);
    auto m = createModel(type, nlohmann::json::object());
    TaskContext ctx;
    m->fit({d, nullptr, 42, 1}, ctx);
    CHECK(m->innerProductDim() == 0);
    CHECK_THROWS_AS(RetrievalIndex::build(*m, RetrievalOptions{}, ctx), SpecError);
    CHECK_THROWS_WITH(RetrievalIndex::build(*m, RetrievalOptions{}, ctx),
                      Catch::Contains("--retrieval") && Catch::Contains("inner-product"));
  }
  for (const char* type : {"ials", "bpr", "biased_mf"}) {
    INFO(type);
    auto m = createModel(type, nlohmann::json::object());
    TaskContext ctx;
    m->fit({d, nullptr, 42, 1}, ctx);
    CHECK(m->innerProductDim() > 0);
  }
}

TEST_CASE("a package keeps its hnsw index; batch scoring and recommendExternal use it",
          "[export][retrieval]") {
  test::TempDir dir;
  const Planted p = plantedModel();
  TaskContext ctx;
  const auto index = RetrievalIndex::build(*p.model, deterministic(), ctx);
  const auto path = (dir / "m.rwbm").string();
  const PackageInfo written = writePackage(path, *p.model, p.users, p.items, {}, index.get());
  REQUIRE(written.retrieval.is_object());
  CHECK(written.retrieval["ef_search"] == index->info().efSearch);
  const auto pkg = ModelPackage::load(path);
  REQUIRE(pkg->retrievalIndex() != nullptr);
  CHECK(pkg->info().retrieval == written.retrieval);
  CHECK(pkg->info().toJson()["retrieval"]["recall"] == index->info().recall);
  CHECK(pkg->retrievalIndex()->bytes() == index->bytes());
  for (Index a = 0; a < p.model->numUsers(); a += 13) {
    CHECK(pkg->retrievalIndex()->recommend(pkg->model(), a, 10, true).items ==
          index->recommend(*p.model, a, 10, true).items);
  }
  // recommendExternal: history exclusions and candidates filter the approximate list.
  const std::unordered_set<std::string> exclude{"i0", "i1", "i2", "i3"};
  std::vector<Index> candidates;
  for (Index i = 0; i < p.model->numItems(); i += 2) candidates.push_back(i);
  for (Index a = 0; a < p.model->numUsers(); a += 11) {
    const std::string user = "u" + std::to_string(a);
    const auto l = recommendExternal(*pkg, user, 10, true, &exclude, nullptr, candidates,
                                     pkg->retrievalIndex());
    REQUIRE(l.list.items.size() == 10);
    CHECK(l.source == RecSource::kModel);
    for (const auto& s : l.list.items) {
      CHECK(s.item % 2 == 0);
      CHECK(exclude.count(pkg->items().external(s.item)) == 0);
    }
  }
  // The batch scorer: every user gets k rows.
  struct CountSink final : RecSink {
    std::map<std::string, int> rows;
    void write(std::string_view user, std::string_view, double, int, RecSource) override {
      ++rows[std::string(user)];
    }
    void finish() override {}
  } sink;
  BatchScoreOptions opt;
  opt.k = 20;
  opt.retrieval = pkg->retrievalIndex();
  const auto r = batchScore(*pkg, opt, sink, ctx);
  CHECK(r.usersScored == 300);
  CHECK(r.rowsWritten == 300 * 20);
  for (const auto& [user, n] : sink.rows) CHECK(n == 20);
}

TEST_CASE("a corrupt hnsw index in a package is a located error, never a crash",
          "[export][retrieval]") {
  test::TempDir dir;
  const Planted p = plantedModel(60, 800);
  TaskContext ctx;
  RetrievalOptions o = deterministic();
  o.efSearch = 32;
  const auto index = RetrievalIndex::build(*p.model, o, ctx);
  const auto good = (dir / "good.rwbm").string();
  writePackage(good, *p.model, p.users, p.items, {}, index.get());
  const std::string bytes = index->bytes();
  const std::size_t header = 8 * 6 + 4 + 4 + 8 * 3 + 8 + 8;  // hnswlib 0.6's header
  const std::size_t m = 16, perElement = (2 * m * 4 + 4) + 16 * 4 + 8;
  auto expectRejected = [&](const std::string& name, const std::string& blob,
                            const std::string& what) {
    INFO(name);
    const auto path = dir / (name + ".rwbm");
    fs::copy_file(good, path, fs::copy_options::overwrite_existing);
    replaceIndexBlob(path, blob);
    CHECK_THROWS_WITH(ModelPackage::load(path.string()),
                      Catch::Contains("blob 'retrieval_index'") && Catch::Contains("HNSW index") &&
                          Catch::Contains(what));
  };
  SECTION("a flipped byte fails the package checksum") {
    const auto path = dir / "flip.rwbm";
    fs::copy_file(good, path);
    {
      SqliteDb db(path.string(), SqliteDb::Mode::kReadWrite);
      db.exec("UPDATE blobs SET data = data || x'00' WHERE name = 'retrieval_index'");
    }
    CHECK_THROWS_WITH(ModelPackage::load(path.string()), Catch::Contains("checksum"));
  }
  SECTION("damaged bytes behind a valid checksum are caught by the index's own checks") {
    expectRejected("truncated", bytes.substr(0, bytes.size() / 2), "truncated");
    expectRejected("empty", std::string(), "truncated");
    expectRejected("trailing", bytes + "x", "trailing bytes");
    std::string badM = bytes;
    badM[8 * 6 + 4 + 4 + 8 * 2] = 17;  // M
    expectRejected("M", badM, "M does not match");
    // A layer-0 link of element 3 pointing past the catalogue.
    std::string badLink = bytes;
    const std::uint32_t far = 1u << 30, one = 1;
    std::uint32_t links = 0;
    std::memcpy(&links, badLink.data() + header + 3 * perElement, 4);
    if (links == 0) std::memcpy(badLink.data() + header + 3 * perElement, &one, 4);
    std::memcpy(badLink.data() + header + 3 * perElement + 4, &far, 4);
    expectRejected("link", badLink, "layer 0, element 3: link out of range");
    // A vector that is not the model's item.
    std::string badVector = bytes;
    badVector[header + 5 * perElement + (2 * m * 4 + 4) + 1] ^= 0x40;
    expectRejected("vector", badVector, "differs from the model's item");
    // A random byte anywhere: rejected or (in padding-free data, rarely) harmless, never a crash.
    std::mt19937 rng(3);
    for (int n = 0; n < 40; ++n) {
      std::string flip = bytes;
      flip[rng() % flip.size()] ^= static_cast<char>(1 + rng() % 255);
      const auto path = dir / "random.rwbm";
      fs::copy_file(good, path, fs::copy_options::overwrite_existing);
      replaceIndexBlob(path, flip);
      try {
        const auto pkg = ModelPackage::load(path.string());
        CHECK(pkg->retrievalIndex()->recommend(pkg->model(), 1, 10, true).items.size() == 10);
      } catch (const ModelError& e) {
        CHECK_THAT(e.what(), Catch::Contains("retrieval"));
      }
    }
  }
  SECTION("a deleted index blob fails the checksum; another model's index is refused") {
    const auto path = dir / "noblob.rwbm";
    fs::copy_file(good, path);
    {
      SqliteDb db(path.string(), SqliteDb::Mode::kReadWrite);
      db.exec("DELETE FROM blobs WHERE name = 'retrieval_index'");
    }
    CHECK_THROWS_WITH(ModelPackage::load(path.string()), Catch::Contains("checksum"));
    const Planted other = plantedModel(60, 800, 16, true);  // 17 dimensions
    CHECK_THROWS_WITH(writePackage((dir / "x.rwbm").string(), *other.model, other.users,
                                   other.items, {}, index.get()),
                      Catch::Contains("not built for this model"));
  }
}

TEST_CASE("serve answers /recommend through the package's hnsw index", "[export][retrieval]") {
  test::TempDir dir;
  const Planted p = plantedModel();
  TaskContext ctx;
  const auto index = RetrievalIndex::build(*p.model, deterministic(), ctx);
  const auto path = (dir / "m.rwbm").string();
  writePackage(path, *p.model, p.users, p.items, {}, index.get());
  for (const bool use : {true, false}) {
    INFO("useRetrievalIndex " << use);
    ServerOptions o;
    o.port = 0;
    o.threads = 2;
    o.useRetrievalIndex = use;
    ModelServer server(path, o);
    std::thread t([&] { server.run(); });
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(5, 0);
    for (int i = 0; i < 2000 && !c.Get("/health"); ++i) std::this_thread::yield();
    auto health = c.Get("/health");
    REQUIRE(health);
    CHECK(nlohmann::json::parse(health->body)["retrieval"] == (use ? "hnsw" : "exact"));
    const auto pkg = server.package();
    for (const char* user : {"u7", "u39", "u120"}) {
      auto res = c.Get((std::string("/recommend?user=") + user + "&k=10").c_str());
      REQUIRE(res);
      REQUIRE(res->status == 200);
      const auto body = nlohmann::json::parse(res->body);
      REQUIRE(body["items"].size() == 10);
      const auto expected = recommendExternal(*pkg, user, 10, true, nullptr, nullptr, {},
                                              use ? pkg->retrievalIndex() : nullptr);
      for (std::size_t j = 0; j < 10; ++j) {
        CHECK(body["items"][j]["item"] == pkg->items().external(expected.list.items[j].item));
      }
    }
    server.stop();
    t.join();
  }
}
