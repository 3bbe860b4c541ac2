// Specification of the strict JSON reader's messages that quote the input (common/strict_json.h):
// a repeated key is named, at most 64 bytes of it, cut on a character boundary.
#include "common/strict_json.h"

#include <catch2/catch.hpp>
#include <string>

#include "common/utf8.h"

using namespace omniroute;

TEST_CASE("strict JSON names a repeated key") {
  auto parsed = parse_strict_json(R"({"a": 1, "a": 2})", {});
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message == "repeats the key 'a'");
}

TEST_CASE("a long repeated key is quoted up to 64 bytes, in whole characters") {
  const std::string key = std::string(63, 'k') + "\xE4\xB8\xAD";  // 中 on bytes 63..65
  auto parsed = parse_strict_json("{\"" + key + "\": 1, \"" + key + "\": 2}", {});
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message == "repeats the key '" + std::string(63, 'k') + "...'");
  CHECK(is_valid_utf8(parsed.error().message));
}
