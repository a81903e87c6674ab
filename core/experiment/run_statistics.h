#pragma once
/// \file
/// Figures derived from a stored or fresh RunRecord for comparing runs: the per-user vectors
/// as an EvalResult (what core/eval's compareRuns() takes) and bootstrap 95% CIs of the
/// per-user means. The workbench, `recwb report` and the HTML report all use these, so a CI
/// shown anywhere is the same number.

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/experiment/run_record.h"
#include "core/util/task_context.h"

namespace rwb {

struct EvalResult;

/// The per-user vectors of a record as an EvalResult (users, per-user values and means; the
/// record's metric value where it has one, else the mean of the defined values).
std::shared_ptr<const EvalResult> evaluationOf(const RunRecord& record);

/// Bootstrap 95% CIs (1,000 resamples, seed 42) of the mean of every per-user metric with at
/// least two defined values, as (lower, upper). Cancelled when ctx stops.
std::map<std::string, std::pair<double, double>> bootstrapIntervals(const RunRecord& record,
                                                                    TaskContext& ctx);

}  // namespace rwb
