#include "core/export/retrieval_index.h"

// hnswlib.h defines non-inline functions (cpuid, xgetbv): this must stay the only file of the
// project that includes it. NO_MANUAL_VECTORIZATION turns off hnswlib's own SIMD block: the
// distances are ours (below), and its USE_SSE prefetches in searchBaseLayer read one link past
// a full upper-layer list (a heap overflow AddressSanitizer reports in hnswlib 0.6.2).
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>
#include <immintrin.h>
#include <stdlib.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <optional>

#include "core/data/rank_candidates.h"
#include "core/models/factor_model.h"
#include "core/util/binary_io.h"
#include "core/util/error.h"
#include "core/util/random.h"

namespace rwb {

namespace {

// ---- distances: our own space, so that the kernel is chosen at run time (hnswlib picks its
// SIMD level at compile time, and the project is built for baseline x86-64) ----

float dotScalar(const float* a, const float* b, std::size_t n) {
  float s = 0.0f;
  for (std::size_t j = 0; j < n; ++j) s += a[j] * b[j];
  return s;
}

float l2Scalar(const float* a, const float* b, std::size_t n) {
  float s = 0.0f;
  for (std::size_t j = 0; j < n; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float hsum(__m256 v) {
  const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_add_ps(lo, hi);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float dotAvx2(const float* a, const float* b, std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), acc1);
  }
  for (; j + 8 <= n; j += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc0);
  }
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; j < n; ++j) s += a[j] * b[j];
  return s;
}

__attribute__((target("avx2,fma"))) float l2Avx2(const float* a, const float* b, std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  std::size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j));
    const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
  }
  for (; j + 8 <= n; j += 8) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
  }
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; j < n; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

bool haveAvx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
#else
bool haveAvx2() { return false; }
float dotAvx2(const float* a, const float* b, std::size_t n) { return dotScalar(a, b, n); }
float l2Avx2(const float* a, const float* b, std::size_t n) { return l2Scalar(a, b, n); }
#endif

float ipDistance(const void* a, const void* b, const void* dim) {
  const auto n = *static_cast<const std::size_t*>(dim);
  return 1.0f - dotScalar(static_cast<const float*>(a), static_cast<const float*>(b), n);
}
float ipDistanceAvx2(const void* a, const void* b, const void* dim) {
  const auto n = *static_cast<const std::size_t*>(dim);
  return 1.0f - dotAvx2(static_cast<const float*>(a), static_cast<const float*>(b), n);
}
float l2Distance(const void* a, const void* b, const void* dim) {
  const auto n = *static_cast<const std::size_t*>(dim);
  return l2Scalar(static_cast<const float*>(a), static_cast<const float*>(b), n);
}
float l2DistanceAvx2(const void* a, const void* b, const void* dim) {
  const auto n = *static_cast<const std::size_t*>(dim);
  return l2Avx2(static_cast<const float*>(a), static_cast<const float*>(b), n);
}

/// hnswlib's SpaceInterface for float vectors of `dim` with our distance kernels.
class Space final : public hnswlib::SpaceInterface<float> {
 public:
  Space(RetrievalSpace kind, std::size_t dim) : dim_(dim) {
    if (kind == RetrievalSpace::kInnerProduct) {
      fn_ = haveAvx2() ? ipDistanceAvx2 : ipDistance;
    } else {
      fn_ = haveAvx2() ? l2DistanceAvx2 : l2Distance;
    }
  }
  std::size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return fn_; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  std::size_t dim_;
  hnswlib::DISTFUNC<float> fn_;
};

/// A file in the temporary folder for hnswlib's path-based save/load, removed on destruction.
class TempFile {
 public:
  TempFile() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rwb-hnsw-XXXXXX").string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) throw IoError("cannot create a temporary file for the HNSW index in " + tmpl);
    ::close(fd);
    path_ = tmpl;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

using Graph = hnswlib::HierarchicalNSW<float>;

}  // namespace

struct RetrievalIndex::Impl {
  std::unique_ptr<Space> space;
  std::unique_ptr<Graph> graph;
  std::size_t graphDim = 0;  ///< dim of the stored vectors (model dim, +1 for l2)
};

