// Signed API tokens, `v1.<payload>.<signature>`: what the organisation's backend mints with a
// shared key and what `omniroute token sign` makes for tests and scripts (docs/api.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/config.h"
#include "common/result.h"

namespace omniroute::api {

// Limits of a signed token: its length, each string claim (ids and names the router takes at
// most 128 bytes of), and exp (year 9999, so that the expiry in ms fits an int64).
inline constexpr std::size_t kMaxTokenBytes = 4096;
inline constexpr std::size_t kMaxClaimBytes = 128;
inline constexpr std::int64_t kMaxTokenExp = 253'402'300'799;

// The payload of a signed token.
struct TokenClaims {
  std::string kid;     // which of the tenant's signing keys signed it
  std::string tenant;  // the only tenant it is valid for
  api::ApiRole role = api::ApiRole::agent;
  std::string sub;       // the agent id for role agent, else a name for logs and commands
  std::int64_t exp = 0;  // unix seconds
};

// base64url without padding (RFC 4648 §5), as JWTs use it; decode refuses padding, any
// character outside the alphabet and non-zero unused bits (only the canonical spelling decodes).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// "v1.<b64url(JSON claims)>.<b64url(HMAC-SHA256(secret, "v1.<payload>"))>".
std::string sign_token(const TokenClaims& claims, std::string_view secret);

// A token split into its parts and its claims read, but NOT yet verified: the claims name the
// tenant and key to verify with. Errc::unauthorized with the reason for anything malformed.
struct UnverifiedToken {
  std::string signed_part;  // "v1.<payload>": what the signature covers
  std::string signature;    // raw bytes
  TokenClaims claims;
};
Result<UnverifiedToken> parse_signed_token(std::string_view token);

// True when `token` is the right HMAC under `secret` (constant time).
bool signature_matches(const UnverifiedToken& token, std::string_view secret);

// Signed tokens start with "v1."; anything else is looked up as a static token.
inline bool looks_signed(std::string_view token) {
  return token.starts_with("v1.");
}

}  // namespace omniroute::api
