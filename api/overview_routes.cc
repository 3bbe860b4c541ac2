// Supervisor overviews: the queues, the dashboard (queues, agents by state, the last hour of
// the router's `<base>:stats` samples) and the rules the active router runs.
#include <boost/json/parse.hpp>
#include <charconv>

#include "api/call.h"
#include "api/queue_view.h"
#include "api/redis_reads.h"

namespace omniroute::api {
namespace {

constexpr std::int64_t kHourMs = 3600 * 1000;

std::int64_t to_int(std::string_view text) {
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;  // a malformed figure reads as 0 rather than failing the whole dashboard
}

// One stats entry [id, [field, value...]] as {at_ms, waiting, ..., queues{}}.
boost::json::object sample_view(const daemon::RedisReply& entry) {
  const std::string& id = entry.elements[0].str;
  boost::json::object s{{"at_ms", to_int(id.substr(0, id.find('-')))}};
  for (const auto& [field, value] : as_map(entry.elements[1])) {
    if (field == "queues") {
      boost::system::error_code ec;
      auto q = boost::json::parse(value, ec);
      s["queues"] = ec ? boost::json::value(boost::json::object{}) : std::move(q);
    } else {
      s[field] = to_int(value);
    }
  }
  return s;
}

boost::json::object agents_by_state(const RoutingState& state) {
  boost::json::object groups{{"available", boost::json::array{}},
                             {"away", boost::json::array{}},
                             {"offline", boost::json::array{}}};
  for (const auto& a : state.agents) {
    groups[daemon::presence_name(a.presence)].as_array().push_back(
        agent_view(a, load_of(a.spec.id, state.contacts)));
  }
  return groups;
}

void dashboard(Services& s, const CallPtr& call, RoutingState state) {
  const std::int64_t now = s.clock.now_unix_ms();
  redis_call(s.redis, {"XRANGE", call->keys.stats(), std::to_string(now - kHourMs), "+"},
             [&s, call, state = std::move(state), now](Result<daemon::RedisReply> r) {
               if (!r) return reply_error(*call, r.error());
               boost::json::array samples;
               for (const auto& e : r->elements) {
                 if (e.elements.size() == 2) samples.push_back(sample_view(e));
               }
               auto rules = s.rules();
               reply_json(*call, 200,
                          boost::json::object{{"queues", queue_views(state, rules.get(), now)},
                                              {"agents_by_state", agents_by_state(state)},
                                              {"samples", std::move(samples)},
                                              {"at_ms", now}});
             });
}

void rules_version(Services& s, const CallPtr& call) {
  redis_call(s.redis, {"HGETALL", call->keys.router_rules()}, [call](Result<daemon::RedisReply> r) {
    if (!r) return reply_error(*call, r.error());
    auto fields = as_map(*r);
    if (fields.empty()) {
      return reply_error(*call, 404, "not_found", "no router has loaded rules yet");
    }
    reply_json(*call, 200,
               boost::json::object{{"version", fields["version"]},
                                   {"loaded_ms", to_int(fields["loaded_ms"])},
                                   {"instance", fields["instance"]}});
  });
}

}  // namespace

void handle_overview(Services& s, const CallPtr& call) {
  if (call->route->id == RouteId::rules_get) return rules_version(s, call);
  load_routing_state(s.redis, call->keys, [&s, call](Result<RoutingState> state) {
    if (!state) return reply_error(*call, state.error());
    if (call->route->id == RouteId::dashboard) return dashboard(s, call, std::move(*state));
    auto rules = s.rules();
    reply_json(
        *call, 200,
        boost::json::object{{"queues", queue_views(*state, rules.get(), s.clock.now_unix_ms())}});
  });
}

}  // namespace omniroute::api