std::string_view retrievalSpaceName(RetrievalSpace space) noexcept {
  return space == RetrievalSpace::kL2 ? "l2" : "ip";
}

RetrievalSpace parseRetrievalSpace(std::string_view text, const std::string& field) {
  if (text == "ip") return RetrievalSpace::kInnerProduct;
  if (text == "l2") return RetrievalSpace::kL2;
  throw SpecError(field, "expected 'ip' or 'l2', got '" + std::string(text) + "'");
}

nlohmann::json RetrievalInfo::toJson() const {
  return {{"method", method},
          {"space", retrievalSpaceName(space)},
          {"dim", dim},
          {"num_items", numItems},
          {"M", m},
          {"ef_construction", efConstruction},
          {"ef_search", efSearch},
          {"seed", seed},
          {"threads", threads},
          {"max_norm", maxNorm},
          {"recall_k", recallK},
          {"recall", recall},
          {"sample_users", sampleUsers},
          {"build_seconds", buildSeconds}};
}

std::string RetrievalInfo::summary() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s (%s, M=%zu, ef_construction=%zu, ef_search=%zu): recall@%zu %.4f against "
                "exact top-%zu on %zu users, built in %.1f s",
                method.c_str(), std::string(retrievalSpaceName(space)).c_str(), m, efConstruction,
                efSearch, recallK, recall, recallK, sampleUsers, buildSeconds);
  return buf;
}

RetrievalInfo RetrievalInfo::fromJson(const nlohmann::json& j, const std::string& where) {
  auto fail = [&](const char* key, const std::string& why) {
    return ModelError(where + ": field 'retrieval', key '" + key + "': " + why);
  };
  if (!j.is_object()) throw ModelError(where + ": field 'retrieval' is not a JSON object");
  auto get = [&](const char* key) -> const nlohmann::json& {
    auto it = j.find(key);
    if (it == j.end()) throw fail(key, "missing");
    return *it;
  };
  auto count = [&](const char* key, std::size_t lo, std::size_t hi) {
    const auto& v = get(key);
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::uint64_t>() < lo ||
        v.get<std::uint64_t>() > hi) {
      throw fail(key, "expected a whole number in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], got " + v.dump());
    }
    return static_cast<std::size_t>(v.get<std::uint64_t>());
  };
  auto number = [&](const char* key, double lo, double hi) {
    const auto& v = get(key);
    if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi)) {
      throw fail(key, "expected a number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                          "], got " + v.dump());
    }
    return v.get<double>();
  };
  RetrievalInfo info;
  const auto& method = get("method");
  if (method != "hnsw") throw fail("method", "expected \"hnsw\", got " + method.dump());
  const auto& space = get("space");
  if (!space.is_string() || (space != "ip" && space != "l2")) {
    throw fail("space", "expected \"ip\" or \"l2\", got " + space.dump());
  }
  info.space = space == "l2" ? RetrievalSpace::kL2 : RetrievalSpace::kInnerProduct;
  info.dim = count("dim", 1, 100001);
  info.numItems = count("num_items", 0, kNoIndex - 1);
  info.m = count("M", 2, 1000);
  info.efConstruction = count("ef_construction", 1, 1000000);
  info.efSearch = count("ef_search", 1, 1000000);
  const auto& seed = get("seed");
  if (!seed.is_number_integer() || (!seed.is_number_unsigned() && seed.get<std::int64_t>() < 0)) {
    throw fail("seed", "expected a whole number");
  }
  info.seed = seed.get<std::uint64_t>();
  info.threads = static_cast<int>(count("threads", 0, 1024));
  info.maxNorm = static_cast<float>(number("max_norm", 0.0, 3.0e38));
  info.recallK = count("recall_k", 0, 100000);
  info.recall = number("recall", 0.0, 1.0);
  info.sampleUsers = count("sample_users", 0, kNoIndex - 1);
  info.buildSeconds = number("build_seconds", 0.0, 1.0e9);
  return info;
}

