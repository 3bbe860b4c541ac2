// The `api:` section: tokens (stored as hashes), signing keys (secrets from env or file), the
// command timeout and body limit. Strict like every section: unknown keys are errors.
#include "api/config.h"

#include <algorithm>

#include "daemon/redis/keys.h"

namespace omniroute::api {

using yamlcfg::MapReader;

std::string_view to_string(ApiRole role) {
  switch (role) {
    case ApiRole::agent:
      return "agent";
    case ApiRole::supervisor:
      return "supervisor";
    case ApiRole::admin:
      return "admin";
  }
  return "agent";
}

std::optional<ApiRole> parse_api_role(std::string_view text) {
  for (auto role : {ApiRole::agent, ApiRole::supervisor, ApiRole::admin}) {
    if (to_string(role) == text) return role;
  }
  return std::nullopt;
}

namespace {

bool is_lower_hex_sha256(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// One `tokens:` item. `agent` is required for role agent and refused for the others, so a
// supervisor token can never be mistaken for an agent's.
void parse_api_token(const yamlcfg::Field& item, ApiTokenConfig& token) {
  MapReader m(item, {"sha256", "role", "name", "agent"});
  if (!m.is_mapping()) return;
  if (auto f = m.require("sha256"); f) {
    auto text = f->string();
    if (text && !is_lower_hex_sha256(*text)) {
      f->error("expected 64 lower-case hex digits (omniroute token hash <token> prints them)");
    } else if (text) {
      token.sha256 = *text;
    }
  }
  if (auto f = m.require("role"); f) {
    if (auto text = f->string()) {
      if (auto role = parse_api_role(*text)) {
        token.role = *role;
      } else {
        f->error("unknown role '" + *text + "' (agent, supervisor, admin)");
      }
    }
  }
  if (auto f = m.require("name"); f) token.name = f->string().value_or("");
  auto agent = m.get("agent");
  if (agent) token.agent = agent->string().value_or("");
  if (token.role == ApiRole::agent && !agent) {
    m.self().error("a token with role agent needs 'agent' (the agent id it acts as)");
  } else if (token.role != ApiRole::agent && agent) {
    agent->error("only tokens with role agent name an agent");
  }
}

void parse_api_signing_key(const yamlcfg::Field& item, const yamlcfg::EnvLookup& env,
                           ApiSigningKey& key) {
  MapReader m(item, {"id", "secret"});
  if (!m.is_mapping()) return;
  if (auto f = m.require("id"); f) key.id = f->string().value_or("");
  auto f = m.require("secret");
  if (!f) return;
  auto value = f->indirect_string(env);
  if (!value) return;
  // HMAC-SHA256 keys shorter than this are guessable offline from one token.
  if (value->value.size() < 32) {
    f->error("a signing key secret needs at least 32 bytes");
    return;
  }
  if (value->source == yamlcfg::ValueSource::inline_value) {
    m.diagnostics().warning(f->mark, f->path +
                                         " is a secret written inline; prefer {env: NAME} or "
                                         "{file: PATH}");
  }
  key.secret = std::move(value->value);
}

void parse_api_tenant(const yamlcfg::Field& field, const yamlcfg::EnvLookup& env,
                      ApiTenantConfig& tenant) {
  MapReader m(field, {"tokens", "signing_keys"});
  if (!m.is_mapping()) return;
  if (auto tokens = m.get("tokens"); tokens && !tokens->is_null()) {
    for (const auto& item : tokens->items()) parse_api_token(item, tenant.tokens.emplace_back());
  }
  if (auto keys = m.get("signing_keys"); keys && !keys->is_null()) {
    for (const auto& item : keys->items()) {
      auto& key = tenant.signing_keys.emplace_back();
      parse_api_signing_key(item, env, key);
      for (std::size_t i = 0; i + 1 < tenant.signing_keys.size(); ++i) {
        if (!key.id.empty() && tenant.signing_keys[i].id == key.id) {
          item.error("duplicate signing key id '" + key.id + "'");
        }
      }
    }
  }
}

// A token hash must identify one tenant and one holder: the API finds the tenant from it.
void check_unique_token_hashes(const yamlcfg::Field& tenants_field, const ApiConfig& api) {
  std::map<std::string, std::string> seen;  // hash -> "tenant/name"
  for (const auto& [tenant_name, tenant] : api.tenants) {
    for (const auto& token : tenant.tokens) {
      if (token.sha256.empty()) continue;
      auto [it, inserted] = seen.emplace(token.sha256, tenant_name + "/" + token.name);
      if (!inserted) {
        tenants_field.error("the token of " + tenant_name + "/" + token.name +
                            " has the same sha256 as " + it->second);
      }
    }
  }
}

}  // namespace

void parse_api_config(MapReader& m, const yamlcfg::EnvLookup& env, ApiConfig& api) {
  m.read("enabled", api.enabled);
  m.read_duration("command_timeout_ms", api.command_timeout, 100, 600000);
  m.read("max_body_bytes", api.max_body_bytes, 1024, 64 * 1024 * 1024);
  m.read("web_root", api.web_root);
  if (api.web_root.empty()) m.diagnostics().error(m.mark(), "api.web_root is empty");
  auto tenants = m.get("tenants");
  if (!tenants || tenants->is_null()) return;
  for (auto& [key, value] : tenants->entries()) {
    const std::string name = key.node.Scalar();
    if (!daemon::is_valid_tenant(name)) {
      key.error("tenant '" + name + "' must be 1 to 64 of [a-z0-9_-]");
      continue;
    }
    parse_api_tenant(value, env, api.tenants[name]);
  }
  check_unique_token_hashes(*tenants, api);
}

}  // namespace omniroute::api
