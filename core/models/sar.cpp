#include "core/models/sar.h"

#include <immintrin.h>
#include <sys/mman.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <new>

#include "core/data/timestamps.h"
#include "core/util/error.h"

namespace rwb {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Column tile of the scoring kernel: 32 doubles (four cache lines) per similarity row segment;
// a tile of every row (n x 256 bytes) stays in L2 while a block of users walks it.
constexpr std::size_t kTile = 32;
// How many rows ahead the dense kernel prefetches its row segments (rows are visited by
// pointer, far apart, so the hardware prefetcher cannot predict them).
constexpr std::size_t kPrefetchRows = 4;
// Users scored together by one task of recommendBatch (they share the tiles in cache): as
// many as give every thread two blocks, within these bounds.
constexpr std::size_t kMinUserBlock = 32;
constexpr std::size_t kMaxUserBlock = 512;
// Bytes of dense similarity rows a model keeps at most.
constexpr std::size_t kDenseBudget = std::size_t{64} << 20;
// A similarity row is kept dense when at least 1/4 of it is filled (measured: sparser rows are
// cheaper through the sparse path).
constexpr std::size_t kDenseFill = 4;
// Bytes of dense similarity rows one column span may cover, and the widest span.
constexpr std::size_t kSpanBytes = 512 * 1024;
constexpr std::size_t kMaxSpan = 1024;
// When the dense rows' slices of the narrowest span exceed kSpanBytes, the rows are taken in
// chunks of this many bytes of slices (an L1 data cache; on the heavy-user bench 32 KB and
// 128 KB were within the noise of a loaded machine, 512 KB about 25 % slower).
constexpr std::size_t kRowChunkBytes = 32 * 1024;

// One user of a block, as the tile kernel sees it: its dense similarity rows and its sparse
// ones (each list in ascending source item order).
struct TileUser {
  std::size_t denseBegin = 0, denseCount = 0;    // into TileScratch::denseRows / denseAff
  std::size_t sparseBegin = 0, sparseCount = 0;  // into TileScratch::cursor / sparseEnd / ...
};

// The similarity as the tile kernel sees it (sparse rows only; dense rows come as pointers).
struct TileMatrix {
  const Index* cols = nullptr;
  const double* vals = nullptr;
};

struct TileLists {
  const double* const* denseRows = nullptr;
  const double* denseAff = nullptr;
  std::uint64_t* cursor = nullptr;
  const std::uint64_t* sparseEnd = nullptr;
  const double* sparseAff = nullptr;
};

// Rows start at any multiple of 8 bytes. The typedef form makes clang apply aligned(8) to the
// vector type itself; with `using`, clang kept 32-byte alignment and its SSE2 clone (the one
// TSan builds and CPUs without AVX2 run) crashed on an aligned load of a row.
typedef double V4d __attribute__((vector_size(32), aligned(8)));
static_assert(alignof(V4d) == 8);

// The clones' resolver runs while the dynamic loader relocates the executable; under
// ThreadSanitizer it is instrumented and crashes there, before the sanitizer's runtime is set
// up. TSan builds therefore keep the default clone only.
#if defined(__SANITIZE_THREAD__)
#define RWB_SAR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RWB_SAR_TSAN 1
#endif
#endif
#ifdef RWB_SAR_TSAN
#define RWB_SAR_CLONES
#else
#define RWB_SAR_CLONES __attribute__((target_clones("avx2", "default")))
#endif

// acc[j] += sum over the dense rows k < count of aff[k] * rows[k][t0 + j], j < w, in row
// order, 32 columns at a time with the sums in registers (loaded from acc and stored back, so
// a user's rows may come in several calls and still sum in one order). Cloned for AVX2 (chosen
// at load time by the CPU); no FMA is enabled, so every element rounds exactly as the scalar
// acc + a * s does.
// kInit: the sums start from zero instead of acc (acc need not be initialised).
template <bool kPrefetch, bool kInit>
inline __attribute__((always_inline)) void denseAdd(const double* const* rows, const double* aff,
                                                    std::size_t count, std::size_t t0,
                                                    std::size_t w, double* acc) {
  std::size_t c = 0;
  for (; c + kTile <= w; c += kTile) {
    V4d* o = reinterpret_cast<V4d*>(acc + c);
    V4d r0{}, r1{}, r2{}, r3{}, r4{}, r5{}, r6{}, r7{};
    if (!kInit) {
      r0 = o[0], r1 = o[1], r2 = o[2], r3 = o[3], r4 = o[4], r5 = o[5], r6 = o[6], r7 = o[7];
    }
    for (std::size_t k = 0; k < count; ++k) {
      if (kPrefetch && k + kPrefetchRows < count) {
        const double* next = rows[k + kPrefetchRows] + t0 + c;
        __builtin_prefetch(next);
        __builtin_prefetch(next + 8);
        __builtin_prefetch(next + 16);
        __builtin_prefetch(next + 24);
      }
      const V4d* d = reinterpret_cast<const V4d*>(rows[k] + t0 + c);
      const double a = aff[k];
      r0 += a * d[0];
      r1 += a * d[1];
      r2 += a * d[2];
      r3 += a * d[3];
      r4 += a * d[4];
      r5 += a * d[5];
      r6 += a * d[6];
      r7 += a * d[7];
    }
    o[0] = r0;
    o[1] = r1;
    o[2] = r2;
    o[3] = r3;
    o[4] = r4;
    o[5] = r5;
    o[6] = r6;
    o[7] = r7;
  }
  if (c < w) {
    if (kInit) {
      for (std::size_t j = c; j < w; ++j) acc[j] = 0.0;
    }
    for (std::size_t k = 0; k < count; ++k) {
      const double* d = rows[k] + t0;
      for (std::size_t j = c; j < w; ++j) acc[j] += aff[k] * d[j];
    }
  }
}

// acc[j] = the dense rows' sum alone (one user, all its dense rows in one call).
RWB_SAR_CLONES void denseKernel(const double* const* rows, const double* aff, std::size_t count,
                                std::size_t t0, std::size_t w, double* acc) {
  denseAdd<false, true>(rows, aff, count, t0, w, acc);
}

// denseKernel for the nb users of a block and one chunk of rows: user b's rows are
// rows[begin[b * stride] .. begin[b * stride + 1]), its sums at acc + b * accStride.
RWB_SAR_CLONES void denseChunk(const double* const* rows, const double* aff,
                               const std::size_t* begin, std::size_t stride, std::size_t nb,
                               std::size_t t0, std::size_t w, double* acc, std::size_t accStride) {
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t p = begin[b * stride], e = begin[b * stride + 1];
    denseAdd<true, false>(rows + p, aff + p, e - p, t0, w, acc + b * accStride);
  }
}