RetrievalIndex::RetrievalIndex() : impl_(std::make_unique<Impl>()) {}
RetrievalIndex::~RetrievalIndex() = default;

namespace {

// The vector the graph stores for item i (the model's v_i, and sqrt(N^2 - |v_i|^2) for l2).
void graphVector(const Model& model, const RetrievalInfo& info, Index item,
                 std::vector<float>& out) {
  out.assign(info.dim + (info.space == RetrievalSpace::kL2 ? 1 : 0), 0.0f);
  model.innerProductItem(item, std::span<float>(out.data(), info.dim));
  if (info.space == RetrievalSpace::kL2) {
    double norm2 = 0.0;
    for (std::size_t j = 0; j < info.dim; ++j) norm2 += static_cast<double>(out[j]) * out[j];
    const double n = static_cast<double>(info.maxNorm);
    out[info.dim] = static_cast<float>(std::sqrt(std::max(0.0, n * n - norm2)));
  }
}

std::vector<Index> sampleScorableUsers(const Model& model, std::size_t n, std::uint64_t seed) {
  std::vector<Index> users;
  for (Index u = 0; u < model.numUsers(); ++u) {
    if (model.canScoreUser(u)) users.push_back(u);
  }
  if (users.size() > n) {
    // Partial Fisher-Yates with the project's generator, then index order.
    Rng rng(deriveSeed(seed, 0x5EC0));
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t j = i + static_cast<std::size_t>(rng.next() % (users.size() - i));
      std::swap(users[i], users[j]);
    }
    users.resize(n);
    std::sort(users.begin(), users.end());
  }
  return users;
}

}  // namespace

std::unique_ptr<RetrievalIndex> RetrievalIndex::build(const Model& model,
                                                      const RetrievalOptions& options,
                                                      TaskContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  if (!model.isFitted()) throw ModelError("cannot build a retrieval index for an unfitted model");
  const std::size_t dim = model.innerProductDim();
  if (dim == 0) {
    throw SpecError("--retrieval",
                    "model type '" + model.type() +
                        "' has no inner-product form (user and item vectors), so it has no "
                        "approximate retrieval; use the exact scorer (factor models iALS, BPR "
                        "and biased MF have one)");
  }
  if (options.m < 2 || options.m > 1000) throw SpecError("--hnsw-m", "must be in [2, 1000]");
  if (options.efConstruction < 1 || options.efConstruction > 1000000) {
    throw SpecError("--hnsw-ef-construction", "must be in [1, 1000000]");
  }
  if (options.efSearch > 1000000) throw SpecError("--hnsw-ef-search", "must be at most 1000000");
  if (options.recallK == 0) throw SpecError("recall k", "must be at least 1");
  if (!(options.recallTarget > 0.0 && options.recallTarget <= 1.0)) {
    throw SpecError("recall target", "must be in (0, 1]");
  }
  auto index = std::unique_ptr<RetrievalIndex>(new RetrievalIndex());
  RetrievalInfo& info = index->info_;
  info.space = options.space;
  info.dim = dim;
  info.numItems = model.numItems();
  info.m = options.m;
  info.efConstruction = std::max(options.efConstruction, options.m);  // as hnswlib stores it
  info.seed = options.seed;
  info.threads = options.threads;
  info.recallK = options.recallK;
  if (options.space == RetrievalSpace::kL2) {
    std::vector<float> v(dim);
    double maxNorm2 = 0.0;
    for (Index i = 0; i < model.numItems(); ++i) {
      model.innerProductItem(i, v);
      double n2 = 0.0;
      for (float x : v) n2 += static_cast<double>(x) * x;
      maxNorm2 = std::max(maxNorm2, n2);
    }
    info.maxNorm = static_cast<float>(std::sqrt(maxNorm2));
  }
  Impl& impl = *index->impl_;
  impl.graphDim = dim + (options.space == RetrievalSpace::kL2 ? 1 : 0);
  impl.space = std::make_unique<Space>(options.space, impl.graphDim);
  const std::size_t n = model.numItems();
  impl.graph = std::make_unique<Graph>(impl.space.get(), std::max<std::size_t>(n, 1), options.m,
                                       options.efConstruction, options.seed);
  TaskContext buildCtx(ctx, 0.0, 0.8);
  std::atomic<std::size_t> done{0};
  auto add = [&](std::size_t i, std::vector<float>& v) {
    graphVector(model, info, static_cast<Index>(i), v);
    impl.graph->addPoint(v.data(), static_cast<hnswlib::labeltype>(i));
  };
  if (n > 0) {
    std::vector<float> v;
    add(0, v);  // the entry point, before any concurrent insertion
  }
  factor::runInArena(options.threads, [&] {
    const std::size_t grain = options.threads == 1 ? n : 256;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(1, std::max<std::size_t>(n, 1), grain),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        std::vector<float> v;
                        for (std::size_t i = r.begin(); i != r.end(); ++i) {
                          if ((i & 1023) == 0) {
                            if (buildCtx.stopRequested()) return;
                            buildCtx.progress(
                                static_cast<double>(done.load()) / static_cast<double>(n),
                                "building the HNSW index");
                          }
                          add(i, v);
                          done.fetch_add(1, std::memory_order_relaxed);
                        }
                      });
  });
  ctx.throwIfStopped();

  // Recall on a sample of users; tune efSearch when asked to.
  TaskContext recallCtx(ctx, 0.8, 1.0);
  const auto users = sampleScorableUsers(model, options.sampleUsers, options.seed);
  info.sampleUsers = users.size();
  if (options.efSearch > 0) {
    info.efSearch = options.efSearch;
    info.recall = measureRecall(*index, model, users, options.recallK, recallCtx);
  } else {
    for (std::size_t ef = 16;; ef *= 2) {
      info.efSearch = ef;
      info.recall = measureRecall(*index, model, users, options.recallK, recallCtx);
      if (info.recall >= options.recallTarget || ef >= 4096) break;
    }
  }
  info.buildSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return index;
}

