// Record reads. The records are the router's JSON (daemon/router/records.h), parsed with
// the router's own parsers so both sides agree on the format.
#include "api/redis_reads.h"

#include <algorithm>

#include "daemon/router/records.h"

namespace omniroute::api {

void redis_call(daemon::RedisClient& redis, std::vector<std::string> args,
                std::function<void(Result<daemon::RedisReply>)> done) {
  redis.command(std::move(args), [done = std::move(done)](Result<daemon::RedisReply> r) {
    if (!r) return done(make_error(Errc::unavailable, "redis: " + r.error().message));
    if (r->is_error()) return done(make_error(Errc::internal, "redis: " + r->str));
    done(std::move(r));
  });
}

std::map<std::string, std::string> as_map(const daemon::RedisReply& reply) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    out[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  return out;
}

void load_routing_state(daemon::RedisClient& redis, const daemon::TenantKeys& keys,
                        std::function<void(Result<RoutingState>)> done) {
  redis_call(redis, {"HGETALL", keys.routing_contacts()},
             [&redis, keys, done = std::move(done)](Result<daemon::RedisReply> contacts) {
               if (!contacts) return done(contacts.error());
               redis_call(
                   redis, {"HGETALL", keys.routing_agents()},
                   [contacts = std::move(*contacts), done](Result<daemon::RedisReply> agents) {
                     if (!agents) return done(agents.error());
                     RoutingState state;
                     for (const auto& [id, json] : as_map(contacts)) {
                       if (auto c = daemon::contact_from_json(json)) {
                         state.contacts.push_back(std::move(*c));
                       }
                     }
                     for (const auto& [id, json] : as_map(*agents)) {
                       if (auto a = daemon::agent_from_json(json)) {
                         state.agents.push_back(std::move(*a));
                       }
                     }
                     done(std::move(state));
                   });
             });
}

void load_contact(daemon::RedisClient& redis, const daemon::TenantKeys& keys,
                  const std::string& contact_id,
                  std::function<void(Result<std::optional<routing::ContactRecord>>)> done) {
  redis_call(redis, {"HGET", keys.routing_contacts(), contact_id},
             [done = std::move(done)](Result<daemon::RedisReply> r) {
               if (!r) return done(r.error());
               if (r->is_nil()) return done(std::optional<routing::ContactRecord>());
               auto c = daemon::contact_from_json(r->str);
               if (!c)
                 return done(make_error(Errc::internal, "contact record: " + c.error().message));
               done(std::optional<routing::ContactRecord>(std::move(*c)));
             });
}

}  // namespace omniroute::api
