#include "core/export/model_package.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>

#include "core/models/registry.h"
#include "core/util/blob_chunks.h"
#include "core/util/error.h"
#include "core/util/sqlite_db.h"
#include "export_fixtures.h"
#include "test_support.h"

using namespace rwb;
namespace fs = std::filesystem;

namespace {
std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("every registered model round-trips through a package with identical scores",
          "[export]") {
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  for (const auto& info : modelRegistry()) {
    DYNAMIC_SECTION("model " << info.name) {
      auto model = createModel(info.name);
      TaskContext ctx;
      model->fit({d, nullptr, 42, 1}, ctx);  // one thread: see cold_start_test.cpp
      PackageInfo meta;
      meta.trainFingerprint = d.fingerprint();
      meta.metrics = {{"ndcg@10", 0.25}};
      meta.runName = "run-" + info.name;
      const auto path = (dir / (info.name + ".rwbm")).string();
      const PackageInfo written = writePackage(path, *model, d.users, d.items, meta);
      CHECK(written.checksum.size() == 32);
      const auto pkg = ModelPackage::load(path);
      CHECK(pkg->info().modelType == info.name);
      CHECK(pkg->info().trainFingerprint == d.fingerprint());
      CHECK(pkg->info().metrics["ndcg@10"].get<double>() == Approx(0.25));
      CHECK(pkg->info().runName == "run-" + info.name);
      CHECK(pkg->users().names() == d.users.names());
      CHECK(pkg->items().names() == d.items.names());
      std::vector<Index> all(d.numItems());
      for (Index i = 0; i < all.size(); ++i) all[i] = i;
      std::vector<float> a(all.size()), b(all.size());
      for (Index u = 0; u < d.numUsers(); ++u) {
        model->score(u, all, a);
        pkg->model().score(u, all, b);
        REQUIRE(a == b);  // exactly equal, not approximately
        CHECK(model->recommend(u, 5).items == pkg->model().recommend(u, 5).items);
      }
    }
  }
}

TEST_CASE("package write is atomic and refuses unfitted models or mismatched id maps", "[export]") {
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  auto model = createModel("most_popular");
  const auto path = (dir / "m.rwbm").string();
  CHECK_THROWS_AS(writePackage(path, *model, d.users, d.items), ModelError);
  CHECK_FALSE(fs::exists(path));
  TaskContext ctx;
  model->fit({d, nullptr, 42, 1}, ctx);  // one thread: see cold_start_test.cpp
  IdMap fewer;
  fewer.intern("only-one");
  CHECK_THROWS_WITH(writePackage(path, *model, fewer, d.items), Catch::Contains("do not match"));
  CHECK_THROWS_AS(writePackage((dir / "no-such-dir" / "m.rwbm").string(), *model, d.users, d.items),
                  IoError);
  writePackage(path, *model, d.users, d.items);
  // No temporary files are left behind next to the package.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 1);
}

TEST_CASE("corrupt, truncated, tampered and foreign packages get clear errors", "[export]") {
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  auto model = createModel("most_popular");
  TaskContext ctx;
  model->fit({d, nullptr, 42, 1}, ctx);  // one thread: see cold_start_test.cpp
  const auto good = (dir / "good.rwbm").string();
  writePackage(good, *model, d.users, d.items);
  const std::string bytes = readAll(good);

  SECTION("missing file") {
    CHECK_THROWS_WITH(ModelPackage::load((dir / "nope.rwbm").string()),
                      Catch::Contains("no such file"));
  }
  SECTION("empty and garbage files") {
    const auto empty = dir / "empty.rwbm";
    test::writeFile(empty, "");
    CHECK_THROWS_AS(ModelPackage::load(empty.string()), Error);
    const auto garbage = dir / "garbage.rwbm";
    test::writeFile(garbage, std::string(4096, '\x7f'));
    CHECK_THROWS_AS(ModelPackage::load(garbage.string()), Error);
  }
  SECTION("truncated at many lengths") {
    for (std::size_t cut : {std::size_t{0}, std::size_t{10}, std::size_t{100}, bytes.size() / 3,
                            bytes.size() / 2, bytes.size() - 1}) {
      const auto p = dir / ("cut" + std::to_string(cut) + ".rwbm");
      test::writeFile(p, bytes.substr(0, cut));
      CHECK_THROWS_AS(ModelPackage::load(p.string()), Error);
    }
  }
  SECTION("a flipped byte anywhere is detected or rejected, never a crash") {
    const std::string goodChecksum = ModelPackage::load(good)->info().checksum;
    std::size_t loaded = 0, rejected = 0;
    for (std::size_t pos = 100; pos < bytes.size(); pos += 97) {
      std::string bad = bytes;
      bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
      const auto p = dir / "flip.rwbm";
      test::writeFile(p, bad);
      try {
        const auto pkg = ModelPackage::load(p.string());
        // Only a flip in unused page space loads, and then the content is the original's.
        CHECK(pkg->info().checksum == goodChecksum);
        ++loaded;
      } catch (const Error&) {
        ++rejected;
      }
    }
    INFO(loaded << " flips loaded unchanged, " << rejected << " rejected");
    CHECK(rejected > 0);
    CHECK(loaded + rejected == (bytes.size() - 100 + 96) / 97);
  }
  SECTION("tampered blob fails the checksum") {
    const auto p = dir / "tampered.rwbm";
    fs::copy_file(good, p);
    {
      SqliteDb db(p.string(), SqliteDb::Mode::kReadWrite);
      db.exec("UPDATE blobs SET data = data || x'00' WHERE name = 'items'");
    }
    CHECK_THROWS_WITH(ModelPackage::load(p.string()), Catch::Contains("checksum"));
  }
  SECTION("tampered metadata fails the checksum") {
    const auto p = dir / "meta.rwbm";
    fs::copy_file(good, p);
    {
      SqliteDb db(p.string(), SqliteDb::Mode::kReadWrite);
      db.exec("UPDATE meta SET value = '{\"ndcg@10\": 0.99}' WHERE key = 'metrics'");
    }
    CHECK_THROWS_WITH(ModelPackage::load(p.string()), Catch::Contains("checksum"));
  }
  SECTION("a newer format version asks for an upgrade") {
    const auto p = dir / "newer.rwbm";
    fs::copy_file(good, p);
    {
      SqliteDb db(p.string(), SqliteDb::Mode::kReadWrite);
      db.exec("UPDATE meta SET value = '3' WHERE key = 'format_version'");
    }
    CHECK_THROWS_WITH(ModelPackage::load(p.string()), Catch::Contains("newer"));
  }
  SECTION("another SQLite file is not a package") {
    const auto p = dir / "other.db";
    {
      SqliteDb db(p.string(), SqliteDb::Mode::kCreate);
      db.exec("CREATE TABLE t(x)");
    }
    CHECK_THROWS_WITH(ModelPackage::load(p.string()), Catch::Contains("not a RecWorkbench"));
  }
}

TEST_CASE("regression: row offsets past the data are refused, not followed (fuzz)", "[export]") {
  // Found by tests/fuzz (package target): offsets that run past the stored entries and come
  // back (0, huge, ..., n) passed the first/last check, and the row was read far out of
  // bounds. The inputs are the fuzz regression files (first byte: the target's mode byte,
  // 1 = a model blob).
  auto blob = [](const char* name) {
    const auto path =
        std::filesystem::path(RWB_SOURCE_DIR) / "tests/fuzz/regressions/package" / name;
    std::ifstream in(path, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), {}};
    REQUIRE(bytes.size() > 1);
    return bytes.substr(1);
  };
  SECTION("feature rows of a content_similarity pipeline") {
    const std::string bytes = blob("feature_rows_runaway_offset");
    CHECK_THROWS_AS(loadModelFromBytes(bytes), ModelError);
    CHECK_THROWS_WITH(loadModelFromBytes(bytes), Catch::Contains("feature row offsets"));
  }
  SECTION("the item-item matrix of rp3beta") {
    const std::string bytes = blob("item_matrix_runaway_offset");
    CHECK_THROWS_AS(loadModelFromBytes(bytes), ModelError);
    CHECK_THROWS_WITH(loadModelFromBytes(bytes), Catch::Contains("item matrix offsets"));
  }
}

