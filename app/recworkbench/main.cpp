// recworkbench: the RecWorkbench desktop application.
// Usage: recworkbench [data file or folder]. Without an argument it opens the bundled sample data
// on first start (and the most recent file afterwards).
#include <QApplication>
#include <QFileInfo>
#include <QSettings>

#include "ui/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("RecWorkbench");
  QApplication::setApplicationName("RecWorkbench");
  rwb::ui::MainWindow window;
  window.show();
  const QStringList args = QApplication::arguments();
  rwb::DelimitedOptions options;
  options.strict = false;
  if (args.size() > 1) {
    window.loadData(args[1], options);
  } else {
    const QStringList recent = window.recentFiles();
    if (!recent.isEmpty() && QFileInfo::exists(recent.first())) {
      window.loadData(recent.first(), options);
    } else {
      window.openSampleData();
    }
  }
  return QApplication::exec();
}