// acc[j] += the user's sparse rows' entries in columns t0 .. t0 + w, rows in ascending i (a
// cursor per row moves along its columns from span to span).
void sparseKernel(const TileMatrix& m, const TileLists& l, const TileUser& u, std::size_t t0,
                  std::size_t w, double* acc) {
  const auto t1 = static_cast<Index>(t0 + w);
  for (std::size_t k = u.sparseBegin; k < u.sparseBegin + u.sparseCount; ++k) {
    std::uint64_t p = l.cursor[k];
    const std::uint64_t e = l.sparseEnd[k];
    const double a = l.sparseAff[k];
    for (; p < e && m.cols[p] < t1; ++p) acc[m.cols[p] - t0] += a * m.vals[p];
    l.cursor[k] = p;
  }
}

// Running top-k of one user under the ranking rule, fed in ascending item order: a candidate
// equal to the current k-th score has a larger index than every kept item, so it loses the tie
// and one compare against the threshold rejects almost every item.
struct RunningTopK {
  std::vector<ScoredItem> buf;
  double threshold = -std::numeric_limits<double>::infinity();

  static bool better(const ScoredItem& a, const ScoredItem& b) {
    return a.score > b.score || (a.score == b.score && a.item < b.item);
  }
  void reset(std::size_t k) {
    buf.clear();
    buf.reserve(2 * k + 16);
    threshold = -std::numeric_limits<double>::infinity();
  }
  void compact(std::size_t k) {
    std::nth_element(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(k - 1), buf.end(),
                     better);
    buf.resize(k);
    threshold = buf[k - 1].score;
  }
  // scores[j] belongs to item t0 + j; -inf and NaN are skipped (never recommended).
  // A candidate above the threshold (the caller tested s > threshold, which rejects NaN and
  // -infinity). Once k are held the threshold rises to the k-th score; the buffer is cut back
  // to k whenever it fills.
  void offer(Index item, double s, std::size_t k) {
    buf.push_back({item, s});
    if (buf.size() == 2 * k + 16 ||
        (buf.size() == k && threshold == -std::numeric_limits<double>::infinity())) {
      compact(k);
    }
  }
  std::vector<ScoredItem> finish(std::size_t k) {
    if (buf.size() > k) compact(k);
    std::sort(buf.begin(), buf.end(), better);
    return std::move(buf);
  }
};

}  // namespace

struct Sar::TileScratch {
  std::vector<TileUser> users;
  std::vector<const double*> denseRows;
  std::vector<double> denseAff;
  std::vector<std::uint64_t> cursor, sparseEnd;
  std::vector<double> sparseAff;
  std::vector<double> acc;
  std::vector<Index> denseItem;         // the item of each entry of denseRows
  std::vector<std::size_t> chunkBegin;  // per user and row chunk, into denseRows
  std::vector<Index> chunkEnd;          // items ending each row chunk
};

namespace {
enum class SarSimilarity {
  kCooccurrence,
  kJaccard,
  kLift,
  kCosine,
  kInclusionIndex,
  kMutualInformation,
  kLexicographersMi
};

SarSimilarity parseSimilarity(const std::string& s) {
  if (s == "cooccurrence") return SarSimilarity::kCooccurrence;
  if (s == "jaccard") return SarSimilarity::kJaccard;
  if (s == "lift") return SarSimilarity::kLift;
  if (s == "cosine") return SarSimilarity::kCosine;
  if (s == "inclusion_index") return SarSimilarity::kInclusionIndex;
  if (s == "mutual_information") return SarSimilarity::kMutualInformation;
  if (s == "lexicographers_mi") return SarSimilarity::kLexicographersMi;
  throw ModelError("sar: unknown similarity '" + s + "'");
}

// s_ij from the (thresholded) co-occurrence c = c_ij and the diagonal entries di, dj.
template <SarSimilarity kType>
inline double similarityValue(double c, double di, double dj, double nMatrix) {
  if constexpr (kType == SarSimilarity::kCooccurrence) return c;
  if constexpr (kType == SarSimilarity::kJaccard) return c / (di + dj - c);
  if constexpr (kType == SarSimilarity::kLift) return c / (di * dj);
  if constexpr (kType == SarSimilarity::kCosine) return c / std::sqrt(di * dj);
  if constexpr (kType == SarSimilarity::kInclusionIndex) return c / std::min(di, dj);
  if constexpr (kType == SarSimilarity::kMutualInformation) {
    return std::log2(nMatrix * (c / (di * dj)));
  }
  if constexpr (kType == SarSimilarity::kLexicographersMi) {
    return c * std::log2(nMatrix * (c / (di * dj)));
  }
  return 0.0;
}

// The stored value: counts below the threshold and non-finite values (where the reference
// produces NaN or -inf) become 0, i.e. absent.
template <SarSimilarity kType>
inline double storedValue(double c, double di, double dj, double nMatrix, double thr) {
  const double v = similarityValue<kType>(c, di, dj, nMatrix);
  return c >= thr && v - v == 0.0 ? v : 0.0;
}

// Calls fn(std::integral_constant<SarSimilarity, type>{}) for the runtime type.
template <typename Fn>
void withSimilarity(SarSimilarity type, Fn&& fn) {
  using S = SarSimilarity;
  switch (type) {
    case S::kCooccurrence:
      return fn(std::integral_constant<S, S::kCooccurrence>{});
    case S::kJaccard:
      return fn(std::integral_constant<S, S::kJaccard>{});
    case S::kLift:
      return fn(std::integral_constant<S, S::kLift>{});
    case S::kCosine:
      return fn(std::integral_constant<S, S::kCosine>{});
    case S::kInclusionIndex:
      return fn(std::integral_constant<S, S::kInclusionIndex>{});
    case S::kMutualInformation:
      return fn(std::integral_constant<S, S::kMutualInformation>{});
    case S::kLexicographersMi:
      return fn(std::integral_constant<S, S::kLexicographersMi>{});
  }
}

}  // namespace

