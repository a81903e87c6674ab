#pragma once
/// \file
/// EntityTableModel: users or items of a dataset as a virtualised table (id, interaction count,
/// then every attribute column). Cells are rendered on demand, so millions of rows cost only the
/// count vector.

#include <QAbstractTableModel>
#include <memory>

#include "core/data/dataset.h"

namespace rwb::ui {

class EntityTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum class Kind { kUsers, kItems };
  explicit EntityTableModel(Kind kind, QObject* parent = nullptr);
  void setDataset(std::shared_ptr<const Dataset> data);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  const IdMap* ids() const;
  const AttributeTable* attributes() const;
  Kind kind_;
  std::shared_ptr<const Dataset> data_;
  std::vector<std::uint32_t> counts_;
};

}  // namespace rwb::ui
