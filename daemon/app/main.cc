// omniroute: the one binary. `run` serves; `check` validates a config or rules file; `simulate`
// and `diff` are the rules dry runs; see `omniroute --help`.
#include <ctime>
#include <exception>
#include <iostream>

#include "daemon/app/app.h"
#include "daemon/app/cli.h"
#include "daemon/app/config.h"
#include "routing/simulate.h"

int main(int argc, char** argv) {
  using namespace omniroute::daemon;
  auto command_line = parse_command_line(argc, argv);
  if (!command_line) {
    std::cerr << "omniroute: " << command_line.error().message << "\n\n" << usage();
    return 2;
  }
  switch (command_line->command) {
    case Command::help:
      std::cout << usage();
      return 0;
    case Command::version:
      std::cout << "omniroute " << OMNIROUTE_VERSION << "\n";
      return 0;
    case Command::check:
      return run_check(command_line->config_path, command_line->overrides,
                       omniroute::yamlcfg::process_environment(), std::cout, std::cerr);
    case Command::simulate: {
      const auto& f = command_line->dry_run_files;
      return omniroute::routing::run_simulate(f[0], f[1], std::cout, std::cerr);
    }
    case Command::diff: {
      const auto& f = command_line->dry_run_files;
      return omniroute::routing::run_diff(f[0], f[1], f[2], std::cout, std::cerr);
    }
    case Command::token_hash:
      return run_token_hash(command_line->token, std::cin, std::cout, std::cerr);
    case Command::token_sign:
      return run_token_sign(*command_line, omniroute::yamlcfg::process_environment(),
                            std::time(nullptr), std::cout, std::cerr);
    case Command::run:
      break;
  }
  auto config = load_config_file(command_line->config_path, command_line->overrides);
  if (!config) {
    std::cerr << config.error().message << "\nomniroute: not started: the config has errors\n";
    return 1;
  }
  try {
    App app(std::move(*config), command_line->config_path, command_line->overrides);
    return app.run();
  } catch (const std::exception& e) {
    std::cerr << "omniroute: start-up failed: " << e.what() << "\n";
    return 1;
  }
}