ModelInfo Sar::info() {
  ModelInfo m;
  m.name = "sar";
  m.displayName = "SAR";
  m.family = "collaborative";
  m.description =
      "Microsoft's Simple Algorithm for Recommendation: time-decayed affinity x item "
      "co-occurrence similarity";
  m.schema.params = paramList(
      choiceParam("similarity", "jaccard",
                  {"cooccurrence", "jaccard", "lift", "cosine", "inclusion_index",
                   "mutual_information", "lexicographers_mi"})
          .searched()
          .describe("Item-item similarity computed from co-occurrence counts"),
      boolParam("time_decay", true)
          .searched()
          .describe("Decay each event's weight by 0.5^(age / half-life)"),
      floatParam("half_life_days", 30.0)
          .range(1e-6, 36500)
          .logScale()
          .searchLogRange(1, 3650)
          .searchedWhen("time_decay", {true})
          .describe("Half-life of the time decay in days"),
      intParam("time_now", 0)
          .range(0, 1e13)
          .describe("Reference time of the decay in Unix seconds (0 = latest training timestamp)"),
      intParam("threshold", 1)
          .range(1, 1e9)
          .searchRange(1, 5)
          .describe("Co-occurrence counts below this are dropped"));
  return m;
}

std::span<const double> Sar::affinities(Index user) const {
  if (user + 1 >= affinityOffsets_.size()) return {};
  return {affinity_.data() + affinityOffsets_[user],
          static_cast<std::size_t>(affinityOffsets_[user + 1] - affinityOffsets_[user])};
}

void Sar::fitModel(const TrainingData& data, TaskContext& ctx) {
  const Dataset& train = data.train;
  const auto& log = train.interactions;
  const SarSimilarity simType = parseSimilarity(paramString("similarity"));
  const bool decay = paramBool("time_decay");
  const double halfLife = paramDouble("half_life_days") * 86400.0;
  const long long threshold = paramInt("threshold");
  std::int64_t tNow = paramInt("time_now");
  if (decay) {
    // One implausible timestamp would become everybody's t_now (docs/data.md, timestamps).
    if (const auto why =
            implausibleTimestampRefusal(train, "sar with time_decay", "or set time_decay to false");
        !why.empty()) {
      throw ModelError(why);
    }
    if (tNow != 0 && !timestampPlausible(tNow)) {
      throw ModelError("sar: time_now " + describeImplausibleTimestamp(tNow));
    }
  }
  if (decay && tNow == 0) {
    tNow = kNoTimestamp;
    for (auto t : log.timestamp) tNow = std::max(tNow, t);
  }

  // Affinity, aligned with the binary seen-items matrix (duplicates of a (user, item) pair are
  // summed after decay, as the reference's groupby-sum does).
  const std::size_t nu = numUsers();
  const std::size_t ni = numItems();
  std::vector<std::uint64_t> offsets(nu + 1, 0);
  for (std::size_t u = 0; u < nu; ++u) offsets[u + 1] = offsets[u] + seenItems(u).size();
  // Each user's weights are decayed towards the user's own reference time: t_now, or the
  // user's newest event when every event of the user is timestamped and older than t_now. The
  // reference's weights are these times 2^logScale_u, one positive factor per user, so the
  // user's ranking is the reference's, and it no longer underflows however old the user's
  // events are (docs/models-item.md). Users with an event at or after t_now, or without a
  // timestamp, keep t_now: their weights are the reference's bit for bit.
  std::vector<std::int64_t> userRef(nu, kNoTimestamp);
  std::vector<double> logScale(nu, 0.0);
  if (decay && tNow != kNoTimestamp) {
    std::vector<std::uint8_t> keepNow(nu, 0);
    for (std::size_t r = 0; r < log.size(); ++r) {
      const std::int64_t t = log.timestamp[r];
      if (t == kNoTimestamp || t >= tNow) keepNow[log.user[r]] = 1;
      userRef[log.user[r]] = std::max(userRef[log.user[r]], t);
    }
    for (std::size_t u = 0; u < nu; ++u) {
      if (keepNow[u] || userRef[u] == kNoTimestamp) {
        userRef[u] = tNow;
      } else {
        logScale[u] = -static_cast<double>(tNow - userRef[u]) / halfLife;
      }
    }
  }
  std::vector<double> affinity(offsets[nu], 0.0);
  for (std::size_t r = 0; r < log.size(); ++r) {
    double w = static_cast<double>(log.value[r]);
    if (decay && log.timestamp[r] != kNoTimestamp && tNow != kNoTimestamp) {
      const double age = static_cast<double>(userRef[log.user[r]] - log.timestamp[r]) / halfLife;
      w *= std::min(1.0, std::pow(0.5, age));
    }
    const auto seen = seenItems(log.user[r]);
    const auto pos = std::lower_bound(seen.begin(), seen.end(), log.item[r]) - seen.begin();
    affinity[offsets[log.user[r]] + static_cast<std::size_t>(pos)] += w;
    if ((r & 0xFFFF) == 0) ctx.throwIfStopped();
  }

  // Co-occurrence diagonal (thresholded like every other entry) and the reference's matrix
  // size (items present in the training data).
  Csr userItem;
  userItem.rows = nu;
  userItem.cols = ni;
  userItem.offsets = offsets;
  userItem.indices.reserve(offsets[nu]);
  for (std::size_t u = 0; u < nu; ++u) {
    const auto s = seenItems(u);
    userItem.indices.insert(userItem.indices.end(), s.begin(), s.end());
  }
  userItem.values.assign(userItem.indices.size(), 1.0f);
  const Csr itemUser = userItem.transposed();
  std::vector<double> diag(ni, 0.0);
  std::size_t trainItems = 0;
  for (std::size_t i = 0; i < ni; ++i) {
    const auto c = itemUser.rowSize(i);
    if (c > 0) ++trainItems;
    diag[i] = static_cast<long long>(c) >= threshold ? static_cast<double>(c) : 0.0;
  }
  const double nMatrix = static_cast<double>(trainItems);
  const double thr = static_cast<double>(threshold);

  TaskContext sub(ctx, 0.1, 1.0);
  SimilarityRows rows(ni);
  runWithThreads(data.threads, [&] {
    rows = buildSimilarity(userItem, itemUser, static_cast<int>(simType), diag, thr, nMatrix, sub);
  });
  affinityOffsets_ = std::move(offsets);
  affinity_ = std::move(affinity);
  logScale_ = std::move(logScale);
  adoptRows(std::move(rows));
  ctx.progress(1.0, "fitted");
}

