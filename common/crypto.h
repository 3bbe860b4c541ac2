// Digests, HMACs and encodings every signature scheme needs, over OpenSSL, in one place.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace omniroute::crypto {

enum class Digest { md5, sha1, sha256, sha512 };

// Raw (binary) digests and HMACs.
std::string digest(Digest alg, std::string_view data);
std::string hmac(Digest alg, std::string_view key, std::string_view data);

std::string hex_encode(std::string_view bytes);  // lower case
std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; nullopt on any invalid character or length.
std::optional<std::string> base64_decode(std::string_view text);

// Constant-time comparisons: their time depends on the lengths only, never on content.
bool equal_constant_time(std::string_view a, std::string_view b);
// Hex digests arrive in either case from some vendors; compare case-insensitively.
bool hex_equal_constant_time(std::string_view a, std::string_view b);

// Cryptographically strong random bytes (RAND_bytes).
std::string random_bytes(std::size_t n);

}  // namespace omniroute::crypto
