#include "core/data/database_preview.h"

#include "core/data/sql_rows.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"

namespace rwb {

DatabasePreview previewDatabase(const std::string& source, const DatasetOptions& options,
                                PreviewTable part, std::size_t maxRows, TaskContext& ctx) {
  const DataFormat format =
      options.format == DataFormat::kAuto ? detectDataFormat(source) : options.format;
  switch (format) {
    case DataFormat::kSqlite:
      return previewSqlite(source, options, part, maxRows, ctx);
    case DataFormat::kPostgreSql:
      return previewPostgreSql(source, options, part, maxRows, ctx);
    case DataFormat::kOdbc:
      return previewOdbc(source, options, part, maxRows, ctx);
    default:
      break;
  }
  throw IoError("'" + redactConnectionString(source) +
                "' is not a database: give a postgresql:// URI, odbc:DSN or an SQLite file");
}

}  // namespace rwb
