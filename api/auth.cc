// Token checks. Every refusal says which check failed (the body and the metric label) but
// never echoes the token; static tokens are compared as hashes, signatures in constant time.
#include "api/auth.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "api/token.h"
#include "common/crypto.h"

namespace omniroute::api {
namespace {

AuthResult deny(int status, std::string reason, std::string message) {
  return AuthResult{std::nullopt, Denial{status, std::move(reason), std::move(message)}};
}

AuthResult other_tenant(std::string_view tenant) {
  return deny(404, "other_tenant", "no tenant '" + std::string(tenant) + "'");
}

const api::ApiSigningKey* find_key(const api::ApiConfig& config, const std::string& tenant,
                                   const std::string& kid) {
  auto t = config.tenants.find(tenant);
  if (t == config.tenants.end()) return nullptr;
  for (const auto& key : t->second.signing_keys) {
    if (key.id == kid) return &key;
  }
  return nullptr;
}

}  // namespace

daemon::HttpResponse Denial::response() const {
  const char* code = status == 401 ? "unauthorized" : status == 403 ? "forbidden" : "not_found";
  auto r = daemon::json_error(status, code, message);
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Authenticator::Authenticator(const api::ApiConfig& config, const Clock& clock)
    : clock_(clock), config_(std::make_shared<const api::ApiConfig>(config)) {}

void Authenticator::update(const api::ApiConfig& config) {
  auto fresh = std::make_shared<const api::ApiConfig>(config);
  std::lock_guard lock(mutex_);
  config_ = std::move(fresh);
}

AuthResult Authenticator::authenticate(std::string_view tenant, std::string_view token) const {
  if (token.empty()) return deny(401, "missing_token", "no bearer token");
  if (looks_signed(token)) return authenticate_signed(tenant, token);
  return authenticate_static(tenant, token);
}

// The token's hash is looked up in every tenant: a token of another tenant is a 404 there,
// not a 401, whatever tenant the URL names.
AuthResult Authenticator::authenticate_static(std::string_view tenant,
                                              std::string_view token) const {
  std::shared_ptr<const api::ApiConfig> config;
  {
    std::lock_guard lock(mutex_);
    config = config_;
  }
  const std::string hash = crypto::hex_encode(crypto::digest(crypto::Digest::sha256, token));
  for (const auto& [name, t] : config->tenants) {
    for (const auto& entry : t.tokens) {
      if (!crypto::equal_constant_time(entry.sha256, hash)) continue;
      if (name != tenant) return other_tenant(tenant);
      return AuthResult{Principal{name, entry.role, entry.name, entry.agent, std::nullopt}, {}};
    }
  }
  return deny(401, "unknown_token", "unknown token");
}

AuthResult Authenticator::authenticate_signed(std::string_view tenant,
                                              std::string_view token) const {
  auto parsed = parse_signed_token(token);
  if (!parsed) return deny(401, "malformed", parsed.error().message);
  const TokenClaims& c = parsed->claims;
  std::shared_ptr<const api::ApiConfig> config;
  {
    std::lock_guard lock(mutex_);
    config = config_;
  }
  // The claims are untrusted until the signature holds; they only pick the key to check with.
  const auto* key = find_key(*config, c.tenant, c.kid);
  if (!key) return deny(401, "unknown_key", "token signed with an unknown key");
  if (!signature_matches(*parsed, key->secret)) {
    return deny(401, "bad_signature", "token signature does not match");
  }
  const std::int64_t expires_ms = c.exp * 1000;
  if (clock_.now_unix_ms() >= expires_ms) return deny(401, "expired", "token expired");
  if (c.tenant != tenant) return other_tenant(tenant);
  Principal p{c.tenant, c.role, c.sub, c.role == ApiRole::agent ? c.sub : "", expires_ms};
  return AuthResult{std::move(p), {}};
}

std::string Authenticator::token_of(const daemon::HttpRequest& request, bool allow_query) {
  if (const auto* h = request.header("authorization")) {
    std::string_view v = *h;
    if (v.size() > 7 && (v.starts_with("Bearer ") || v.starts_with("bearer "))) {
      return std::string(v.substr(7));
    }
    return {};
  }
  if (!allow_query || request.query.empty()) return {};
  const std::string target = "/?" + request.query;  // the view below points into it
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return {};
  for (auto param : url->params()) {
    if (param.key == "access_token") return param.value;
  }
  return {};
}

bool role_at_least(ApiRole have, ApiRole need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

}  // namespace omniroute::api
