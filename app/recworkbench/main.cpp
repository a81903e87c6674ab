// recworkbench: the RecWorkbench desktop application.
// Usage: recworkbench [--screenshots DIR] [data file or folder]. Without a data argument it opens
// the bundled sample data on first start (and the most recent file afterwards).
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>

#include "ui/main_window.h"
#include "ui/screenshot_tour.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("RecWorkbench");
  QApplication::setApplicationName("RecWorkbench");
  QCommandLineParser parser;
  parser.setApplicationDescription("RecWorkbench: build, compare and inspect recommenders.");
  parser.addHelpOption();
  QCommandLineOption shots("screenshots", "Walk the views, save PNG screenshots to DIR, quit.",
                           "DIR");
  parser.addOption(shots);
  parser.addPositionalArgument("data", "Interactions file or folder to open.");
  parser.process(app);

  rwb::ui::MainWindow window;
  if (parser.isSet(shots)) window.resize(1600, 1000);
  window.show();
  rwb::DelimitedOptions options;
  options.strict = false;
  const QStringList args = parser.positionalArguments();
  bool loading = true;
  if (!args.isEmpty()) {
    window.loadData(args.first(), options);
  } else {
    const QStringList recent = window.recentFiles();
    if (!parser.isSet(shots) && !recent.isEmpty() && QFileInfo::exists(recent.first())) {
      window.loadData(recent.first(), options);
    } else {
      loading = window.openSampleData();
    }
  }
  rwb::ui::ScreenshotTour tour(&window, parser.value(shots));
  if (parser.isSet(shots)) {
    if (!loading) {
      qWarning("no data to show: give a data file or generate sample-data/");
      return 1;
    }
    tour.start();
  }
  return QApplication::exec();
}
