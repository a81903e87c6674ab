#include "core/models/item_similarity.h"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>

#include "core/util/error.h"

namespace rwb {

namespace {
struct RowScratch {
  std::vector<double> acc;
  std::vector<Index> mark;  // mark[j] == i + 1 when column j was touched while building row i
  std::vector<Index> touched;
  std::vector<double> vals;
};
}  // namespace

template <typename T>
ItemMatrix<T> buildItemRows(const Csr& userItem, const Csr& itemUser, bool binary,
                            std::span<const double> userWeight, const RowTransform<T>& transform,
                            TaskContext& ctx, const char* stage) {
  const std::size_t n = userItem.cols;
  if (itemUser.rows != n || itemUser.cols != userItem.rows) {
    throw ModelError("item similarity: the item-user matrix is not the transpose");
  }
  std::vector<std::vector<Index>> rowCols(n);
  std::vector<std::vector<T>> rowVals(n);
  tbb::enumerable_thread_specific<RowScratch> scratch([n] {
    RowScratch s;
    s.acc.assign(n, 0.0);
    s.mark.assign(n, 0);
    return s;
  });
  std::atomic<std::size_t> done{0};
  const bool weighted = !userWeight.empty();
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, n, 8), [&](const tbb::blocked_range<std::size_t>& r) {
        RowScratch& s = scratch.local();
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          if (ctx.stopRequested()) return;
          const auto users = itemUser.rowIndices(i);
          const auto uvals = itemUser.rowValues(i);
          std::size_t work = 0;
          for (const Index u : users) work += userItem.rowSize(u);
          std::size_t m = 0;
          if (work * 4 >= n) {
            // Dense row: plain accumulation, then one scan (cheaper than marking and sorting).
            std::fill(s.acc.begin(), s.acc.end(), 0.0);
            for (std::size_t a = 0; a < users.size(); ++a) {
              const Index u = users[a];
              double w = binary ? 1.0 : static_cast<double>(uvals[a]);
              if (weighted) w *= userWeight[u];
              const auto items = userItem.rowIndices(u);
              const auto ivals = userItem.rowValues(u);
              if (binary) {
                for (const Index j : items) s.acc[j] += w;
              } else {
                for (std::size_t b = 0; b < items.size(); ++b) {
                  s.acc[items[b]] += w * static_cast<double>(ivals[b]);
                }
              }
            }
            s.touched.resize(n);
            s.vals.resize(n);
            for (std::size_t j = 0; j < n; ++j) {
              if (s.acc[j] == 0.0) continue;
              s.touched[m] = static_cast<Index>(j);
              s.vals[m++] = s.acc[j];
            }
          } else {
            const Index tag = static_cast<Index>(i + 1);
            s.touched.clear();
            for (std::size_t a = 0; a < users.size(); ++a) {
              const Index u = users[a];
              double w = binary ? 1.0 : static_cast<double>(uvals[a]);
              if (weighted) w *= userWeight[u];
              const auto items = userItem.rowIndices(u);
              const auto ivals = userItem.rowValues(u);
              for (std::size_t b = 0; b < items.size(); ++b) {
                const Index j = items[b];
                if (s.mark[j] != tag) {
                  s.mark[j] = tag;
                  s.acc[j] = 0.0;
                  s.touched.push_back(j);
                }
                s.acc[j] += binary ? w : w * static_cast<double>(ivals[b]);
              }
            }
            std::sort(s.touched.begin(), s.touched.end());
            s.vals.resize(s.touched.size());
            for (std::size_t t = 0; t < s.touched.size(); ++t) {
              const double v = s.acc[s.touched[t]];
              if (v == 0.0) continue;
              s.touched[m] = s.touched[t];
              s.vals[m++] = v;
            }
          }
          transform(static_cast<Index>(i), std::span<const Index>(s.touched.data(), m),
                    std::span<const double>(s.vals.data(), m), rowCols[i], rowVals[i]);
        }
        const auto d = done.fetch_add(r.size()) + r.size();
        ctx.progress(static_cast<double>(d) / static_cast<double>(n), stage);
      });
  ctx.throwIfStopped();
  ItemMatrix<T> out;
  out.n = n;
  out.offsets.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) out.offsets[i + 1] = out.offsets[i] + rowCols[i].size();
  out.indices.resize(out.offsets[n]);
  out.values.resize(out.offsets[n]);
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, n, 64), [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          std::copy(rowCols[i].begin(), rowCols[i].end(), out.indices.begin() + out.offsets[i]);
          std::copy(rowVals[i].begin(), rowVals[i].end(), out.values.begin() + out.offsets[i]);
          std::vector<Index>().swap(rowCols[i]);
          std::vector<T>().swap(rowVals[i]);
        }
      });
  return out;
}

