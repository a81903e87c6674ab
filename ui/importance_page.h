#pragma once
/// \file
/// ImportancePage: the Compare tab showing Explainable::globalImportance() of the selected run, or
/// of the first run that explains itself (top 20 features).

#include "ui/compare_page.h"

namespace rwb::ui {

class ImportancePage : public ComparePage {
  Q_OBJECT
 public:
  explicit ImportancePage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
  /// Features drawn.
  int features() const { return features_; }

 private:
  int features_ = 0;
};

}  // namespace rwb::ui