namespace {

// Whether a row with `kept` stored entries out of n goes dense as soon as it is computed (or
// loaded): when its dense form is no larger than its sparse one (8 n bytes against 12 per
// entry), or when it is at least 1/kDenseFill filled and the whole n x n matrix would fit the
// budget. Rows at least 1/kDenseFill filled that miss both compete for the budget in adoptRows.
bool denseNow(std::size_t kept, std::size_t n) {
  if (kept == 0) return false;
  if (kept * 3 >= 2 * n) return true;
  return kept * kDenseFill >= n && n * n * sizeof(double) <= kDenseBudget;
}

// The co-occurrence of heavy users as bits: item i's row holds one bit per heavy user (words
// of 64 users), so that c_ij over the heavy users is the popcount of the AND of rows i and j.
// A heavy user costs about n^2 / 64 word operations spread over every pair instead of deg^2
// scattered increments: heavy when deg^2 * kScatterCost >= n^2 / 64, and the bits are used
// only when the increments they replace outweigh the n^2 * words of the pass. kScatterCost is
// the cost of one increment in AND + popcounts of a word: 1 (measured, fits of recsplit and
// bench_cf_item sar-heavy: at 8 the recsplit fit, 1,682 items whose count row stays in L1,
// took 20 % longer than without bits; at 1 it is unchanged and the heavy-user fit is as fast).
constexpr std::size_t kScatterCost = 1;
struct HeavyBits {
  std::size_t words = 0;
  std::vector<std::uint64_t> bits;  // item-major: bits[i * words + w]
  std::vector<std::uint8_t> heavy;  // per user
  std::vector<Index> active;        // items with at least one heavy user, ascending
};

HeavyBits heavyBits(const Csr& userItem) {
  HeavyBits h;
  const std::size_t n = userItem.cols;
  const std::size_t nu = userItem.rows;
  std::vector<Index> heavy;
  double replaced = 0;  // scattered increments the bits replace
  for (std::size_t u = 0; u < nu; ++u) {
    const std::size_t d = userItem.rowSize(u);
    if (d * d * kScatterCost * 64 >= n * n && d > 0) {
      heavy.push_back(static_cast<Index>(u));
      replaced += static_cast<double>(d) * static_cast<double>(d);
    }
  }
  const std::size_t words = (heavy.size() + 63) / 64;
  if (heavy.empty() ||
      replaced * static_cast<double>(kScatterCost) <
          static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(words)) {
    return h;
  }
  h.words = words;
  h.bits.assign(n * words, 0);
  h.heavy.assign(nu, 0);
  for (std::size_t b = 0; b < heavy.size(); ++b) {
    h.heavy[heavy[b]] = 1;
    for (const Index j : userItem.rowIndices(heavy[b])) {
      h.bits[j * words + b / 64] |= std::uint64_t{1} << (b % 64);
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint64_t* r = h.bits.data() + j * words;
    if (std::any_of(r, r + words, [](std::uint64_t x) { return x != 0; }))
      h.active.push_back(static_cast<Index>(j));
  }
  return h;
}

// acc[r][j] += popcount(row_r AND row_j) for the nr (<= 4) rows `rows` and every active item
// j. The counts are exact integers, whatever the order.
#ifdef RWB_SAR_TSAN
#define RWB_SAR_POPCNT_CLONES
#else
#define RWB_SAR_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#endif
RWB_SAR_POPCNT_CLONES void addPopcounts(const HeavyBits& h, const std::uint64_t* const* rows,
                                        std::size_t nr, double* const* acc) {
  const std::size_t words = h.words;
  const std::uint64_t* b0 = rows[0];
  const std::uint64_t* b1 = rows[nr > 1 ? 1 : 0];
  const std::uint64_t* b2 = rows[nr > 2 ? 2 : 0];
  const std::uint64_t* b3 = rows[nr > 3 ? 3 : 0];
  for (const Index j : h.active) {
    const std::uint64_t* x = h.bits.data() + static_cast<std::size_t>(j) * words;
    std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (std::size_t w = 0; w < words; ++w) {
      const std::uint64_t v = x[w];
      s0 += static_cast<std::uint64_t>(__builtin_popcountll(v & b0[w]));
      s1 += static_cast<std::uint64_t>(__builtin_popcountll(v & b1[w]));
      s2 += static_cast<std::uint64_t>(__builtin_popcountll(v & b2[w]));
      s3 += static_cast<std::uint64_t>(__builtin_popcountll(v & b3[w]));
    }
    acc[0][j] += static_cast<double>(s0);
    if (nr > 1) acc[1][j] += static_cast<double>(s1);
    if (nr > 2) acc[2][j] += static_cast<double>(s2);
    if (nr > 3) acc[3][j] += static_cast<double>(s3);
  }
}

}  // namespace

namespace {
// When the n x n matrix fits the dense budget the store is one block of n rows (as malloc'd
// memory it is reused from one fit to the next). Otherwise it grows in chunks of about 4 MB on
// 2 MB boundaries, offered to the kernel as transparent huge pages: 512 times fewer page faults
// than 4 KB pages, which cost about 10 us each on the shared machine (4 MB chunks from malloc
// made the recsplit fit three times slower).
constexpr std::size_t kChunkBytes = std::size_t{4} << 20;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
#if !defined(RWB_SAR_TSAN) && defined(__x86_64__) && defined(__GNUC__)
#define RWB_SAR_POPCNT512 1
// addPopcounts with AVX-512 VPOPCNTQ: eight words per instruction, the last words of a row
// through a masked load. Same exact counts.
__attribute__((target("avx512f,avx512vpopcntdq"))) void addPopcounts512(
    const HeavyBits& h, const std::uint64_t* const* rows, std::size_t nr, double* const* acc) {
  const std::size_t words = h.words;
  const std::size_t full = words / 8;
  const auto tail = static_cast<__mmask8>((1u << (words % 8)) - 1u);
  for (const Index j : h.active) {
    const std::uint64_t* x = h.bits.data() + static_cast<std::size_t>(j) * words;
    for (std::size_t r = 0; r < nr; ++r) {
      const std::uint64_t* b = rows[r];
      __m512i sum = _mm512_setzero_si512();
      for (std::size_t q = 0; q < full; ++q) {
        const __m512i v =
            _mm512_and_si512(_mm512_loadu_si512(x + 8 * q), _mm512_loadu_si512(b + 8 * q));
        sum = _mm512_add_epi64(sum, _mm512_popcnt_epi64(v));
      }
      if (tail != 0) {
        const __m512i v = _mm512_and_si512(_mm512_maskz_loadu_epi64(tail, x + 8 * full),
                                           _mm512_maskz_loadu_epi64(tail, b + 8 * full));
        sum = _mm512_add_epi64(sum, _mm512_popcnt_epi64(v));
      }
      alignas(64) std::uint64_t lanes[8];
      _mm512_store_si512(lanes, sum);
      std::uint64_t total = 0;
      for (const std::uint64_t c : lanes) total += c;
      acc[r][j] += static_cast<double>(total);
    }
  }
}
#endif

// addPopcounts512 when the CPU has AVX-512 VPOPCNTQ, otherwise addPopcounts.
void popcountRows(const HeavyBits& h, const std::uint64_t* const* rows, std::size_t nr,
                  double* const* acc) {
#ifdef RWB_SAR_POPCNT512
  static const bool has512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  if (has512) return addPopcounts512(h, rows, nr, acc);
#endif
  addPopcounts(h, rows, nr, acc);
}

}  // namespace

void Sar::DenseRowStore::Free::operator()(double* p) const noexcept {
  if (mappedBytes > 0) {
    munmap(p, mappedBytes);
  } else {
    std::free(p);
  }
}

void Sar::DenseRowStore::reset(std::size_t n) {
  n_ = n;
  huge_ = n * n * sizeof(double) > kDenseBudget;
  rowsPerChunk_ = huge_ ? std::max<std::size_t>(1, kChunkBytes / (n * sizeof(double)))
                        : std::max<std::size_t>(n, 1);
  chunkBytes_ = rowsPerChunk_ * n_ * sizeof(double);
  if (huge_) chunkBytes_ = (chunkBytes_ + kHugePage - 1) / kHugePage * kHugePage;
  used_ = 0;
  chunks_.clear();
}

double* Sar::DenseRowStore::add() {
  if (used_ == chunks_.size() * rowsPerChunk_) {
    if (!huge_) {
      auto* p = static_cast<double*>(std::malloc(std::max<std::size_t>(chunkBytes_, 1)));
      if (p == nullptr) throw std::bad_alloc();
      chunks_.emplace_back(p);
    } else {
      // Mapped directly (and unmapped on release), so a freed model returns its memory at
      // once: from malloc, 2 MB-aligned blocks fragmented the heap and two fits in a row held
      // twice the store. A 2 MB-aligned window is cut out of a mapping one huge page larger.
      const std::size_t span = chunkBytes_ + kHugePage;
      void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (raw == MAP_FAILED) throw std::bad_alloc();
      const auto base = reinterpret_cast<std::uintptr_t>(raw);
      const std::uintptr_t start = (base + kHugePage - 1) / kHugePage * kHugePage;
      if (start > base) munmap(raw, start - base);
      if (const std::uintptr_t end = base + span; end > start + chunkBytes_)
        munmap(reinterpret_cast<void*>(start + chunkBytes_), end - start - chunkBytes_);
      auto* p = reinterpret_cast<double*>(start);
#ifdef MADV_HUGEPAGE
      madvise(p, chunkBytes_, MADV_HUGEPAGE);
#endif
      chunks_.emplace_back(p, Free{chunkBytes_});
    }
  }
  const std::size_t slot = used_++;
  return chunks_[slot / rowsPerChunk_].get() + (slot % rowsPerChunk_) * n_;
}

Sar::SimilarityRows Sar::buildSimilarity(const Csr& userItem, const Csr& itemUser, int type,
                                         std::span<const double> diag, double thr, double nMatrix,
                                         TaskContext& ctx) const {
  // Binary co-occurrence counted per row i (in parallel): c_ij = sum over users u of i of
  // x_uj, then turned into similarities. Heavy users' part comes from AND + popcount of bit
  // rows (HeavyBits), the other users' by scattered increments. Counts are exact integers, so
  // the split changes no value. Rows are written into a store row; those that stay sparse
  // (not denseNow) move to sparse entries.
  const std::size_t n = userItem.cols;
  SimilarityRows out(n);
  const HeavyBits hb = heavyBits(userItem);
  const bool useBits = hb.words > 0;
  std::mutex storeMutex;
  constexpr std::size_t kRowsPerStep = 4;  // rows sharing one pass over the bit rows
  struct Scratch {
    std::vector<double> acc;
    std::vector<Index> mark, touched;
    double* spare = nullptr;  // a store row not yet used (at most one per task is left over)
  };
  tbb::enumerable_thread_specific<Scratch> scratch([n] {
    Scratch sc;
    sc.acc.assign(kRowsPerStep * n, 0.0);
    sc.mark.assign(n, 0);
    return sc;
  });
  std::atomic<std::size_t> done{0};
  withSimilarity(static_cast<SarSimilarity>(type), [&](auto kind) {
    constexpr SarSimilarity kType = decltype(kind)::value;
    // The similarities are written into a store row taken in advance (the task's spare), so a
    // dense row is written once; a row that stays sparse leaves the spare for the next row.
    auto finishDense = [&](Scratch& sc, std::size_t i, const double* counts) {
      const double di = diag[i];
      if (sc.spare == nullptr) {
        std::lock_guard lock(storeMutex);
        sc.spare = out.store.add();
      }
      double* row = sc.spare;
      std::size_t kept = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const double v = storedValue<kType>(counts[j], di, diag[j], nMatrix, thr);
        row[j] = v;
        kept += v != 0.0 ? 1 : 0;
      }
      if (denseNow(kept, n)) {
        out.dense[i] = row;
        sc.spare = nullptr;
        return;
      }
      std::vector<Index>& cols = out.cols[i];
      std::vector<double>& vals = out.vals[i];
      cols.reserve(kept);
      vals.reserve(kept);
      for (std::size_t j = 0; j < n; ++j) {
        if (row[j] == 0.0) continue;
        cols.push_back(static_cast<Index>(j));
        vals.push_back(row[j]);
      }
    };
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, 8), [&](const tbb::blocked_range<std::size_t>& r) {
          Scratch& sc = scratch.local();
          for (std::size_t i0 = r.begin(); i0 < r.end(); i0 += kRowsPerStep) {
            if (ctx.stopRequested()) return;
            const std::size_t nr = std::min(kRowsPerStep, r.end() - i0);
            if (useBits) {
              // Light users scattered, heavy users by popcount, for nr rows at once.
              const std::uint64_t* bitRows[kRowsPerStep];
              double* acc[kRowsPerStep];
              for (std::size_t t = 0; t < nr; ++t) {
                const std::size_t i = i0 + t;
                acc[t] = sc.acc.data() + t * n;
                std::fill(acc[t], acc[t] + n, 0.0);
                bitRows[t] = hb.bits.data() + i * hb.words;
                for (const Index u : itemUser.rowIndices(i)) {
                  if (hb.heavy[u]) continue;
                  for (const Index j : userItem.rowIndices(u)) acc[t][j] += 1.0;
                }
              }
              popcountRows(hb, bitRows, nr, acc);
              for (std::size_t t = 0; t < nr; ++t) finishDense(sc, i0 + t, acc[t]);
              continue;
            }
            for (std::size_t i = i0; i < i0 + nr; ++i) {
              const auto users = itemUser.rowIndices(i);
              std::size_t work = 0;
              for (const Index u : users) work += userItem.rowSize(u);
              if (work * 4 >= n) {
                // Dense row: plain counting, then one branch-free pass over all columns.
                double* acc = sc.acc.data();
                std::fill(acc, acc + n, 0.0);
                for (const Index u : users) {
                  for (const Index j : userItem.rowIndices(u)) acc[j] += 1.0;
                }
                finishDense(sc, i, acc);
                continue;
              }
              const double di = diag[i];
              const Index tag = static_cast<Index>(i + 1);
              sc.touched.clear();
              for (const Index u : users) {
                for (const Index j : userItem.rowIndices(u)) {
                  if (sc.mark[j] != tag) {
                    sc.mark[j] = tag;
                    sc.acc[j] = 0.0;
                    sc.touched.push_back(j);
                  }
                  sc.acc[j] += 1.0;
                }
              }
              std::sort(sc.touched.begin(), sc.touched.end());
              std::vector<Index>& cols = out.cols[i];
              std::vector<double>& vals = out.vals[i];
              for (const Index j : sc.touched) {
                const double v = storedValue<kType>(sc.acc[j], di, diag[j], nMatrix, thr);
                if (v == 0.0) continue;
                cols.push_back(j);
                vals.push_back(v);
              }
              if (denseNow(cols.size(), n)) {
                double* dst = nullptr;
                {
                  std::lock_guard lock(storeMutex);
                  dst = out.store.add();
                }
                std::fill(dst, dst + n, 0.0);
                for (std::size_t t = 0; t < cols.size(); ++t) dst[cols[t]] = vals[t];
                out.dense[i] = dst;
                std::vector<Index>().swap(cols);
                std::vector<double>().swap(vals);
              }
            }
          }
          const auto d = done.fetch_add(r.size()) + r.size();
          ctx.progress(static_cast<double>(d) / static_cast<double>(n), "item similarity");
        });
  });
  ctx.throwIfStopped();
  return out;
}

