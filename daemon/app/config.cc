// Loads omniroute.yaml into Config: one parse function per section, every error collected with
// its position, then the per-host overrides (env, then command line) on top.
#include "daemon/app/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace omniroute::daemon {

using yamlcfg::Diagnostics;
using yamlcfg::MapReader;

namespace {

// What every section parser may need besides its own mapping.
struct Context {
  Diagnostics& diag;
  const yamlcfg::EnvLookup& env;
  Vendors vendors;
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// [a-z0-9_-]{1,64}: tenants and adapter names end up in Redis keys and metric labels.
bool is_valid_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), is_name_char);
}

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

// A string value checked by `check`; the error lands on the value's position.
template <class T, class Check>
std::optional<T> read_checked(MapReader& m, std::string_view key, Check check,
                              bool required = false) {
  auto entry = required ? m.take_required(key) : m.take(key);
  if (!entry) return std::nullopt;
  auto text = yamlcfg::as_string(entry->value, entry->value_mark, m.path_of(key), m.diagnostics());
  if (!text) return std::nullopt;
  auto parsed = check(*text);
  if (!parsed) {
    m.diagnostics().error(entry->value_mark, m.path_of(key) + ": " + parsed.error().message);
    return std::nullopt;
  }
  return std::move(*parsed);
}

// `url: ""` is the embedded server; anything else must parse (daemon/redis/url.h).
Result<void> set_redis_url(const std::string& url, RedisConfig& redis) {
  redis.url = url;
  redis.endpoint = RedisEndpoint();
  if (url.empty()) return {};
  auto endpoint = parse_redis_url(url);
  if (!endpoint) return endpoint.error();
  redis.endpoint = *endpoint;
  return {};
}

// ---- sections -------------------------------------------------------------------------------

void parse_http(MapReader& m, HttpConfig& http) {
  m.read("max_body_bytes", http.max_body_bytes, 1024, std::int64_t{1} << 30);
  m.read("max_header_bytes", http.max_header_bytes, 1024, 1024 * 1024);
  m.read_duration("read_timeout_secs", http.read_timeout, 1, 3600);
  m.read_duration("idle_timeout_secs", http.idle_timeout, 1, 86400);
  m.read("max_connections", http.max_connections, 1, 1000000);
  m.read_duration("drain_timeout_secs", http.drain_timeout, 0, 3600);
  // A body the budget can never hold would be told to retry for ever: the budget is at least
  // one largest body, and its default grows with max_body_bytes.
  auto budget = m.get("max_in_flight_body_bytes");
  if (!budget) {
    http.max_in_flight_body_bytes = std::max(http.max_in_flight_body_bytes, http.max_body_bytes);
  } else if (auto bytes = budget->integer(1024, std::int64_t{1} << 40)) {
    http.max_in_flight_body_bytes = static_cast<std::uint64_t>(*bytes);
    if (http.max_in_flight_body_bytes < http.max_body_bytes) {
      budget->error("must be at least http.max_body_bytes (" + std::to_string(http.max_body_bytes) +
                    "), got " + std::to_string(*bytes));
    }
  }
}

void parse_embedded_redis(MapReader& m, EmbeddedRedisConfig& embedded) {
  m.read("binary", embedded.binary);
  m.read("data_dir", embedded.data_dir);
  if (embedded.binary.empty()) m.diagnostics().error(m.mark(), "redis.embedded.binary is empty");
  if (embedded.data_dir.empty()) {
    m.diagnostics().error(m.mark(), "redis.embedded.data_dir is empty");
  }
}

// The `password:` value is returned separately: it wins over the URL's, including an
// overriding URL, so it is applied after the overrides.
std::optional<std::string> parse_redis(MapReader& m, Context& ctx, RedisConfig& redis) {
  if (auto url = m.take("url")) {
    auto text = yamlcfg::as_string(url->value, url->value_mark, "redis.url", ctx.diag);
    if (text) {
      auto parsed = set_redis_url(*text, redis);
      if (!parsed) ctx.diag.error(url->value_mark, "redis.url: " + parsed.error().message);
    }
  }
  std::optional<std::string> password;
  if (auto entry = m.take("password")) {
    auto value = yamlcfg::as_indirect_string(entry->value, entry->value_mark, "redis.password",
                                             ctx.env, ctx.diag);
    if (value) {
      if (value->source == yamlcfg::ValueSource::inline_value) {
        ctx.diag.warning(entry->value_mark,
                         "redis.password is written inline; prefer {env: NAME} or {file: PATH}");
      }
      password = value->value;
    }
  }
  m.read("connections", redis.connections, 1, 64);
  m.read_duration("connect_timeout_ms", redis.connect_timeout, 1, 60000);
  m.read_duration("command_timeout_ms", redis.command_timeout, 1, 60000);
  m.section("embedded", [&](MapReader& e) { parse_embedded_redis(e, redis.embedded); });
  return password;
}

