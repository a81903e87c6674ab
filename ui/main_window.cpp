#include "ui/main_window.h"

#include <QLabel>

namespace rwb::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("RecWorkbench"));
  setCentralWidget(new QLabel(tr("RecWorkbench"), this));
  resize(1280, 800);
}

}  // namespace rwb::ui
