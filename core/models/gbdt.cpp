#include "core/models/gbdt.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "core/models/param_blocks.h"
#include "core/util/error.h"

namespace rwb {

namespace {
void check(int rc, const char* what) {
  if (rc != 0)
    throw ModelError(std::string("gbdt: XGBoost ") + what + " failed: " + XGBGetLastError());
}

struct DMatrix {
  DMatrixHandle h = nullptr;
  DMatrix() = default;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix() {
    if (h) XGDMatrixFree(h);
  }
};

void makeDMatrix(std::span<const std::uint64_t> offsets, std::span<const FeatureValue> entries,
                 std::size_t cols, DMatrix& out) {
  std::vector<std::size_t> indptr(offsets.begin(), offsets.end());
  std::vector<unsigned> idx(entries.size());
  std::vector<float> val(entries.size());
  for (std::size_t k = 0; k < entries.size(); ++k) {
    idx[k] = entries[k].index;
    val[k] = entries[k].value;
  }
  check(XGDMatrixCreateFromCSREx(indptr.data(), idx.data(), val.data(), indptr.size(), idx.size(),
                                 cols, &out.h),
        "DMatrix creation");
}

void makeDMatrix(const SparseMatrix& x, DMatrix& out) {
  makeDMatrix(x.offsets, x.entries, x.cols, out);
}

/// XGBoost's OpenMP threads for a training matrix of `rows` rows: the caller's budget (0 = all
/// cores), but one thread per 50,000 rows at most. On small matrices a second thread gains
/// nothing (a 2,700-row fit: 1.24 s with 2 threads, 1.32 s with 1) and, when the cores are
/// busy, OpenMP's spinning team makes it several times slower (5.4 s against 1.9 s).
int xgboostThreads(int threads, std::size_t rows) {
  const int budget = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  const auto cap =
      static_cast<int>(std::min<std::size_t>(1024, std::max<std::size_t>(1, rows / 50000)));
  return std::max(1, std::min(budget, cap));
}

/// Margins through XGBoost's predictor (the caller serialises calls on `booster`).
void xgboostMarginsWith(BoosterHandle booster, const SparseMatrix& x, std::size_t cols,
                        std::span<float> out) {
  if (x.rows() == 0) return;
  DMatrix d;
  makeDMatrix(x.offsets, x.entries, cols, d);
  const char* cfg =
      R"({"type": 1, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong ndim = 0;
  const float* res = nullptr;
  check(XGBoosterPredictFromDMatrix(booster, d.h, cfg, &shape, &ndim, &res), "prediction");
  std::copy(res, res + x.rows(), out.begin());
}

// "[3]\tvalid-logloss:0.41" -> 0.41
double parseEval(const char* s) {
  const std::string str(s);
  const auto colon = str.rfind(':');
  if (colon == std::string::npos) return std::nan("");
  return std::strtod(str.c_str() + colon + 1, nullptr);
}
}  // namespace

struct XgbScorer::Handle {
  BoosterHandle booster = nullptr;
  ~Handle() {
    if (booster) XGBoosterFree(booster);
  }
};

XgbScorer::XgbScorer(XgbOptions options)
    : opt_(std::move(options)), h_(std::make_unique<Handle>()) {}
XgbScorer::~XgbScorer() = default;

std::string XgbScorer::outputKind() const {
  return opt_.objective == "binary:logistic" ? "logit" : "score";
}

void XgbScorer::train(const RowTrainSet& train, const RowTrainSet& valid, std::uint64_t seed,
                      int threads, TaskContext& ctx) {
  const bool ranking = opt_.objective != "binary:logistic";
  DMatrix dtrain, dvalid;
  makeDMatrix(*train.x, dtrain);
  check(XGDMatrixSetFloatInfo(dtrain.h, "label", train.label.data(), train.label.size()), "labels");
  if (ranking) {
    if (train.groups.empty()) throw ModelError("gbdt: a ranking objective needs groups");
    check(XGDMatrixSetUIntInfo(dtrain.h, "group", train.groups.data(), train.groups.size()),
          "groups");
  }
  const bool hasValid = valid.x != nullptr && valid.x->rows() > 0;
  if (hasValid) {
    makeDMatrix(*valid.x, dvalid);
    check(XGDMatrixSetFloatInfo(dvalid.h, "label", valid.label.data(), valid.label.size()),
          "labels");
    if (ranking) {
      check(XGDMatrixSetUIntInfo(dvalid.h, "group", valid.groups.data(), valid.groups.size()),
            "groups");
    }
  }
  auto handle = std::make_unique<Handle>();
  DMatrixHandle mats[2] = {dtrain.h, dvalid.h};
  check(XGBoosterCreate(mats, hasValid ? 2 : 1, &handle->booster), "booster creation");
  auto set = [&](const char* k, const std::string& v) {
    check(XGBoosterSetParam(handle->booster, k, v.c_str()), k);
  };
  set("objective", opt_.objective);
  set("eta", std::to_string(opt_.eta));
  set("max_depth", std::to_string(opt_.maxDepth));
  set("min_child_weight", std::to_string(opt_.minChildWeight));
  set("subsample", std::to_string(opt_.subsample));
  set("colsample_bytree", std::to_string(opt_.colsample));
  set("lambda", std::to_string(opt_.lambda));
  set("tree_method", opt_.treeMethod);
  set("seed", std::to_string(seed % 2147483647));
  set("nthread", std::to_string(xgboostThreads(threads, train.x->rows())));
  set("verbosity", "0");
  set("eval_metric", ranking ? "ndcg@10" : "logloss");
  const bool higherBetter = ranking;
  double best = higherBetter ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity();
  int bestIter = -1;
  int it = 0;
  for (; it < opt_.rounds; ++it) {
    ctx.throwIfStopped();
    check(XGBoosterUpdateOneIter(handle->booster, it, dtrain.h), "boosting");
    EpochMetrics metrics;
    const char* names[1] = {"valid"};
    if (hasValid) {
      const char* res = nullptr;
      DMatrixHandle v[1] = {dvalid.h};
      check(XGBoosterEvalOneIter(handle->booster, it, v, names, 1, &res), "evaluation");
      const double score = parseEval(res);
      metrics.emplace_back(ranking ? "valid_ndcg@10" : "valid_logloss", score);
      if (higherBetter ? score > best : score < best) {
        best = score;
        bestIter = it;
      }
    }
    ctx.progress(static_cast<double>(it + 1) / opt_.rounds, "boosting");
    if (ctx.epochEnd(it, metrics)) {
      ++it;
      break;
    }
    if (hasValid && opt_.earlyStopping > 0 && it - bestIter >= opt_.earlyStopping) {
      ++it;
      break;
    }
  }
  ctx.throwIfStopped();  // a user stop ends the loop like early stopping, but is a cancel
  rounds_ = it;
  if (hasValid && bestIter >= 0 && bestIter + 1 < it) {
    BoosterHandle sliced = nullptr;
    check(XGBoosterSlice(handle->booster, 0, bestIter + 1, 1, &sliced), "slicing");
    XGBoosterFree(handle->booster);
    handle->booster = sliced;
    rounds_ = bestIter + 1;
  }
  dim_ = train.x->cols;
  // What XGBoost still predicts is one row at a time (SHAP contributions): one thread, so no
  // OpenMP team spins for a single row.
  check(XGBoosterSetParam(handle->booster, "nthread", "1"), "nthread");
  compile(*handle);
  std::lock_guard lock(mutex_);
  h_ = std::move(handle);
}

void XgbScorer::compile(const Handle& h) {
  std::shared_ptr<const TreeEnsemble> ensemble;
  std::string why;
  bst_ulong len = 0;
  const char* buf = nullptr;
  check(XGBoosterSaveModelToBuffer(h.booster, R"({"format": "json"})", &len, &buf), "JSON export");
  if (auto e = TreeEnsemble::fromXgboostJson(std::string_view(buf, len), dim_, &why)) {
    // Checked against XGBoost on rows that take both sides of every split and the defaults.
    const SparseMatrix probe = e->probeRows(64, 0x7ee5);
    std::vector<float> mine(probe.rows()), theirs(probe.rows());
    e->margins(probe, mine);
    xgboostMarginsWith(h.booster, probe, dim_, theirs);
    for (std::size_t r = 0; r < probe.rows() && why.empty(); ++r) {
      if (!(std::abs(mine[r] - theirs[r]) <= 1e-5f * std::max(1.0f, std::abs(theirs[r])))) {
        why = "compiled trees disagree with XGBoost on a probe row (" + std::to_string(mine[r]) +
              " vs " + std::to_string(theirs[r]) + ")";
      }
    }
    if (why.empty()) ensemble = std::make_shared<const TreeEnsemble>(std::move(*e));
  }
  std::lock_guard lock(mutex_);
  compiled_ = std::move(ensemble);
  compiledWhyNot_ = std::move(why);
}

bool XgbScorer::compiled() const {
  std::lock_guard lock(mutex_);
  return compiled_ != nullptr;
}

std::string XgbScorer::compiledWhyNot() const {
  std::lock_guard lock(mutex_);
  return compiledWhyNot_;
}

void XgbScorer::margins(const SparseMatrix& x, std::span<float> out) const {
  std::shared_ptr<const TreeEnsemble> ensemble;
  {
    std::lock_guard lock(mutex_);
    ensemble = compiled_;
  }
  if (ensemble) {
    ensemble->margins(x, out);
    return;
  }
  xgboostMargins(x, out);
}

void XgbScorer::xgboostMargins(const SparseMatrix& x, std::span<float> out) const {
  std::lock_guard lock(mutex_);
  if (!h_->booster) throw ModelError("gbdt: not trained");
  xgboostMarginsWith(h_->booster, x, dim_, out);
}

double XgbScorer::contributions(std::span<const FeatureValue> row, std::size_t,
                                std::vector<std::pair<std::uint32_t, double>>& out) const {
  DMatrix d;
  const std::uint64_t off[2] = {0, row.size()};
  makeDMatrix(off, row, dim_, d);
  const char* cfg =
      R"({"type": 2, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  std::lock_guard lock(mutex_);
  if (!h_->booster) throw ModelError("gbdt: not trained");
  const bst_ulong* shape = nullptr;
  bst_ulong ndim = 0;
  const float* res = nullptr;
  check(XGBoosterPredictFromDMatrix(h_->booster, d.h, cfg, &shape, &ndim, &res), "contributions");
  const std::size_t width = static_cast<std::size_t>(shape[ndim - 1]);
  if (width != dim_ + 1) throw ModelError("gbdt: unexpected contribution width");
  for (std::size_t f = 0; f < dim_; ++f) {
    if (res[f] != 0.0f) out.emplace_back(static_cast<std::uint32_t>(f), res[f]);
  }
  return res[dim_];
}

std::vector<double> XgbScorer::gains(std::size_t dim) const {
  std::vector<double> g(dim, 0.0);
  std::lock_guard lock(mutex_);
  if (!h_->booster) return g;
  bst_ulong n = 0, ndim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  check(XGBoosterFeatureScore(h_->booster, R"({"importance_type": "total_gain"})", &n, &names,
                              &ndim, &shape, &scores),
        "feature scores");
  for (bst_ulong k = 0; k < n; ++k) {
    // Unnamed features are reported as "f<index>".
    const char* s = names[k];
    if (s[0] != 'f') continue;
    const auto idx = std::strtoull(s + 1, nullptr, 10);
    if (idx < dim) g[idx] = scores[k];
  }
  return g;
}

void XgbScorer::save(BinaryWriter& out) const {
  std::lock_guard lock(mutex_);
  if (!h_->booster) throw ModelError("gbdt: cannot save an untrained booster");
  bst_ulong len = 0;
  const char* buf = nullptr;
  check(XGBoosterSaveModelToBuffer(h_->booster, R"({"format": "ubj"})", &len, &buf), "save");
  out.putString(std::string_view(buf, len));
  out.put<std::uint64_t>(dim_);
  out.put<std::int32_t>(rounds_);
}

void XgbScorer::load(BinaryReader& in, std::size_t dim) {
  const std::string blob = in.getString("booster");
  auto handle = std::make_unique<Handle>();
  check(XGBoosterCreate(nullptr, 0, &handle->booster), "booster creation");
  if (XGBoosterLoadModelFromBuffer(handle->booster, blob.data(), blob.size()) != 0) {
    in.fail(std::string("XGBoost could not read the booster: ") + XGBGetLastError());
  }
  const auto d = in.get<std::uint64_t>("num_features");
  in.check(d == dim, "booster feature count does not match the pipeline");
  rounds_ = in.get<std::int32_t>("rounds");
  dim_ = d;
  compile(*handle);
  std::lock_guard lock(mutex_);
  h_ = std::move(handle);
}

std::size_t XgbScorer::memoryBytes() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(rounds_) * (std::size_t{1} << opt_.maxDepth) * 32 +
         (compiled_ ? compiled_->memoryBytes() : 0);
}

