// The omniroute command line: subcommand, config path and per-host overrides, parsed with
// Boost.Program_options; and the `check` subcommand, which validates a daemon config or a
// routing rules file the way they are loaded.
#include "daemon/app/cli.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include "api/token.h"
#include "common/crypto.h"
#include "routing/rules_yaml.h"

namespace omniroute::daemon {

namespace {

namespace po = boost::program_options;
namespace style = po::command_line_style;

// `--opt VALUE`, `--opt=VALUE` and `-c VALUE`; no abbreviations (`--list` is not `--listen`)
// and no bundled short flags (`-hV`).
constexpr int kStyle = style::allow_short | style::allow_dash_for_short | style::short_allow_next |
                       style::allow_long | style::long_allow_adjacent | style::long_allow_next;

// Where the arguments that are not options are collected, for each subcommand to count.
constexpr const char* kArguments = "argument";

Error usage_error(std::string why) {
  return make_error(Errc::invalid_input, why + "; see omniroute --help");
}

// How a subcommand words the refusal of an option it does not know, given the option as typed.
using UnknownOption = std::function<std::string(const std::string& option)>;

std::string unknown_option(const std::string& option) {
  return "unknown option '" + option + "'";
}

// An option that takes a value. Given twice, the last one counts: scripts/run.sh passes its own
// `-c` before the caller's arguments.
po::typed_value<std::vector<std::string>>* text_value() {
  return po::value<std::vector<std::string>>();
}

std::optional<std::string> last_value(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<std::vector<std::string>>().back();
}

std::vector<std::string> arguments(const po::variables_map& vm) {
  if (!vm.count(kArguments)) return {};
  return vm[kArguments].as<std::vector<std::string>>();
}

// Program_options refuses an empty value after '=' (`--redis-url=`); this command line has
// always read it as the empty value, which for --redis-url means the embedded server.
std::vector<std::string> tokens_of(std::span<const std::string_view> args) {
  std::vector<std::string> tokens;
  for (std::string_view arg : args) {
    if (arg.starts_with("--") && arg.find('=') == arg.size() - 1) {
      tokens.emplace_back(arg.substr(0, arg.size() - 1));
      tokens.emplace_back();
    } else {
      tokens.emplace_back(arg);
    }
  }
  return tokens;
}

// The option as it was typed ("-c" where Program_options would say "--config"), without a
// `=VALUE` that came with it.
std::string typed_option(po::error_with_option_name e) {
  e.m_error_template = "%original_token%";
  std::string typed = e.what();
  if (typed.starts_with("--")) typed = typed.substr(0, typed.find('='));
  return typed;
}

// Runs Program_options over `args`; its exceptions become the one-line reasons users see.
Result<po::variables_map> parse_options(std::span<const std::string_view> args,
                                        const po::options_description& options,
                                        UnknownOption unknown = unknown_option) {
  po::options_description all;
  all.add(options).add_options()(kArguments, text_value());
  po::positional_options_description positional;
  positional.add(kArguments, -1);
  po::variables_map vm;
  try {
    auto parser = po::command_line_parser(tokens_of(args)).options(all).positional(positional);
    po::store(parser.style(kStyle).run(), vm);
  } catch (const po::unknown_option& e) {
    return usage_error(unknown(typed_option(e)));
  } catch (const po::invalid_command_line_syntax& e) {
    const bool missing = e.kind() == po::invalid_command_line_syntax::missing_parameter;
    return usage_error(missing ? typed_option(e) + " needs a value" : std::string(e.what()));
  } catch (const po::error& e) {
    return usage_error(e.what());
  }
  return vm;
}

// `run` and `check`: the config file and the overrides.
po::options_description daemon_options() {
  po::options_description options;
  options.add_options()("help,h", "")("version,V", "")("config,c", text_value())(
      "listen", text_value())("redis-url", text_value())("log-level", text_value())(
      "public-base-url", text_value());
  return options;
}

// The file `run` and `check` read: -c FILE, or for check the one FILE argument instead.
Result<std::string> config_path_of(Command command, const po::variables_map& vm) {
  const auto config = last_value(vm, "config");
  const auto files = arguments(vm);
  if (command == Command::run && !files.empty()) {
    return usage_error("unexpected argument '" + files[0] + "' (give the file with -c)");
  }
  if (command == Command::check) {
    if (files.size() > 1) return usage_error("unexpected argument '" + files[1] + "'");
    if (!files.empty() && config) return usage_error("check takes one file");
    if (files.empty() && !config) return usage_error("check needs a FILE");
    if (!files.empty()) return files[0];
  }
  return config.value_or(std::string(kDefaultConfigPath));
}

Result<CommandLine> parse_daemon(Command command, std::span<const std::string_view> rest) {
  auto vm = parse_options(rest, daemon_options());
  if (!vm) return vm.error();
  CommandLine cl;
  if (vm->count("help") || vm->count("version")) {
    cl.command = vm->count("help") ? Command::help : Command::version;
    return cl;
  }
  auto path = config_path_of(command, *vm);
  if (!path) return path.error();
  cl.command = command;
  cl.config_path = std::move(*path);
  cl.overrides = {last_value(*vm, "listen"), last_value(*vm, "redis-url"),
                  last_value(*vm, "log-level"), last_value(*vm, "public-base-url")};
  return cl;
}

// `simulate RULES EVENTS` and `diff OLD NEW EVENTS`: exactly that many files and no options but
// --help (the dry runs need neither Redis nor the daemon config).
Result<CommandLine> parse_dry_run(Command command, std::span<const std::string_view> rest) {
  const bool is_diff = command == Command::diff;
  const std::string name = is_diff ? "diff" : "simulate";
  po::options_description options;
  options.add_options()("help,h", "");
  auto vm = parse_options(rest, options, [&name](const std::string& option) {
    return name + " takes no options, got '" + option + "'";
  });
  if (!vm) return vm.error();
  CommandLine cl;
  cl.command = vm->count("help") ? Command::help : command;
  cl.dry_run_files = arguments(*vm);
  if (cl.command == command && cl.dry_run_files.size() != (is_diff ? 3u : 2u)) {
    return usage_error(name + " needs " +
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

// `token sign [-c FILE] --tenant T --role R --sub S --ttl D --key-id K`.
po::options_description sign_options() {
  po::options_description options;
  options.add_options()("help,h", "")("config,c", text_value())("tenant", text_value())(
      "role", text_value())("sub", text_value())("ttl", text_value())("key-id", text_value());
  return options;
}

Result<CommandLine> parse_token_sign(std::span<const std::string_view> rest) {
  auto vm = parse_options(rest, sign_options(), [](const std::string& option) {
    return "unknown option '" + option + "' for token sign";
  });
  if (!vm) return vm.error();
  if (const auto extra = arguments(*vm); !extra.empty()) {
    return usage_error("unexpected argument '" + extra[0] + "' for token sign");
  }
  CommandLine cl;
  cl.command = vm->count("help") ? Command::help : Command::token_sign;
  cl.config_path = last_value(*vm, "config").value_or(cl.config_path);
  auto text = [&vm](const char* name) { return last_value(*vm, name).value_or(""); };
  cl.sign = {text("tenant"), text("role"), text("sub"), text("key-id")};
  const std::string ttl = text("ttl");
  if (cl.command == Command::help) return cl;
  if (cl.sign.tenant.empty() || cl.sign.role.empty() || cl.sign.sub.empty() ||
      cl.sign.key_id.empty() || ttl.empty()) {
    return usage_error("token sign needs --tenant, --role, --sub, --ttl and --key-id");
  }
  auto secs = parse_ttl(ttl);
  if (!secs) return usage_error("--ttl takes a number and s, m, h or d (at most a year)");
  cl.sign.ttl_secs = *secs;
  return cl;
}

// `token hash TOKEN` takes its one argument as it is: a token may well start with '-'.
Result<CommandLine> parse_token(std::span<const std::string_view> rest) {
  if (!rest.empty() && rest[0] == "sign") return parse_token_sign(rest.subspan(1));
  if (rest.empty() || rest[0] != "hash") return usage_error("token needs hash or sign");
  if (rest.size() != 2) return usage_error("token hash needs exactly one TOKEN (or -)");
  CommandLine cl;
  cl.command = Command::token_hash;
  cl.token = std::string(rest[1]);
  return cl;
}

}  // namespace

Result<CommandLine> parse_command_line(std::span<const std::string_view> args) {
  const std::string_view first = args.empty() ? std::string_view() : args[0];
  if (first == "simulate") return parse_dry_run(Command::simulate, args.subspan(1));
  if (first == "diff") return parse_dry_run(Command::diff, args.subspan(1));
  if (first == "token") return parse_token(args.subspan(1));
  if (first == "check") return parse_daemon(Command::check, args.subspan(1));
  if (first == "run") return parse_daemon(Command::run, args.subspan(1));
  return parse_daemon(Command::run, args);
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
