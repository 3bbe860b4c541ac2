// The API's route table as data: method, path pattern and who may call it. The server
// dispatches through it, and a test checks it against docs/openapi.yaml both ways.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.h"

namespace omniroute::api {

enum class RouteId {
  me,
  agents_list,
  agent_get,
  agent_patch,
  agent_sign_in,
  agent_sign_out,
  agent_presence,
  agent_work,
  agent_socket,
  contact_get,
  contact_accept,
  contact_reject,
  contact_complete,
  contact_transfer,
  contact_reply,
  contact_close,
  contact_trail,
  customer_get,
  customer_patch,
  customer_link,
  customer_history,
  queues,
  dashboard,
  rules_reload,
  rules_get,
};

// Who may call a route, checked before the handler runs. Checks that need data (is this agent
// the contact's holder?) are the handler's or the router's.
enum class Access {
  any,                  // any role of the tenant
  supervisor,           // supervisor or admin
  admin,                // admin only
  self,                 // an agent token whose agent is {agent}
  self_or_supervisor,   // that, or supervisor/admin
  agent_or_supervisor,  // any role; an agent only for its own contacts (checked later)
};

struct RouteSpec {
  RouteId id;
  std::string_view method;
  std::string_view pattern;  // e.g. "/api/v1/tenants/{tenant}/agents/{agent}"
  Access access;
};

// Every route, in the order of docs/api.md.
std::span<const RouteSpec> route_specs();

struct RouteMatch {
  const RouteSpec* route = nullptr;           // null: no route (see allowed)
  std::map<std::string, std::string> params;  // {tenant}, {agent}, ... as in the path
  std::vector<std::string> allowed;           // the path exists with these methods only (405)
};

// Matches a path (not decoded; ids never need escaping) against the table. A literal segment
// wins over a parameter ("customers/link" is not customer "link"). Parameters must be 1..128 of
// [A-Za-z0-9._~:@+-] and {tenant} a valid tenant name, else the path does not match.
RouteMatch match_route(std::string_view method, std::string_view path);

// The route's Access rule for `principal`; nullopt when allowed, else the 403.
std::optional<Denial> check_access(const RouteSpec& route, const Principal& principal,
                                   const std::map<std::string, std::string>& params);

}  // namespace omniroute::api