namespace {

/// Rewrites a package with one meta field or blob replaced (nullopt: removed) and a checksum
/// that matches the new content, as a buggy or hostile writer would: the loader's own checks,
/// not the checksum, must then name what is wrong.
void rewritePackage(const fs::path& p, const std::string& table, const std::string& key,
                    const std::optional<std::string>& value) {
  SqliteDb db(p.string(), SqliteDb::Mode::kReadWrite);
  std::map<std::string, std::string> meta, blobs;
  {
    auto m = db.prepare("SELECT key, value FROM meta");
    while (m.step()) meta[m.columnText(0)] = m.columnText(1);
    auto b = db.prepare("SELECT name, data FROM blobs");
    while (b.step()) blobs[b.columnText(0)] = b.columnBlob(1);
  }
  auto& target = table == "meta" ? meta : blobs;
  if (value) {
    target[key] = *value;
  } else {
    target.erase(key);
  }
  if (key != "checksum") meta["checksum"] = packageChecksum(meta, blobs);
  db.exec("DELETE FROM meta; DELETE FROM blobs");
  auto m = db.prepare("INSERT INTO meta(key, value) VALUES (?, ?)");
  for (const auto& [k, v] : meta) {
    m.bind(1, std::string_view(k)).bind(2, std::string_view(v)).run();
    m.reset();
  }
  auto b = db.prepare("INSERT INTO blobs(name, data) VALUES (?, ?)");
  for (const auto& [k, v] : blobs) {
    b.bind(1, std::string_view(k)).bindBlob(2, v).run();
    b.reset();
  }
}

}  // namespace

