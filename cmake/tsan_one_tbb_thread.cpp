// Linked into every executable of a ThreadSanitizer build (RWB_TSAN, rwb_tsan_setup in
// RwbHelpers.cmake), nowhere else.
//
// Debian's oneTBB (libtbb.so) is not instrumented: a task handed from one thread to a TBB worker
// passes through atomics TSan never sees, so every value written before a parallel_for and read
// in its body is reported as a race (82 reports in one package test, all in tbb:: partitioner
// code and in loop bodies over data prepared before the loop). No suppression can tell those
// from a real race, so TSan builds run TBB with one thread: TBB's loops run inline on the
// calling thread, and TSan checks the threads the project starts itself (the HTTP server's
// connection threads, the CLI's signal watcher, the tests' cancel and progress threads).

#include <tbb/global_control.h>

namespace {
const tbb::global_control oneTbbThread(tbb::global_control::max_allowed_parallelism, 1);
}  // namespace
