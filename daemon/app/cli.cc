// The omniroute command line: subcommand, config path and per-host overrides; and the `check`
// subcommand, which validates a daemon config or a routing rules file the way they are loaded.
#include "daemon/app/cli.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "api/token.h"
#include "common/crypto.h"
#include "routing/rules_yaml.h"

namespace omniroute::daemon {

namespace {

Error usage_error(std::string why) {
  return make_error(Errc::invalid_input, why + "; see omniroute --help");
}

// The option slot a flag fills, or nullptr when the flag is not an override.
std::optional<std::string>* override_slot(std::string_view flag, Overrides& o) {
  if (flag == "--listen") return &o.listen;
  if (flag == "--redis-url") return &o.redis_url;
  if (flag == "--log-level") return &o.log_level;
  if (flag == "--public-base-url") return &o.public_base_url;
  return nullptr;
}

// `simulate RULES EVENTS` and `diff OLD NEW EVENTS`: exactly that many files, no options (the
// dry runs need neither Redis nor the daemon config).
Result<CommandLine> parse_dry_run(Command command, std::span<const std::string_view> rest) {
  CommandLine cl;
  cl.command = command;
  const bool is_diff = command == Command::diff;
  const char* name = is_diff ? "diff" : "simulate";
  const std::size_t wanted = is_diff ? 3 : 2;
  for (std::string_view arg : rest) {
    if (arg == "--help" || arg == "-h") {
      cl.command = Command::help;
      return cl;
    }
    if (arg.starts_with('-') && arg.size() > 1) {
      return usage_error(std::string(name) + " takes no options, got '" + std::string(arg) + "'");
    }
    cl.dry_run_files.emplace_back(arg);
  }
  if (cl.dry_run_files.size() != wanted) {
    return usage_error(std::string(name) + " needs " +
                       (is_diff ? "OLD_RULES NEW_RULES EVENTS.jsonl" : "RULES EVENTS.jsonl"));
  }
  return cl;
}

// "8h", "30m", "90s", "2d" → seconds; at most a year.
std::optional<std::int64_t> parse_ttl(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || n <= 0) return std::nullopt;
  const char unit = text.back();
  const std::int64_t scale = unit == 's'   ? 1
                             : unit == 'm' ? 60
                             : unit == 'h' ? 3600
                             : unit == 'd' ? 86400
                                           : 0;
  if (scale == 0 || n > 366 * 86400 / scale) return std::nullopt;
  return n * scale;
}

// `token hash TOKEN` and `token sign --config F --tenant T --role R --sub S --ttl D --key-id K`.
Result<CommandLine> parse_token(std::span<const std::string_view> rest) {
  CommandLine cl;
  if (rest.empty()) return usage_error("token needs hash or sign");
  if (rest[0] == "hash") {
    if (rest.size() != 2) return usage_error("token hash needs exactly one TOKEN (or -)");
    cl.command = Command::token_hash;
    cl.token = std::string(rest[1]);
    return cl;
  }
  if (rest[0] != "sign") return usage_error("token needs hash or sign");
  cl.command = Command::token_sign;
  std::string ttl;
  for (std::size_t i = 1; i < rest.size(); ++i) {
    std::string_view flag = rest[i];
    std::optional<std::string> value;
    if (auto eq = flag.find('='); eq != std::string_view::npos) {
      value = std::string(flag.substr(eq + 1));
      flag = flag.substr(0, eq);
    } else if (i + 1 < rest.size()) {
      value = std::string(rest[++i]);
    }
    std::string* slot = flag == "-c" || flag == "--config" ? &cl.config_path
                        : flag == "--tenant"               ? &cl.sign.tenant
                        : flag == "--role"                 ? &cl.sign.role
                        : flag == "--sub"                  ? &cl.sign.sub
                        : flag == "--key-id"               ? &cl.sign.key_id
                        : flag == "--ttl"                  ? &ttl
                                                           : nullptr;
    if (!slot) return usage_error("unknown option '" + std::string(flag) + "' for token sign");
    if (!value) return usage_error(std::string(flag) + " needs a value");
    *slot = *value;
  }
  if (cl.sign.tenant.empty() || cl.sign.role.empty() || cl.sign.sub.empty() ||
      cl.sign.key_id.empty() || ttl.empty()) {
    return usage_error("token sign needs --tenant, --role, --sub, --ttl and --key-id");
  }
  auto secs = parse_ttl(ttl);
  if (!secs) return usage_error("--ttl takes a number and s, m, h or d (at most a year)");
  cl.sign.ttl_secs = *secs;
  return cl;
}

}  // namespace

