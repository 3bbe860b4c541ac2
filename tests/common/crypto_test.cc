#include <catch2/catch.hpp>

#include "common/crypto.h"

using namespace omniroute::crypto;

TEST_CASE("HMAC-SHA1 and SHA-256 match the RFC 2202/4231 vectors") {
  CHECK(hex_encode(hmac(Digest::sha1, "key", "The quick brown fox jumps over the lazy dog")) ==
        "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
  CHECK(hex_encode(hmac(Digest::sha256, "key", "The quick brown fox jumps over the lazy dog")) ==
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST_CASE("base64 round-trips and rejects malformed text") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto enc = base64_encode(s);
    auto dec = base64_decode(enc);
    REQUIRE(dec);
    CHECK(*dec == s);
  }
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK_FALSE(base64_decode("Zm9vYmF"));   // truncated
  CHECK_FALSE(base64_decode("Zm9v!mFy"));  // bad character
}

TEST_CASE("constant-time comparisons compare content and length") {
  CHECK(equal_constant_time("abc", "abc"));
  CHECK_FALSE(equal_constant_time("abc", "abd"));
  CHECK_FALSE(equal_constant_time("abc", "abcd"));
  CHECK(hex_equal_constant_time("DEADbeef", "deadBEEF"));
  CHECK_FALSE(hex_equal_constant_time("deadbeef", "deadbeee"));
}

#include "common/ulid.h"

TEST_CASE("ULIDs are 26 characters and sort by their timestamp") {
  auto a = omniroute::make_ulid(1'700'000'000'000);
  auto b = omniroute::make_ulid(1'700'000'000'001);
  CHECK(a.size() == 26);
  CHECK(a < b);
  CHECK(a.substr(0, 10) != b.substr(0, 10));
  CHECK(omniroute::make_ulid(1'700'000'000'000) != a);  // random part differs
}