void Sar::adoptRows(SimilarityRows rows) {
  const std::size_t n = rows.cols.size();
  // The fullest remaining rows (at least 1/kDenseFill filled) within the budget, fullest first.
  std::vector<Index> pick;
  for (std::size_t i = 0; i < n; ++i) {
    if (rows.dense[i] == nullptr && rows.cols[i].size() * kDenseFill >= n)
      pick.push_back(static_cast<Index>(i));
  }
  std::stable_sort(pick.begin(), pick.end(),
                   [&](Index x, Index y) { return rows.cols[x].size() > rows.cols[y].size(); });
  const std::size_t budget = n == 0 ? 0 : kDenseBudget / (n * sizeof(double));
  if (pick.size() > budget) pick.resize(budget);
  for (const Index i : pick) {
    double* row = rows.store.add();
    std::fill(row, row + n, 0.0);
    for (std::size_t t = 0; t < rows.cols[i].size(); ++t) row[rows.cols[i][t]] = rows.vals[i][t];
    rows.dense[i] = row;
    std::vector<Index>().swap(rows.cols[i]);
    std::vector<double>().swap(rows.vals[i]);
  }
  denseRow_.assign(rows.dense.begin(), rows.dense.end());
  dense_ = std::move(rows.store);
  numDense_ = static_cast<std::size_t>(std::count_if(denseRow_.begin(), denseRow_.end(),
                                                     [](const double* r) { return r != nullptr; }));
  ItemMatrix<double> sparse;
  sparse.n = n;
  sparse.offsets.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i)
    sparse.offsets[i + 1] = sparse.offsets[i] + rows.cols[i].size();
  sparse.indices.reserve(sparse.offsets[n]);
  sparse.values.reserve(sparse.offsets[n]);
  for (std::size_t i = 0; i < n; ++i) {
    sparse.indices.insert(sparse.indices.end(), rows.cols[i].begin(), rows.cols[i].end());
    sparse.values.insert(sparse.values.end(), rows.vals[i].begin(), rows.vals[i].end());
  }
  sparse_ = std::move(sparse);
  untrained_.clear();
  const auto& pop = itemPopularity();
  for (std::size_t j = 0; j < pop.size(); ++j) {
    if (pop[j] <= 0.0f) untrained_.push_back(static_cast<Index>(j));
  }
  untrainedMask_.assign(pop.size(), 0);
  for (const Index j : untrained_) untrainedMask_[j] = 1;
}