std::vector<ParamSpec> xgbParams(const std::string& objective) {
  return paramList(
      choiceParam("objective", objective, {"binary:logistic", "rank:ndcg", "rank:pairwise"})
          .describe("binary:logistic predicts P(engage); rank:* learn to rank each user's items"),
      intParam("rounds", 200).range(1, 100000).describe("Boosting rounds (trees)"),
      floatParam("eta", 0.1)
          .range(1e-4, 1)
          .logScale()
          .searchLogRange(0.01, 0.3)
          .describe("Learning rate"),
      intParam("max_depth", 6).range(1, 20).searchRange(2, 10).describe("Maximum tree depth"),
      floatParam("min_child_weight", 1.0)
          .range(0, 1000)
          .searchLogRange(0.1, 100)
          .describe("Minimum hessian per leaf"),
      floatParam("subsample", 1.0)
          .range(0.05, 1)
          .searchRange(0.5, 1)
          .describe("Row subsampling per tree"),
      floatParam("colsample", 1.0)
          .range(0.05, 1)
          .searchRange(0.5, 1)
          .describe("Feature subsampling per tree"),
      floatParam("lambda", 1.0)
          .range(0, 1000)
          .searchLogRange(0.01, 100)
          .describe("L2 penalty on leaf weights"),
      intParam("early_stopping", 20)
          .range(0, 10000)
          .describe("Stop after this many rounds without validation improvement (0 = off)"));
}

