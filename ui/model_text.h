#pragma once
/// \file
/// How a model and its parameters read in tables: the registry's display name and only the
/// parameters that differ from the schema's defaults (core's ParamSchema::nonDefault), so a
/// row stays short; the full JSON goes to tooltips.

#include <QString>
#include <string>

#include "core/models/param_schema.h"

namespace rwb::ui {

/// The registry's display name of a model ("EASE"), else the name as given.
QString modelDisplayName(const std::string& model);

/// "k=20, shrink=50" for the parameters that differ from the model's defaults, "defaults" when
/// none does; long values (feature configurations) are cut to a few characters with an ellipsis.
QString paramSummary(const std::string& model, const Params& params);

/// "ItemKNN (k=20)" or "ItemKNN (defaults)".
QString modelWithParams(const std::string& model, const Params& params);

}  // namespace rwb::ui
