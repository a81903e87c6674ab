#pragma once

#include <QMainWindow>

namespace rwb::ui {

/// The workbench's main window.
class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
};

}  // namespace rwb::ui