Result<std::string> check_stream_prefix(std::string_view prefix) {
  auto ok = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  };
  if (prefix.empty() || prefix.size() > 32 || !std::all_of(prefix.begin(), prefix.end(), ok)) {
    return make_error(Errc::invalid_input, "'" + std::string(prefix) +
                                               "' must be 1 to 32 of [A-Za-z0-9_.-] (no ':' or "
                                               "braces: they delimit the key layout)");
  }
  return std::string(prefix);
}

void parse_streams(MapReader& m, StreamsConfig& streams) {
  if (auto prefix = read_checked<std::string>(m, "prefix", check_stream_prefix)) {
    streams.prefix = *prefix;
  }
  m.read("inbound_maxlen", streams.inbound_maxlen, 1000, 1000000000);
  m.read_duration("dedup_ttl_secs", streams.dedup_ttl, 60, 366 * 24 * 3600);
  m.read_duration("raw_payload_ttl_secs", streams.raw_payload_ttl, 0, 366 * 24 * 3600);
}

void parse_log(MapReader& m, LogConfig& log) {
  if (auto level = read_checked<LogLevel>(m, "level", parse_log_level_name)) log.level = *level;
  m.read("redact_bodies", log.redact_bodies);
}

// ---- adapters -------------------------------------------------------------------------------

Result<std::string> check_tenant(std::string_view s) {
  if (is_valid_name(s)) return std::string(s);
  return make_error(Errc::invalid_input, "'" + std::string(s) + "' must be 1 to 64 of [a-z0-9_-]");
}

Result<std::string> check_webhook_path(std::string_view path) {
  constexpr std::string_view kRoot = "/webhooks/";
  auto ok = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-._~/").find(c) != std::string_view::npos;
  };
  bool valid = path.starts_with(kRoot) && path.size() > kRoot.size() && !path.ends_with('/') &&
               std::all_of(path.begin(), path.end(), ok) &&
               path.find("//") == std::string_view::npos &&
               path.find("/.") == std::string_view::npos;
  if (valid) return std::string(path);
  return make_error(Errc::invalid_input,
                    "'" + std::string(path) +
                        "' must start with /webhooks/, use only [A-Za-z0-9-._~/], and have no "
                        "empty, dot or trailing segments");
}

const adapters::AdapterFactory* find_vendor(Vendors vendors, std::string_view name) {
  auto it = std::find_if(vendors.begin(), vendors.end(),
                         [&](const auto& factory) { return factory.vendor == name; });
  return it == vendors.end() ? nullptr : &*it;
}

std::string known_vendors(Vendors vendors) {
  std::string names;
  for (const auto& factory : vendors) {
    if (!names.empty()) names += ", ";
    names += factory.vendor;
  }
  return names.empty() ? "none compiled in" : names;
}

// Reads `settings:` against the vendor's declared SettingSpecs.
void parse_settings(MapReader& m, Context& ctx, const adapters::AdapterFactory& factory,
                    adapters::Settings& settings) {
  for (const auto& spec : factory.settings) {
    auto entry = spec.required ? m.take_required(spec.name) : m.take(spec.name);
    if (!entry) continue;
    auto value = yamlcfg::as_indirect_string(entry->value, entry->value_mark, m.path_of(spec.name),
                                             ctx.env, ctx.diag);
    if (!value) continue;
    if (spec.secret && value->value.empty()) {
      ctx.diag.error(entry->value_mark, m.path_of(spec.name) + ": a secret must not be empty");
      continue;
    }
    if (spec.secret && value->source == yamlcfg::ValueSource::inline_value) {
      ctx.diag.warning(entry->value_mark, m.path_of(spec.name) +
                                              " is a secret written inline; prefer {env: NAME} "
                                              "or {file: PATH}");
    }
    settings.emplace(std::string(spec.name), std::move(value->value));
  }
}

