// Signed tokens: base64url, the claims as JSON, HMAC-SHA256 over the version and the payload.
#include "api/token.h"

#include <boost/json.hpp>

#include "common/crypto.h"
#include "common/strict_json.h"

namespace omniroute::api {
namespace {

Error malformed(std::string why) {
  return make_error(Errc::unauthorized, "malformed token: " + why);
}

// The claims as JSON; unknown, repeated or missing keys, wrong types, values over their limits:
// the token is refused whole.
Result<TokenClaims> claims_from_json(std::string_view text) {
  auto value = parse_strict_json(text, {.max_bytes = kMaxTokenBytes, .max_depth = 2});
  if (!value) return malformed("payload " + value.error().message);
  if (!value->is_object()) return malformed("payload is not a JSON object");
  const auto& o = value->as_object();
  if (o.size() != 5) return malformed("payload needs exactly kid, tenant, role, sub, exp");
  TokenClaims c;
  auto text_of = [&](const char* key, std::string& out) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_string() || v->as_string().empty()) return false;
    if (v->as_string().size() > kMaxClaimBytes) return false;
    out = std::string(v->as_string());
    return true;
  };
  std::string role;
  if (!text_of("kid", c.kid) || !text_of("tenant", c.tenant) || !text_of("role", role) ||
      !text_of("sub", c.sub)) {
    return malformed("kid, tenant, role and sub must be strings of 1.." +
                     std::to_string(kMaxClaimBytes) + " bytes");
  }
  auto parsed_role = api::parse_api_role(role);
  if (!parsed_role) return malformed("unknown role");
  c.role = *parsed_role;
  auto* exp = o.if_contains("exp");
  // Bounded so that exp * 1000 (the expiry in ms) cannot overflow.
  if (!exp || !exp->is_int64() || exp->as_int64() < 0 || exp->as_int64() > kMaxTokenExp) {
    return malformed("exp must be an integer 0.." + std::to_string(kMaxTokenExp) +
                     " (unix seconds)");
  }
  c.exp = exp->as_int64();
  return c;
}

}  // namespace

// The URL-safe alphabet over common/crypto's standard base64: swap the two symbols, drop or
// restore the padding.
std::string base64url_encode(std::string_view bytes) {
  std::string out = crypto::base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // no byte ends there
  if (text.find_first_of("+/=") != std::string_view::npos) return std::nullopt;
  std::string standard(text);
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  standard.append((4 - standard.size() % 4) % 4, '=');
  auto out = crypto::base64_decode(standard);
  // Only the canonical spelling: the unused low bits of the last character must be zero,
  // otherwise four spellings of one signature would all verify and a token would not be one
  // string. Re-encoding is the plainest way to say so.
  if (!out || base64url_encode(*out) != text) return std::nullopt;
  return out;
}

std::string sign_token(const TokenClaims& claims, std::string_view secret) {
  boost::json::object o;
  o["kid"] = claims.kid;
  o["tenant"] = claims.tenant;
  o["role"] = std::string(to_string(claims.role));
  o["sub"] = claims.sub;
  o["exp"] = claims.exp;
  std::string signed_part = "v1." + base64url_encode(boost::json::serialize(o));
  return signed_part + "." +
         base64url_encode(crypto::hmac(crypto::Digest::sha256, secret, signed_part));
}

Result<UnverifiedToken> parse_signed_token(std::string_view token) {
  // A bearer token of kilobytes is not ours; refuse before decoding anything.
  if (token.size() > kMaxTokenBytes) return malformed("too long");
  if (!looks_signed(token)) return malformed("expected v1.<payload>.<signature>");
  auto dot = token.find('.', 3);
  if (dot == std::string_view::npos) return malformed("expected v1.<payload>.<signature>");
  auto payload = base64url_decode(token.substr(3, dot - 3));
  auto signature = base64url_decode(token.substr(dot + 1));
  if (!payload || !signature) return malformed("not base64url");
  auto claims = claims_from_json(*payload);
  if (!claims) return claims.error();
  return UnverifiedToken{std::string(token.substr(0, dot)), std::move(*signature),
                         std::move(*claims)};
}

bool signature_matches(const UnverifiedToken& token, std::string_view secret) {
  return crypto::equal_constant_time(
      crypto::hmac(crypto::Digest::sha256, secret, token.signed_part), token.signature);
}

}  // namespace omniroute::api