XgbOptions xgbOptionsFromParams(const Params& p) {
  XgbOptions o;
  o.objective = p.at("objective").get<std::string>();
  o.rounds = static_cast<int>(p.at("rounds").get<long long>());
  o.eta = p.at("eta").get<double>();
  o.maxDepth = static_cast<int>(p.at("max_depth").get<long long>());
  o.minChildWeight = p.at("min_child_weight").get<double>();
  o.subsample = p.at("subsample").get<double>();
  o.colsample = p.at("colsample").get<double>();
  o.lambda = p.at("lambda").get<double>();
  o.earlyStopping = static_cast<int>(p.at("early_stopping").get<long long>());
  return o;
}

ModelInfo Gbdt::info() {
  ModelInfo m;
  m.name = "gbdt";
  m.displayName = "Gradient-boosted trees (XGBoost)";
  m.family = "hybrid";
  m.description =
      "XGBoost over user, item, cross, behavioural and collaborative-score features; P(engage) "
      "or learning to rank, explained with SHAP contributions.";
  m.schema.params = paramList(featuresParam(), xgbParams("binary:logistic"));
  return m;
}

std::unique_ptr<RowScorer> Gbdt::makeScorer() const {
  return std::make_unique<XgbScorer>(xgbOptionsFromParams(params()));
}

bool Gbdt::rankingObjective() const { return paramString("objective") != "binary:logistic"; }

}  // namespace rwb
