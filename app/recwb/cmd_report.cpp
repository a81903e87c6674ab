// recwb report --project P [--runs ID...] --out report.html: the comparison report of stored
// runs as one self-contained HTML file (core/export comparison_report, as the workbench writes).
#include <iostream>

#include "cli.h"
#include "core/export/comparison_report.h"
#include "core/store/project_store.h"

namespace rwb::cli {

namespace {

struct ReportArgs {
  std::string project, out, title = "Run comparison";
  std::vector<std::int64_t> runs;
};

}  // namespace

Action registerReport(CLI::App& sub, Common& common) {
  auto a = std::make_shared<ReportArgs>();
  sub.add_option("--project", a->project, "Project file holding the runs")->required();
  sub.add_option("--runs", a->runs, "Run ids to compare (default: every run not archived)")
      ->delimiter(',');
  sub.add_option("--title", a->title, "Title of the report");
  sub.add_option("--out", a->out, "HTML file to write (e.g. report.html)")->required();
  return [a, &common]() {
    const ProjectStore store(a->project, false);
    ReportOptions options;
    options.runs = a->runs;
    options.title = a->title;
    TerminalTask task(common);
    writeComparisonReport(store, options, a->out, task.ctx());
    task.finish();
    if (common.json) {
      printJson({{"out", a->out}, {"runs", a->runs}});
    } else {
      std::cout << "wrote " << a->out << "\n";
    }
    return 0;
  };
}

}  // namespace rwb::cli
