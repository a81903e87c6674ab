#include "core/export/model_package.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>

#include "core/models/registry.h"
#include "core/util/atomic_file.h"
#include "core/util/blob_chunks.h"
#include "core/util/error.h"
#include "core/util/json.h"
#include "core/util/sqlite_db.h"
#include "rwb_version.h"

namespace rwb {

namespace {

constexpr const char* kFormatName = "rwb-model-package";
constexpr int kApplicationId = 0x5257424D;  // 'RWBM'

std::string hex128(XXH128_hash_t h) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}

std::string isoNowUtc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string idBlob(const IdMap& ids) {
  BinaryWriter w;
  w.putStrings(ids.names());
  return w.take();
}

IdMap idMapFromBlob(const std::string& bytes, const char* what) {
  BinaryReader r(bytes, std::string("package ") + what + " ids");
  const auto names = r.getStrings("ids");
  r.check(r.atEnd(), "trailing bytes");
  IdMap map;
  map.reserve(names.size());
  for (const auto& n : names) {
    if (map.intern(n) + 1 != map.size()) r.fail("duplicate id '" + n + "'");
  }
  return map;
}

/// Reads the chunked blobs of a version 2 package into `blobs`: each one's rows in order, every
/// row checked against the layout (field "blob_chunks") so that a missing, duplicated,
/// truncated or stray chunk is an error naming the blob and the chunk, never a short blob.
/// Chunks are appended into one buffer of the blob's size: no second copy of the bytes.
void readChunkedBlobs(SqliteDb& db, const std::string& path, const std::string& layoutText,
                      std::map<std::string, std::string>& blobs) {
  const std::string where = "model package '" + path + "'";
  auto fail = [&](const std::string& what) { throw ModelError(where + ": " + what); };
  nlohmann::json layout;
  try {
    layout = parseJson(layoutText, "blob_chunks");
  } catch (const Error& e) {
    fail(std::string("field 'blob_chunks': ") + e.what());
  }
  if (!layout.is_object()) fail("field 'blob_chunks': not a JSON object");
  // All the blobs together are no larger than the file that holds them: a bound for the
  // buffers before any checksum. The whole blobs already read count against it, and each listed
  // blob is checked against what is left, so that a layout listing many blobs of the file's size
  // cannot claim (and reserve) a multiple of it.
  const std::uintmax_t fileBytes = std::filesystem::file_size(path);
  std::uintmax_t claimed = 0;
  for (const auto& [name, bytes] : blobs) claimed += bytes.size();
  struct Expected {
    std::uint64_t bytes = 0, chunkBytes = 0, chunks = 0, next = 0;
    std::string* out = nullptr;
  };
  std::map<std::string, Expected> expected;
  for (const auto& [name, entry] : layout.items()) {
    const std::string field = "field 'blob_chunks', blob '" + name + "': ";
    if (!entry.is_object() || !entry.contains("bytes") || !entry.contains("chunk_bytes") ||
        !entry["bytes"].is_number_unsigned() || !entry["chunk_bytes"].is_number_unsigned()) {
      fail(field + "needs whole numbers 'bytes' and 'chunk_bytes'");
    }
    Expected e;
    e.bytes = entry["bytes"].get<std::uint64_t>();
    e.chunkBytes = entry["chunk_bytes"].get<std::uint64_t>();
    if (e.bytes == 0 || e.chunkBytes == 0 || e.bytes > fileBytes) {
      fail(field + std::to_string(e.bytes) + " bytes in chunks of " + std::to_string(e.chunkBytes) +
           " is impossible in a file of " + std::to_string(fileBytes) + " bytes");
    }
    if (blobs.count(name) > 0) fail("blob '" + name + "' is stored both whole and in chunks");
    if (claimed > fileBytes || e.bytes > fileBytes - claimed) {
      fail(field + std::to_string(e.bytes) + " bytes is impossible: the blobs before it take " +
           std::to_string(claimed) + " of the file's " + std::to_string(fileBytes) + " bytes");
    }
    claimed += e.bytes;
    e.chunks = (e.bytes - 1) / e.chunkBytes + 1;
    e.out = &blobs[name];
    e.out->reserve(e.bytes);
    expected.emplace(name, e);
  }
  auto c = db.prepare("SELECT name, idx, data FROM blob_chunks ORDER BY name, idx");
  auto missing = [&](const std::string& name, const Expected& e) {
    fail("blob '" + name + "': chunk " + std::to_string(e.next) + " of " +
         std::to_string(e.chunks) + " (numbered from 0) is missing");
  };
  while (c.step()) {
    const std::string name = c.columnText(0);
    const std::int64_t idx = c.columnInt(1);
    auto it = expected.find(name);
    if (it == expected.end()) {
      fail("table blob_chunks holds chunk " + std::to_string(idx) + " of a blob '" + name +
           "' that field 'blob_chunks' does not list");
    }
    Expected& e = it->second;
    if (idx < 0 || static_cast<std::uint64_t>(idx) < e.next) {
      fail("blob '" + name + "': chunk " + std::to_string(idx) + " is stored twice or misnumbered");
    }
    if (static_cast<std::uint64_t>(idx) >= e.chunks) {
      if (e.next < e.chunks) missing(name, e);
      fail("blob '" + name + "': chunk " + std::to_string(idx) + " is beyond its " +
           std::to_string(e.chunks) + " chunks");
    }
    if (static_cast<std::uint64_t>(idx) > e.next) missing(name, e);
    const std::string_view data = c.columnBlobView(2);
    const std::uint64_t want = std::min(e.chunkBytes, e.bytes - e.next * e.chunkBytes);
    if (data.size() != want) {
      fail("blob '" + name + "': chunk " + std::to_string(idx) + " of " + std::to_string(e.chunks) +
           " holds " + std::to_string(data.size()) + " bytes, expected " + std::to_string(want) +
           " (truncated or padded)");
    }
    e.out->append(data);
    ++e.next;
  }
  for (const auto& [name, e] : expected) {
    if (e.next != e.chunks) missing(name, e);
  }
}

}  // namespace