TEST_CASE(
    "regression: every corrupted field of a package gets an error naming the file and the field "
    "(was: 'invalid field: stoull'; issue 17)",
    "[export]") {
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  auto model = createModel("most_popular");
  TaskContext ctx;
  model->fit({d, nullptr, 42, 1}, ctx);
  const auto good = dir / "good.rwbm";
  writePackage(good.string(), *model, d.users, d.items);
  std::map<std::string, std::string> blobs;
  {
    SqliteDb db(good.string(), SqliteDb::Mode::kReadOnly);
    auto b = db.prepare("SELECT name, data FROM blobs");
    while (b.step()) blobs[b.columnText(0)] = b.columnBlob(1);
  }

  struct Case {
    std::string table, key;
    std::optional<std::string> value;
  };
  std::vector<Case> cases;
  for (const char* key : {"num_users", "num_items", "train_fingerprint"}) {
    for (const char* v : {"", "abc", "-1", "12x", "99999999999999999999999", "1e3", " 5"}) {
      cases.push_back({"meta", key, std::string(v)});
    }
    cases.push_back({"meta", key, std::nullopt});
  }
  for (const char* v : {"61", "0"}) cases.push_back({"meta", "num_users", std::string(v)});
  for (const char* v : {"41", "0"}) cases.push_back({"meta", "num_items", std::string(v)});
  for (const char* key : {"params", "metrics"}) {
    for (const char* v : {"", "{", "{\"a\": }", "nul", "[1,"}) {
      cases.push_back({"meta", key, std::string(v)});
    }
  }
  // Non-canonical spellings of a readable version too: one reader took "02" as 2 while the
  // chunk reader compared text, so a chunked package read as version 2 without its chunks.
  for (const char* v : {"", "x", "2.5", "999", "01", "02", "+1", " 1", "1 "}) {
    cases.push_back({"meta", "format_version", std::string(v)});
  }
  cases.push_back({"meta", "format", std::string("something-else")});
  cases.push_back({"meta", "model_type", std::string("sar")});
  cases.push_back({"meta", "checksum", std::string("0123")});
  for (const char* key :
       {"model_type", "created_at", "code_version", "run_name", "format", "checksum"}) {
    cases.push_back({"meta", key, std::nullopt});
  }
  for (const auto& [name, bytes] : blobs) {
    for (std::size_t cut :
         {std::size_t{0}, std::size_t{1}, std::size_t{8}, bytes.size() / 2, bytes.size() - 1}) {
      cases.push_back({"blob", name, bytes.substr(0, cut)});
    }
    cases.push_back({"blob", name, bytes + "tail"});
    std::string huge = bytes;  // a length prefix that claims far more than there is
    for (std::size_t i = 0; i < 8 && i < huge.size(); ++i) huge[i] = '\xff';
    cases.push_back({"blob", name, huge});
    cases.push_back({"blob", name, std::nullopt});
  }

  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Case& k = cases[c];
    const auto p = dir / ("case" + std::to_string(c) + ".rwbm");
    fs::copy_file(good, p);
    rewritePackage(p, k.table == "meta" ? "meta" : "blobs", k.key, k.value);
    INFO(k.table << " '" << k.key << "' = "
                 << (k.value ? "'" + k.value->substr(0, 40) + "'" : std::string("(missing)")));
    std::string what;
    try {
      ModelPackage::load(p.string());
    } catch (const Error& e) {
      what = e.what();
    } catch (const std::exception& e) {
      FAIL("an exception outside rwb::Error escaped: " << e.what());
    }
    INFO("message: " << what);
    REQUIRE_FALSE(what.empty());
    CHECK(what.find(p.string()) != std::string::npos);
    CHECK(what.find("'" + k.key + "'") != std::string::npos);
    CHECK(what.find("stoull") == std::string::npos);
  }
}

