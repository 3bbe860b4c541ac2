// Internal to api/: the state behind Api, shared by api.cc (HTTP dispatch) and api_socket.cc
// (the WebSocket upgrade).
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "api/agent_sockets.h"
#include "api/api.h"
#include "api/call.h"
#include "api/command_bus.h"
#include "api/static_files.h"
#include "common/log.h"
#include "common/log_throttle.h"
#include "common/metrics.h"

namespace omniroute::api {

// A request that passed routing, authentication and the route's role check.
struct Admitted {
  const RouteSpec* route;
  Principal who;
  std::map<std::string, std::string> params;
  daemon::TenantKeys keys;
};

class Api::Impl {
 public:
  Impl(boost::asio::io_context& io, daemon::RedisClient& redis, ApiOptions options,
       const Clock& clock, Logger& log, Metrics& metrics);

  void start();
  void stop();
  bool ready() const;
  void handle_api(daemon::HttpRequest&& request, daemon::Responder respond);
  std::variant<daemon::HttpResponse, daemon::WebSocketCallbacks> upgrade(
      const daemon::HttpRequest& request, std::shared_ptr<daemon::WebSocketChannel> channel);
  void update_config(const api::ApiConfig& config);
  // Reads web_root into memory. At start a failure throws (the daemon does not start), except
  // a missing web_root, which only leaves the pages out; on reload the served files stay.
  void load_static_files(bool at_start);

  // Routing, authentication and role: the admitted request, or the response refusing it.
  std::variant<Admitted, daemon::HttpResponse> admit(const daemon::HttpRequest& request,
                                                     bool websocket);
  // Logs and counts a refusal (never the token).
  void denied(const Denial& d, std::string_view tenant, std::string_view route,
              std::string_view who);
  // Counts and times one answered API request (omniroute_api_requests_total, _seconds).
  void count_answer(const std::string& tenant, std::string_view route, int status,
                    std::chrono::steady_clock::duration took);
  void dispatch(const CallPtr& call);
  void arm_sweep();
  void on_assignment(const std::string& tenant, const std::string& payload);
  // A command result seen on the tenant's results stream: a reply goes to the agent's sockets.
  void on_result(const std::string& tenant, int status, const std::string& body);
  void lookup_message(const std::string& tenant, const std::string& customer,
                      const std::string& event_id,
                      std::function<void(std::optional<boost::json::object>)> done);
  void send_hello(std::uint64_t socket, const daemon::TenantKeys& keys, const std::string& agent);

  boost::asio::io_context& io;
  ApiOptions options;
  const Clock& clock;
  Logger& log;
  Metrics& metrics;
  LogThrottle denied_log;  // one "api denied" line per (route, reason) per interval
  Authenticator auth;
  CommandBus bus;
  // Shared so that a socket closing after the Api is gone (the server destroys its connections
  // last) finds nothing to update instead of a dangling registry.
  std::shared_ptr<AgentSockets> sockets;
  Services services;
  std::atomic<std::size_t> max_body_bytes;
  std::unique_ptr<StaticFiles> static_files;
  std::vector<std::unique_ptr<TenantTail>> tails;
  boost::asio::steady_timer sweep;
  std::atomic<bool> stopped{false};
};

}  // namespace omniroute::api