void parse_adapter(MapReader& m, Context& ctx, AdapterConfig& adapter) {
  std::size_t errors_before = ctx.diag.errors().size();
  if (auto name = m.take_required("name")) {
    auto text = yamlcfg::as_string(name->value, name->value_mark, m.path_of("name"), ctx.diag);
    if (text && !is_valid_name(*text)) {
      ctx.diag.error(name->value_mark,
                     m.path_of("name") + ": '" + *text + "' must be 1 to 64 of [a-z0-9_-]");
    } else if (text) {
      adapter.name = *text;
    }
  }
  if (auto tenant = read_checked<std::string>(m, "tenant", check_tenant, true)) {
    adapter.tenant = *tenant;
  }
  if (auto path = read_checked<std::string>(m, "path", check_webhook_path, true)) {
    adapter.path = *path;
  }
  if (auto url = m.take("public_url")) {
    auto text = yamlcfg::as_string(url->value, url->value_mark, m.path_of("public_url"), ctx.diag);
    if (text && !text->empty()) {
      auto parsed = parse_public_url(*text);
      if (parsed) {
        adapter.public_url = *parsed;
      } else {
        ctx.diag.error(url->value_mark, m.path_of("public_url") + ": " + parsed.error().message);
      }
    }
  }

  const adapters::AdapterFactory* factory = nullptr;
  if (auto vendor = m.take_required("vendor")) {
    auto text =
        yamlcfg::as_string(vendor->value, vendor->value_mark, m.path_of("vendor"), ctx.diag);
    if (text) {
      adapter.vendor = *text;
      factory = find_vendor(ctx.vendors, *text);
      if (factory == nullptr) {
        std::vector<std::string> names;
        for (const auto& f : ctx.vendors) names.emplace_back(f.vendor);
        std::string hint;
        if (auto close = yamlcfg::closest_match(*text, names))
          hint = "; did you mean '" + *close + "'?";
        ctx.diag.error(vendor->value_mark, m.path_of("vendor") + ": unknown vendor '" + *text +
                                               "' (known: " + known_vendors(ctx.vendors) + ")" +
                                               hint);
      }
    }
  }
  if (factory == nullptr) {
    m.allow("settings");  // cannot check settings without knowing the vendor
    return;
  }
  m.section("settings", [&](MapReader& s) { parse_settings(s, ctx, *factory, adapter.settings); });
  if (!m.take("settings")) {
    MapReader empty(YAML::Node(), m.mark(), m.path_of("settings"), ctx.diag);
    parse_settings(empty, ctx, *factory, adapter.settings);
  }
  // Let the adapter refuse values only it understands, so that `omniroute check` catches them.
  if (ctx.diag.errors().size() == errors_before) {
    auto built = factory->make(adapter.settings);
    if (!built) ctx.diag.error(m.mark(), m.path() + ": " + built.error().message);
  }
}

// Names and paths are lookup keys (metrics, routing of requests): each must be unique.
void check_unique(const std::vector<AdapterConfig>& adapters, const std::vector<YAML::Mark>& marks,
                  Diagnostics& diag) {
  std::map<std::string, std::size_t> names, paths;
  for (std::size_t i = 0; i < adapters.size(); ++i) {
    const auto& a = adapters[i];
    auto report = [&](std::map<std::string, std::size_t>& seen, const std::string& value,
                      const char* what) {
      if (value.empty()) return;
      auto [it, inserted] = seen.emplace(value, i);
      if (inserted) return;
      diag.error(marks[i], "adapters[" + std::to_string(i) + "]: duplicate adapter " + what + " '" +
                               value + "' (first in adapters[" + std::to_string(it->second) +
                               "], line " + std::to_string(marks[it->second].line + 1) + ")");
    };
    report(names, a.name, "name");
    report(paths, a.path, "path");
  }
}

void parse_adapters(MapReader& root, Context& ctx, std::vector<AdapterConfig>& adapters) {
  std::vector<YAML::Mark> marks;
  root.list("adapters", [&](const YAML::Node& item, const YAML::Mark& at, const std::string& path) {
    MapReader m(item, at, path, ctx.diag);
    if (!m.is_mapping()) return;
    AdapterConfig adapter;
    parse_adapter(m, ctx, adapter);
    adapters.push_back(std::move(adapter));
    marks.push_back(m.mark());
  });
  check_unique(adapters, marks, ctx.diag);
}

