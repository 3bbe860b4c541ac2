// Fuzz target for signed API tokens (api/token.h) and their verification (api/auth.h): any
// bytes parse or are refused cleanly; a token is one string (a changed character never still
// verifies); claims respect their limits; a token that verifies re-encodes to itself.
//
// Input layout: one flag byte, then the rest. Flags: bit 0 = the rest is a claims payload,
// signed here with the tenant's key (so the fuzzer reaches the checks behind the signature);
// bit 1 = then change the character at position (flags >> 2) of the token.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/auth.h"
#include "api/token.h"
#include "common/clock.h"
#include "common/crypto.h"

using namespace omniroute;
using namespace omniroute::api;

namespace {

constexpr std::string_view kSecret = "fuzz-signing-key-0123456789abcdef";
constexpr std::int64_t kNowMs = 1'700'000'000'000;

const Authenticator& authenticator() {
  static ManualClock clock(kNowMs);
  static const Authenticator instance = [] {
    api::ApiConfig c;
    c.tenants["demo"].signing_keys = {{"k1", std::string(kSecret)}};
    c.tenants["other"].signing_keys = {{"k2", "another-key-of-another-tenant-000"}};
    return Authenticator(c, clock);
  }();
  return instance;
}

std::string signed_over(std::string_view payload) {
  const std::string signed_part = "v1." + base64url_encode(payload);
  return signed_part + "." +
         base64url_encode(crypto::hmac(crypto::Digest::sha256, kSecret, signed_part));
}

void check_claims(const TokenClaims& c) {
  for (const auto* s : {&c.kid, &c.tenant, &c.sub}) {
    if (s->empty() || s->size() > kMaxClaimBytes) std::abort();
  }
  if (c.exp < 0 || c.exp > kMaxTokenExp) std::abort();
}

// base64url is a bijection between bytes and canonical text.
void check_base64(std::string_view text) {
  if (base64url_decode(base64url_encode(text)) != text) std::abort();
  if (auto bytes = base64url_decode(text); bytes && base64url_encode(*bytes) != text) std::abort();
}

void check_token(const std::string& token, bool signed_here, bool changed) {
  auto parsed = parse_signed_token(token);
  const auto auth = authenticator().authenticate("demo", token);
  if (!parsed) {
    if (auth.ok()) std::abort();
    return;
  }
  if (token.size() > kMaxTokenBytes) std::abort();
  check_claims(parsed->claims);
  // Re-encoding the decoded parts gives the token back: no second spelling exists.
  const auto payload = base64url_decode(std::string_view(parsed->signed_part).substr(3));
  if (!payload) std::abort();
  const std::string again =
      "v1." + base64url_encode(*payload) + "." + base64url_encode(parsed->signature);
  if (again != token) std::abort();

  const bool verifies = signature_matches(*parsed, kSecret);
  // A token verifies exactly when it is what the key's holder makes of its payload: one
  // spelling only, and a changed character never still verifies.
  if (verifies != (token == signed_over(*payload))) std::abort();
  if (signed_here && !changed && !verifies) std::abort();
  if (changed && verifies) std::abort();
  const auto& c = parsed->claims;
  const bool valid = verifies && c.kid == "k1" && c.tenant == "demo" && c.exp * 1000 > kNowMs;
  if (auth.ok() != valid) std::abort();
  if (auth.ok()) {
    const auto& p = *auth.principal;
    if (p.tenant != "demo" || p.role != c.role || p.expires_ms != c.exp * 1000) std::abort();
    // What we would sign for the same claims reads back the same and verifies.
    auto resigned = parse_signed_token(sign_token(c, kSecret));
    if (!resigned || !signature_matches(*resigned, kSecret)) std::abort();
    const auto& r = resigned->claims;
    if (r.kid != c.kid || r.tenant != c.tenant || r.role != c.role || r.sub != c.sub ||
        r.exp != c.exp) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_base64(rest);
  const bool signed_here = flags & 1;
  std::string token = signed_here ? signed_over(rest) : std::string(rest);
  bool changed = false;
  if ((flags & 2) && !token.empty()) {
    auto& c = token[(flags >> 2) % token.size()];
    c = static_cast<char>(c ^ 0x01);
    changed = true;
  }
  check_token(token, signed_here, changed);
  return 0;
}