template <typename T>
void keepTopK(std::span<const Index> cols, std::span<const T> vals, std::size_t k,
              std::vector<Index>& outCols, std::vector<T>& outVals) {
  if (k == 0 || cols.size() <= k) {
    outCols.insert(outCols.end(), cols.begin(), cols.end());
    outVals.insert(outVals.end(), vals.begin(), vals.end());
    return;
  }
  thread_local std::vector<std::uint32_t> order;
  order.resize(cols.size());
  std::iota(order.begin(), order.end(), 0u);
  auto better = [&](std::uint32_t a, std::uint32_t b) {
    return vals[a] > vals[b] || (vals[a] == vals[b] && cols[a] < cols[b]);
  };
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                   better);
  order.resize(k);
  std::sort(order.begin(), order.end());  // positions ascending = columns ascending
  for (auto p : order) {
    outCols.push_back(cols[p]);
    outVals.push_back(vals[p]);
  }
}

template <typename T>
ItemMatrix<T> transposeItems(const ItemMatrix<T>& m) {
  ItemMatrix<T> t;
  t.n = m.n;
  t.offsets.assign(m.n + 1, 0);
  for (Index c : m.indices) ++t.offsets[c + 1];
  for (std::size_t i = 0; i < m.n; ++i) t.offsets[i + 1] += t.offsets[i];
  t.indices.resize(m.indices.size());
  t.values.resize(m.values.size());
  std::vector<std::uint64_t> next(t.offsets.begin(), t.offsets.end() - 1);
  for (std::size_t r = 0; r < m.n; ++r) {
    for (auto p = m.offsets[r]; p < m.offsets[r + 1]; ++p) {
      const auto dst = next[m.indices[p]]++;
      t.indices[dst] = static_cast<Index>(r);
      t.values[dst] = m.values[p];
    }
  }
  return t;
}

void scoreFromItemRows(const ItemMatrix<float>& m, std::span<const Index> items,
                       std::span<const float> weights, std::span<float> out) {
  std::fill(out.begin(), out.end(), 0.0f);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const float w = weights.empty() ? 1.0f : weights[k];
    const auto cols = m.rowIndices(items[k]);
    const auto vals = m.rowValues(items[k]);
    for (std::size_t t = 0; t < cols.size(); ++t) out[cols[t]] += w * vals[t];
  }
}

void checkItemQuery(const std::string& model, bool fitted, Index item, std::size_t numItems) {
  if (!fitted) throw ModelError(model + ": the model is not fitted");
  if (item >= numItems) {
    throw ModelError(model + ": item index " + std::to_string(item) + " out of range (" +
                     std::to_string(numItems) + " items)");
  }
}

void runWithThreads(int threads, const std::function<void()>& fn) {
  if (threads <= 0) {
    fn();
    return;
  }
  tbb::task_arena arena(threads);
  arena.execute(fn);
}

template ItemMatrix<float> buildItemRows<float>(const Csr&, const Csr&, bool,
                                                std::span<const double>, const RowTransform<float>&,
                                                TaskContext&, const char*);
template ItemMatrix<double> buildItemRows<double>(const Csr&, const Csr&, bool,
                                                  std::span<const double>,
                                                  const RowTransform<double>&, TaskContext&,
                                                  const char*);
template ItemMatrix<float> transposeItems<float>(const ItemMatrix<float>&);
template void keepTopK<float>(std::span<const Index>, std::span<const float>, std::size_t,
                              std::vector<Index>&, std::vector<float>&);
template void keepTopK<double>(std::span<const Index>, std::span<const double>, std::size_t,
                               std::vector<Index>&, std::vector<double>&);

}  // namespace rwb
