#pragma once
/// \file
/// MetricAtKPage: the Compare tab showing curves of the chosen metric family over every cut-off k
/// the evaluation produced.

#include "ui/compare_page.h"

namespace rwb::ui {

class MetricAtKPage : public ComparePage {
  Q_OBJECT
 public:
  explicit MetricAtKPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
};

}  // namespace rwb::ui
