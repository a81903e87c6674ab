#pragma once
/// \file
/// The model package: one portable, versioned, checksummed file per exported model.
///
/// Container: an SQLite database (application_id 'RWBM') with two tables, `meta(key, value)` and
/// `blobs(name, data)`; format version 2 adds `blob_chunks(name, idx, data)` for the blobs larger
/// than one row may be (core/util/blob_chunks.h) and the meta field "blob_chunks" describing
/// them. Blobs: "model" (Model::save: type, parameters, fitted state including any
/// feature pipeline, seen items, popularity fallback), "users" and "items" (external ids in
/// dense-index order). Meta: format, format_version, model_type, params, num_users, num_items,
/// train_fingerprint, metrics (JSON, at selection time), created_at (ISO 8601 UTC),
/// code_version, run_name, checksum; a package with an approximate-retrieval index also has the
/// blob "retrieval_index" and the meta field "retrieval" (RetrievalInfo as JSON). The checksum is
/// XXH3-128 over every meta entry except itself and every blob, in name order, each as (length,
/// bytes) pairs, so any change to the content is detected. See docs/export.md.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/data/id_map.h"
#include "core/export/retrieval_index.h"
#include "core/models/model.h"

namespace rwb {

/// Descriptive fields stored with a package (the rest is taken from the model).
struct PackageInfo {
  /// The newest format this build reads. Version 1: every blob is one row of `blobs`. Version
  /// 2 (written only when a blob is larger than blobChunkBytes(), so packages of ordinary size
  /// stay readable by older builds): such a blob is stored as rows (name, 0..n-1) of
  /// `blob_chunks`, and the meta field "blob_chunks" gives each one's size and chunk size as
  /// JSON ({"model": {"bytes": N, "chunk_bytes": C}}); the checksum is the same function of
  /// the whole blobs' bytes in both versions.
  static constexpr int kFormatVersion = 2;
  static constexpr int kUnchunkedFormatVersion = 1;
  int formatVersion = kFormatVersion;
  std::string modelType;
  nlohmann::json params = nlohmann::json::object();
  std::uint64_t trainFingerprint = 0;  ///< Dataset::fingerprint() of the training data
  nlohmann::json metrics = nlohmann::json::object();  ///< e.g. {"ndcg@10": 0.41}
  std::string createdAt;                              ///< filled in by writePackage when empty
  std::string codeVersion;                            ///< filled in by writePackage when empty
  std::string runName;
  std::string checksum;  ///< hex XXH3-128, filled in by writePackage
  std::size_t numUsers = 0;
  std::size_t numItems = 0;
  /// RetrievalInfo::toJson() of the package's HNSW index; null when it has none.
  nlohmann::json retrieval;

  nlohmann::json toJson() const;
};

/// A loaded, validated package: the model plus its id maps. Immutable once loaded, safe to
/// share across threads (std::shared_ptr<const ModelPackage>).
class ModelPackage {
 public:
  /// Opens and validates a package: format and version, checksum, sizes, and every index inside
  /// the model state. Throws IoError (cannot read, not a package, corrupt container) or
  /// ModelError (checksum mismatch, inconsistent content); never reads out of bounds.
  static std::shared_ptr<const ModelPackage> load(const std::string& path);

  const Model& model() const noexcept { return *model_; }
  const IdMap& users() const noexcept { return users_; }
  const IdMap& items() const noexcept { return items_; }
  const PackageInfo& info() const noexcept { return info_; }
  const std::string& path() const noexcept { return path_; }
  /// The approximate-retrieval index stored in the package, nullptr when it has none.
  const RetrievalIndex* retrievalIndex() const noexcept { return index_.get(); }

 private:
  std::unique_ptr<Model> model_;
  std::unique_ptr<RetrievalIndex> index_;
  IdMap users_;
  IdMap items_;
  PackageInfo info_;
  std::string path_;
};

/// The checksum a package records in its meta field "checksum": XXH3-128 over the meta fields
/// (without "checksum") and then the blobs, each in key order as (64-bit length, bytes); 32 hex
/// digits. load() refuses a package whose content does not match it.
std::string packageChecksum(const std::map<std::string, std::string>& meta,
                            const std::map<std::string, std::string>& blobs);

/// Writes a package for a fitted model atomically: a temporary file in the destination folder,
/// fsync, rename over `path`, fsync of the folder. users/items are the training dataset's id
/// maps (sizes must equal the model's). Returns the info as written (with checksum, creation
/// time, code version). Throws ModelError for an unfitted model or mismatched id maps, IoError
/// when the file cannot be written (the destination is then untouched). With `index` (built for
/// this model by RetrievalIndex::build) the package also stores it and its info.
PackageInfo writePackage(const std::string& path, const Model& model, const IdMap& users,
                         const IdMap& items, PackageInfo info = {},
                         const RetrievalIndex* index = nullptr);

}  // namespace rwb
