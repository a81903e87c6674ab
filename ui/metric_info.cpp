#include "ui/metric_info.h"

#include <QStringList>

#include "core/eval/metric.h"
#include "core/util/error.h"

namespace rwb::ui {

QString metricTooltip(const QString& key) {
  const QString base = key.section(QLatin1Char('@'), 0, 0).toLower();
  const QString k =
      key.contains(QLatin1Char('@')) ? key.section(QLatin1Char('@'), 1) : QStringLiteral("k");
  auto f = [&](const QString& text) { return QStringLiteral("<b>%1</b><br>%2").arg(key, text); };
  if (base == "precision")
    return f(QStringLiteral("hits in the top %1 / %1, averaged over test users").arg(k));
  if (base == "recall")
    return f(QStringLiteral("hits in the top %1 / |relevant test items|, averaged over test users")
                 .arg(k));
  if (base == "ndcg")
    return f(
        QStringLiteral(
            "DCG / IDCG with DCG = &sum;<sub>hit at rank r &le; %1</sub> 1/log<sub>2</sub>(r+1), "
            "IDCG = &sum;<sub>r=1..min(|R|,%1)</sub> 1/log<sub>2</sub>(r+1)")
            .arg(k));
  if (base == "map")
    return f(
        QStringLiteral("mean over users of &sum;<sub>hit at rank r</sub> precision@r / |R| "
                       "(all relevant items, Recommenders' MAP)"));
  if (base == "map_at_k")
    return f(
        QStringLiteral("&sum;<sub>hit at rank r &le; %1</sub> precision@r / min(%1, |R|)").arg(k));
  if (base == "hit_rate")
    return f(QStringLiteral("share of users with at least one hit in the top %1").arg(k));
  if (base == "mrr") return f(QStringLiteral("mean of 1 / rank of the first hit"));
  if (base == "rmse") return f(QStringLiteral("&radic;(mean (prediction - rating)<sup>2</sup>)"));
  if (base == "mae") return f(QStringLiteral("mean |prediction - rating|"));
  if (base.contains("coverage"))
    return f(QStringLiteral("share of the catalogue that appears in some list"));
  if (base == "novelty")
    return f(QStringLiteral("mean -log<sub>2</sub>(popularity share) of recommended items"));
  if (base == "fit seconds") return f(QStringLiteral("wall-clock time of Model::fit"));
  return f(QStringLiteral("as computed by the evaluation engine (see docs/metrics.md)"));
}

bool higherIsBetter(const QString& key) {
  // The runs table's own columns: less time and memory are better.
  const QString lowerKey = key.toLower();
  if (lowerKey == "fit seconds" || lowerKey == "model mb") return false;
  // A metric's direction is core's (Metric::higherIsBetter); names core does not know are
  // taken as scores.
  try {
    return createMetric(key.toStdString(), 10)->higherIsBetter();
  } catch (const SpecError&) {
    return true;
  }
}

}  // namespace rwb::ui