namespace {

/// Byte offsets in a model blob, from Model::save's layout: type, params, user and item counts,
/// seen-items offsets, seen items, popularity, then the model's own state.
struct ModelBlobLayout {
  std::size_t seenItems = 0;  ///< the seen-items vector (its length prefix)
  std::size_t state = 0;      ///< the model's own state
};
ModelBlobLayout modelBlobLayout(const std::string& blob) {
  std::size_t pos = 0;
  auto skip = [&](std::size_t elementSize) {
    std::uint64_t n = 0;
    std::memcpy(&n, blob.data() + pos, sizeof n);
    pos += sizeof n + n * elementSize;
  };
  ModelBlobLayout l;
  skip(1);  // type
  skip(1);  // params
  pos += 2 * sizeof(std::uint64_t);
  skip(sizeof(std::uint64_t));
  l.seenItems = pos;
  skip(sizeof(Index));
  skip(sizeof(float));
  l.state = pos;
  return l;
}

}  // namespace

TEST_CASE(
    "regression: a corrupted model payload gets an error naming the file, the blob and the "
    "model's field (was: 'model state (byte N of M)'; issue 17)",
    "[export]") {
  // Per model: the field a cut just inside the model's own state hits, the one that an
  // all-ones first word breaks (empty: that still loads) and the one a cut of the last byte
  // hits. Every registered model must be listed.
  struct Fields {
    const char* first;
    const char* flipped;
    const char* last;
  };
  const std::map<std::string, Fields> expected{
      {"most_popular", {"scores", "scores", "scores"}},
      {"sar", {"layout_tag", "affinity", "similarity.values"}},
      {"itemknn", {"user_values", "user_values", "weights.values"}},
      {"rp3beta", {"weights.size", "weights.size", "weights.values"}},
      {"ease", {"user_values", "user_values", "weights"}},
      {"ials", {"num_factors", "num_factors", "user_offsets"}},
      {"bpr", {"num_factors", "num_factors", "user_offsets"}},
      {"biased_mf", {"mean", "mean", "user_offsets"}},
      {"content_similarity", {"pipeline.tag", "pipeline.tag", "importance"}},
      {"logistic_regression", {"pipeline.tag", "pipeline.tag", "importance"}},
      {"gbdt", {"pipeline.tag", "pipeline.tag", "importance"}},
      {"factorization_machine", {"pipeline.tag", "pipeline.tag", "importance"}},
      {"two_stage", {"pipeline.tag", "pipeline.tag", "importance"}},
      {"random", {"seed", "", "seed"}},
      {"attribute_popularity", {"scores", "scores", "scores"}},
      {"demographic_popularity", {"columns", "columns", "global_popularity"}},
      {"neighbour_popularity", {"columns", "columns", "untuned_ndcg"}},
      {"blend", {"weights", "weights", "members["}},
  };
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  for (const auto& info : modelRegistry()) {
    DYNAMIC_SECTION("model " << info.name) {
      REQUIRE(expected.count(info.name) == 1);
      const Fields& f = expected.at(info.name);
      auto model = createModel(info.name);
      TaskContext ctx;
      model->fit({d, nullptr, 42, 1}, ctx);
      const auto good = dir / (info.name + ".rwbm");
      writePackage(good.string(), *model, d.users, d.items);
      const std::string blob = saveModelToBytes(*model);
      const auto [seenItems, state] = modelBlobLayout(blob);
      REQUIRE(state + 8 <= blob.size());
      std::string flipped = blob;
      for (std::size_t i = 0; i < 8; ++i) flipped[state + i] = '\xff';
      struct Case {
        const char* what;
        std::string bytes;
        std::string field;
      };
      std::vector<Case> cases{
          {"cut inside the seen items", blob.substr(0, seenItems + 12), "seen_items"},
          {"cut inside the model's first field", blob.substr(0, state + 2), f.first},
          {"first word all ones", flipped, f.flipped},
          {"last byte cut", blob.substr(0, blob.size() - 1), f.last},
      };
      for (std::size_t c = 0; c < cases.size(); ++c) {
        const Case& k = cases[c];
        const auto p = dir / (info.name + "-" + std::to_string(c) + ".rwbm");
        fs::copy_file(good, p);
        rewritePackage(p, "blobs", "model", k.bytes);
        std::string message;
        try {
          ModelPackage::load(p.string());
        } catch (const Error& e) {
          message = e.what();
        }
        INFO(k.what << ": " << message);
        if (k.field.empty()) {
          CHECK(message.empty());
          continue;
        }
        CHECK(message.find(p.string()) != std::string::npos);
        CHECK(message.find("blob 'model'") != std::string::npos);
        CHECK(message.find("field '" + k.field) != std::string::npos);
      }
    }
  }
}

