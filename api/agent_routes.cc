// Agent reads: the list, one agent, and an agent's current work, from the router's records.
#include <algorithm>

#include "api/call.h"
#include "api/redis_reads.h"

namespace omniroute::api {
namespace {

const routing::AgentRecord* find_agent(const RoutingState& state, const std::string& id) {
  auto it = std::find_if(state.agents.begin(), state.agents.end(),
                         [&](const auto& a) { return a.spec.id == id; });
  return it == state.agents.end() ? nullptr : &*it;
}

void answer(const CallPtr& call, const RoutingState& state) {
  auto load = [&](const std::string& id) { return load_of(id, state.contacts); };
  if (call->route->id == RouteId::agents_list) {
    boost::json::array agents;
    for (const auto& a : state.agents) agents.push_back(agent_view(a, load(a.spec.id)));
    return reply_json(*call, 200, boost::json::object{{"agents", std::move(agents)}});
  }
  const std::string& id = call->param("agent");
  const auto* agent = find_agent(state, id);
  if (!agent) return reply_error(*call, 404, "not_found", "no agent '" + id + "'");
  if (call->route->id == RouteId::agent_get) {
    return reply_json(*call, 200, agent_view(*agent, load(id)));
  }
  boost::json::array offers, active;
  for (const auto& c : state.contacts) {
    if (c.agent != id) continue;
    if (c.status == routing::ContactStatus::offered) offers.push_back(contact_view(c));
    if (c.status == routing::ContactStatus::active) active.push_back(contact_view(c));
  }
  reply_json(*call, 200,
             boost::json::object{{"offers", std::move(offers)}, {"active", std::move(active)}});
}

}  // namespace

void handle_agent_read(Services& s, const CallPtr& call) {
  load_routing_state(s.redis, call->keys, [call](Result<RoutingState> state) {
    if (!state) return reply_error(*call, state.error());
    answer(call, *state);
  });
}

}  // namespace omniroute::api