void Sar::rowEntries(Index i, std::vector<Index>& cols, std::vector<double>& vals) const {
  cols.clear();
  vals.clear();
  if (const double* row = denseRow_[i]; row != nullptr) {
    const std::size_t n = numItems();
    for (std::size_t j = 0; j < n; ++j) {
      if (row[j] == 0.0) continue;
      cols.push_back(static_cast<Index>(j));
      vals.push_back(row[j]);
    }
    return;
  }
  const auto c = sparse_.rowIndices(i);
  const auto v = sparse_.rowValues(i);
  cols.assign(c.begin(), c.end());
  vals.assign(v.begin(), v.end());
}

ItemMatrix<double> Sar::similarity() const {
  ItemMatrix<double> m;
  const std::size_t n = denseRow_.size();
  m.n = n;
  m.offsets.assign(n + 1, 0);
  std::vector<Index> cols;
  std::vector<double> vals;
  for (std::size_t i = 0; i < n; ++i) {
    rowEntries(static_cast<Index>(i), cols, vals);
    m.indices.insert(m.indices.end(), cols.begin(), cols.end());
    m.values.insert(m.values.end(), vals.begin(), vals.end());
    m.offsets[i + 1] = m.indices.size();
  }
  return m;
}

template <typename Sink>
void Sar::scoreTiles(std::span<const Index> users, TileScratch& scratch, Sink&& sink) const {
  const std::size_t n = numItems();
  const std::size_t nb = users.size();
  scratch.users.resize(nb);
  scratch.denseRows.clear();
  scratch.denseAff.clear();
  scratch.denseItem.clear();
  scratch.cursor.clear();
  scratch.sparseEnd.clear();
  scratch.sparseAff.clear();
  scratch.acc.resize(kMaxSpan);
  for (std::size_t b = 0; b < nb; ++b) {
    const auto items = seenItems(users[b]);
    const double* aff = affinity_.data() + affinityOffsets_[users[b]];
    TileUser& tu = scratch.users[b];
    tu.denseBegin = scratch.denseRows.size();
    tu.sparseBegin = scratch.cursor.size();
    for (std::size_t k = 0; k < items.size(); ++k) {
      const Index i = items[k];
      if (const double* row = denseRow_[i]; row != nullptr) {
        scratch.denseRows.push_back(row);
        scratch.denseAff.push_back(aff[k]);
        scratch.denseItem.push_back(i);
      } else if (sparse_.offsets[i + 1] > sparse_.offsets[i]) {
        scratch.cursor.push_back(sparse_.offsets[i]);
        scratch.sparseEnd.push_back(sparse_.offsets[i + 1]);
        scratch.sparseAff.push_back(aff[k]);
      }
    }
    tu.denseCount = scratch.denseRows.size() - tu.denseBegin;
    tu.sparseCount = scratch.cursor.size() - tu.sparseBegin;
  }
  const TileMatrix m{sparse_.indices.data(), sparse_.values.data()};
  const TileLists l{scratch.denseRows.data(), scratch.denseAff.data(), scratch.cursor.data(),
                    scratch.sparseEnd.data(), scratch.sparseAff.data()};
  // Column span per pass: the dense rows' slices of one span stay in L2 (about 512 KB) while
  // the block's users walk them; wider spans cut the per-pass cost of the sparse rows.
  const std::size_t denseRows = numDense_;
  const std::size_t span = std::clamp<std::size_t>(
      (kSpanBytes / (sizeof(double) * std::max<std::size_t>(denseRows, 1))) / kTile * kTile, kTile,
      kMaxSpan);
  // More dense rows than a span's slices can keep in L2 (only with the narrowest span): the
  // rows are cut into chunks of consecutive items, each within kRowChunkBytes for the span, and
  // the block's users add one chunk after the other, their sums held in a block-wide
  // accumulator. Each user still adds its rows in ascending item order, so the sums are
  // bit-identical to the one-chunk pass.
  const std::size_t chunkRows = std::max<std::size_t>(1, kRowChunkBytes / (sizeof(double) * span));
  scratch.chunkEnd.clear();
  if (denseRows * span * sizeof(double) > kSpanBytes) {
    std::size_t inChunk = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (denseRow_[i] == nullptr) continue;
      if (inChunk == chunkRows) {
        scratch.chunkEnd.push_back(static_cast<Index>(i));
        inChunk = 0;
      }
      ++inChunk;
    }
  }
  scratch.chunkEnd.push_back(static_cast<Index>(n));
  const std::size_t chunks = scratch.chunkEnd.size();
  if (chunks == 1) {
    for (std::size_t t0 = 0; t0 < n; t0 += span) {
      const std::size_t w = std::min(span, n - t0);
      for (std::size_t b = 0; b < nb; ++b) {
        const TileUser& u = scratch.users[b];
        double* acc = scratch.acc.data();
        denseKernel(l.denseRows + u.denseBegin, l.denseAff + u.denseBegin, u.denseCount, t0, w,
                    acc);
        sparseKernel(m, l, u, t0, w, acc);
        sink(b, t0, w, acc);
      }
    }
    return;
  }
  // Per user, where each chunk's rows begin in its dense list (and where the last one ends).
  scratch.chunkBegin.resize(nb * (chunks + 1));
  for (std::size_t b = 0; b < nb; ++b) {
    const TileUser& u = scratch.users[b];
    std::size_t p = u.denseBegin;
    const std::size_t e = u.denseBegin + u.denseCount;
    for (std::size_t c = 0; c < chunks; ++c) {
      scratch.chunkBegin[b * (chunks + 1) + c] = p;
      while (p < e && scratch.denseItem[p] < scratch.chunkEnd[c]) ++p;
    }
    scratch.chunkBegin[b * (chunks + 1) + chunks] = p;
  }
  scratch.acc.resize(std::max(kMaxSpan, nb * span));
  for (std::size_t t0 = 0; t0 < n; t0 += span) {
    const std::size_t w = std::min(span, n - t0);
    std::fill(scratch.acc.begin(), scratch.acc.begin() + static_cast<std::ptrdiff_t>(nb * span),
              0.0);
    for (std::size_t c = 0; c < chunks; ++c) {
      denseChunk(l.denseRows, l.denseAff, scratch.chunkBegin.data() + c, chunks + 1, nb, t0, w,
                 scratch.acc.data(), span);
    }
    for (std::size_t b = 0; b < nb; ++b) {
      double* acc = scratch.acc.data() + b * span;
      sparseKernel(m, l, scratch.users[b], t0, w, acc);
      sink(b, t0, w, acc);
    }
  }
}

