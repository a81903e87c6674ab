#pragma once
/// \file
/// ComparePage: one results tab of the Compare view (a chart of the runs on the compared
/// split). Each page draws from a CompareContext; pages whose figures take time compute them
/// off the GUI thread on the session's TaskRunner and replace their last request.

#include <QColor>
#include <QList>
#include <QWidget>

namespace rwb::ui {

class ChartView;
class RunsModel;
class Session;
struct SessionRun;
class TaskRunner;

/// What a page draws from.
struct CompareContext {
  Session* session = nullptr;
  TaskRunner* runner = nullptr;
  const RunsModel* model = nullptr;  ///< values, and the split group compared
  QString metric;                    ///< the metric chosen above the charts
  int selectedRun = 0;               ///< run id selected in the runs table (0 = none)
  /// True when the run is finished, on the compared split and passes the runs filter.
  bool compared(const SessionRun& run) const;
};

class ComparePage : public QWidget {
  Q_OBJECT
 public:
  /// `title` is the chart's title.
  explicit ComparePage(const QString& title, QWidget* parent = nullptr);
  ChartView* chart() const { return chart_; }
  /// Redraws from the context (asynchronous pages start their computation).
  virtual void draw(const CompareContext& context) = 0;

 protected:
  /// What an asynchronous page does when its computation fails: forget the request and show
  /// the message in the chart.
  void showFailure(const QString& message);

  ChartView* chart_ = nullptr;
  int task_ = 0;  ///< the asynchronous page's last request (0 = none)
};

/// The colours of runs in the Compare charts, in order.
const QList<QColor>& comparePalette();

}  // namespace rwb::ui
