// Who a bearer token is: static tokens (SHA-256 in the config) and signed tokens (HMAC keys in
// the config), checked against the tenant in the URL; and the role checks of the routes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/config.h"
#include "common/clock.h"
#include "daemon/http/types.h"

namespace omniroute::api {

using api::ApiRole;

// An authenticated caller.
struct Principal {
  std::string tenant;
  ApiRole role = ApiRole::agent;
  std::string name;                        // token name, or a signed token's sub
  std::string agent;                       // role agent: the agent id it acts as
  std::optional<std::int64_t> expires_ms;  // signed tokens only
  // The command `actor` (docs/commands.md): the agent id, or the name for other roles.
  const std::string& actor() const { return role == ApiRole::agent ? agent : name; }
};

// Why a request was refused: the HTTP answer, and `reason` as the metric label and log field.
struct Denial {
  int status = 401;
  std::string reason;  // missing_token, malformed, unknown_token, unknown_key, bad_signature,
                       // expired, other_tenant, role, other_agent
  std::string message;
  daemon::HttpResponse response() const;
};

struct AuthResult {
  std::optional<Principal> principal;
  Denial denial;  // meaningful when principal is empty
  bool ok() const { return principal.has_value(); }
};

// Thread-safe; update() swaps the tenants' tokens and keys at a config reload.
class Authenticator {
 public:
  Authenticator(const api::ApiConfig& config, const Clock& clock);
  void update(const api::ApiConfig& config);

  // `tenant` is the one in the URL. A token valid for another tenant is answered as if the
  // tenant did not exist (404), so the API never confirms another tenant's name.
  AuthResult authenticate(std::string_view tenant, std::string_view token) const;

  // The token of a request: "Authorization: Bearer <t>", else (WebSockets) `access_token` in
  // the query when `allow_query` is set. Empty when there is none.
  static std::string token_of(const daemon::HttpRequest& request, bool allow_query);

 private:
  AuthResult authenticate_static(std::string_view tenant, std::string_view token) const;
  AuthResult authenticate_signed(std::string_view tenant, std::string_view token) const;

  const Clock& clock_;
  mutable std::mutex mutex_;  // guards the pointer only
  std::shared_ptr<const api::ApiConfig> config_;
};

// Role order: agent < supervisor < admin.
bool role_at_least(ApiRole have, ApiRole need);

}  // namespace omniroute::api
