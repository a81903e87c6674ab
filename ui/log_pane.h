#pragma once
/// \file
/// LogPane: the dockable log of the workbench (time-stamped lines, errors in red).

#include <QDockWidget>

class QPlainTextEdit;

namespace rwb::ui {

class LogPane : public QDockWidget {
  Q_OBJECT
 public:
  explicit LogPane(QWidget* parent = nullptr);
  QString text() const;

 public slots:
  void info(const QString& message);
  void error(const QString& message);

 private:
  void append(const QString& message, const QString& color);
  QPlainTextEdit* text_ = nullptr;
};

}  // namespace rwb::ui
