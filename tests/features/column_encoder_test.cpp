#include "core/features/column_encoder.h"

#include <cmath>

#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
AttributeColumn categorical(std::initializer_list<const char*> values) {
  AttributeColumn c{"color", ColumnType::kCategorical};
  for (const char* v : values) c.codes.push_back(v ? c.internCategory(v) : -1);
  return c;
}
AttributeColumn numeric(std::initializer_list<double> values) {
  AttributeColumn c{"x", ColumnType::kNumeric};
  c.numeric = values;
  return c;
}
AttributeColumn text(std::initializer_list<const char*> values) {
  AttributeColumn c{"title", ColumnType::kText};
  for (const char* v : values) c.text.emplace_back(v);
  return c;
}
std::vector<Index> rows(std::size_t n) {
  std::vector<Index> r(n);
  for (std::size_t i = 0; i < n; ++i) r[i] = static_cast<Index>(i);
  return r;
}
EncoderConfig cfg(const char* kind, nlohmann::json extra = nlohmann::json::object()) {
  extra["column"] = "c";
  extra["kind"] = kind;
  return EncoderConfig::fromJson(extra, "$");
}
SparseVector enc(const ColumnEncoder& e, const AttributeColumn& c, Index row) {
  SparseVector v;
  e.encode(c, row, 0, v);
  return v;
}
}  // namespace

TEST_CASE("one-hot keeps frequent categories and sends rare and unseen ones to <other>",
          "[features]") {
  const auto col = categorical({"red", "red", "blue", "red", nullptr, "green"});
  ColumnEncoder e(cfg("onehot", {{"min_frequency", 2}}), "item.color");
  // Fit on rows 0-4 only: green (row 5) is unseen, blue is rare.
  const std::vector<Index> fitRows = {0, 1, 2, 3, 4};
  e.fit(col, fitRows, 0, "$");
  REQUIRE(e.names() == std::vector<std::string>{"item.color=red", "item.color=<other>"});
  CHECK(enc(e, col, 0) == SparseVector{{0, 1.0f}});
  CHECK(enc(e, col, 2) == SparseVector{{1, 1.0f}});
  CHECK(enc(e, col, 5) == SparseVector{{1, 1.0f}});
  CHECK(enc(e, col, 4).empty());   // missing
  CHECK(enc(e, col, 99).empty());  // past the end of the column = missing
}

TEST_CASE("multi-hot encodes every value; hashing maps into the bucket range", "[features]") {
  AttributeColumn col{"genres", ColumnType::kMultiCategorical};
  col.offsets = {0};
  for (auto list : {std::vector<const char*>{"a", "b"}, {"b"}, {}, {"c", "a", "a"}}) {
    for (auto v : list) col.codes.push_back(col.internCategory(v));
    col.offsets.push_back(col.codes.size());
  }
  ColumnEncoder e(cfg("multihot"), "item.genres");
  e.fit(col, rows(4), 0, "$");
  REQUIRE(e.names() == std::vector<std::string>{"item.genres=a", "item.genres=b", "item.genres=c",
                                                "item.genres=<other>"});
  CHECK(enc(e, col, 0) == SparseVector{{0, 1.0f}, {1, 1.0f}});
  CHECK(enc(e, col, 2).empty());
  CHECK(enc(e, col, 3) == SparseVector{{0, 1.0f}, {2, 1.0f}});  // duplicates count once

  ColumnEncoder h(cfg("multihot", {{"hash_buckets", 3}}), "item.genres");
  h.fit(col, rows(4), 0, "$");
  CHECK(h.dim() == 3);
  for (Index r = 0; r < 4; ++r) {
    for (const auto& f : enc(h, col, r)) {
      CHECK(f.index < 3);
      CHECK(f.value == 1.0f);
    }
  }
  CHECK(enc(h, col, 1) == enc(h, col, 1));
  CHECK_THROWS_AS(ColumnEncoder(cfg("onehot"), "x").fit(col, rows(4), 0, "$"), SpecError);
}

TEST_CASE("numeric standardises with training mean and std, flags missing, bins by quantile",
          "[features]") {
  const auto col = numeric({1.0, 2.0, 3.0, std::nan(""), 100.0});
  ColumnEncoder e(cfg("numeric", {{"bins", 2}}), "user.x");
  e.fit(col, std::vector<Index>{0, 1, 2, 3}, 0, "$");  // row 4 (100) is not training data
  REQUIRE(e.names() ==
          std::vector<std::string>{"user.x", "user.x:missing", "user.x#bin0", "user.x#bin1"});
  const double sd = std::sqrt(2.0 / 3.0);
  auto r2 = enc(e, col, 2);
  REQUIRE(r2.size() == 2);
  CHECK(r2[0].value == Approx(1.0 / sd));
  CHECK(r2[1].index == 3);                           // 3 is above the median edge (2): bin 1
  CHECK(enc(e, col, 1) == SparseVector{{3, 1.0f}});  // z = 0 is omitted; 2 falls in bin 1
  CHECK(enc(e, col, 0)[1].index == 2);
  CHECK(enc(e, col, 3) == SparseVector{{1, 1.0f}});
  CHECK(enc(e, col, 4)[0].value == Approx(98.0 / sd));

  ColumnEncoder l(cfg("numeric", {{"log", true}, {"standardize", false}}), "user.x");
  const auto col2 = numeric({std::exp(1.0) - 1.0, -(std::exp(2.0) - 1.0)});
  l.fit(col2, rows(2), 0, "$");
  CHECK(enc(l, col2, 0)[0].value == Approx(1.0));
  CHECK(enc(l, col2, 1)[0].value == Approx(-2.0));
}