Result<CommandLine> parse_command_line(std::span<const std::string_view> args) {
  CommandLine cl;
  std::size_t i = 0;
  if (!args.empty()) {
    std::string_view first = args[0];
    if (first == "--version" || first == "-V") {
      cl.command = Command::version;
      return cl;
    }
    if (first == "simulate") return parse_dry_run(Command::simulate, args.subspan(1));
    if (first == "diff") return parse_dry_run(Command::diff, args.subspan(1));
    if (first == "token") return parse_token(args.subspan(1));
    if (first == "run") cl.command = Command::run, ++i;
    if (first == "check") cl.command = Command::check, ++i;
  }
  std::optional<std::string> positional;
  bool config_given = false;
  for (; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      cl.command = Command::help;
      return cl;
    }
    if (arg == "--version" || arg == "-V") {
      cl.command = Command::version;
      return cl;
    }
    if (!arg.starts_with('-')) {
      if (positional) return usage_error("unexpected argument '" + std::string(arg) + "'");
      positional = std::string(arg);
      continue;
    }
    // --opt=VALUE or --opt VALUE
    std::string_view flag = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string_view::npos && arg.starts_with("--")) {
      flag = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    }
    bool is_config = flag == "-c" || flag == "--config";
    auto* slot = override_slot(flag, cl.overrides);
    if (!is_config && slot == nullptr) {
      return usage_error("unknown option '" + std::string(flag) + "'");
    }
    if (!value) {
      if (i + 1 >= args.size()) return usage_error(std::string(flag) + " needs a value");
      value = std::string(args[++i]);
    }
    if (is_config) {
      cl.config_path = *value;
      config_given = true;
    } else {
      *slot = *value;
    }
  }
  if (cl.command == Command::run && positional) {
    return usage_error("unexpected argument '" + *positional + "' (give the file with -c)");
  }
  if (cl.command == Command::check) {
    if (positional && config_given) return usage_error("check takes one file");
    if (positional) cl.config_path = *positional;
    if (!positional && !config_given) return usage_error("check needs a FILE");
  }
  return cl;
}

Result<CommandLine> parse_command_line(int argc, const char* const* argv) {
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_command_line(std::span<const std::string_view>(args));
}

std::string usage() {
  return R"(omniroute: omnichannel message-routing daemon

Usage:
  omniroute [run] [-c FILE] [OVERRIDES]   run the daemon (default FILE: /etc/omniroute/omniroute.yaml)
  omniroute check FILE [OVERRIDES]        validate FILE (the daemon config, or a routing rules file:
                                          told apart by its top-level keys); print every error;
                                          exit 0 if valid, 1 if not
  omniroute simulate RULES EVENTS.jsonl   dry run: for each event, the rule, queue, skills, deadline
  omniroute diff OLD NEW EVENTS.jsonl     which events route differently under NEW, and how
  omniroute token hash TOKEN|-            the SHA-256 to put in api.tenants.<t>.tokens[].sha256
  omniroute token sign [-c FILE] --tenant T --role agent|supervisor|admin --sub S --ttl 8h
                       --key-id K         a signed API token, with that key from FILE
  omniroute --version                     print the version
  omniroute --help                        print this help

Overrides (command line > environment > file):
  --listen HOST:PORT          OMNIROUTE_LISTEN           e.g. 0.0.0.0:8080, [::]:8080
  --redis-url URL             OMNIROUTE_REDIS_URL        redis://host:6379/0; "" = embedded
  --log-level LEVEL           OMNIROUTE_LOG_LEVEL        debug, info, warn, error
  --public-base-url URL       OMNIROUTE_PUBLIC_BASE_URL  how vendors reach us, e.g. https://cs.example.com

Secrets in FILE may be written as {env: NAME} or {file: PATH}. See docs/configuration.md;
rules files, simulate and diff: docs/routing-rules.md.
)";
}

