// Reading interactions from a database server: 1 million rows from PostgreSQL through libpq (and,
// when RWB_TEST_ODBC is set, the same table through ODBC). Target: >= 500,000 rows/s (libpq).
//
// Usage: bench_db_load [URI] [rows]. URI defaults to $RWB_TEST_PG_URI; the easiest server is the
// test one: `source scripts/test-databases.sh && rwb_start_test_databases` (then
// rwb_stop_test_databases). The table bench_interactions_<rows> is created once and kept.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/data/dataset_loader.h"
#include "core/util/pg_connection.h"

using namespace rwb;

namespace {

double bestOf(int repeats, const std::string& source, const DatasetOptions& options,
              std::size_t& rows) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    TaskContext ctx;
    const auto t0 = std::chrono::steady_clock::now();
    const LoadResult r = loadDataset(source, options, ctx);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rows = r.dataset.numInteractions();
    best = std::min(best, s);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("RWB_TEST_PG_URI");
  const std::string uri = argc > 1 ? argv[1] : (env != nullptr ? env : "");
  const long n = argc > 2 ? std::atol(argv[2]) : 1'000'000;
  if (uri.empty()) {
    std::fprintf(stderr, "bench_db_load: give a postgresql:// URI or set RWB_TEST_PG_URI\n");
    return 2;
  }
  const std::string table = "bench_interactions_" + std::to_string(n);
  {
    PgConnection db(uri);
    // 100,000 users x 20,000 items, ratings 1-5, timestamps over a year: like a ratings log.
    db.exec("CREATE TABLE IF NOT EXISTS " + table +
                " AS SELECT 'u' || (g % 100000) AS user_id, 'i' || ((g * 7919) % 20000) AS "
                "item_id, (g % 5 + 1)::real AS rating, 1700000000 + (g * 31) % 31536000 AS ts "
                "FROM generate_series(1::bigint, " +
                std::to_string(n) + ") g",
            "creating the benchmark table");
  }
  DatasetOptions options;
  options.table = table;
  std::size_t rows = 0;
  const double pg = bestOf(3, uri, options, rows);
  std::printf("libpq: %zu interactions in %.3f s = %.0f rows/s (best of 3; target >= 500,000)\n",
              rows, pg, static_cast<double>(rows) / pg);
  if (const char* odbc = std::getenv("RWB_TEST_ODBC"); odbc != nullptr && *odbc != '\0') {
    const double o = bestOf(1, odbc, options, rows);
    std::printf("ODBC:  %zu interactions in %.3f s = %.0f rows/s (one run)\n", rows, o,
                static_cast<double>(rows) / o);
  }
  return 0;
}
