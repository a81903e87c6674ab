#pragma once
/// \file
/// CalibrationPage: the Compare tab showing calibration of engagement models' P(engage) on held-out
/// labelled pairs (core/experiment evaluateEngagement: 10 uniform bins, Brier score and AUC in the
/// legend); computed off the GUI thread.

#include "ui/compare_page.h"

namespace rwb::ui {

class CalibrationPage : public ComparePage {
  Q_OBJECT
 public:
  explicit CalibrationPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
  /// Runs drawn (engagement runs on the compared split).
  int runs() const { return runs_; }

 private:
  int runs_ = 0;
};

}  // namespace rwb::ui