// ---- routing --------------------------------------------------------------------------------

void parse_routing(MapReader& m, Context& ctx, RoutingConfig& routing) {
  m.read("enabled", routing.enabled);
  m.read("rules_file", routing.rules_file);
  if (routing.rules_file.empty()) m.diagnostics().error(m.mark(), "routing.rules_file is empty");
  std::vector<std::string> tenants;  // replaces the default when the list has items
  m.list("tenants", [&](const YAML::Node& item, const YAML::Mark& at, const std::string& path) {
    auto text = yamlcfg::as_string(item, at, path, ctx.diag);
    if (!text) return;
    if (!is_valid_name(*text)) {
      ctx.diag.error(at, path + ": '" + *text + "' must be 1 to 64 of [a-z0-9_-]");
    } else if (std::find(tenants.begin(), tenants.end(), *text) != tenants.end()) {
      ctx.diag.error(at, path + ": duplicate tenant '" + *text + "'");
    } else {
      tenants.push_back(*text);
    }
  });
  if (!tenants.empty()) routing.tenants = std::move(tenants);
  m.read_duration("lease_ttl_ms", routing.lease_ttl, 300, 600000);
  m.read("consumer_name", routing.consumer_name);
  m.read_duration("claim_idle_ms", routing.claim_idle, 100, 86400000);
  m.read("batch", routing.batch, 1, 10000);
  m.read_duration("conversation_idle_close_secs", routing.conversation_idle_close, 60, 31536000);
  // At least 2: an entry first read in a batch is then tried once on its own before it is given up.
  m.read("max_deliveries", routing.max_deliveries, 2, 100);
}

// ---- root -----------------------------------------------------------------------------------

// A new section is one struct in config.h, one parse function above and one line here.
std::optional<std::string> parse_root(MapReader& root, Context& ctx, Config& config) {
  if (auto listen = read_checked<ListenAddress>(root, "listen", parse_listen_address)) {
    config.listen = *listen;
  }
  if (auto url = read_checked<std::string>(root, "public_base_url", [](std::string_view s) {
        return s.empty() ? Result<std::string>(std::string()) : parse_public_url(s);
      })) {
    config.public_base_url = *url;
  }
  root.read("threads", config.threads, 1, 64);
  root.section("http", [&](MapReader& m) { parse_http(m, config.http); });
  std::optional<std::string> redis_password;
  root.section("redis", [&](MapReader& m) { redis_password = parse_redis(m, ctx, config.redis); });
  root.section("streams", [&](MapReader& m) { parse_streams(m, config.streams); });
  root.section("log", [&](MapReader& m) { parse_log(m, config.log); });
  parse_adapters(root, ctx, config.adapters);
  root.section("routing", [&](MapReader& m) { parse_routing(m, ctx, config.routing); });
  root.section("api", [&](MapReader& m) { api::parse_api_config(m, ctx.env, config.api); });
  return redis_password;
}

// One override: the command line wins over the environment; an empty variable is unset.
void apply_override(const std::optional<std::string>& cli, std::string_view flag,
                    const std::string& env_name, Context& ctx,
                    const std::function<Result<void>(const std::string&)>& apply) {
  std::optional<std::string> value = cli;
  std::string source = "command line " + std::string(flag);
  if (!value) {
    auto from_env = ctx.env(env_name);
    if (!from_env || from_env->empty()) return;
    value = from_env;
    source = "environment " + env_name;
  }
  auto applied = apply(*value);
  if (!applied) ctx.diag.error_from(source, applied.error().message);
}

void apply_overrides(const Overrides& o, Context& ctx, Config& config) {
  apply_override(o.listen, "--listen", "OMNIROUTE_LISTEN", ctx, [&](const std::string& v) {
    auto parsed = parse_listen_address(v);
    if (!parsed) return Result<void>(parsed.error());
    config.listen = *parsed;
    return Result<void>();
  });
  apply_override(o.redis_url, "--redis-url", "OMNIROUTE_REDIS_URL", ctx,
                 [&](const std::string& v) { return set_redis_url(v, config.redis); });
  apply_override(o.log_level, "--log-level", "OMNIROUTE_LOG_LEVEL", ctx, [&](const std::string& v) {
    auto parsed = parse_log_level_name(v);
    if (!parsed) return Result<void>(parsed.error());
    config.log.level = *parsed;
    return Result<void>();
  });
  apply_override(o.public_base_url, "--public-base-url", "OMNIROUTE_PUBLIC_BASE_URL", ctx,
                 [&](const std::string& v) {
                   auto parsed = parse_public_url(v);
                   if (!parsed) return Result<void>(parsed.error());
                   config.public_base_url = *parsed;
                   return Result<void>();
                 });
}

}  // namespace

