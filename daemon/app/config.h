// The daemon's own configuration (omniroute.yaml) as typed structs, and its loader: strict YAML
// with file:line:col errors, secrets from env/files, per-host overrides from CLI and env.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.h"
#include "api/config.h"
#include "common/log.h"
#include "common/result.h"
#include "common/yaml_reader.h"
#include "daemon/redis/url.h"

namespace omniroute::daemon {

// Where to listen: an IP literal and a port ("127.0.0.1:8080", "[::1]:8080"). Port 0 asks the
// kernel for any free port (tests).
struct ListenAddress {
  std::string host = "127.0.0.1";  // without brackets
  std::uint16_t port = 8080;
  std::string to_string() const;  // brackets around IPv6
};

// `http:` limits of the shared HTTP server.
struct HttpConfig {
  std::uint64_t max_body_bytes = 1024 * 1024;
  // Request bodies held at once over all connections; over it a request gets 503 + Retry-After.
  // Unset: 256 MiB, or max_body_bytes if that is larger. Never below max_body_bytes.
  std::uint64_t max_in_flight_body_bytes = 256 * 1024 * 1024;
  std::uint32_t max_header_bytes = 16 * 1024;
  std::chrono::seconds read_timeout{10};  // the whole request must arrive within this
  std::chrono::seconds idle_timeout{60};  // keep-alive idle
  std::uint32_t max_connections = 10000;
  std::chrono::seconds drain_timeout{20};  // SIGTERM: in-flight requests may finish this long
};

// `redis.embedded:` the private redis-server started when no URL is given.
struct EmbeddedRedisConfig {
  std::string binary = "redis-server";  // looked up in PATH unless it contains '/'
  std::string data_dir = "var/redis";   // relative to the working directory
};

// `redis:`. Empty url means embedded: the daemon starts a private redis-server and fills
// `endpoint` with its address.
struct RedisConfig {
  std::string url;
  // Parsed from url (daemon/redis/url.h); `password:` in the file replaces the URL's password.
  RedisEndpoint endpoint;
  std::uint32_t connections = 2;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  EmbeddedRedisConfig embedded;

  bool is_embedded() const { return url.empty(); }
};

// `streams:` Redis stream naming and retention.
struct StreamsConfig {
  std::string prefix = "omni";  // keys are <prefix>:{<tenant>}:...
  std::uint64_t inbound_maxlen = 1000000;
  std::chrono::seconds dedup_ttl{7 * 24 * 3600};
  std::chrono::seconds raw_payload_ttl{0};  // 0: raw vendor payloads are not kept
};

// `log:`
struct LogConfig {
  LogLevel level = LogLevel::info;
  bool redact_bodies = true;
};

// One entry of `adapters:`: a vendor endpoint for one tenant.
struct AdapterConfig {
  std::string name;             // unique; metrics label
  std::string vendor;           // a registered adapters::AdapterFactory
  std::string tenant;           // [a-z0-9_-]{1,64}
  std::string path;             // unique, under /webhooks/
  std::string public_url;       // optional override; see public_url_for()
  adapters::Settings settings;  // secrets already resolved from env/file
};

// `routing:` the router role (docs/router.md). One router per tenant; one instance per
// tenant holds the lease, the others stand by.
struct RoutingConfig {
  bool enabled = true;
  std::string rules_file = "config/rules.example.yaml";  // relative to the working directory
  std::vector<std::string> tenants{"demo"};
  std::chrono::milliseconds lease_ttl{5000};
  std::string consumer_name;  // empty: "<hostname>-<pid>"
  std::chrono::milliseconds claim_idle{30000};
  std::uint32_t batch = 64;
  // An open conversation with no new message for this long is closed (reason "idle").
  std::chrono::seconds conversation_idle_close{86400};
  // An inbound or command entry delivered more often than this without being applied goes to
  // the dead-letter stream (docs/router.md, "Poison entries").
  std::uint32_t max_deliveries = 5;
};

struct Config {
  ListenAddress listen;
  // How vendors reach us from outside, without a trailing slash. Empty: derived from the bound
  // listen address (see public_url_for).
  std::string public_base_url;
  std::uint32_t threads = 0;  // I/O threads; 0 (the default): chosen by io_threads()
  HttpConfig http;
  RedisConfig redis;
  StreamsConfig streams;
  LogConfig log;
  std::vector<AdapterConfig> adapters;
  RoutingConfig routing;
  api::ApiConfig api;  // api/config.h: the API owns its section

  // Worth logging at start-up, e.g. a secret written inline in the file. Never holds secrets.
  std::vector<std::string> warnings;
};

// The I/O threads to run: `config.threads` when set, else one per CPU core, less one when Redis
// runs on this host (embedded, or a loopback or unix-socket URL) so that Redis keeps a core to
// itself; at least one. On two cores shared with Redis one I/O thread stored 73 k webhooks/s
// and two 56 k (docs/benchmarks.md, docs/decisions/0008-ingest-on-a-shared-host.md).
std::uint32_t io_threads(const Config& config, unsigned cores);

// Per-host values an operator sets without editing the file. Precedence: CLI > env > file.
// The environment variables are OMNIROUTE_LISTEN, OMNIROUTE_REDIS_URL, OMNIROUTE_LOG_LEVEL and
// OMNIROUTE_PUBLIC_BASE_URL; an empty variable counts as unset.
struct Overrides {
  std::optional<std::string> listen;
  std::optional<std::string> redis_url;
  std::optional<std::string> log_level;
  std::optional<std::string> public_base_url;
};

// The vendors an `adapters:` entry may name: every compiled-in adapter unless a test injects its
// own.
using Vendors = std::span<const adapters::AdapterFactory>;

// Loads and validates. On error, Error.message holds every problem, one per line, as
// "<file>:<line>:<col>: <message>" (or "<source>: <message>" for overrides).
Result<Config> load_config_file(const std::string& path, const Overrides& overrides = {},
                                const yamlcfg::EnvLookup& env = yamlcfg::process_environment());
Result<Config> load_config_string(const std::string& text, const std::string& display_name,
                                  const Overrides& overrides = {},
                                  const yamlcfg::EnvLookup& env = yamlcfg::process_environment(),
                                  Vendors vendors = adapters::all_factories());

// The URL a vendor was configured with for this adapter, which is what it signs: the adapter's
// public_url, else public_base_url + path, else http://<bound address> + path (a wildcard host
// becomes loopback).
std::string public_url_for(const Config& config, const AdapterConfig& adapter,
                           const ListenAddress& bound);

// Value checks shared by the file and the overrides; messages carry no position.
Result<ListenAddress> parse_listen_address(std::string_view text);
Result<std::string> parse_public_url(std::string_view text);  // http(s), no query; trims '/'
Result<LogLevel> parse_log_level_name(std::string_view text);

}  // namespace omniroute::daemon
