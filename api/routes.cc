// The route table and its matcher: a few dozen routes, so a linear scan over split segments
// is fast enough and keeps the table readable as data.
#include "api/routes.h"

#include <algorithm>

#include "daemon/redis/keys.h"

namespace omniroute::api {
namespace {

// Patterns spelled out in full so that they read like docs/openapi.yaml.
constexpr RouteSpec kRoutes[] = {
    {RouteId::me, "GET", "/api/v1/tenants/{tenant}/me", Access::any},
    {RouteId::agents_list, "GET", "/api/v1/tenants/{tenant}/agents", Access::supervisor},
    {RouteId::agent_get, "GET", "/api/v1/tenants/{tenant}/agents/{agent}",
     Access::self_or_supervisor},
    {RouteId::agent_patch, "PATCH", "/api/v1/tenants/{tenant}/agents/{agent}", Access::supervisor},
    {RouteId::agent_sign_in, "POST", "/api/v1/tenants/{tenant}/agents/{agent}/sign-in",
     Access::self},
    {RouteId::agent_sign_out, "POST", "/api/v1/tenants/{tenant}/agents/{agent}/sign-out",
     Access::self_or_supervisor},
    {RouteId::agent_presence, "PUT", "/api/v1/tenants/{tenant}/agents/{agent}/presence",
     Access::self_or_supervisor},
    {RouteId::agent_work, "GET", "/api/v1/tenants/{tenant}/agents/{agent}/work",
     Access::self_or_supervisor},
    {RouteId::agent_socket, "GET", "/api/v1/tenants/{tenant}/agents/{agent}/socket",
     Access::self_or_supervisor},
    {RouteId::contact_get, "GET", "/api/v1/tenants/{tenant}/contacts/{contact}",
     Access::agent_or_supervisor},
    {RouteId::contact_accept, "POST", "/api/v1/tenants/{tenant}/contacts/{contact}/accept",
     Access::agent_or_supervisor},
    {RouteId::contact_reject, "POST", "/api/v1/tenants/{tenant}/contacts/{contact}/reject",
     Access::agent_or_supervisor},
    {RouteId::contact_complete, "POST", "/api/v1/tenants/{tenant}/contacts/{contact}/complete",
     Access::agent_or_supervisor},
    {RouteId::contact_transfer, "POST", "/api/v1/tenants/{tenant}/contacts/{contact}/transfer",
     Access::agent_or_supervisor},
    {RouteId::contact_reply, "POST", "/api/v1/tenants/{tenant}/contacts/{contact}/reply",
     Access::agent_or_supervisor},
    {RouteId::contact_close, "POST", "/api/v1/tenants/{tenant}/contacts/{contact}/close",
     Access::supervisor},
    {RouteId::contact_trail, "GET", "/api/v1/tenants/{tenant}/contacts/{contact}/trail",
     Access::supervisor},
    {RouteId::customer_get, "GET", "/api/v1/tenants/{tenant}/customers/{customer}",
     Access::agent_or_supervisor},
    {RouteId::customer_patch, "PATCH", "/api/v1/tenants/{tenant}/customers/{customer}",
     Access::supervisor},
    {RouteId::customer_link, "POST", "/api/v1/tenants/{tenant}/customers/link", Access::supervisor},
    {RouteId::customer_history, "GET", "/api/v1/tenants/{tenant}/customers/{customer}/history",
     Access::agent_or_supervisor},
    {RouteId::queues, "GET", "/api/v1/tenants/{tenant}/queues", Access::supervisor},
    {RouteId::dashboard, "GET", "/api/v1/tenants/{tenant}/dashboard", Access::supervisor},
    {RouteId::rules_reload, "POST", "/api/v1/tenants/{tenant}/rules/reload", Access::admin},
    {RouteId::rules_get, "GET", "/api/v1/tenants/{tenant}/rules", Access::supervisor},
};

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param_value(std::string_view name, std::string_view value) {
  if (name == "tenant") return daemon::is_valid_tenant(value);
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("._~:@+-").find(c) != std::string_view::npos;
  };
  return !value.empty() && value.size() <= 128 && std::all_of(value.begin(), value.end(), ok);
}

// How well `path` fits `pattern`: -1 not at all, else the number of literal segments (more
// literals = more specific).
int fit(std::string_view pattern, const std::vector<std::string_view>& path,
        std::map<std::string, std::string>& params) {
  auto parts = split(pattern);
  if (parts.size() != path.size()) return -1;
  int literals = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].starts_with('{')) {
      std::string_view name = parts[i].substr(1, parts[i].size() - 2);
      if (!is_param_value(name, path[i])) return -1;
      params[std::string(name)] = std::string(path[i]);
    } else if (parts[i] == path[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

}  // namespace

std::span<const RouteSpec> route_specs() {
  return kRoutes;
}

RouteMatch match_route(std::string_view method, std::string_view path) {
  const auto segments = split(path);
  RouteMatch best;
  int best_fit = -1;      // of routes with this method
  int best_any_fit = -1;  // of all routes, to tell 404 from 405
  for (const auto& route : kRoutes) {
    std::map<std::string, std::string> params;
    int f = fit(route.pattern, segments, params);
    if (f < 0) continue;
    if (f > best_any_fit) {
      best_any_fit = f;
      best.allowed.clear();
    }
    if (f == best_any_fit) best.allowed.emplace_back(route.method);
    if (route.method == method && f > best_fit) {
      best_fit = f;
      best.route = &route;
      best.params = std::move(params);
    }
  }
  // A less specific route with the right method loses to a literal match with another method:
  // POST /customers/link exists, so GET /customers/link is customer "link" only if no literal.
  if (best.route && best_fit < best_any_fit) best.route = nullptr;
  if (best.route) best.allowed.clear();
  return best;
}

std::optional<Denial> check_access(const RouteSpec& route, const Principal& p,
                                   const std::map<std::string, std::string>& params) {
  auto forbid = [](std::string reason, std::string message) {
    return Denial{403, std::move(reason), std::move(message)};
  };
  const bool supervisor = role_at_least(p.role, ApiRole::supervisor);
  auto agent_param = params.find("agent");
  const bool self =
      p.role == ApiRole::agent && agent_param != params.end() && agent_param->second == p.agent;
  switch (route.access) {
    case Access::any:
    case Access::agent_or_supervisor:
      return std::nullopt;
    case Access::supervisor:
      if (supervisor) return std::nullopt;
      return forbid("role", "needs role supervisor");
    case Access::admin:
      if (p.role == ApiRole::admin) return std::nullopt;
      return forbid("role", "needs role admin");
    case Access::self:
      if (self) return std::nullopt;
      return forbid(p.role == ApiRole::agent ? "other_agent" : "role",
                    "only the agent itself may do this");
    case Access::self_or_supervisor:
      if (self || supervisor) return std::nullopt;
      return forbid("other_agent", "an agent may act only for itself");
  }
  return forbid("role", "not allowed");
}

}  // namespace omniroute::api
