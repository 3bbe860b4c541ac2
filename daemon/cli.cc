// The omniroute command line: subcommand, config path and per-host overrides; and the `check`
// subcommand, which validates a daemon config or a routing rules file the way they are loaded.
#include "daemon/cli.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

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

int run_check(const std::string& path, std::ostream& out, std::ostream& err) {
  return run_check(path, Overrides{}, yamlcfg::process_environment(), out, err);
}

}  // namespace omniroute::daemon