double Sar::userScale(Index user) const {
  return user < logScale_.size() ? std::exp2(logScale_[user]) : 1.0;
}

RecList Sar::recommend(Index user, std::size_t k, bool excludeSeen) const {
  TaskContext ctx;
  return std::move(recommendBatch(std::span<const Index>(&user, 1), k, excludeSeen, ctx).front());
}

void Sar::scoreAllItems(Index user, std::span<float> out) const {
  const double scale = userScale(user);
  thread_local TileScratch scratch;
  scoreTiles(std::span<const Index>(&user, 1), scratch,
             [&](std::size_t, std::size_t t0, std::size_t w, const double* acc) {
               for (std::size_t j = 0; j < w; ++j) out[t0 + j] = static_cast<float>(acc[j] * scale);
             });
  for (const Index j : untrained_) out[j] = kNegInf;
}

void Sar::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  thread_local std::vector<float> all;
  all.resize(numItems());
  scoreAllItems(user, all);
  for (std::size_t k = 0; k < items.size(); ++k) out[k] = all[items[k]];
}

std::vector<RecList> Sar::recommendBatch(std::span<const Index> users, std::size_t k,
                                         bool excludeSeen, TaskContext& ctx) const {
  std::vector<RecList> out(users.size());
  k = std::min(k, numItems());  // a longer list holds every item, as with k = numItems()
  const auto threads = static_cast<std::size_t>(tbb::this_task_arena::max_concurrency());
  const std::size_t blockSize =
      std::clamp((users.size() + 2 * threads - 1) / (2 * threads), kMinUserBlock, kMaxUserBlock);
  const std::size_t nBlocks = (users.size() + blockSize - 1) / blockSize;
  std::atomic<std::size_t> done{0};
  tbb::parallel_for(std::size_t(0), nBlocks, [&](std::size_t blk) {
    if (ctx.stopRequested()) return;
    const std::size_t begin = blk * blockSize;
    const std::size_t end = std::min(users.size(), begin + blockSize);
    // Users the kernel can score; the rest (unfitted model, out of range, no training data)
    // go through the base class, which throws or falls back to popularity.
    std::vector<Index> mine;
    std::vector<std::size_t> slot;
    for (std::size_t j = begin; j < end; ++j) {
      if (isFitted() && users[j] < numUsers() && canScoreUser(users[j])) {
        mine.push_back(users[j]);
        slot.push_back(j);
      } else {
        out[j] = Model::recommend(users[j], k, excludeSeen);
      }
    }
    if (!mine.empty() && k > 0) {
      thread_local TileScratch scratch;
      std::vector<RunningTopK> top(mine.size());
      std::vector<std::size_t> seenPos(mine.size(), 0);
      for (auto& t : top) t.reset(k);
      scoreTiles(mine, scratch,
                 [&](std::size_t b, std::size_t t0, std::size_t w, const double* acc) {
                   // Most chunks of 32 hold nothing above the user's current k-th score: one
                   // vectorised test skips them. Masks (untrained, seen) only lower scores, so
                   // they are checked for the few candidates that pass.
                   const auto seen = seenItems(mine[b]);
                   std::size_t& p = seenPos[b];
                   RunningTopK& t = top[b];
                   for (std::size_t c = 0; c < w; c += kTile) {
                     const std::size_t cw = std::min(kTile, w - c);
                     // Ranked in double on the user's rescaled scores: never cut to float, so
                     // distinct scores never tie however small they are.
                     const double* tile = acc + c;
                     const double threshold = t.threshold;
                     int any = 0;
                     for (std::size_t j = 0; j < cw; ++j) any |= tile[j] > threshold;
                     if (!any) continue;
                     for (std::size_t j = 0; j < cw; ++j) {
                       if (!(tile[j] > t.threshold)) continue;
                       const auto item = static_cast<Index>(t0 + c + j);
                       if (untrainedMask_[item]) continue;
                       if (excludeSeen) {
                         while (p < seen.size() && seen[p] < item) ++p;
                         if (p < seen.size() && seen[p] == item) continue;
                       }
                       t.offer(item, tile[j], k);
                     }
                   }
                 });
      for (std::size_t b = 0; b < mine.size(); ++b) {
        // Back to the reference's scale (exact in double for any span the reference itself
        // can represent; the order was decided above in the rescaled space).
        const double scale = userScale(mine[b]);
        auto& items = out[slot[b]].items;
        items = top[b].finish(k);
        for (auto& it : items) it.score *= scale;
      }
    }
    const auto d = done.fetch_add(end - begin) + (end - begin);
    ctx.progress(static_cast<double>(d) / static_cast<double>(users.size()), "recommending");
  });
  ctx.throwIfStopped();
  return out;
}

