// The omniroute command line: `omniroute [run] [-c FILE] [overrides]`, `omniroute check FILE`
// (daemon config or routing rules), `simulate`, `diff`, `--version`, `--help`; and the checks.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "daemon/app/config.h"

namespace omniroute::daemon {

inline constexpr std::string_view kDefaultConfigPath = "/etc/omniroute/omniroute.yaml";

enum class Command { run, check, simulate, diff, token_hash, token_sign, version, help };

struct CommandLine {
  Command command = Command::run;
  std::string config_path{kDefaultConfigPath};
  Overrides overrides;  // --listen, --redis-url, --log-level, --public-base-url
  // simulate: {RULES, EVENTS}; diff: {OLD_RULES, NEW_RULES, EVENTS}.
  std::vector<std::string> dry_run_files;
  // token hash TOKEN ("-": read it from stdin, keeping it out of the shell history).
  std::string token;
  // token sign: --tenant, --role, --sub, --ttl (e.g. 8h, 30m, 90s, 2d), --key-id; the key's
  // secret comes from the config file (-c/--config) as `run` would load it.
  struct TokenSign {
    std::string tenant, role, sub, key_id;
    std::int64_t ttl_secs = 0;
  } sign;
};

// `args` excludes argv[0]. Options take their value as `--opt VALUE`, `--opt=VALUE` or `-c FILE`;
// they are never abbreviated, and of an option given twice the last value counts.
// Errc::invalid_input with a one-line reason for anything unknown or missing.
Result<CommandLine> parse_command_line(std::span<const std::string_view> args);
Result<CommandLine> parse_command_line(int argc, const char* const* argv);

// The text of `omniroute --help`.
std::string usage();

// What `check` is looking at, decided by the file's top-level keys so that ops need to remember
// one command: `queues:`, `rules:`, `tiers:` or `tier_rules:` make a routing rules file;
// anything else (`listen:`, `adapters:` ...) is validated as the daemon config.
enum class FileKind { daemon_config, routing_rules };
FileKind detect_file_kind(std::string_view yaml_text);

// `omniroute check FILE`: a daemon config is loaded as `run` would (env overrides and secrets
// included); a routing rules file as a reload would. Exit code 0 with "FILE: OK ..." and any
// warnings, or 1 with every error (file:line:col) on `err`.
int run_check(const std::string& path, std::ostream& out, std::ostream& err);
int run_check(const std::string& path, const Overrides& overrides, const yamlcfg::EnvLookup& env,
              std::ostream& out, std::ostream& err);
int run_check_rules(const std::string& path, std::ostream& out, std::ostream& err);

// `omniroute token hash TOKEN`: the SHA-256 hex that `api.tenants.<t>.tokens[].sha256` takes.
int run_token_hash(const std::string& token, std::istream& in, std::ostream& out,
                   std::ostream& err);
// `omniroute token sign ...`: a signed token (docs/api.md) valid for ttl from `now_unix_secs`.
int run_token_sign(const CommandLine& cl, const yamlcfg::EnvLookup& env, std::int64_t now_unix_secs,
                   std::ostream& out, std::ostream& err);

}  // namespace omniroute::daemon
