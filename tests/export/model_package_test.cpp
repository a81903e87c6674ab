#include "core/export/model_package.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include "core/models/registry.h"
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
      db.exec("UPDATE meta SET value = '2' WHERE key = 'format_version'");
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