// ---- values ---------------------------------------------------------------------------------

std::string ListenAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  auto bad = [&](std::string why) {
    return make_error(Errc::invalid_input, "'" + std::string(text) + "' is not a listen address (" +
                                               why + "); expected host:port or [v6]:port");
  };
  std::string_view host, port;
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return bad("no ']:' after the IPv6 address");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("IPv6 addresses need [brackets]");
  }
  ListenAddress address;
  address.host = std::string(host);
  if (!parse_port(port, address.port)) return bad("port must be 0..65535");
  unsigned char buffer[16];
  bool is_v6 = text.starts_with('[');
  if (inet_pton(is_v6 ? AF_INET6 : AF_INET, address.host.c_str(), buffer) != 1) {
    return bad("host must be an IP address, e.g. 127.0.0.1 or [::1]");
  }
  return address;
}

Result<std::string> parse_public_url(std::string_view text) {
  auto bad = [&](std::string why) {
    return make_error(Errc::invalid_input,
                      "'" + std::string(text) + "' is not a public URL (" + why + ")");
  };
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return bad("expected http(s)://host[:port][/path]");
  if (url->scheme() != "http" && url->scheme() != "https") return bad("scheme must be http(s)");
  if (url->encoded_host().empty()) return bad("no host");
  if (url->has_userinfo()) return bad("no user:password@ allowed");
  std::string result(text);
  while (result.ends_with('/')) result.pop_back();
  return result;
}

Result<LogLevel> parse_log_level_name(std::string_view text) {
  LogLevel level;
  if (parse_log_level(text, level)) return level;
  return make_error(Errc::invalid_input,
                    "unknown log level '" + std::string(text) + "' (debug, info, warn, error)");
}

std::string public_url_for(const Config& config, const AdapterConfig& adapter,
                           const ListenAddress& bound) {
  if (!adapter.public_url.empty()) return adapter.public_url;
  if (!config.public_base_url.empty()) return config.public_base_url + adapter.path;
  ListenAddress reachable = bound;
  if (reachable.host == "0.0.0.0") reachable.host = "127.0.0.1";
  if (reachable.host == "::") reachable.host = "::1";
  return "http://" + reachable.to_string() + adapter.path;
}

// ---- loading --------------------------------------------------------------------------------

Result<Config> load_config_string(const std::string& text, const std::string& display_name,
                                  const Overrides& overrides, const yamlcfg::EnvLookup& env,
                                  Vendors vendors) {
  Diagnostics diag(display_name);
  Context ctx{diag, env, vendors};
  Config config;
  auto root_node = yamlcfg::parse_document(text, diag);
  if (!root_node) return diag.to_error();
  std::optional<std::string> redis_password;
  {
    MapReader root(*root_node, root_node->Mark(), "", diag);
    if (root.is_mapping()) redis_password = parse_root(root, ctx, config);
  }  // unknown top-level keys are reported here
  apply_overrides(overrides, ctx, config);
  if (redis_password) config.redis.endpoint.password = *redis_password;
  if (diag.has_errors()) return diag.to_error();
  config.warnings = diag.warnings();
  return config;
}

Result<Config> load_config_file(const std::string& path, const Overrides& overrides,
                                const yamlcfg::EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(Errc::invalid_input,
                      path + ": cannot read the config file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_string(text.str(), path, overrides, env);
}

std::uint32_t io_threads(const Config& config, unsigned cores) {
  if (config.threads > 0) return config.threads;
  bool redis_here = config.redis.is_embedded();
  if (auto endpoint = parse_redis_url(config.redis.url); !redis_here && endpoint) {
    const auto& host = endpoint->host;
    redis_here = endpoint->kind == RedisEndpoint::Kind::unix_socket || host == "localhost" ||
                 host == "::1" || host.starts_with("127.");
  }
  const unsigned usable = redis_here && cores > 1 ? cores - 1 : cores;
  return std::clamp<std::uint32_t>(usable, 1, 64);
}

}  // namespace omniroute::daemon
