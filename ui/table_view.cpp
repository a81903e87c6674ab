#include "ui/table_view.h"

#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QTextStream>
#include <QVBoxLayout>

#include "core/util/delimited_text.h"

namespace rwb::ui {

// The project's one quoting rule (core/util/delimited_text.h), so an exported table reads back
// with every loader.
QString csvField(const QString& text) {
  return QString::fromStdString(rwb::delimitedField(text.toStdString(), ','));
}

namespace {
/// Sorts by kSortRole where the model gives it, else by the display text.
class SortProxy : public QSortFilterProxyModel {
 public:
  using QSortFilterProxyModel::QSortFilterProxyModel;

 protected:
  bool lessThan(const QModelIndex& a, const QModelIndex& b) const override {
    const QVariant x = a.data(kSortRole), y = b.data(kSortRole);
    if (x.isValid() && y.isValid()) return QVariant::compare(x, y) == QPartialOrdering::Less;
    // A cell without a number (a run not evaluated) sorts before every number.
    if (x.isValid() != y.isValid()) return !x.isValid();
    return QSortFilterProxyModel::lessThan(a, b);
  }
};
}  // namespace

QString exportCsv(const QAbstractItemModel& model, const QString& path, bool rowHeaders) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
    return QObject::tr("cannot write '%1': %2").arg(path, file.errorString());
  }
  QTextStream out(&file);
  const int cols = model.columnCount();
  if (rowHeaders) out << ',';
  for (int c = 0; c < cols; ++c) {
    if (c > 0) out << ',';
    out << csvField(model.headerData(c, Qt::Horizontal).toString());
  }
  out << '\n';
  for (int r = 0; r < model.rowCount(); ++r) {
    if (rowHeaders) out << csvField(model.headerData(r, Qt::Vertical).toString()) << ',';
    for (int c = 0; c < cols; ++c) {
      if (c > 0) out << ',';
      out << csvField(model.data(model.index(r, c)).toString());
    }
    out << '\n';
  }
  out.flush();
  if (!file.commit()) return QObject::tr("cannot write '%1': %2").arg(path, file.errorString());
  return {};
}

TableView::TableView(const QString& name, QWidget* parent) : QWidget(parent), name_(name) {
  setObjectName(name);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* top = new QHBoxLayout;
  filter_ = new QLineEdit(this);
  filter_->setPlaceholderText(tr("Filter %1...").arg(name));
  filter_->setClearButtonEnabled(true);
  count_ = new QLabel(this);
  top->addWidget(filter_, 1);
  top->addWidget(count_);
  layout->addLayout(top);
  view_ = new QTableView(this);
  proxy_ = new SortProxy(this);
  proxy_->setFilterKeyColumn(-1);
  proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  view_->setModel(proxy_);
  // Source order until the user clicks a header (Qt would otherwise sort descending by column 0).
  view_->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
  view_->setSortingEnabled(true);
  view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  view_->setAlternatingRowColors(true);
  view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
  view_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  view_->verticalHeader()->hide();
  view_->horizontalHeader()->setStretchLastSection(true);
  view_->setWordWrap(false);
  view_->setContextMenuPolicy(Qt::CustomContextMenu);
  layout->addWidget(view_);
  connect(filter_, &QLineEdit::textChanged, this, [this](const QString& t) {
    proxy_->setFilterFixedString(t);
    updateCount();
  });
  connect(view_, &QWidget::customContextMenuRequested, this, &TableView::showMenu);
}

void TableView::setSourceModel(QAbstractItemModel* model) {
  proxy_->setSourceModel(model);
  if (model != nullptr) {
    connect(model, &QAbstractItemModel::modelReset, this, &TableView::updateCount,
            Qt::UniqueConnection);
    connect(model, &QAbstractItemModel::rowsInserted, this, &TableView::updateCount,
            Qt::UniqueConnection);
  }
  updateCount();
}

int TableView::sourceRow(int viewRow) const {
  return proxy_->mapToSource(proxy_->index(viewRow, 0)).row();
}

void TableView::setFilterVisible(bool visible) {
  filter_->setVisible(visible);
  count_->setVisible(visible);
}

void TableView::updateCount() {
  if (proxy_->sourceModel() == nullptr) {
    count_->clear();
    return;
  }
  // Rows the owner hid (view_->setRowHidden) are not shown either.
  const int shown = proxy_->rowCount() - view_->verticalHeader()->hiddenSectionCount();
  const int total = proxy_->sourceModel()->rowCount();
  count_->setText(shown == total ? tr("%L1 rows").arg(total)
                                 : tr("%L1 of %L2 rows").arg(shown).arg(total));
}

bool TableView::exportTo(const QString& path, QString* error) const {
  const QString e = exportCsv(*proxy_, path, !view_->verticalHeader()->isHidden());
  if (error != nullptr) *error = e;
  return e.isEmpty();
}

void TableView::showMenu(const QPoint& pos) {
  QMenu menu(this);
  if (menuHook_) {
    menuHook_(menu, view_->indexAt(pos));
    if (!menu.isEmpty()) menu.addSeparator();
  }
  menu.addAction(tr("Export CSV..."), this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export table"), name_ + ".csv", tr("CSV (*.csv)"));
    if (path.isEmpty()) return;
    QString err;
    if (!exportTo(path, &err)) QMessageBox::warning(this, tr("Export failed"), err);
  });
  menu.addAction(tr("Resize columns"), this, [this] { view_->resizeColumnsToContents(); });
  menu.exec(view_->viewport()->mapToGlobal(pos));
}

}  // namespace rwb::ui
