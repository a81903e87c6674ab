#pragma once
/// \file
/// ChartView: the one chart widget of the workbench. A QCustomPlot with zoom/pan (wheel, drag),
/// a legend, point tooltips and a context menu to reset the view or export PNG / PDF.

#include <qcustomplot.h>

namespace rwb::ui {

class ChartView : public QCustomPlot {
  Q_OBJECT
 public:
  explicit ChartView(const QString& title, QWidget* parent = nullptr);
  /// Removes every plottable and item, keeps the title.
  void reset();
  /// Rescales axes to the data and replots.
  void fit();
  /// Writes the chart; format from the suffix (.png or .pdf). Returns false on failure.
  bool exportTo(const QString& path);
  /// Shows a centred grey message (e.g. "no timestamps in this dataset") instead of data.
  void setMessage(const QString& text);
  QString title() const { return title_; }
  /// Shows or hides the title row (a chart inside a tab named like it saves the height).
  void setTitleVisible(bool visible);
  /// The tooltip of the cell around integer plot coordinates (x, y) of a matrix chart (shown
  /// when the mouse is within half a unit of it and no point is closer). Cleared by reset().
  void setCellTooltip(int x, int y, const QString& text);
  /// The tooltip shown for the mouse at `pos` (widget pixels): the nearest point's name and
  /// coordinates, else the cell's tooltip, else empty.
  QString tooltipAt(const QPointF& pos);

 protected:
  void mouseMoveEvent(QMouseEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;

 private:
  QString title_;
  QCPTextElement* titleElement_ = nullptr;
  QCPItemText* message_ = nullptr;
  QMap<QPair<int, int>, QString> cellTips_;
};

}  // namespace rwb::ui
