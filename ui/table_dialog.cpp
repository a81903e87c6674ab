#include "ui/table_dialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rwb::ui {

TableDialog::TableDialog(const QString& title, const QString& text, const QStringList& headers,
                         const std::vector<QStringList>& rows, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(title);
  auto* layout = new QVBoxLayout(this);
  auto* label = new QLabel(text, this);
  label->setWordWrap(true);
  layout->addWidget(label);
  table_ = new QTableWidget(static_cast<int>(rows.size()), static_cast<int>(headers.size()), this);
  table_->setHorizontalHeaderLabels(headers);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->hide();
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    for (int c = 0; c < headers.size() && c < rows[static_cast<std::size_t>(r)].size(); ++c) {
      auto* item = new QTableWidgetItem(rows[static_cast<std::size_t>(r)][c]);
      item->setToolTip(item->text());
      table_->setItem(r, c, item);
    }
  }
  table_->resizeColumnsToContents();
  for (int c = 0; c < table_->columnCount(); ++c)
    table_->setColumnWidth(c, std::min(table_->columnWidth(c), 320));
  table_->horizontalHeader()->setStretchLastSection(true);
  layout->addWidget(table_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  resize(760, 420);
}

}  // namespace rwb::ui
