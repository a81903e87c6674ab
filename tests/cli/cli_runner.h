#pragma once
// Runs the real recwb executable (built by CMake, path compiled in as RWB_RECWB_PATH) in a child
// process with stdout and stderr redirected into files, and reports how it ended. No shell is
// involved: arguments are passed as they are.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_support.h"

namespace rwb::test {

/// How one recwb process ended, with everything it printed.
struct CliResult {
  std::vector<std::string> args;  ///< the arguments after the program name
  int exitCode = -1;              ///< the exit status when it exited normally
  int signal = 0;                 ///< the signal that ended it (0 = it exited)
  bool timedOut = false;          ///< killed by the runner after the time limit
  std::string out, err;           ///< stdout and stderr
  double seconds = 0.0;           ///< wall time

  /// Exited by itself (no signal, no time-out) and no sanitizer or terminate report on stderr.
  bool cleanExit() const;
  /// The command line, how it ended and the start of stdout and stderr (for failure messages).
  std::string describe() const;
};

/// Path of the recwb executable under test.
std::filesystem::path recwbPath();

/// A recwb child process. The destructor kills it (SIGKILL) and reaps it if it still runs, so a
/// failing test never leaves a server behind.
class RecwbProcess {
 public:
  /// Starts recwb with args in folder cwd (the test's working directory when empty); stdin is
  /// /dev/null. Throws std::runtime_error when the process cannot be started.
  explicit RecwbProcess(std::vector<std::string> args, const std::filesystem::path& cwd = {});
  ~RecwbProcess();
  RecwbProcess(const RecwbProcess&) = delete;
  RecwbProcess& operator=(const RecwbProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// True while the process has not ended (reaps it when it has).
  bool running();
  /// Waits until stderr contains needle, the process ends, or timeoutSeconds pass. Returns
  /// whether needle was found; errText receives the stderr text read so far.
  bool waitForStderr(const std::string& needle, double timeoutSeconds, std::string& errText);
  /// Sends sig (if still running) and waits for the end.
  CliResult stop(int sig, double timeoutSeconds);
  /// Waits for the end; after timeoutSeconds the process is killed and the result says so.
  CliResult wait(double timeoutSeconds);

 private:
  std::vector<std::string> args_;
  TempDir capture_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  double started_ = 0.0;
};

/// Runs recwb to completion (killed after timeoutSeconds) in cwd.
CliResult runRecwb(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
                   double timeoutSeconds = 120.0);

/// Reads a whole file (binary); empty when it does not exist.
std::string readFile(const std::filesystem::path& path);

/// Splits text into lines (without the '\n'; a last line without '\n' counts; no empty tail).
std::vector<std::string> lines(const std::string& text);

/// Splits one line on a delimiter (no quoting).
std::vector<std::string> fields(const std::string& line, char delimiter);

/// The bundled sample data folder (sample-data/ in the source tree).
std::filesystem::path sampleData();

}  // namespace rwb::test

/// The process ended by itself with exit code 0.
#define RWB_REQUIRE_SUCCESS(result)                 \
  do {                                              \
    const ::rwb::test::CliResult& rwbR_ = (result); \
    INFO(rwbR_.describe());                         \
    REQUIRE(rwbR_.cleanExit());                     \
    REQUIRE(rwbR_.exitCode == 0);                   \
  } while (false)

/// The process ended by itself (no crash, no sanitizer report) with `code`, printed an error
/// ("recwb: error: " or CLI11's usage text) on stderr containing every given piece of text, and
/// no "internal error".
#define RWB_REQUIRE_FAILURE(result, code, ...)                                    \
  do {                                                                            \
    const ::rwb::test::CliResult& rwbR_ = (result);                               \
    INFO(rwbR_.describe());                                                       \
    REQUIRE(rwbR_.cleanExit());                                                   \
    REQUIRE(rwbR_.exitCode == (code));                                            \
    REQUIRE(rwbR_.err.find("internal error") == std::string::npos);               \
    for (const std::string& rwbNeedle_ : std::vector<std::string>{__VA_ARGS__}) { \
      INFO("stderr should contain: " << rwbNeedle_);                              \
      CHECK(rwbR_.err.find(rwbNeedle_) != std::string::npos);                     \
    }                                                                             \
  } while (false)
