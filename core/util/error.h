#pragma once
/// \file
/// The one error hierarchy of RecWorkbench. Core code throws these; only the ui/ and app/
/// boundaries catch them and show what() as is. Cancelled is deliberately not an Error:
/// a user's cancel is not a failure and must not be reported as one.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace rwb {

/// Base of every failure raised by the engine. what() is a complete, user-facing sentence.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A file or database could not be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

/// Input text could not be parsed. Carries where (file, 1-based line and column; 0 = unknown)
/// and why; what() reads "file:line:column: reason".
class ParseError : public Error {
 public:
  ParseError(std::string file, std::uint64_t line, std::uint64_t column, std::string reason);
  const std::string& file() const noexcept { return file_; }
  std::uint64_t line() const noexcept { return line_; }
  std::uint64_t column() const noexcept { return column_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string file_;
  std::uint64_t line_;
  std::uint64_t column_;
  std::string reason_;
};

/// An experiment spec (or other JSON document) is invalid. path() is the JSON path of the
/// offending field, e.g. "$.models[1].params.factors"; what() reads "path: reason".
class SpecError : public Error {
 public:
  SpecError(std::string path, const std::string& reason);
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// A model was misused (bad parameter, scoring before fit, corrupt saved state...).
class ModelError : public Error {
 public:
  using Error::Error;
};

/// The project store (SQLite run store) failed or holds something unexpected.
class StoreError : public Error {
 public:
  using Error::Error;
};

/// Thrown by long operations when their TaskContext was asked to stop. Not an Error: callers
/// record the task as cancelled, not failed. The operation leaves no partial state behind.
class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "cancelled"; }
};

}  // namespace rwb
