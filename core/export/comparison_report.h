#pragma once
/// \file
/// The HTML report of a comparison of stored runs: ONE self-contained file (inline CSS and SVG
/// charts, no script, no external reference) readable in any browser without the workbench.
/// It holds the runs (name, model, tags, note, champion), per split the metrics with bootstrap
/// 95% CIs (core/experiment run_statistics), a bar chart per per-user metric, the paired tests
/// of core/eval compareRuns (difference with CI, Holm-adjusted t-test and Wilcoxon p-values,
/// Cohen's d_z), the learning curves overlaid, the configuration diff (core/experiment
/// run_diff), every run's parameters, and the champion history. `recwb report` and the
/// workbench's File > Export Report write it with this code.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/util/task_context.h"

namespace rwb {

class ProjectStore;

struct ReportOptions {
  /// Store run ids to report, in this order; empty = every run not archived, oldest first.
  std::vector<std::int64_t> runs;
  std::string title = "Run comparison";
};

/// The report as HTML text. Throws StoreError for an unknown run id, Error when there is no
/// run to report, Cancelled when ctx stops.
std::string comparisonReportHtml(const ProjectStore& store, const ReportOptions& options,
                                 TaskContext& ctx);

/// Writes comparisonReportHtml() to `out` (through a temporary file: a failed or cancelled
/// report leaves no partial file). Throws IoError when the file cannot be written.
void writeComparisonReport(const ProjectStore& store, const ReportOptions& options,
                           const std::filesystem::path& out, TaskContext& ctx);

/// An SVG chart as inline markup: one horizontal bar per label with its value written beside
/// it and, where lower/upper are finite, a CI whisker. Bars start at 0 (values may be negative).
std::string svgBarChart(const std::string& title, const std::vector<std::string>& labels,
                        const std::vector<double>& values, const std::vector<double>& lower,
                        const std::vector<double>& upper);

/// One series of a line chart: (x, y) points in order.
struct SvgSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

/// An SVG line chart of several series on the same axes, with a legend.
std::string svgLineChart(const std::string& title, const std::string& xLabel,
                         const std::vector<SvgSeries>& series);

}  // namespace rwb
