#pragma once
/// \file
/// SignificancePage: the Compare tab showing the pairwise significance matrix of the runs on the
/// compared split (core/eval compareRuns: Wilcoxon signed-rank p-values, Holm-corrected, with the
/// mean difference; p < 0.05 in bold), computed off the GUI thread. Cells are coloured on a
/// diverging scale by the direction of the effect (blue: the column's run A is better, orange:
/// worse, in the metric's own direction), saturated when p < 0.05 and muted otherwise; a colour
/// scale explains it and every cell has a tooltip with the p-values and effect sizes.

#include <QColor>
#include <QStringList>
#include <map>
#include <utility>

#include "ui/compare_page.h"

namespace rwb {
struct ComparisonResult;
}

namespace rwb::ui {

class SignificancePage : public ComparePage {
  Q_OBJECT
 public:
  explicit SignificancePage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
  /// Run names of the last paired comparison drawn (empty when none was made).
  const QStringList& runs() const { return runs_; }
  /// The fill colour of cell (a, b) of the last matrix drawn (invalid when none).
  QColor cellColor(int a, int b) const;
  /// The text colour of cell (a, b)'s label (invalid when none).
  QColor textColor(int a, int b) const;

 private:
  void drawMatrix(const ComparisonResult& cmp);
  QStringList runs_;
  std::map<std::pair<int, int>, std::pair<QColor, QColor>> colors_;  ///< (a, b) -> fill, text
};

}  // namespace rwb::ui