namespace {

std::int64_t countRows(const fs::path& p, const std::string& sql) {
  SqliteDb db(p.string(), SqliteDb::Mode::kReadOnly);
  auto s = db.prepare(sql);
  REQUIRE(s.step());
  return s.columnInt(0);
}

/// The message of ModelPackage::load's error ("" when it loads).
std::string loadError(const fs::path& p) {
  try {
    ModelPackage::load(p.string());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("blobs larger than one row round-trip through a chunked package (issue 16)",
          "[export][chunks]") {
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  auto model = createModel("ease");
  TaskContext ctx;
  model->fit({d, nullptr, 42, 1}, ctx);
  const std::size_t modelBytes = saveModelToBytes(*model).size();
  const auto whole = dir / "whole.rwbm";
  {
    // The default chunk size: one row per blob, format version 1 as before (older builds read it).
    const PackageInfo w = writePackage(whole.string(), *model, d.users, d.items);
    CHECK(w.formatVersion == 1);
    CHECK(countRows(whole, "SELECT count(*) FROM sqlite_master WHERE name = 'blob_chunks'") == 0);
    CHECK(ModelPackage::load(whole.string())->info().formatVersion == 1);
  }
  // 97 bytes: every blob (model, users, items) is chunked, the last chunk of each shorter.
  for (const std::size_t chunk : {std::size_t{1000}, std::size_t{97}, modelBytes - 1}) {
    DYNAMIC_SECTION("chunks of " << chunk << " bytes") {
      const ScopedBlobChunkBytes small(chunk);
      const auto path = dir / ("chunked" + std::to_string(chunk) + ".rwbm");
      const PackageInfo w = writePackage(path.string(), *model, d.users, d.items);
      CHECK(w.formatVersion == 2);
      const std::int64_t modelChunks =
          countRows(path, "SELECT count(*) FROM blob_chunks WHERE name = 'model'");
      CHECK(modelChunks == static_cast<std::int64_t>((modelBytes + chunk - 1) / chunk));
      CHECK(countRows(path, "SELECT count(*) FROM blobs WHERE name = 'model'") == 0);
      CHECK(countRows(path, "SELECT max(length(data)) FROM blob_chunks") <=
            static_cast<std::int64_t>(chunk));
      const auto pkg = ModelPackage::load(path.string());
      CHECK(pkg->info().formatVersion == 2);
      CHECK(pkg->info().checksum == w.checksum);
      CHECK(pkg->users().names() == d.users.names());
      CHECK(pkg->items().names() == d.items.names());
      CHECK(saveModelToBytes(pkg->model()) == saveModelToBytes(*model));
      std::vector<Index> all(d.numItems());
      for (Index i = 0; i < all.size(); ++i) all[i] = i;
      std::vector<float> a(all.size()), b(all.size());
      for (Index u = 0; u < d.numUsers(); ++u) {
        model->score(u, all, a);
        pkg->model().score(u, all, b);
        REQUIRE(a == b);
      }
    }
  }
}

TEST_CASE(
    "a missing, truncated, extra or altered chunk is an error naming the file, the blob and "
    "the chunk (issue 16)",
    "[export][chunks]") {
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  auto model = createModel("ease");
  TaskContext ctx;
  model->fit({d, nullptr, 42, 1}, ctx);
  const auto good = dir / "good.rwbm";
  std::int64_t chunks = 0;
  {
    const ScopedBlobChunkBytes small(1000);
    writePackage(good.string(), *model, d.users, d.items);
    chunks = countRows(good, "SELECT count(*) FROM blob_chunks WHERE name = 'model'");
    REQUIRE(chunks >= 4);
  }
  REQUIRE(loadError(good).empty());
  const std::string last = std::to_string(chunks - 1);
  // A layout listing a thousand blobs, each as large as the file (which only grows by the
  // layout's text): each alone passes the size check, together they claim a thousand times the
  // file, which the loader reserved before reading a single chunk.
  std::string manyBlobs = "{";
  const std::string fileSize = std::to_string(fs::file_size(good));
  for (int i = 0; i < 1000; ++i) {
    manyBlobs += "\"a" + std::to_string(1000 + i) + "\": {\"bytes\": " + fileSize +
                 ", \"chunk_bytes\": " + fileSize + "}, ";
  }
  manyBlobs += "\"model\": {\"bytes\": 1, \"chunk_bytes\": 1}}";
  const auto layoutIs = [](const std::string& json) {
    return "UPDATE meta SET value = '" + json + "' WHERE key = 'blob_chunks'";
  };
  struct Case {
    std::string what, sql;
    std::vector<std::string> expect;
  };
  const std::vector<Case> cases{
      {"a middle chunk deleted",
       "DELETE FROM blob_chunks WHERE name = 'model' AND idx = 2",
       {"blob 'model'", "chunk 2 of " + std::to_string(chunks), "missing"}},
      {"the first chunk deleted",
       "DELETE FROM blob_chunks WHERE name = 'model' AND idx = 0",
       {"blob 'model'", "chunk 0 of", "missing"}},
      {"the last chunk deleted",
       "DELETE FROM blob_chunks WHERE name = 'model' AND idx = " + last,
       {"blob 'model'", "chunk " + last + " of", "missing"}},
      {"every chunk deleted", "DELETE FROM blob_chunks", {"blob 'model'", "chunk 0 of", "missing"}},
      {"a chunk truncated",
       "UPDATE blob_chunks SET data = substr(data, 1, 10) WHERE name = 'model' AND idx = 1",
       {"blob 'model'", "chunk 1 of", "holds 10 bytes, expected 1000"}},
      {"the last chunk padded",
       "UPDATE blob_chunks SET data = data || x'00' WHERE name = 'model' AND idx = " + last,
       {"blob 'model'", "chunk " + last + " of", "truncated or padded"}},
      {"a chunk beyond the count",
       "INSERT INTO blob_chunks VALUES ('model', " + std::to_string(chunks) + ", x'00')",
       {"blob 'model'", "chunk " + std::to_string(chunks) + " is beyond"}},
      {"a chunk of an unlisted blob",
       "INSERT INTO blob_chunks VALUES ('other', 0, x'00')",
       {"'other'", "does not list"}},
      {"a byte changed inside a chunk",
       "UPDATE blob_chunks SET data = x'00' || substr(data, 2) WHERE name = 'model' AND idx = 1",
       {"checksum"}},
      {"the chunk table dropped", "DROP TABLE blob_chunks", {"blob_chunks"}},
      {"the layout says the model is larger than the file",
       "UPDATE meta SET value = '{\"model\": {\"bytes\": 99999999999, \"chunk_bytes\": 1000}}' "
       "WHERE key = 'blob_chunks'",
       {"field 'blob_chunks'", "blob 'model'", "impossible"}},
      {"the layout removed", "DELETE FROM meta WHERE key = 'blob_chunks'", {"checksum"}},
      {"regression: the layout lists many blobs as large as the file",
       layoutIs(manyBlobs),
       {"field 'blob_chunks'", "blob 'a1", "impossible", "the blobs before it take"}},
      {"the layout is not JSON", layoutIs("{\"model\": "), {"field 'blob_chunks'"}},
      {"the layout is a list", layoutIs("[1, 2]"), {"field 'blob_chunks'", "not a JSON object"}},
      {"a negative size",
       layoutIs("{\"model\": {\"bytes\": -1, \"chunk_bytes\": 1000}}"),
       {"blob 'model'", "needs whole numbers"}},
      {"a size past 64 bits",
       layoutIs("{\"model\": {\"bytes\": 18446744073709551616, \"chunk_bytes\": 1000}}"),
       {"blob 'model'", "needs whole numbers"}},
      {"the largest 64-bit size",
       layoutIs("{\"model\": {\"bytes\": 18446744073709551615, \"chunk_bytes\": 1000}}"),
       {"blob 'model'", "impossible"}},
      {"a fractional chunk size",
       layoutIs("{\"model\": {\"bytes\": 5000, \"chunk_bytes\": 1.5e3}}"),
       {"blob 'model'", "needs whole numbers"}},
      {"chunks of 0 bytes",
       layoutIs("{\"model\": {\"bytes\": 5000, \"chunk_bytes\": 0}}"),
       {"blob 'model'", "impossible"}},
      {"the layout names a blob that is also stored whole",
       layoutIs("{\"users\": {\"bytes\": 10, \"chunk_bytes\": 1000}}"),
       {"blob 'users'", "both whole and in chunks"}},
      {"tens of thousands of one-byte chunks",
       "CREATE TABLE tiny AS WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k "
       "WHERE n < 999) SELECT name, idx * 1000 + n AS idx, substr(data, n + 1, 1) AS data "
       "FROM blob_chunks, k WHERE n < length(data); DELETE FROM blob_chunks; "
       "INSERT INTO blob_chunks SELECT name, idx, data FROM tiny; DROP TABLE tiny; "
       "UPDATE meta SET value = replace(value, '\"chunk_bytes\":1000', '\"chunk_bytes\":1') "
       "WHERE key = 'blob_chunks'",
       {"checksum"}},
  };
  {
    // Any flipped byte of the file (chunk rows, their keys, the layout, SQLite's pages): the
    // original content or an error, never a crash or a different model.
    const std::string bytes = readAll(good);
    const std::string goodChecksum = ModelPackage::load(good.string())->info().checksum;
    std::size_t loaded = 0, rejected = 0;
    for (std::size_t pos = 100; pos < bytes.size(); pos += 89) {
      std::string flipped = bytes;
      flipped[pos] = static_cast<char>(flipped[pos] ^ 0x5a);
      const auto p = dir / "flip.rwbm";
      test::writeFile(p, flipped);
      std::string checksum;
      try {
        checksum = ModelPackage::load(p.string())->info().checksum;
      } catch (const Error&) {
        ++rejected;
        continue;
      }
      CHECK(checksum == goodChecksum);
      ++loaded;
    }
    INFO(loaded << " flips loaded unchanged, " << rejected << " rejected");
    CHECK(rejected > 0);
    CHECK(loaded + rejected == (bytes.size() - 100 + 88) / 89);
  }
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Case& k = cases[c];
    const auto p = dir / ("case" + std::to_string(c) + ".rwbm");
    fs::copy_file(good, p);
    {
      SqliteDb db(p.string(), SqliteDb::Mode::kReadWrite);
      db.exec(k.sql);
      db.exec("VACUUM");  // the file's size must still match its header
    }
    const std::string what = loadError(p);
    INFO(k.what << ": " << what);
    REQUIRE_FALSE(what.empty());
    CHECK(what.find(p.string()) != std::string::npos);
    for (const auto& e : k.expect) CHECK(what.find(e) != std::string::npos);
  }
}

TEST_CASE("packages written by the previous format (version 1) still load (issue 16)",
          "[export][chunks]") {
  // Seeds of the package fuzz target, exported by recwb before chunked blobs existed: the first
  // byte is the fuzz target's mode byte, the rest a version 1 package file.
  test::TempDir dir;
  for (const char* name : {"file_sar", "file_ials", "file_most_popular"}) {
    DYNAMIC_SECTION(name) {
      const auto seed = fs::path(RWB_SOURCE_DIR) / "tests/fuzz/corpus/package" / name;
      const std::string bytes = readAll(seed);
      REQUIRE(bytes.size() > 1);
      const auto p = dir / (std::string(name) + ".rwbm");
      test::writeFile(p, bytes.substr(1));
      CHECK(countRows(p, "SELECT count(*) FROM sqlite_master WHERE name = 'blob_chunks'") == 0);
      const auto pkg = ModelPackage::load(p.string());
      CHECK(pkg->info().formatVersion == 1);
      CHECK(pkg->info().modelType == std::string(name).substr(5));
      REQUIRE(pkg->users().size() > 0);
      CHECK(pkg->model().numUsers() == pkg->users().size());
      const auto list = pkg->model().recommend(0, 5);
      for (const auto& s : list.items) CHECK(s.item < pkg->items().size());
    }
  }
}

TEST_CASE("writes the chunked package seed of the package fuzz target", "[.seeds]") {
  // Not a test: tests/fuzz/make_seeds.py runs it (hidden tag) to write a version 2 package
  // (every blob in chunks of 64 bytes) into the fuzz corpus, so that the fuzzer starts inside
  // the chunk reader instead of having to invent the chunk table.
  const Dataset d = test::exportFixture();
  test::TempDir dir;
  auto model = createModel("most_popular");
  TaskContext ctx;
  model->fit({d, nullptr, 42, 1}, ctx);
  const auto p = dir / "chunked.rwbm";
  {
    const ScopedBlobChunkBytes small(64);
    PackageInfo info;
    info.createdAt = "2026-12-03T00:00:00Z";  // a deterministic seed
    info.codeVersion = "seed";
    REQUIRE(writePackage(p.string(), *model, d.users, d.items, info).formatVersion == 2);
  }
  REQUIRE(ModelPackage::load(p.string())->info().formatVersion == 2);
  const auto seed = fs::path(RWB_SOURCE_DIR) / "tests/fuzz/corpus/package/file_chunked";
  std::ofstream out(seed, std::ios::binary);
  out << '\0' << readAll(p);
  REQUIRE(out.good());
}
