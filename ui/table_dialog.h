#pragma once
/// \file
/// TableDialog: a read-only table of text in a dialog (the configuration diff of runs, the
/// champion history), with a line above it and Close.

#include <QDialog>
#include <QStringList>
#include <vector>

class QTableWidget;

namespace rwb::ui {

class TableDialog : public QDialog {
  Q_OBJECT
 public:
  TableDialog(const QString& title, const QString& text, const QStringList& headers,
              const std::vector<QStringList>& rows, QWidget* parent = nullptr);
  QTableWidget* table() const { return table_; }

 private:
  QTableWidget* table_ = nullptr;
};

}  // namespace rwb::ui
