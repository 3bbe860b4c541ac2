// The agent and ops API (docs/api.md) as the daemon mounts it: HTTP routes under /api/v1, the
// agents' WebSockets, and the console's static files; plus the per-tenant tails that bring the
// router's results and events back. Asio-free, so app.cc and tests include it cheaply.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/config.h"
#include "api/tenant_tail.h"
#include "common/clock.h"
#include "daemon/http/types.h"
#include "daemon/http/websocket_channel.h"
#include "routing/rules.h"

namespace omniroute {
class Logger;
class Metrics;
}  // namespace omniroute

namespace omniroute::daemon {
class RedisClient;
}  // namespace omniroute::daemon

namespace omniroute::api {

class AgentSockets;
class CommandBus;

struct ApiOptions {
  std::string prefix = "omni";       // streams.prefix
  api::ApiConfig config;             // the `api:` section
  std::vector<std::string> tenants;  // one tail each
  TailOptions tail;                  // the tails' own Redis connections
};

class Api {
 public:
  // `io` runs the tails, timers and Redis callbacks (the HTTP server's pool); `redis` serves
  // reads and command submission.
  Api(boost::asio::io_context& io, daemon::RedisClient& redis, ApiOptions options,
      const Clock& clock, Logger& log, Metrics& metrics);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Starts the tails and the sweep that closes sockets whose token expired.
  void start();
  // Closes the sockets (1001) and stops the tails. Asynchronous, like RedisClient::stop.
  void stop();
  // Every tail has its cursors: commands submitted from now on find their results.
  bool ready() const;

  // Answers /api/... and the static pages (/, /console/, /dashboard/, /shared/, /vendor/);
  // false for any other path, which the caller then handles.
  bool try_handle(daemon::HttpRequest& request, daemon::Responder& respond);
  // For HttpServer::set_websocket_handler.
  daemon::WebSocketUpgradeHandler websocket_handler();

  // Config reload: tokens, keys, limits and the command timeout change at once.
  void update_config(const api::ApiConfig& config);
  // Reload: reads the console's files from web_root again (they are served from memory). A
  // failure is logged and the files served so far stay. Blocks on the disk: control thread only.
  void reload_static_files();
  // The rules this instance loaded (queue SLA targets and skills for the queue view).
  void set_rules(std::shared_ptr<const routing::Rules> rules);

  // For tests: close expired sockets now instead of at the next sweep.
  std::size_t close_expired_sockets();
  std::size_t open_sockets() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniroute::api
