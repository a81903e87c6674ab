#pragma once
/// \file
/// PerUserPage: the Compare tab showing the distribution of the chosen metric's per-user values,
/// one step curve per run (20 bins).

#include "ui/compare_page.h"

namespace rwb::ui {

class PerUserPage : public ComparePage {
  Q_OBJECT
 public:
  explicit PerUserPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
};

}  // namespace rwb::ui
