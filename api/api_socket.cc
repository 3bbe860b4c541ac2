// The agent WebSocket: admitted like any route (token from ?access_token=), registered with
// the hub, then greeted with the agent's current work read from Redis.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/api_impl.h"
#include "api/redis_reads.h"

namespace omniroute::api {

std::variant<daemon::HttpResponse, daemon::WebSocketCallbacks> Api::Impl::upgrade(
    const daemon::HttpRequest& request, std::shared_ptr<daemon::WebSocketChannel> channel) {
  auto admitted = admit(request, true);
  if (auto* refusal = std::get_if<daemon::HttpResponse>(&admitted)) return *refusal;
  auto& a = std::get<Admitted>(admitted);
  if (a.route->id != RouteId::agent_socket) {
    return daemon::json_error(400, "invalid_input", "this route is not a WebSocket");
  }
  const std::string agent = a.params.at("agent");
  const auto id = sockets->add(a.keys.tenant(), agent, std::move(channel), a.who.expires_ms);
  send_hello(id, a.keys, agent);
  daemon::WebSocketCallbacks callbacks;
  callbacks.on_close = [weak = std::weak_ptr<AgentSockets>(sockets), id] {
    if (auto registry = weak.lock()) registry->remove(id);
  };
  return callbacks;
}

void Api::Impl::send_hello(std::uint64_t socket, const daemon::TenantKeys& keys,
                           const std::string& agent) {
  load_routing_state(services.redis, keys, [this, socket, agent](Result<RoutingState> state) {
    boost::json::array offers, active;
    if (state) {
      for (const auto& c : state->contacts) {
        if (c.agent != agent) continue;
        if (c.status == routing::ContactStatus::offered) offers.push_back(contact_view(c));
        if (c.status == routing::ContactStatus::active) active.push_back(contact_view(c));
      }
    } else {
      log.warn("api socket: no current work for hello", {{"agent", agent}});
    }
    sockets->hello(socket, std::move(offers), std::move(active));
  });
}

// The history line of a message that joined a conversation: the last lines of the customer's
// history hold it, as the router appends it in the same commit as the event.
void Api::Impl::lookup_message(const std::string& tenant, const std::string& customer,
                               const std::string& event_id,
                               std::function<void(std::optional<boost::json::object>)> done) {
  auto keys = daemon::TenantKeys::make(options.prefix, tenant);
  if (!keys || customer.empty()) return done(std::nullopt);
  redis_call(services.redis, {"LRANGE", keys->history(customer), "-20", "-1"},
             [event_id, done = std::move(done)](Result<daemon::RedisReply> r) {
               if (!r) return done(std::nullopt);
               for (const auto& line : r->elements) {
                 boost::system::error_code ec;
                 auto v = boost::json::parse(line.str, ec);
                 if (ec || !v.is_object()) continue;
                 const auto* id = v.as_object().if_contains("event_id");
                 if (id && id->is_string() && id->as_string() == event_id) {
                   return done(v.as_object());
                 }
               }
               done(std::nullopt);
             });
}

}  // namespace omniroute::api