std::string packageChecksum(const std::map<std::string, std::string>& meta,
                            const std::map<std::string, std::string>& blobs) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_128bits_reset(st);
  auto feed = [&](std::string_view s) {
    const std::uint64_t n = s.size();
    XXH3_128bits_update(st, &n, sizeof n);
    XXH3_128bits_update(st, s.data(), s.size());
  };
  for (const auto& [k, v] : meta) {
    if (k == "checksum") continue;
    feed(k);
    feed(v);
  }
  feed("--blobs--");
  for (const auto& [k, v] : blobs) {
    feed(k);
    feed(v);
  }
  const auto h = XXH3_128bits_digest(st);
  XXH3_freeState(st);
  return hex128(h);
}

nlohmann::json PackageInfo::toJson() const {
  return {{"format", kFormatName},
          {"format_version", formatVersion},
          {"model_type", modelType},
          {"params", params},
          {"train_fingerprint", trainFingerprint},
          {"metrics", metrics},
          {"created_at", createdAt},
          {"code_version", codeVersion},
          {"run_name", runName},
          {"checksum", checksum},
          {"num_users", numUsers},
          {"num_items", numItems},
          {"retrieval", retrieval}};
}

PackageInfo writePackage(const std::string& path, const Model& model, const IdMap& users,
                         const IdMap& items, PackageInfo info, const RetrievalIndex* index) {
  if (!model.isFitted()) throw ModelError("cannot export a model that is not fitted");
  if (users.size() != model.numUsers() || items.size() != model.numItems()) {
    throw ModelError("cannot export: id maps (" + std::to_string(users.size()) + " users, " +
                     std::to_string(items.size()) + " items) do not match the model (" +
                     std::to_string(model.numUsers()) + " users, " +
                     std::to_string(model.numItems()) + " items)");
  }
  info.modelType = model.type();
  info.params = model.params();
  info.numUsers = model.numUsers();
  info.numItems = model.numItems();
  if (info.createdAt.empty()) info.createdAt = isoNowUtc();
  if (info.codeVersion.empty())
    info.codeVersion = std::string(RWB_VERSION) + "+" + RWB_GIT_DESCRIBE;

  std::map<std::string, std::string> blobs{
      {"model", saveModelToBytes(model)}, {"users", idBlob(users)}, {"items", idBlob(items)}};
  std::map<std::string, std::string> meta{
      {"format", kFormatName},
      {"format_version", std::to_string(info.formatVersion)},
      {"model_type", info.modelType},
      {"params", info.params.dump()},
      {"num_users", std::to_string(info.numUsers)},
      {"num_items", std::to_string(info.numItems)},
      {"train_fingerprint", std::to_string(info.trainFingerprint)},
      {"metrics", info.metrics.dump()},
      {"created_at", info.createdAt},
      {"code_version", info.codeVersion},
      {"run_name", info.runName},
  };
  info.retrieval = nullptr;
  if (index != nullptr) {
    if (index->info().numItems != model.numItems() ||
        index->info().dim != model.innerProductDim()) {
      throw ModelError("cannot export: the retrieval index was not built for this model");
    }
    info.retrieval = index->info().toJson();
    meta["retrieval"] = info.retrieval.dump();
    blobs["retrieval_index"] = index->bytes();
  }
  // Blobs larger than one row may be are written in chunks (format version 2); packages
  // without one stay version 1, readable by older builds.
  const std::size_t chunkBytes = blobChunkBytes();
  nlohmann::json layout = nlohmann::json::object();
  for (const auto& [k, v] : blobs) {
    if (v.size() > chunkBytes) layout[k] = {{"bytes", v.size()}, {"chunk_bytes", chunkBytes}};
  }
  info.formatVersion =
      layout.empty() ? PackageInfo::kUnchunkedFormatVersion : PackageInfo::kFormatVersion;
  meta["format_version"] = std::to_string(info.formatVersion);
  if (!layout.empty()) meta["blob_chunks"] = layout.dump();
  info.checksum = packageChecksum(meta, blobs);
  meta["checksum"] = info.checksum;

  AtomicFile file(path);
  try {
    SqliteDb db(file.tempPath().string(), SqliteDb::Mode::kCreate);
    db.exec("PRAGMA journal_mode=OFF; PRAGMA application_id=" + std::to_string(kApplicationId) +
            "; CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            " CREATE TABLE blobs(name TEXT PRIMARY KEY, data BLOB NOT NULL);");
    SqliteTransaction tx(db);
    auto m = db.prepare("INSERT INTO meta(key, value) VALUES (?, ?)");
    for (const auto& [k, v] : meta) {
      m.bind(1, std::string_view(k)).bind(2, std::string_view(v)).run();
      m.reset();
    }
    // The blobs stay alive until the end: SQLite reads them in place (no copy of the model
    // bytes besides its record buffer of one row).
    auto b = db.prepare("INSERT INTO blobs(name, data) VALUES (?, ?)");
    for (const auto& [k, v] : blobs) {
      if (layout.contains(k)) continue;
      b.bind(1, std::string_view(k)).bindBlobNoCopy(2, v).run();
      b.reset();
    }
    if (!layout.empty()) {
      db.exec(
          "CREATE TABLE blob_chunks(name TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,"
          " PRIMARY KEY (name, idx))");
      auto c = db.prepare("INSERT INTO blob_chunks(name, idx, data) VALUES (?, ?, ?)");
      for (const auto& [k, v] : blobs) {
        if (!layout.contains(k)) continue;
        const std::string_view all(v);
        for (std::size_t i = 0; i * chunkBytes < all.size(); ++i) {
          c.bind(1, std::string_view(k)).bind(2, static_cast<std::int64_t>(i));
          c.bindBlobNoCopy(3, all.substr(i * chunkBytes, chunkBytes)).run();
          c.reset();
        }
      }
    }
    tx.commit();
  } catch (const IoError& e) {
    // SQLite names the temporary file; the user knows the destination.
    throw IoError("cannot write '" + path + "': " + file.withoutTempName(e.what()));
  }
  file.commit();
  return info;
}

std::shared_ptr<const ModelPackage> ModelPackage::load(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_regular_file(path))
    throw IoError("cannot open model package '" + path + "': no such file");
  std::map<std::string, std::string> meta;
  std::map<std::string, std::string> blobs;
  try {
    SqliteDb db(path, SqliteDb::Mode::kReadOnly);
    auto appId = db.prepare("PRAGMA application_id");
    if (!appId.step() || appId.columnInt(0) != kApplicationId) {
      throw IoError("'" + path + "' is not a RecWorkbench model package");
    }
    // A truncated file can still open (SQLite reads pages lazily): compare the size the
    // header promises with the size on disk.
    auto pageSize = db.prepare("PRAGMA page_size");
    auto pageCount = db.prepare("PRAGMA page_count");
    if (!pageSize.step() || !pageCount.step() ||
        static_cast<std::uintmax_t>(pageSize.columnInt(0) * pageCount.columnInt(0)) !=
            fs::file_size(path)) {
      throw IoError("model package '" + path + "' is truncated or padded (size does not match)");
    }
    auto m = db.prepare("SELECT key, value FROM meta");
    while (m.step()) meta[m.columnText(0)] = m.columnText(1);
    auto b = db.prepare("SELECT name, data FROM blobs");
    while (b.step()) blobs[b.columnText(0)] = b.columnBlob(1);
    // Version 2: the blobs listed in field "blob_chunks" are put back together from their
    // rows of blob_chunks (other versions are refused below, before their content is used).
    const auto layout = meta.find("blob_chunks");
    const auto version = meta.find("format_version");
    if (layout != meta.end() && version != meta.end() &&
        version->second == std::to_string(PackageInfo::kFormatVersion)) {
      readChunkedBlobs(db, path, layout->second, blobs);
    }
  } catch (const IoError& e) {
    // SQLite reports truncated or overwritten files as "not a database" / "malformed".
    const std::string msg = e.what();
    if (msg.find("is not a RecWorkbench") != std::string::npos ||
        msg.find("truncated") != std::string::npos) {
      throw;
    }
    throw IoError("cannot read model package '" + path + "': " + msg);
  }
  auto need = [&](std::map<std::string, std::string>& m, const char* key,
                  const char* kind) -> const std::string& {
    auto it = m.find(key);
    if (it == m.end()) {
      throw ModelError("model package '" + path + "' is incomplete: missing " + kind + " '" + key +
                       "'");
    }
    return it->second;
  };
  const std::string where = "model package '" + path + "'";
  auto bad = [&](const char* kind, const char* key, const std::string& reason) {
    return ModelError(where + ": " + kind + " '" + key + "': " + reason);
  };
  if (need(meta, "format", "field") != kFormatName) {
    throw ModelError("'" + path + "' is not a RecWorkbench model package (field 'format' is '" +
                     meta["format"] + "')");
  }
  const std::string& version = need(meta, "format_version", "field");
  int versionNumber = 0;
  const auto parsed =
      std::from_chars(version.data(), version.data() + version.size(), versionNumber);
  // Canonical decimal only ("2", not "02" or "+2"): the chunk layout above is read for exactly
  // the text this build writes, so every reader of the field must agree on what it says.
  if (parsed.ec != std::errc() || parsed.ptr != version.data() + version.size() ||
      std::to_string(versionNumber) != version) {
    throw bad("field", "format_version", "'" + version + "' is not a version number");
  }
  if (versionNumber < PackageInfo::kUnchunkedFormatVersion ||
      versionNumber > PackageInfo::kFormatVersion) {
    throw ModelError(where + " has format version " + version +
                     " (field 'format_version'); this build reads versions " +
                     std::to_string(PackageInfo::kUnchunkedFormatVersion) + " to " +
                     std::to_string(PackageInfo::kFormatVersion) +
                     (versionNumber > PackageInfo::kFormatVersion
                          ? " (it was written by a newer RecWorkbench: upgrade to read it)"
                          : ""));
  }
  const std::string& stored = need(meta, "checksum", "field");
  if (packageChecksum(meta, blobs) != stored) {
    throw ModelError(where +
                     " failed its checksum (field 'checksum'): the file is corrupt or was "
                     "modified");
  }
  // A whole number field, e.g. num_users: digits only, within 64 bits.
  auto count = [&](const char* key) {
    const std::string& text = need(meta, key, "field");
    std::uint64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size()) {
      throw bad("field", key, "'" + text + "' is not a whole number in [0, 2^64)");
    }
    return v;
  };
  auto json = [&](const char* key) {
    try {
      return parseJson(need(meta, key, "field"), key);
    } catch (const ModelError&) {
      throw;
    } catch (const Error& e) {
      throw bad("field", key, e.what());
    }
  };
  auto pkg = std::make_shared<ModelPackage>();
  pkg->path_ = path;
  auto& info = pkg->info_;
  info.formatVersion = versionNumber;
  info.modelType = need(meta, "model_type", "field");
  info.params = json("params");
  info.metrics = json("metrics");
  info.trainFingerprint = count("train_fingerprint");
  info.numUsers = count("num_users");
  info.numItems = count("num_items");
  info.createdAt = need(meta, "created_at", "field");
  info.codeVersion = need(meta, "code_version", "field");
  info.runName = need(meta, "run_name", "field");
  info.checksum = stored;
  auto blob = [&](const char* key, const auto& read) {
    try {
      return read(need(blobs, key, "blob"));
    } catch (const ModelError& e) {
      if (std::string_view(e.what()).starts_with(where)) throw;
      throw bad("blob", key, e.what());
    } catch (const std::exception& e) {
      // A loader must never let a library's exception (XGBoost, allocation) escape unnamed.
      throw bad("blob", key, std::string("cannot be read: ") + e.what());
    }
  };
  pkg->users_ = blob("users", [](const std::string& b) { return idMapFromBlob(b, "user"); });
  pkg->items_ = blob("items", [](const std::string& b) { return idMapFromBlob(b, "item"); });
  pkg->model_ = blob("model", [](const std::string& b) { return loadModelFromBytes(b); });
  if (pkg->model_->type() != info.modelType) {
    throw bad("field", "model_type",
              "'" + info.modelType + "' but the model blob holds a '" + pkg->model_->type() + "'");
  }
  if (info.numUsers != pkg->users_.size() || pkg->model_->numUsers() != pkg->users_.size()) {
    throw bad("field", "num_users",
              std::to_string(info.numUsers) + ", but blob 'users' holds " +
                  std::to_string(pkg->users_.size()) + " ids and the model " +
                  std::to_string(pkg->model_->numUsers()) + " users");
  }
  if (info.numItems != pkg->items_.size() || pkg->model_->numItems() != pkg->items_.size()) {
    throw bad("field", "num_items",
              std::to_string(info.numItems) + ", but blob 'items' holds " +
                  std::to_string(pkg->items_.size()) + " ids and the model " +
                  std::to_string(pkg->model_->numItems()) + " items");
  }
  // Optional: an approximate-retrieval index (field and blob come together).
  const bool hasField = meta.count("retrieval") > 0, hasBlob = blobs.count("retrieval_index") > 0;
  if (hasField != hasBlob) {
    throw ModelError(where + " is incomplete: " +
                     (hasField ? "field 'retrieval' without blob 'retrieval_index'"
                               : "blob 'retrieval_index' without field 'retrieval'"));
  }
  if (hasField) {
    info.retrieval = json("retrieval");
    const RetrievalInfo ri = RetrievalInfo::fromJson(info.retrieval, where);
    pkg->index_ = blob("retrieval_index", [&](const std::string& b) {
      return RetrievalIndex::load(b, ri, *pkg->model_);
    });
  }
  return pkg;
}

}  // namespace rwb
