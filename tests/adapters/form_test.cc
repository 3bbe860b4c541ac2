// Specification of the shared form decoder (adapters/common/form.h); the UTF-8 check it uses is
// specified in tests/common/utf8_test.cc.
#include "adapters/common/form.h"

#include <catch2/catch.hpp>

using omniroute::Errc;
using namespace omniroute::adapters;

namespace {

// The fields as owned strings, so that they outlive the parsed form.
std::vector<form::Field> parsed(std::string_view body, const form::Limits& limits = {}) {
  auto result = form::parse(body, limits);
  REQUIRE(result.has_value());
  std::vector<form::Field> fields;
  for (const auto& field : result->fields()) {
    fields.push_back({std::string(field.key), std::string(field.value)});
  }
  return fields;
}

Errc parse_error(std::string_view body, const form::Limits& limits = {}) {
  auto result = form::parse(body, limits);
  REQUIRE_FALSE(result.has_value());
  return result.error().code;
}

}  // namespace

TEST_CASE("a form body decodes into fields in arrival order") {
  CHECK(parsed("To=%2B15550001111&Body=hello") ==
        std::vector<form::Field>{{"To", "+15550001111"}, {"Body", "hello"}});
}

TEST_CASE("an empty body is an empty form, and empty segments are skipped") {
  CHECK(parsed("").empty());
  CHECK(parsed("&&&").empty());
  CHECK(parsed("a=1&&b=2&") == std::vector<form::Field>{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("'+' decodes to a space and %2B to a plus sign") {
  CHECK(parsed("Body=hello+world%2B1") == std::vector<form::Field>{{"Body", "hello world+1"}});
  CHECK(parsed("a+b=c") == std::vector<form::Field>{{"a b", "c"}});
}

TEST_CASE("a key without '=' has an empty value and only the first '=' splits") {
  CHECK(parsed("flag&x=a=b") == std::vector<form::Field>{{"flag", ""}, {"x", "a=b"}});
  CHECK(parsed("=v") == std::vector<form::Field>{{"", "v"}});
}

TEST_CASE("percent-escapes decode in either case, including multi-byte UTF-8") {
  CHECK(parsed("n=Mar%C3%ADa%20%c3%a9") == std::vector<form::Field>{{"n", "María é"}});
}

TEST_CASE("repeated keys are kept, each value in order") {
  auto result = form::parse("k=2&x=0&k=1&k=2");
  REQUIRE(result.has_value());
  CHECK(result->size() == 4);
  CHECK(result->get("k") == std::optional<std::string_view>("2"));
  CHECK(result->get_all("k") == std::vector<std::string_view>{"2", "1", "2"});
  CHECK_FALSE(result->get("K"));  // keys are case-sensitive
  CHECK(result->value_or_empty("missing").empty());
}

TEST_CASE("a truncated %-escape is invalid input") {
  CHECK(parse_error("a=%") == Errc::invalid_input);
  CHECK(parse_error("a=%4") == Errc::invalid_input);
  CHECK(parse_error("a%2=1") == Errc::invalid_input);
}

TEST_CASE("a %-escape with non-hex digits is invalid input") {
  CHECK(parse_error("a=%zz") == Errc::invalid_input);
  CHECK(parse_error("a=%4g") == Errc::invalid_input);
  CHECK(parse_error("a=%+1") == Errc::invalid_input);
}

TEST_CASE("a key or value that decodes to invalid UTF-8 is invalid input") {
  CHECK(parse_error("a=%FF") == Errc::invalid_input);
  CHECK(parse_error("a=%C3") == Errc::invalid_input);        // truncated sequence
  CHECK(parse_error("a=%C0%AF") == Errc::invalid_input);     // overlong '/'
  CHECK(parse_error("%ED%A0%80=1") == Errc::invalid_input);  // surrogate in a key
  CHECK(parse_error("a=\xff") == Errc::invalid_input);       // raw byte, not escaped
}

TEST_CASE("the error message names the field's position but not its content") {
  auto result = form::parse("a=1&secret=%zz");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message == "form field 2: value has an invalid %-escape");
}

TEST_CASE("more fields than the limit is too large") {
  form::Limits limits;
  limits.max_fields = 3;
  CHECK(parsed("a=1&b=2&c=3", limits).size() == 3);
  CHECK(parse_error("a=1&b=2&c=3&d=4", limits) == Errc::too_large);
}

TEST_CASE("a key or value longer than its limit after decoding is too large") {
  form::Limits limits;
  limits.max_key_bytes = 3;
  limits.max_value_bytes = 4;
  CHECK(parsed("abc=%41%42%43%44", limits) == std::vector<form::Field>{{"abc", "ABCD"}});
  CHECK(parse_error("abcd=1", limits) == Errc::too_large);
  CHECK(parse_error("a=12345", limits) == Errc::too_large);
}

TEST_CASE("plain and escaped components obey the same limit and the same UTF-8 rule") {
  form::Limits limits;
  limits.max_value_bytes = 4;
  CHECK(parsed("a=ABCD", limits) == parsed("a=%41%42%43%44", limits));
  CHECK(parse_error("a=ABCDE", limits) == Errc::too_large);
  CHECK(parse_error("a=%41%42%43%44%45", limits) == Errc::too_large);
  CHECK(parse_error("a=\xff", limits) == Errc::invalid_input);  // raw byte, not escaped
}

TEST_CASE("a query string parses by the same rules, with or without its '?'") {
  auto with = form::parse_query("?bodySHA256=ab%20c&x");
  auto without = form::parse_query("bodySHA256=ab+c&x");
  REQUIRE(with.has_value());
  REQUIRE(without.has_value());
  CHECK(with->fields() == without->fields());
  CHECK(with->get("bodySHA256") == std::optional<std::string_view>("ab c"));
  CHECK_FALSE(form::parse_query("a=%g0").has_value());
}

TEST_CASE("encode produces a body that parses back to the same fields") {
  std::vector<form::Field> fields{
      {"From", "whatsapp:+5215512345678"}, {"Body", "a+b c&d=e%f ¿🚚?"}, {"", ""}, {"k", "\0x"}};
  fields[3].value = std::string("\0x", 2);
  const auto body = form::encode(fields);
  CHECK(body.find(' ') == std::string::npos);
  CHECK(parsed(body) == fields);
}

TEST_CASE("a form's views survive a move and a copy of the form") {
  auto result = form::parse("Body=hello+world&To=%2B1555&From=plain");
  REQUIRE(result.has_value());
  form::Form moved = std::move(*result);
  const form::Form copy = moved;
  std::optional<form::Form> assigned;
  assigned = copy;
  for (const form::Form* f : std::initializer_list<const form::Form*>{&moved, &copy, &*assigned}) {
    CHECK(f->get("Body") == std::optional<std::string_view>("hello world"));
    CHECK(f->get("To") == std::optional<std::string_view>("+1555"));
    CHECK(f->get("From") == std::optional<std::string_view>("plain"));
  }
  CHECK(copy.fields().front().value.data() != moved.fields().front().value.data());
}

TEST_CASE("a form outlives the text it was parsed from") {
  std::optional<form::Form> kept;
  {
    std::string body = "a=%41b&c=d";
    auto result = form::parse(body);
    REQUIRE(result.has_value());
    kept = std::move(*result);
    body.assign(body.size(), 'x');
  }
  CHECK(kept->get("a") == std::optional<std::string_view>("Ab"));
  CHECK(kept->get("c") == std::optional<std::string_view>("d"));
}

TEST_CASE("a form built from owned fields holds them") {
  const form::Form built(std::vector<form::Field>{{"k", "v"}, {"", "x y"}});
  CHECK(built.size() == 2);
  CHECK(built.get("") == std::optional<std::string_view>("x y"));
  CHECK(form::encode(built.fields()) == "k=v&=x+y");
}

// The decoder scans 8 bytes at a time: every escape, '+' and non-ASCII byte must be found at
// every position within a word, and the bytes after it moved down correctly.
TEST_CASE("escapes decode at every offset within a long value") {
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (std::size_t at = 0; at <= plain.size(); ++at) {
    for (const auto& [encoded, decoded] :
         std::vector<std::pair<std::string, std::string>>{{"%2B", "+"},
                                                          {"+", " "},
                                                          {"%C3%A9", "\xC3\xA9"},
                                                          {"\xC3\xA9", "\xC3\xA9"},
                                                          {"%2B%2B+x%25", "++ x%"}}) {
      const auto body = "k=" + plain.substr(0, at) + encoded + plain.substr(at) + "&z=1";
      const auto expected = plain.substr(0, at) + decoded + plain.substr(at);
      CHECK(parsed(body) == std::vector<form::Field>{{"k", expected}, {"z", "1"}});
    }
  }
}

TEST_CASE("a value reaches its limit exactly, or is too long by one byte, at any offset") {
  const std::string plain(40, 'v');
  for (std::size_t max = 1; max < 24; ++max) {
    const form::Limits limits{.max_fields = 4, .max_key_bytes = 8, .max_value_bytes = max};
    CHECK(parsed("k=" + plain.substr(0, max), limits) ==
          std::vector<form::Field>{{"k", plain.substr(0, max)}});
    CHECK(parse_error("k=" + plain.substr(0, max + 1), limits) == Errc::too_large);
    CHECK(parsed("k=%41" + plain.substr(0, max - 1), limits) ==
          std::vector<form::Field>{{"k", "A" + plain.substr(0, max - 1)}});
    CHECK(parse_error("k=%41" + plain.substr(0, max), limits) == Errc::too_large);
  }
}