void Sar::saveState(BinaryWriter& out) const {
  out.put<std::uint64_t>(kRescaledTag);
  out.putVector(logScale_);
  out.putVector(affinity_);
  similarity().save(out);
}

void Sar::loadModelState(BinaryReader& in) {
  std::vector<std::uint64_t> offsets(numUsers() + 1, 0);
  for (std::size_t u = 0; u < numUsers(); ++u) offsets[u + 1] = offsets[u] + seenItems(u).size();
  // Models saved before per-user rescaling start with the affinity vector (their affinities
  // are on the reference's scale: log-scale 0 for everyone).
  std::vector<double> logScale(numUsers(), 0.0);
  if (in.peek<std::uint64_t>("layout_tag") == kRescaledTag) {
    in.get<std::uint64_t>("layout_tag");
    logScale = in.getVector<double>("user_log_scale");
    in.check(logScale.size() == numUsers(), "per-user scale vector does not match the users");
    for (double v : logScale) in.check(std::isfinite(v) && v <= 0.0, "per-user scale out of range");
  }
  auto affinity = in.getVector<double>("affinity");
  in.check(affinity.size() == offsets.back(), "affinity vector does not match the seen items");
  ItemMatrix<double> sim;
  sim.load(in, "similarity", numItems());
  affinityOffsets_ = std::move(offsets);
  affinity_ = std::move(affinity);
  logScale_ = std::move(logScale);
  // Back to the fitted layout: the same rule decides which rows are dense.
  const std::size_t n = numItems();
  SimilarityRows rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = sim.rowIndices(i);
    const auto v = sim.rowValues(i);
    if (denseNow(c.size(), n)) {
      double* row = rows.store.add();
      std::fill(row, row + n, 0.0);
      for (std::size_t t = 0; t < c.size(); ++t) row[c[t]] = v[t];
      rows.dense[i] = row;
    } else {
      rows.cols[i].assign(c.begin(), c.end());
      rows.vals[i].assign(v.begin(), v.end());
    }
  }
  adoptRows(std::move(rows));
}

std::size_t Sar::memoryBytes() const {
  return Model::memoryBytes() + (affinity_.size() + logScale_.size()) * sizeof(double) +
         affinityOffsets_.size() * sizeof(std::uint64_t) + sparse_.memoryBytes() + dense_.bytes() +
         denseRow_.size() * sizeof(const double*) + untrained_.size() * sizeof(Index) +
         untrainedMask_.size();
}

std::vector<ScoredItem> Sar::similarItems(Index item, std::size_t k) const {
  checkItemQuery(type(), isFitted(), item, numItems());
  std::vector<float> row(numItems(), kNegInf);
  std::vector<Index> cols;
  std::vector<double> vals;
  rowEntries(item, cols, vals);
  for (std::size_t t = 0; t < cols.size(); ++t) row[cols[t]] = static_cast<float>(vals[t]);
  row[item] = kNegInf;
  return topK(row, k);
}

}  // namespace rwb
