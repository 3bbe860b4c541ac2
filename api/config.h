// The `api:` section of omniroute.yaml (docs/api.md): owned by the API, parsed here with the
// shared strict YAML reader, so the daemon's config knows the section only by name.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/yaml_reader.h"

namespace omniroute::api {

// Roles, from least to most power.
enum class ApiRole { agent, supervisor, admin };
std::string_view to_string(ApiRole role);
std::optional<ApiRole> parse_api_role(std::string_view text);

// A static token, stored as its SHA-256 (lower-case hex) so the file never holds the token.
struct ApiTokenConfig {
  std::string sha256;
  ApiRole role = ApiRole::agent;
  std::string name;   // for logs and as the command actor of supervisor/admin tokens
  std::string agent;  // role agent: the agent id the token acts as
};

// A key that signs tokens minted by the organisation's backend; `id` is the token's `kid`.
struct ApiSigningKey {
  std::string id;
  std::string secret;  // resolved from {env:}/{file:}
};

struct ApiTenantConfig {
  std::vector<ApiTokenConfig> tokens;
  std::vector<ApiSigningKey> signing_keys;
};

struct ApiConfig {
  bool enabled = true;
  // How long a command waits for the active router's result before answering 504.
  std::chrono::milliseconds command_timeout{5000};
  std::uint64_t max_body_bytes = 64 * 1024;
  std::string web_root = "web";  // served at /console/ and /dashboard/; relative to the cwd
  std::map<std::string, ApiTenantConfig> tenants;  // by tenant name
};

// Reads the `api:` mapping into `api`; every problem goes to the reader's diagnostics with its
// position. Secrets ({env:}/{file:}) resolve through `env`.
void parse_api_config(yamlcfg::MapReader& m, const yamlcfg::EnvLookup& env, ApiConfig& api);

}  // namespace omniroute::api
