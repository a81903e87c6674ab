// Fuzz target: the experiment spec parser (core/experiment/experiment_spec). Input: the spec's
// JSON text, parsed as loadExperimentSpec does (parseJson, then parseExperimentSpec with paths
// relative to a scratch folder).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/experiment/experiment_spec.h"
#include "core/util/error.h"
#include "core/util/json.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto doc = rwb::parseJson(text, "spec.json");
    const rwb::ExperimentSpec spec = rwb::parseExperimentSpec(doc, rwb::fuzz::scratchDir());
    rwb::fuzz::check(!spec.models.empty(), "a valid spec has at least one model");
  } catch (const rwb::Error&) {
  }
  return 0;
}
