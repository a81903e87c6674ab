#pragma once
/// \file
/// SlicesPage: the Compare tab showing core/eval evaluateSlices of the chosen ranking metric
/// (nDCG@k for timings and global figures) per run, users by training activity and items by
/// popularity, as grouped bars; computed off the GUI thread.

#include <QStringList>
#include <map>

#include "ui/compare_page.h"

namespace rwb::ui {

class SlicesPage : public ComparePage {
  Q_OBJECT
 public:
  explicit SlicesPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
  /// Slice results shown (run display name -> slice "dimension/name" -> metric value).
  const std::map<QString, std::map<QString, double>>& values() const { return values_; }

 private:
  std::map<QString, std::map<QString, double>> values_;
};

}  // namespace rwb::ui
