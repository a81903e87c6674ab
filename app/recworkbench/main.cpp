// recworkbench: the RecWorkbench desktop application.
#include <QApplication>

#include "ui/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("RecWorkbench");
  QApplication::setApplicationName("RecWorkbench");
  rwb::ui::MainWindow window;
  window.show();
  return QApplication::exec();
}
