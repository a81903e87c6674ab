// recworkbench: the RecWorkbench desktop application.
// Usage: recworkbench [--screenshots DIR [--size WxH]] [--project FILE] [data file or folder].
// Without arguments it reopens the last project; on first start it creates a project in the
// application data folder over the bundled sample data.
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
  QCommandLineOption size("size", "Window size for --screenshots (default 1600x1000).", "WxH",
                          "1600x1000");
  parser.addOption(size);
  QCommandLineOption project("project", "Open (or create) this project file.", "FILE");
  parser.addOption(project);
  parser.addPositionalArgument("data", "Interactions file or folder to open.");
  parser.process(app);

  rwb::ui::MainWindow window;
  if (parser.isSet(shots)) {
    const QStringList wh = parser.value(size).split(QLatin1Char('x'));
    const int w = wh.size() == 2 ? wh[0].toInt() : 0;
    const int h = wh.size() == 2 ? wh[1].toInt() : 0;
    if (w <= 0 || h <= 0) {
      qWarning("--size wants WxH, e.g. 1024x700");
      return 1;
    }
    window.resize(w, h);
  }
  window.show();
  rwb::DatasetOptions options;
  options.interactions.strict = false;
  const QStringList args = parser.positionalArguments();
  bool loading = true;
  if (parser.isSet(project)) {
    const QString file = parser.value(project);
    if (QFileInfo::exists(file)) {
      window.openProject(file);
    } else if (const QString err = window.newProject(file); !err.isEmpty()) {
      qWarning("%s", qPrintable(err));
      return 1;
    }
  }
  if (!args.isEmpty()) {
    window.loadData(args.first(), options);
  } else if (parser.isSet(shots) && !parser.isSet(project)) {
    loading = window.openSampleData();
  } else if (!parser.isSet(project)) {
    loading = window.openStartupProject();
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
