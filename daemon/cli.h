// The omniroute command line: `omniroute [run] [-c FILE] [overrides]`, `omniroute check FILE`,
// `--version`, `--help`. Parsing only; main.cc acts on the result.
#pragma once

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "daemon/config.h"

namespace omniroute::daemon {

inline constexpr std::string_view kDefaultConfigPath = "/etc/omniroute/omniroute.yaml";

enum class Command { run, check, version, help };

struct CommandLine {
  Command command = Command::run;
  std::string config_path{kDefaultConfigPath};
  Overrides overrides;  // --listen, --redis-url, --log-level, --public-base-url
};

// `args` excludes argv[0]. Options take their value as `--opt VALUE` or `--opt=VALUE`.
// Errc::invalid_input with a one-line reason for anything unknown or missing.
Result<CommandLine> parse_command_line(std::span<const std::string_view> args);
Result<CommandLine> parse_command_line(int argc, const char* const* argv);

// The text of `omniroute --help`.
std::string usage();

// `omniroute check FILE`: loads the config as `run` would (env overrides and secrets included).
// Exit code 0 with "FILE: OK ..." and any warnings, or 1 with every error on `err`.
int run_check(const std::string& path, std::ostream& out, std::ostream& err);
int run_check(const std::string& path, const Overrides& overrides, const yamlcfg::EnvLookup& env,
              std::ostream& out, std::ostream& err);

}  // namespace omniroute::daemon
