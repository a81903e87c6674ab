#include "core/data/dataset_writer.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/util/atomic_file.h"
#include "core/util/delimited_text.h"
#include "core/util/error.h"

namespace rwb {

namespace {

/// An output file written through an AtomicFile: failures and cancels leave the previous file
/// as it was and no temporary file behind.
class OutFile {
 public:
  explicit OutFile(std::string path) : path_(std::move(path)), file_(path_) {
    out_.open(file_.tempPath(), std::ios::binary | std::ios::trunc);
    if (!out_) fail();
    buffer_.reserve(1 << 16);
  }
  std::string& buffer() { return buffer_; }
  void flushIfFull() {
    if (buffer_.size() >= (1 << 16)) flush();
  }
  void commit() {
    flush();
    out_.close();
    if (!out_) fail();
    file_.commit();
  }

 private:
  [[noreturn]] void fail() const {
    throw IoError("cannot write '" + path_ + "': " + std::generic_category().message(errno));
  }
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    if (!out_) fail();
    buffer_.clear();
  }
  std::string path_;
  AtomicFile file_;
  std::ofstream out_;
  std::string buffer_;
};

void appendTimestamp(std::string& out, std::int64_t t) {
  if (t == kNoTimestamp) return;
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, t);
  out.append(buf, res.ptr);
}

void writeAttributes(const IdMap& ids, const AttributeTable& table, const std::string& idName,
                     const std::string& path, TaskContext& ctx) {
  OutFile f(path);
  auto& b = f.buffer();
  b += idName;
  for (const auto& c : table.columns) {
    b += ',';
    b += delimitedField(c.name, ',');
  }
  b += '\n';
  for (std::size_t r = 0; r < ids.size(); ++r) {
    if ((r & 0xFFFF) == 0) ctx.throwIfStopped();
    b += delimitedField(ids.external(static_cast<Index>(r)), ',');
    for (const auto& c : table.columns) {
      b += ',';
      b += delimitedField(c.display(r), ',');
    }
    b += '\n';
    f.flushIfFull();
  }
  f.commit();
}

}  // namespace

std::string formatValue(float value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}

namespace {
/// True when some interaction has a timestamp: files of logs without any get no timestamp
/// column (an empty field is not a timestamp the loaders accept).
bool anyTimestamp(const Interactions& log) {
  return std::any_of(log.timestamp.begin(), log.timestamp.end(),
                     [](std::int64_t t) { return t != kNoTimestamp; });
}
}  // namespace

WriteResult writeDatasetFolder(const Dataset& data, const std::string& dir,
                               const FolderWriteOptions& options, TaskContext& ctx) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    throw IoError("cannot create folder '" + dir + "': " + ec.message());
  }
  WriteResult result;
  const auto& log = data.interactions;
  {
    const std::string path = (std::filesystem::path(dir) / "interactions.csv").string();
    OutFile f(path);
    auto& b = f.buffer();
    const bool events = log.hasEvents(), times = anyTimestamp(log);
    b += events ? "user_id,item_id,event,value" : "user_id,item_id,value";
    b += times ? ",timestamp\n" : "\n";
    for (std::size_t k = 0; k < log.size(); ++k) {
      if ((k & 0xFFFF) == 0) {
        ctx.throwIfStopped();
        ctx.progress(0.9 * static_cast<double>(k) / static_cast<double>(log.size()),
                     "writing interactions");
      }
      b += delimitedField(data.users.external(log.user[k]), ',');
      b += ',';
      b += delimitedField(data.items.external(log.item[k]), ',');
      b += ',';
      if (events) {
        b += delimitedField(log.eventNames[log.event[k]], ',');
        b += ',';
      }
      b += formatValue(log.value[k]);
      if (times) {
        b += ',';
        appendTimestamp(b, log.timestamp[k]);
      }
      b += '\n';
      f.flushIfFull();
    }
    f.commit();
    result.files.push_back(path);
    result.interactionRows = log.size();
  }
  if (options.writeItems && !data.itemAttributes.empty()) {
    const std::string path = (std::filesystem::path(dir) / "items.csv").string();
    writeAttributes(data.items, data.itemAttributes, "item_id", path, ctx);
    result.files.push_back(path);
    result.itemRows = data.numItems();
  }
  if (options.writeUsers && !data.userAttributes.empty()) {
    const std::string path = (std::filesystem::path(dir) / "users.csv").string();
    writeAttributes(data.users, data.userAttributes, "user_id", path, ctx);
    result.files.push_back(path);
    result.userRows = data.numUsers();
  }
  ctx.progress(1.0, "written");
  return result;
}

WriteResult writeInteractionsTsv(const Dataset& data, const std::string& path, TaskContext& ctx) {
  const auto& log = data.interactions;
  const bool events = log.hasEvents();
  OutFile f(path);
  auto& b = f.buffer();
  // Event types have no place in the u.data layout: with events the file gets a header, which
  // every loader reads by column name.
  const bool times = anyTimestamp(log);
  if (events)
    b += times ? "user_id\titem_id\tevent\tvalue\ttimestamp\n" : "user_id\titem_id\tevent\tvalue\n";
  for (std::size_t k = 0; k < log.size(); ++k) {
    if ((k & 0xFFFF) == 0) ctx.throwIfStopped();
    appendDelimitedField(b, data.users.external(log.user[k]), '\t');
    b += '\t';
    appendDelimitedField(b, data.items.external(log.item[k]), '\t');
    b += '\t';
    if (events) {
      appendDelimitedField(b, log.eventNames[log.event[k]], '\t');
      b += '\t';
    }
    b += formatValue(log.value[k]);
    if (times) {
      b += '\t';
      appendTimestamp(b, log.timestamp[k]);
    }
    b += '\n';
    f.flushIfFull();
  }
  f.commit();
  WriteResult result;
  result.files.push_back(path);
  result.interactionRows = log.size();
  return result;
}

}  // namespace rwb
