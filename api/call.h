// Internal to api/: what a route handler gets (the call: request, caller, parameters, where to
// answer) and the shared services it may use. Handlers answer through reply_* exactly once.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/auth.h"
#include "api/routes.h"
#include "common/clock.h"
#include "common/result.h"
#include "daemon/http/types.h"
#include "daemon/redis/keys.h"
#include "routing/rules.h"

namespace omniroute {
class Logger;
}  // namespace omniroute

namespace omniroute::daemon {
class RedisClient;
}  // namespace omniroute::daemon

namespace omniroute::api {

class CommandBus;

struct Services {
  daemon::RedisClient& redis;
  CommandBus& bus;
  const Clock& clock;
  Logger& log;
  std::string prefix;

  // The rules this instance knows (the queues' SLA and skills for the queue view); may be null.
  std::shared_ptr<const routing::Rules> rules() const {
    std::lock_guard lock(rules_mutex);
    return rules_;
  }
  void set_rules(std::shared_ptr<const routing::Rules> rules) {
    std::lock_guard lock(rules_mutex);
    rules_ = std::move(rules);
  }
  mutable std::mutex rules_mutex;
  std::shared_ptr<const routing::Rules> rules_;
};

struct Call {
  const RouteSpec* route = nullptr;
  daemon::HttpRequest request;
  Principal who;
  std::map<std::string, std::string> params;
  daemon::TenantKeys keys;
  boost::json::object body;  // parsed (and size-checked) for every route
  daemon::Responder respond;

  const std::string& param(const std::string& name) const { return params.at(name); }
  bool is_supervisor() const { return role_at_least(who.role, ApiRole::supervisor); }
};
using CallPtr = std::shared_ptr<Call>;

void reply_json(Call& call, int status, const boost::json::value& body);
void reply_raw(Call& call, int status, std::string json_body);
// Errc → status (http_status), with Retry-After on 503.
void reply_error(Call& call, const Error& error);
void reply_error(Call& call, int status, std::string_view code, std::string_view message);

// The handler groups; each answers the routes it knows.
void handle_command(Services& s, const CallPtr& call);  // POST/PUT/PATCH through the router
void handle_agent_read(Services& s, const CallPtr& call);
void handle_contact_read(Services& s, const CallPtr& call);
void handle_customer(Services& s, const CallPtr& call);
void handle_overview(Services& s, const CallPtr& call);  // queues, dashboard, rules

}  // namespace omniroute::api
