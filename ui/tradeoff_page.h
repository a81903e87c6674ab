#pragma once
/// \file
/// TradeoffPage: the Compare tab showing accuracy (nDCG, else the first metric) against catalogue
/// coverage or novelty, one point per run.

#include "ui/compare_page.h"

namespace rwb::ui {

class TradeoffPage : public ComparePage {
  Q_OBJECT
 public:
  explicit TradeoffPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
};

}  // namespace rwb::ui
