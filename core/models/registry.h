#pragma once
/// \file
/// The model registry: creates models by name and lists their schemas.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/models/model.h"
#include "core/models/param_schema.h"

namespace rwb {

/// What the registry knows of one model type.
struct ModelInfo {
  std::string name;         ///< registry name, e.g. "ease"
  std::string displayName;  ///< e.g. "EASE"
  std::string family;       ///< "baseline", "collaborative", "content", "hybrid"
  std::string description;  ///< one sentence
  ParamSchema schema;
  /// Creates an unfitted model from already-resolved parameters.
  std::function<std::unique_ptr<Model>(const Params&)> create;
};

/// Every built-in model, in display order. The list is built once, on first use.
const std::vector<ModelInfo>& modelRegistry();

/// The entry for name, or nullptr.
const ModelInfo* findModel(std::string_view name);

/// Creates a model: resolves params against the schema (defaults filled in). Throws SpecError
/// (with path `path`) for unknown names or invalid parameters.
std::unique_ptr<Model> createModel(const std::string& name, const Params& params = Params::object(),
                                   const std::string& path = "$.models[0]");

/// Reads a model written by Model::save (type, parameters, state). Throws ModelError if the
/// blob is corrupt or names an unknown type.
std::unique_ptr<Model> loadModel(BinaryReader& in);

/// Convenience: save to / load from a byte string. `what` starts the message of a load failure
/// (see BinaryReader::fail).
std::string saveModelToBytes(const Model& model);
std::unique_ptr<Model> loadModelFromBytes(std::string_view bytes, std::string what = "model state");

}  // namespace rwb
