// FeaturePipeline members that build pair rows (blocks 1-5): pairFeatures, pairMatrix,
// userPairMatrix, newUserPairMatrix, and the score-source values of block 5. The block layout
// is documented in feature_pipeline.h and docs/features.md.
#include "core/features/pair_rows.h"

#include <algorithm>
#include <cmath>

#include "core/features/behaviour_stats.h"
#include "core/features/cell_popularity.h"
#include "core/features/feature_pipeline.h"
#include "core/util/error.h"

namespace rwb {

namespace {
void appendCross(const SparseVector& userAttr, const SparseVector& item, std::uint32_t uStart,
                 std::uint32_t uDim, std::uint32_t iStart, std::uint32_t iDim, std::uint32_t offset,
                 SparseVector& out) {
  for (const auto& uf : userAttr) {
    if (uf.index < uStart || uf.index >= uStart + uDim) continue;
    for (const auto& itf : item) {
      if (itf.index < iStart || itf.index >= iStart + iDim) continue;
      out.push_back(
          {offset + (uf.index - uStart) * iDim + (itf.index - iStart), uf.value * itf.value});
    }
  }
}
}  // namespace

void FeaturePipeline::rowInto(Index u, Index self, const SparseVector& userAttr, Index i, bool loo,
                              float looWeight, const float* scores, SparseVector& out) const {
  out.clear();
  for (const auto& f : userAttr) out.push_back(f);
  const auto io = static_cast<std::uint32_t>(userDim_);
  for (const auto& f : itemContent_[i]) out.push_back({io + f.index, f.value});
  if (!crossEncoders_.empty()) {
    const auto& us = userStarts_;
    const auto& is = itemStarts_;
    for (std::size_t c = 0; c < crossEncoders_.size(); ++c) {
      const auto [ue, ie] = crossEncoders_[c];
      appendCross(userAttr, itemContent_[i], us[ue],
                  static_cast<std::uint32_t>(userEncoders_[ue].dim()), is[ie],
                  static_cast<std::uint32_t>(itemEncoders_[ie].dim()),
                  static_cast<std::uint32_t>(crossOffsets_[c]), out);
    }
  }
  const auto bo = static_cast<std::uint32_t>(userDim_ + itemDim_ + crossDim_);
  beh_->appendFeatures(u, i, itemContent_[i], loo, looWeight, bo, out);
  if (cells_->dim() > 0) {
    cells_->appendFeatures(userAttr, self, i,
                           bo + static_cast<std::uint32_t>(behaviourDim_ - cells_->dim()), out);
  }
  const auto so = static_cast<std::uint32_t>(names_.size());
  for (std::size_t m = 0; m < scoreSources_.size(); ++m) {
    const float s = scores[m];
    if (s != 0.0f && std::isfinite(s)) out.push_back({so + static_cast<std::uint32_t>(m), s});
  }
}

SparseMatrix FeaturePipeline::newUserPairMatrix(const NewUser& user,
                                                std::span<const Index> items) const {
  return userPairMatrix(PairUser::fresh(user), items);
}

void FeaturePipeline::scoreSourceValues(const PairUser& user, std::span<const Index> items,
                                        std::span<const KnownScores> known,
                                        std::span<float> scores) const {
  const std::size_t ns = scoreSources_.size();
  std::vector<float> buf;
  for (std::size_t m = 0; m < ns; ++m) {
    std::span<const float> values;
    const auto given = std::find_if(known.begin(), known.end(),
                                    [m](const KnownScores& k) { return k.model == m; });
    if (given != known.end()) {
      values = given->values;
    } else {
      // With one score model the layout is the model's own: score straight into `scores`.
      std::span<float> out = scores.first(items.size());
      if (ns > 1) {
        buf.resize(items.size());
        out = buf;
      }
      const ScoreSource& source = scoreSource(m);
      if (user.isNew()) {
        source.scoreNew(*user.newUser(), items, out);
      } else {
        source.scoreKnown(user.index(), items, out);
      }
      if (ns == 1) continue;
      values = out;
    }
    for (std::size_t k = 0; k < items.size(); ++k) scores[k * ns + m] = values[k];
  }
}

void FeaturePipeline::appendRows(Index u, const SparseVector& attr, std::span<const Index> items,
                                 std::span<const float> scores, SparseMatrix& m) const {
  const std::size_t ns = scoreSources_.size();
  SparseVector row;
  for (std::size_t k = 0; k < items.size(); ++k) {
    rowInto(u, u, attr, items[k], false, 0.0f, scores.data() + k * ns, row);
    m.appendRow(row);
  }
}

SparseMatrix FeaturePipeline::userPairMatrix(const PairUser& user, std::span<const Index> items,
                                             std::span<const KnownScores> known) const {
  if (!fitted_) throw ModelError("feature pipeline: not fitted");
  if (!user.isNew() && user.index() >= numUsers_) {
    throw ModelError("feature pipeline: user " + std::to_string(user.index()) + " out of range");
  }
  for (auto i : items) {
    if (i >= numItems_)
      throw ModelError("feature pipeline: item " + std::to_string(i) + " out of range");
  }
  for (const auto& k : known) {
    if (k.model >= scoreSources_.size() || k.values.size() != items.size()) {
      throw ModelError("feature pipeline: known scores for score source " +
                       std::to_string(k.model) + " (" + std::to_string(scoreSources_.size()) +
                       " sources) have " + std::to_string(k.values.size()) + " values for " +
                       std::to_string(items.size()) + " items");
    }
  }
  // Serving-time rows use the full training statistics (leave-one-out is only for the training
  // rows built by buildTrainingMatrix).
  const SparseVector fresh =
      user.isNew() ? encodeUserAttributes(user.newUser()->attributes, user.newUser()->row)
                   : SparseVector{};
  const SparseVector& attr = user.isNew() ? fresh : userAttr_[user.index()];
  std::vector<float> scores(items.size() * scoreSources_.size(), 0.0f);
  scoreSourceValues(user, items, known, scores);
  SparseMatrix mat;
  mat.cols = dim();
  mat.offsets.reserve(items.size() + 1);
  appendRows(user.isNew() ? kNoIndex : user.index(), attr, items, scores, mat);
  return mat;
}

void FeaturePipeline::checkPair(Index user, Index item) const {
  if (!fitted_) throw ModelError("feature pipeline: not fitted");
  if (user >= numUsers_ || item >= numItems_) {
    throw ModelError("feature pipeline: pair (" + std::to_string(user) + ", " +
                     std::to_string(item) + ") out of range");
  }
}

void FeaturePipeline::pairFeatures(Index user, Index item, SparseVector& out) const {
  checkPair(user, item);
  // Serving-time features use the full training statistics (leave-one-out is only for the
  // training rows built by buildTrainingMatrix).
  std::vector<float> scores(scoreSources_.size(), 0.0f);
  scoreSourceValues(PairUser::known(user), std::span<const Index>(&item, 1), {}, scores);
  rowInto(user, user, userAttr_[user], item, false, 0.0f, scores.data(), out);
}

SparseMatrix FeaturePipeline::pairMatrix(std::span<const Index> users,
                                         std::span<const Index> items) const {
  if (users.size() != items.size()) throw ModelError("feature pipeline: pairMatrix size mismatch");
  for (std::size_t k = 0; k < users.size(); ++k) checkPair(users[k], items[k]);
  SparseMatrix m;
  m.cols = dim();
  m.offsets.reserve(users.size() + 1);
  // Score models are called once per run of equal users (the common case: one user's candidates).
  std::vector<float> scores;
  for (std::size_t s = 0; s < users.size();) {
    std::size_t e = s;
    while (e < users.size() && users[e] == users[s]) ++e;
    const auto run = items.subspan(s, e - s);
    scores.assign(run.size() * scoreSources_.size(), 0.0f);
    scoreSourceValues(PairUser::known(users[s]), run, {}, scores);
    appendRows(users[s], userAttr_[users[s]], run, scores, m);
    s = e;
  }
  return m;
}

}  // namespace rwb