std::string RetrievalIndex::bytes() const {
  TempFile tmp;
  impl_->graph->saveIndex(tmp.path());
  std::ifstream in(tmp.path(), std::ios::binary);
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw IoError("cannot read back the HNSW index from " + tmp.path());
  return out;
}

std::unique_ptr<RetrievalIndex> RetrievalIndex::load(std::string_view bytes,
                                                     const RetrievalInfo& info,
                                                     const Model& model) {
  BinaryReader r(bytes, "HNSW index");
  if (model.innerProductDim() != info.dim) {
    r.fail("the index has " + std::to_string(info.dim) + "-dimensional vectors, the model " +
           std::to_string(model.innerProductDim()));
  }
  if (info.numItems != model.numItems()) {
    r.fail("the index holds " + std::to_string(info.numItems) + " items, the model " +
           std::to_string(model.numItems()));
  }
  const std::size_t graphDim = info.dim + (info.space == RetrievalSpace::kL2 ? 1 : 0);
  const std::size_t n = std::max<std::size_t>(info.numItems, 1);
  // The header, in hnswlib 0.6's saveIndex order; every field must agree with the info and
  // with what the constructor derives from M and the vector size.
  const auto offsetLevel0 = r.get<std::size_t>("offset_level0");
  const auto maxElements = r.get<std::size_t>("max_elements");
  const auto count = r.get<std::size_t>("cur_element_count");
  const auto sizePerElement = r.get<std::size_t>("size_data_per_element");
  const auto labelOffset = r.get<std::size_t>("label_offset");
  const auto offsetData = r.get<std::size_t>("offset_data");
  const auto maxLevel = r.get<int>("maxlevel");
  const auto enterPoint = r.get<hnswlib::tableint>("enterpoint_node");
  const auto maxM = r.get<std::size_t>("maxM");
  const auto maxM0 = r.get<std::size_t>("maxM0");
  const auto m = r.get<std::size_t>("M");
  const auto mult = r.get<double>("mult");
  const auto efConstruction = r.get<std::size_t>("ef_construction");
  const std::size_t linksLevel0 = info.m * 2 * sizeof(hnswlib::tableint) + sizeof(unsigned);
  const std::size_t linksPerLevel = info.m * sizeof(hnswlib::tableint) + sizeof(unsigned);
  const std::size_t dataSize = graphDim * sizeof(float);
  r.check(offsetLevel0 == 0 && offsetData == linksLevel0 && labelOffset == linksLevel0 + dataSize &&
              sizePerElement == linksLevel0 + dataSize + sizeof(hnswlib::labeltype),
          "element layout does not match the vector size and M");
  r.check(m == info.m && maxM == info.m && maxM0 == 2 * info.m, "M does not match field 'M'");
  r.check(efConstruction == info.efConstruction,
          "ef_construction does not match field 'ef_construction'");
  r.check(maxElements == n && count == info.numItems, "element count does not match the model");
  r.check(std::isfinite(mult) && mult > 0.0, "level multiplier is not a positive number");
  r.check(count == 0 || (maxLevel >= 0 && maxLevel < 64 && enterPoint < count),
          "entry point or top level out of range");
  // Layer 0: links, vector, label per element.
  std::optional<BinaryReader::Scope> layer0;
  layer0.emplace(r, "layer_0");
  r.check(r.remaining() / sizePerElement >= count, "truncated layer 0");
  const char* base = bytes.data() + r.position();
  std::vector<char> labelSeen(count, 0);
  std::vector<float> expect;
  for (std::size_t e = 0; e < count; ++e) {
    const char* el = base + e * sizePerElement;
    const std::string where = "layer 0, element " + std::to_string(e) + ": ";
    unsigned header = 0;
    std::memcpy(&header, el, sizeof header);
    hnswlib::labeltype label = 0;
    std::memcpy(&label, el + labelOffset, sizeof label);
    // hnswlib keeps the link count in the low 16 bits and the deletion mark in byte 2.
    if ((header >> 16) != 0 || (header & 0xFFFF) > maxM0) r.fail(where + "link count out of range");
    for (unsigned l = 0; l < (header & 0xFFFF); ++l) {
      hnswlib::tableint to = 0;
      std::memcpy(&to, el + sizeof(unsigned) + l * sizeof to, sizeof to);
      if (to >= count || to == e) r.fail(where + "link out of range");
    }
    if (label >= count || labelSeen[label]) r.fail(where + "item label out of range or repeated");
    labelSeen[label] = 1;
    graphVector(model, info, static_cast<Index>(label), expect);
    if (std::memcmp(expect.data(), el + offsetData, dataSize) != 0) {
      r.fail(where + "the vector differs from the model's item (the index is not this model's)");
    }
  }
  r.skip(count * sizePerElement);
  layer0.reset();
  // Upper layers: every element's level from its link list size, then every link.
  std::vector<int> level(count, 0);
  std::vector<std::size_t> at(count, 0);
  for (std::size_t e = 0; e < count; ++e) {
    const auto size = r.get<unsigned>("upper_layers.link_list_size");
    r.check(size % linksPerLevel == 0 && size / linksPerLevel <= static_cast<unsigned>(maxLevel),
            "upper-layer link list size out of range");
    level[e] = static_cast<int>(size / linksPerLevel);
    at[e] = r.position();
    r.skip(size);
  }
  r.check(r.atEnd(), "trailing bytes after the upper layers");
  r.check(count == 0 || level[enterPoint] == maxLevel, "the entry point is not on the top level");
  for (std::size_t e = 0; e < count; ++e) {
    for (int l = 1; l <= level[e]; ++l) {
      const char* list = bytes.data() + at[e] + static_cast<std::size_t>(l - 1) * linksPerLevel;
      unsigned header = 0;
      std::memcpy(&header, list, sizeof header);
      const std::string where =
          "layer " + std::to_string(l) + ", element " + std::to_string(e) + ": ";
      if (header > maxM) r.fail(where + "link count out of range");
      for (unsigned k = 0; k < header; ++k) {
        hnswlib::tableint to = 0;
        std::memcpy(&to, list + sizeof(unsigned) + k * sizeof to, sizeof to);
        if (to >= count || to == e || level[to] < l) r.fail(where + "link out of range");
      }
    }
  }
  auto index = std::unique_ptr<RetrievalIndex>(new RetrievalIndex());
  index->info_ = info;
  Impl& impl = *index->impl_;
  impl.graphDim = graphDim;
  impl.space = std::make_unique<Space>(info.space, graphDim);
  TempFile tmp;
  {
    std::ofstream out(tmp.path(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw IoError("cannot write a temporary copy of the HNSW index to " + tmp.path());
  }
  try {
    impl.graph = std::make_unique<Graph>(impl.space.get(), tmp.path(), false, n);
  } catch (const std::exception& e) {
    throw ModelError(std::string("HNSW index: ") + e.what());
  }
  return index;
}

RecList RetrievalIndex::recommend(const Model& model, Index user, std::size_t k, bool excludeSeen,
                                  const std::function<bool(Index)>& keep) const {
  if (!model.canScoreUser(user)) {
    // The popularity fallback is exact and cheap; filter it like any other list.
    RecList all = model.recommend(user, keep ? model.numItems() : k, excludeSeen);
    if (keep) std::erase_if(all.items, [&](const ScoredItem& s) { return !keep(s.item); });
    if (all.items.size() > k) all.items.resize(k);
    return all;
  }
  const std::size_t n = model.numItems();
  const auto seen = excludeSeen ? model.seenItems(user) : std::span<const Index>();
  auto allowed = [&](Index i) {
    return !std::binary_search(seen.begin(), seen.end(), i) && (!keep || keep(i));
  };
  std::vector<float> query(impl_->graphDim, 0.0f);  // the l2 coordinate of a query is 0
  model.innerProductQuery(user, std::span<float>(query.data(), info_.dim));
  // Unfiltered, the k best are picked from about efSearch neighbours; with a filter, keep
  // widening until efSearch allowed ones are in hand, so that the k best of the allowed set
  // are picked from as many candidates.
  const std::size_t want = keep ? std::max(k, info_.efSearch) : k;
  std::vector<Index> items;
  std::size_t fetch = k + seen.size();
  while (true) {
    items.clear();
    if (2 * fetch <= n) {
      auto found = impl_->graph->searchKnn(query.data(), std::max(fetch, info_.efSearch));
      const std::size_t got = found.size();
      while (!found.empty()) {
        const auto i = static_cast<Index>(found.top().second);
        found.pop();
        if (allowed(i)) items.push_back(i);
      }
      if (items.size() >= want || got >= n) break;
      fetch *= 2;
      continue;
    }
    // Past half of the catalogue a scan is as cheap as the graph, and it is exact.
    for (Index i = 0; i < n; ++i) {
      if (allowed(i)) items.push_back(i);
    }
    break;
  }
  std::vector<float> scores(items.size());
  model.score(user, items, scores);
  RecList out;
  rankScoredCandidates(items, scores, k, out.items);
  return out;
}

double measureRecall(const RetrievalIndex& index, const Model& model, std::span<const Index> users,
                     std::size_t k, TaskContext& ctx) {
  if (users.empty()) return 1.0;
  const auto exact = model.recommendBatch(users, k, true, ctx);
  double sum = 0.0;
  std::size_t counted = 0;
  std::vector<double> per(users.size(), -1.0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, users.size(), 16),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      if (ctx.stopRequested()) return;
                      for (std::size_t j = r.begin(); j != r.end(); ++j) {
                        if (exact[j].items.empty()) continue;
                        const RecList approx = index.recommend(model, users[j], k, true);
                        std::size_t hit = 0;
                        for (const auto& e : exact[j].items) {
                          for (const auto& a : approx.items) hit += a.item == e.item ? 1 : 0;
                        }
                        per[j] =
                            static_cast<double>(hit) / static_cast<double>(exact[j].items.size());
                      }
                    });
  ctx.throwIfStopped();
  for (double p : per) {
    if (p >= 0.0) {
      sum += p;
      ++counted;
    }
  }
  return counted == 0 ? 1.0 : sum / static_cast<double>(counted);
}

}  // namespace rwb