FileKind detect_file_kind(std::string_view text) {
  static constexpr std::string_view kRulesKeys[] = {"queues", "rules", "tiers", "tier_rules"};
  static constexpr std::string_view kConfigKeys[] = {"listen", "adapters", "redis",
                                                     "http",   "streams",  "log"};
  auto is_one_of = [](std::string_view key, const auto& keys) {
    return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
  };
  bool rules_key = false;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    // A top-level block key starts in column 0: `queues:` or `queues: [...]`.
    std::string_view key = line;
    key = key.substr(0, key.find(':'));
    if (key.size() == line.size()) continue;
    while (key.ends_with(' ')) key.remove_suffix(1);
    // A daemon config may one day name its rules file under a key like `rules`: its own keys win.
    if (is_one_of(key, kConfigKeys)) return FileKind::daemon_config;
    rules_key = rules_key || is_one_of(key, kRulesKeys);
  }
  return rules_key ? FileKind::routing_rules : FileKind::daemon_config;
}

int run_check_rules(const std::string& path, std::ostream& out, std::ostream& err) {
  auto rules = routing::load_rules_file(path);
  if (!rules) {
    err << rules.error().message << '\n';
    return 1;
  }
  const routing::Rules& r = **rules;
  out << path << ": OK (routing rules: " << r.tiers.size() << " tiers, " << r.queues.size()
      << " queues, " << r.rules.size() << " rules, " << r.agents.size() << " agents; version "
      << r.version.substr(0, 12) << ")\n";
  return 0;
}

int run_check(const std::string& path, const Overrides& overrides, const yamlcfg::EnvLookup& env,
              std::ostream& out, std::ostream& err) {
  // An unreadable file goes to the config loader, whose message names the file and the reason.
  if (std::ifstream in(path, std::ios::binary); in) {
    std::ostringstream text;
    text << in.rdbuf();
    if (detect_file_kind(text.str()) == FileKind::routing_rules) {
      return run_check_rules(path, out, err);
    }
  }
  auto config = load_config_file(path, overrides, env);
  if (!config) {
    err << config.error().message << '\n';
    return 1;
  }
  for (const auto& warning : config->warnings) err << "warning: " << warning << '\n';
  out << path << ": OK (" << config->adapters.size() << " adapter"
      << (config->adapters.size() == 1 ? "" : "s") << ", listen " << config->listen.to_string()
      << ", redis "
      << (config->redis.is_embedded() ? "embedded" : config->redis.endpoint.describe()) << ")\n";
  return 0;
}

int run_token_hash(const std::string& token, std::istream& in, std::ostream& out,
                   std::ostream& err) {
  std::string value = token;
  if (token == "-") {
    std::getline(in, value);
  }
  if (value.empty()) {
    err << "omniroute token hash: the token is empty\n";
    return 1;
  }
  out << crypto::hex_encode(crypto::digest(crypto::Digest::sha256, value)) << '\n';
  return 0;
}

int run_token_sign(const CommandLine& cl, const yamlcfg::EnvLookup& env, std::int64_t now_unix_secs,
                   std::ostream& out, std::ostream& err) {
  auto config = load_config_file(cl.config_path, Overrides{}, env);
  if (!config) {
    err << config.error().message << '\n';
    return 1;
  }
  auto role = api::parse_api_role(cl.sign.role);
  if (!role) {
    err << "omniroute token sign: unknown role '" << cl.sign.role
        << "' (agent, supervisor, admin)\n";
    return 1;
  }
  auto tenant = config->api.tenants.find(cl.sign.tenant);
  const api::ApiSigningKey* key = nullptr;
  if (tenant != config->api.tenants.end()) {
    for (const auto& k : tenant->second.signing_keys) {
      if (k.id == cl.sign.key_id) key = &k;
    }
  }
  if (!key) {
    err << "omniroute token sign: no signing key '" << cl.sign.key_id << "' for tenant '"
        << cl.sign.tenant << "' in " << cl.config_path << '\n';
    return 1;
  }
  api::TokenClaims claims{key->id, cl.sign.tenant, *role, cl.sign.sub,
                          now_unix_secs + cl.sign.ttl_secs};
  out << api::sign_token(claims, key->secret) << '\n';
  return 0;
}

int run_check(const std::string& path, std::ostream& out, std::ostream& err) {
  return run_check(path, Overrides{}, yamlcfg::process_environment(), out, err);
}

}  // namespace omniroute::daemon
