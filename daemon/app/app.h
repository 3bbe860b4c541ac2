// The omniroute process: wires config, Redis, the ingest path and the HTTP server together, and
// runs the lifecycle — sd_notify readiness and watchdog, SIGHUP reload, SIGTERM drain.
#pragma once

#include <memory>
#include <string>

#include "daemon/app/config.h"

namespace omniroute::daemon {

class App {
 public:
  // `config` was loaded from `config_path` with `overrides`; reload reads the file again with
  // the same overrides.
  App(Config config, std::string config_path, Overrides overrides);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Starts everything, blocks until SIGTERM/SIGINT has drained the server, returns the exit
  // code. Throws std::runtime_error when start-up fails (port taken, Redis binary missing).
  int run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniroute::daemon
