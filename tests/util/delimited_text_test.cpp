#include "core/util/delimited_text.h"

#include <catch2/catch.hpp>

using namespace rwb;

TEST_CASE("delimitedField quotes per RFC 4180 only where needed", "[util][delimited]") {
  CHECK(delimitedField("plain", ',') == "plain");
  CHECK(delimitedField("", ',') == "");
  CHECK(delimitedField("a,b", ',') == "\"a,b\"");
  CHECK(delimitedField("say \"hi\"", ',') == "\"say \"\"hi\"\"\"");
  CHECK(delimitedField("two\nlines", ',') == "\"two\nlines\"");
  CHECK(delimitedField("cr\rhere", '\t') == "\"cr\rhere\"");
  CHECK(delimitedField(" padded", ',') == "\" padded\"");
  CHECK(delimitedField("a\tb", ',') == "a\tb");
  CHECK(delimitedField("a\tb", '\t') == "\"a\tb\"");
  CHECK(delimitedField("a,b", '\t') == "a,b");
  CHECK(delimitedField("caf\xc3\xa9", '\t') == "caf\xc3\xa9");
  std::string out = "x\t";
  appendDelimitedField(out, "q\"", '\t');
  CHECK(out == "x\t\"q\"\"\"");
}
