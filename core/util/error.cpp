#include "core/util/error.h"

namespace rwb {

namespace {
std::string formatParseError(const std::string& file, std::uint64_t line, std::uint64_t column,
                             const std::string& reason) {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
  }
  out += ": ";
  out += reason;
  return out;
}
}  // namespace

ParseError::ParseError(std::string file, std::uint64_t line, std::uint64_t column,
                       std::string reason)
    : Error(formatParseError(file, line, column, reason)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      reason_(std::move(reason)) {}

SpecError::SpecError(std::string path, const std::string& reason)
    : Error(path + ": " + reason), path_(std::move(path)) {}

}  // namespace rwb
