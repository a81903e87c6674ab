#pragma once
/// \file
/// MetricBarsPage: the Compare tab showing the chosen metric by run with 95 % CI whiskers
/// (bootstrap intervals of the per-user means, when the run has them).

#include "ui/compare_page.h"

namespace rwb::ui {

class MetricBarsPage : public ComparePage {
  Q_OBJECT
 public:
  explicit MetricBarsPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
};

}  // namespace rwb::ui
