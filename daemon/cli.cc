// The omniroute command line: subcommand, config path and per-host overrides; and the `check`
// subcommand, which validates a config file the way `run` would load it.
#include "daemon/cli.h"

#include <optional>
#include <vector>

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
  omniroute check FILE [OVERRIDES]        validate FILE; print every error; exit 0 if valid, 1 if not
  omniroute --version                     print the version
  omniroute --help                        print this help

Overrides (command line > environment > file):
  --listen HOST:PORT          OMNIROUTE_LISTEN           e.g. 0.0.0.0:8080, [::]:8080
  --redis-url URL             OMNIROUTE_REDIS_URL        redis://host:6379/0; "" = embedded
  --log-level LEVEL           OMNIROUTE_LOG_LEVEL        debug, info, warn, error
  --public-base-url URL       OMNIROUTE_PUBLIC_BASE_URL  how vendors reach us, e.g. https://cs.example.com

Secrets in FILE may be written as {env: NAME} or {file: PATH}. See docs/configuration.md.
)";
}

int run_check(const std::string& path, const Overrides& overrides, const yamlcfg::EnvLookup& env,
              std::ostream& out, std::ostream& err) {
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