TEST_CASE("tfidf: lower-case, stop words, bigrams, smooth idf, L2 norm, df limits, cap",
          "[features]") {
  const auto col = text({"The Cat sat", "the cat ran", "A dog", "cat's"});
  CHECK(tokenize("Schindler's List (1993)", true) ==
        std::vector<std::string>{"schindlers", "list", "1993"});
  ColumnEncoder e(cfg("tfidf"), "item.title");
  e.fit(col, std::vector<Index>{0, 1, 2}, 0, "$");
  REQUIRE(e.names() == std::vector<std::string>{"item.title:cat", "item.title:cat ran",
                                                "item.title:cat sat", "item.title:dog",
                                                "item.title:ran", "item.title:sat"});
  const double idfCat = std::log(4.0 / 3.0) + 1.0, idfSat = std::log(4.0 / 2.0) + 1.0;
  const double norm = std::sqrt(idfCat * idfCat + 2 * idfSat * idfSat);
  const auto r0 = enc(e, col, 0);
  REQUIRE(r0.size() == 3);
  CHECK(r0[0].index == 0);
  CHECK(r0[0].value == Approx(idfCat / norm));
  CHECK(r0[1].index == 2);
  CHECK(r0[1].value == Approx(idfSat / norm));
  CHECK(enc(e, col, 3).empty());  // "cats" was never seen in training

  ColumnEncoder m(cfg("tfidf", {{"min_df", 2}}), "t");
  m.fit(col, std::vector<Index>{0, 1, 2}, 0, "$");
  REQUIRE(m.dim() == 1);
  CHECK(enc(m, col, 1) == SparseVector{{0, 1.0f}});
  ColumnEncoder x(cfg("tfidf", {{"max_df", 0.5}, {"ngram_max", 1}, {"stop_words", false}}), "t");
  x.fit(col, std::vector<Index>{0, 1, 2}, 0, "$");
  // "cat" and "the" are in 2 of 3 documents (> 0.5): dropped.
  CHECK(x.names() == std::vector<std::string>{"t:a", "t:dog", "t:ran", "t:sat"});
  ColumnEncoder cap(cfg("tfidf", {{"max_features", 1}}), "t");
  cap.fit(col, std::vector<Index>{0, 1, 2}, 0, "$");
  CHECK(cap.names() == std::vector<std::string>{"t:cat"});
}

TEST_CASE("date encoder gives calendar year and age in years at the reference time", "[features]") {
  // 2000-01-01T00:00:00Z and 2010-07-02T12:00:00Z (mid-year).
  const double y2000 = 946684800.0, y2010 = 1278072000.0;
  const auto col = numeric({y2000, y2010, std::nan("")});
  ColumnEncoder e(cfg("date", {{"standardize", false}}), "item.d");
  const std::int64_t ref = 1577836800;  // 2020-01-01
  e.fit(col, rows(3), ref, "$");
  REQUIRE(e.names() ==
          std::vector<std::string>{"item.d:year", "item.d:age_years", "item.d:missing"});
  const auto r0 = enc(e, col, 0);
  CHECK(r0[0].value == Approx(2000.0));
  CHECK(r0[1].value == Approx(20.0).epsilon(0.001));
  CHECK(enc(e, col, 1)[0].value == Approx(2010.5).epsilon(1e-5));
  CHECK(enc(e, col, 2) == SparseVector{{2, 1.0f}});
}

TEST_CASE("encoder configs reject unknown kinds, options and wrong column types", "[features]") {
  CHECK_THROWS_AS(EncoderConfig::fromJson({{"column", "a"}, {"kind", "magic"}}, "$.item[0]"),
                  SpecError);
  CHECK_THROWS_AS(
      EncoderConfig::fromJson({{"column", "a"}, {"kind", "numeric"}, {"bogus", 1}}, "$"),
      SpecError);
  CHECK_THROWS_AS(EncoderConfig::fromJson({{"kind", "numeric"}}, "$"), SpecError);
  try {
    EncoderConfig::fromJson({{"column", "a"}, {"kind", "tfidf"}, {"max_df", 3}}, "$.item[2]");
    FAIL("expected SpecError");
  } catch (const SpecError& e) {
    CHECK(e.path() == "$.item[2].max_df");
  }
  const auto col = numeric({1.0});
  CHECK_THROWS_AS(ColumnEncoder(cfg("tfidf"), "t").fit(col, rows(1), 0, "$"), SpecError);
}

TEST_CASE("encoders survive save and load unchanged", "[features]") {
  const auto col = text({"red fox jumps", "lazy dog sleeps", "red dog"});
  ColumnEncoder e(cfg("tfidf"), "item.title");
  e.fit(col, rows(3), 0, "$");
  BinaryWriter w;
  e.save(w);
  BinaryReader r(w.bytes());
  const ColumnEncoder back = ColumnEncoder::load(r);
  CHECK(r.atEnd());
  CHECK(back.names() == e.names());
  for (Index i = 0; i < 3; ++i) CHECK(enc(back, col, i) == enc(e, col, i));
  const std::string cut = w.bytes().substr(0, w.bytes().size() / 2);
  BinaryReader bad(cut);
  CHECK_THROWS_AS(ColumnEncoder::load(bad), ModelError);
}
