#include "common/crypto.h"

#include <catch2/catch.hpp>

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

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <thread>
#include <vector>

namespace {

// The reference: OpenSSL's one-shot HMAC, which shares no state between calls.
std::string reference_hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

const std::vector<std::string>& sample_keys() {
  static const std::vector<std::string> keys = {"", "k", "demo-auth-token", std::string(64, 'x'),
                                                std::string(200, '\x7f')};
  return keys;
}

}  // namespace

TEST_CASE("HMACs equal OpenSSL's one-shot result for every key, in any order of keys") {
  const std::string data = "https://example.com/webhooks/twilio/demoBodyhelloFrom+15550001";
  // Alternating keys and digests on one thread: a reused context must not keep the last key.
  for (int round = 0; round < 3; ++round) {
    for (const auto& key : sample_keys()) {
      CHECK(hmac(Digest::sha1, key, data) == reference_hmac(EVP_sha1(), key, data));
      CHECK(hmac(Digest::sha256, key, data) == reference_hmac(EVP_sha256(), key, data));
      CHECK(hmac(Digest::sha512, key, data) == reference_hmac(EVP_sha512(), key, data));
      CHECK(hmac(Digest::md5, key, data) == reference_hmac(EVP_md5(), key, data));
    }
  }
}

TEST_CASE(
    "an HMAC under the key of the call before equals a fresh one, and a near key does not "
    "reuse its schedule") {
  const std::string key = "demo-auth-token";
  std::string last_byte_differs = key;
  last_byte_differs.back() = 'X';
  const std::vector<std::string> keys = {
      key, key, key.substr(0, 4), key, last_byte_differs, last_byte_differs, key + "x", key, "",
      "",  key};
  const std::vector<std::string> payloads = {
      "first", "second, longer than one block of SHA-1: " + std::string(80, 'y')};
  for (const auto& k : keys) {
    for (const auto& data : payloads) {
      CHECK(hmac(Digest::sha1, k, data) == reference_hmac(EVP_sha1(), k, data));
      CHECK(hmac(Digest::sha256, k, data) == reference_hmac(EVP_sha256(), k, data));
    }
  }
}

TEST_CASE("HMACs and digests computed on many threads at once equal the single-threaded ones") {
  std::vector<std::string> expected;
  for (const auto& key : sample_keys()) {
    expected.push_back(hmac(Digest::sha1, key, "payload " + key));
  }
  const std::string expected_digest = digest(Digest::sha256, "body");
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 500; ++round) {
        for (std::size_t k = 0; k < sample_keys().size(); ++k) {
          const auto& key = sample_keys()[k];
          if (hmac(Digest::sha1, key, "payload " + key) != expected[k]) ++mismatches[t];
        }
        if (digest(Digest::sha256, "body") != expected_digest) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("digests match the FIPS 180 vectors, also when algorithms alternate") {
  for (int round = 0; round < 2; ++round) {
    CHECK(hex_encode(digest(Digest::sha1, "abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(hex_encode(digest(Digest::sha256, "abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex_encode(digest(Digest::md5, "")) == "d41d8cd98f00b204e9800998ecf8427e");
  }
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
