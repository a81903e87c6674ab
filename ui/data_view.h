#pragma once
/// \file
/// DataView: summary of the loaded dataset, its charts (long tails, values, activity over time)
/// and the user and item tables with attributes.

#include <QWidget>

#include "ui/data_profile.h"

class QLabel;
class QTabWidget;

namespace rwb::ui {

class ChartView;
class EntityTableModel;
class Session;
class TableView;
class TaskRunner;

class DataView : public QWidget {
  Q_OBJECT
 public:
  DataView(Session* session, TaskRunner* runner, QWidget* parent = nullptr);
  QList<ChartView*> charts() const { return charts_; }
  TableView* usersTable() const { return usersTable_; }
  TableView* itemsTable() const { return itemsTable_; }
  QString summaryText() const;
  /// The load report as shown (interaction rows and attribute rows counted apart).
  QString reportText() const;
  /// True once the profile of the current dataset has been drawn.
  bool profileReady() const { return profileReady_; }

 signals:
  void profileUpdated();

 private:
  void onDatasetChanged();
  void showProfile(const DataProfile& p);
  Session* session_;
  TaskRunner* runner_;
  QLabel* summary_ = nullptr;
  QLabel* report_ = nullptr;
  ChartView* users_ = nullptr;
  ChartView* items_ = nullptr;
  ChartView* values_ = nullptr;
  ChartView* activity_ = nullptr;
  QList<ChartView*> charts_;
  EntityTableModel* userModel_ = nullptr;
  EntityTableModel* itemModel_ = nullptr;
  TableView* usersTable_ = nullptr;
  TableView* itemsTable_ = nullptr;
  int profileTask_ = 0;
  bool profileReady_ = false;
};

}  // namespace rwb::ui
