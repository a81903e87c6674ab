#include "ui/entity_table_model.h"

#include <cmath>

namespace rwb::ui {

EntityTableModel::EntityTableModel(Kind kind, QObject* parent)
    : QAbstractTableModel(parent), kind_(kind) {}

void EntityTableModel::setDataset(std::shared_ptr<const Dataset> data) {
  beginResetModel();
  data_ = std::move(data);
  counts_.clear();
  if (data_) counts_ = kind_ == Kind::kUsers ? data_->userCounts() : data_->itemCounts();
  endResetModel();
}

const IdMap* EntityTableModel::ids() const {
  if (!data_) return nullptr;
  return kind_ == Kind::kUsers ? &data_->users : &data_->items;
}

const AttributeTable* EntityTableModel::attributes() const {
  if (!data_) return nullptr;
  return kind_ == Kind::kUsers ? &data_->userAttributes : &data_->itemAttributes;
}

int EntityTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() || !data_ ? 0 : static_cast<int>(ids()->size());
}

int EntityTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() || !data_ ? 0 : 2 + static_cast<int>(attributes()->columns.size());
}

QVariant EntityTableModel::data(const QModelIndex& index, int role) const {
  if (!data_ || !index.isValid()) return {};
  const auto row = static_cast<std::size_t>(index.row());
  if (role == Qt::TextAlignmentRole && index.column() == 1) {
    return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
  if (index.column() == 0) {
    const QString id = QString::fromStdString(ids()->external(static_cast<Index>(row)));
    bool ok = false;
    const qlonglong n = id.toLongLong(&ok);
    return ok && role == Qt::DisplayRole ? QVariant(n) : QVariant(id);
  }
  if (index.column() == 1) return QVariant(static_cast<qulonglong>(counts_[row]));
  const auto& col = attributes()->columns[static_cast<std::size_t>(index.column() - 2)];
  if (row >= col.rows()) return {};
  if (col.type == ColumnType::kNumeric && role == Qt::DisplayRole) {
    const double v = col.numeric[row];
    return std::isnan(v) ? QVariant() : QVariant(v);
  }
  return QString::fromStdString(col.display(row));
}

QVariant EntityTableModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || !data_) return QAbstractTableModel::headerData(section, o, role);
  if (role == Qt::DisplayRole) {
    if (section == 0) return kind_ == Kind::kUsers ? tr("user") : tr("item");
    if (section == 1) return tr("interactions");
    return QString::fromStdString(
        attributes()->columns[static_cast<std::size_t>(section - 2)].name);
  }
  if (role == Qt::ToolTipRole && section >= 2) {
    const auto& col = attributes()->columns[static_cast<std::size_t>(section - 2)];
    return tr("%1 attribute")
        .arg(QString::fromUtf8(columnTypeName(col.type).data(),
                               static_cast<qsizetype>(columnTypeName(col.type).size())));
  }
  if (role == Qt::ToolTipRole && section == 1) return tr("Interactions in the loaded dataset");
  return {};
}

}  // namespace rwb::ui
