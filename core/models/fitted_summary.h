#pragma once
/// \file
/// Fitted summaries: what a model tuned for itself during fit (a blend's member weights, a
/// kernel per attribute column), so that an analyst can see why a run scored as it did. A model
/// that tunes such quantities implements FittedSummary as a second base, as models that explain
/// themselves implement Explainable.
///
/// A summary is a JSON object whose keys each model documents. Keys shared by every model:
///   "tuned":          true when fit chose the values (on held-out training data), false when
///                   they were given as parameters or fit had nothing to tune them on;
///   "untuned_reason": when "tuned" is false, why (e.g. "weights given", "one member").
/// Figures that were not measured are left out, never written as 0.
/// The experiment runner stores the summary with each run (RunRecord::fittedSummary).

#include <nlohmann/json.hpp>
#include <string>

namespace rwb {

class Model;

/// Implemented (as a second base) by models that tune internal quantities during fit.
class FittedSummary {
 public:
  virtual ~FittedSummary() = default;
  /// What fit tuned, as a JSON object (keys documented by the model). Precondition: fitted or
  /// loaded (a model read back from bytes gives the same summary). Thread-safe after fit.
  virtual nlohmann::json fittedSummary() const = 0;
};

/// The model's fitted summary as compact JSON text; "" when the model has none (it does not
/// implement FittedSummary, or its summary is an empty object).
std::string fittedSummaryOf(const Model& model);

/// A summary as one line for people, the same in the CLI and the GUI, e.g.
///   "weights ease 0.10, ials 0.80, rp3beta 0.10 (tuned on held-out training rows)"
///   "weights ease 0.10, ials 0.80, rp3beta 0.10"
///   "kernel age h=0.50, gender beta=0.35; held-out nDCG@10 0.2712 (untuned 0.2650)"
///   "kernel age h=0.50, gender beta=1.00 (ignored); not tuned: kernel given".
/// Known keys ("weights", "kernel" with "kernel_kind", "tuned_ndcg", "untuned_ndcg", "tuned",
/// "untuned_reason") read as above; any other key as key=value (compact JSON). Object keys come
/// in JSON (alphabetical) order. "" for an empty summary.
std::string fittedSummaryText(const nlohmann::json& summary);
/// The same from stored JSON text; "" when the text is empty, not JSON, or not an object.
std::string fittedSummaryText(const std::string& jsonText);

}  // namespace rwb
