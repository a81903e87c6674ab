// Fuzz target: the delimited interactions loader (core/data/delimited_loader, csv_reader).
// Input: one options byte, then the file's bytes. The options byte picks the delimiter
// (detected or one of , \t ; | ::), the header mode, strict or lenient, UTF-8 or Latin-1 and
// whether '"' quotes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/data/delimited_loader.h"
#include "core/util/error.h"
#include "dataset_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t opt = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  rwb::DelimitedOptions o;
  switch (opt & 7) {
    case 1:
      o.delimiter = ',';
      break;
    case 2:
      o.delimiter = '\t';
      break;
    case 3:
      o.delimiter = ';';
      break;
    case 4:
      o.delimiter = '|';
      break;
    case 5:
      o.delimiterText = "::";
      break;
    default:
      break;  // detect
  }
  o.header = (opt >> 3 & 3) == 1   ? rwb::HeaderMode::kYes
             : (opt >> 3 & 3) == 2 ? rwb::HeaderMode::kNo
                                   : rwb::HeaderMode::kAuto;
  o.strict = (opt & 0x20) == 0;
  o.encoding = (opt & 0x40) ? rwb::TextEncoding::kLatin1 : rwb::TextEncoding::kUtf8;
  o.quote = (opt & 0x80) ? 0 : '"';
  const auto path = rwb::fuzz::scratchDir() / "interactions.csv";
  rwb::fuzz::writeBytes(path, text);
  try {
    rwb::TaskContext ctx;
    rwb::fuzz::checkLoad(rwb::loadDelimited(path.string(), o, ctx));
  } catch (const rwb::Error&) {
    // A located message: what bad input must get.
  }
  return 0;
}
