// RoutingStore on Redis: records as JSON in three hashes per tenant, writes buffered per engine
// operation and committed with the assignment events and XACKs in one fenced Lua script.
#include "daemon/router/redis_store.h"

#include <boost/json.hpp>
#include <cstdlib>

#include "daemon/redis/client.h"
#include "daemon/router/views.h"

namespace omniroute::daemon {
namespace json = boost::json;
using namespace omniroute::routing;

namespace {

// KEYS: 1 lease, 2 fence, 3 contacts, 4 agents, 5 sticky, 6 assignments, 7 deadletter,
// 8 inbound, 9 match inputs, 10 last activity, 11 routes, 12 commands, 13 results, 14 outbound,
// 15 stats, 16 router:rules.
// ARGV: 1 instance ('' = unfenced), 2 token, 3..8 maxlen of assignments, deadletter, outbound,
// results, stats, 8 group, then ops. Keys named inside ops (trail, history, once markers) are
// the tenant's, in the same slot. The fence is checked before anything is written, so a
// deposed router writes nothing. `G key ttl n` guards the next n ops: they run only if the key
// was not set yet (a replayed message is announced once).
constexpr const char* kCommitScript = R"lua(
if ARGV[1] ~= '' then
  if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then
    return redis.error_reply('FENCED lease or fencing token is not ours')
  end
end
local skip = 0
local function xadd(key, maxlen, ...)
  redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', ...)
end
local function push(key, line, keep, ttl)
  redis.call('RPUSH', key, line)
  redis.call('LTRIM', key, -keep, -1)
  if ttl ~= '0' then redis.call('PEXPIRE', key, ttl) end
end
local function hset(k) return function(i, run)
  if run then redis.call('HSET', KEYS[k], ARGV[i+1], ARGV[i+2]) end
  return i + 3
end end
local function hdel(k) return function(i, run)
  if run then redis.call('HDEL', KEYS[k], ARGV[i+1]) end
  return i + 2
end end
local ops = {
  C = hset(3), A = hset(4), S = hset(5), M = hset(9), L = hset(10), W = hset(11),
  a = hdel(4), s = hdel(5), l = hdel(10),
  E = function(i, run)
    if run then for _, k in ipairs({3, 9, 10, 11}) do redis.call('HDEL', KEYS[k], ARGV[i+1]) end end
    return i + 2
  end,
  G = function(i, run)
    if run and not redis.call('SET', ARGV[i+1], '1', 'NX', 'PX', ARGV[i+2]) then
      skip = tonumber(ARGV[i+3])
    end
    return i + 4
  end,
  X = function(i, run)
    if run then
      xadd(KEYS[6], ARGV[3], 'e', ARGV[i+1])
      if ARGV[i+2] ~= '' then push(ARGV[i+2], ARGV[i+1], 2000, ARGV[i+3]) end
    end
    return i + 4
  end,
  H = function(i, run)
    if run then push(ARGV[i+1], ARGV[i+3], 500, ARGV[i+2]) end
    return i + 4
  end,
  D = function(i, run)
    if run then
      local f = {'e', ARGV[i+1], 'reason', ARGV[i+2], 'stream', ARGV[i+3], 'id', ARGV[i+4],
                 'deliveries', ARGV[i+5]}
      if ARGV[i+6] ~= '' then f[#f+1] = 'command'; f[#f+1] = ARGV[i+6] end
      xadd(KEYS[7], ARGV[4], unpack(f))
    end
    return i + 7
  end,
  K = function(i, run)
    if run then redis.call('XACK', KEYS[8], ARGV[8], ARGV[i+1]) end
    return i + 2
  end,
  k = function(i, run)
    if run then redis.call('XACK', KEYS[12], ARGV[8], ARGV[i+1]) end
    return i + 2
  end,
  U = function(i, run)
    if run then xadd(KEYS[14], ARGV[5], 'e', ARGV[i+1]) end
    return i + 2
  end,
  R = function(i, run)
    if run then xadd(KEYS[13], ARGV[6], 'id', ARGV[i+1], 'status', ARGV[i+2], 'body', ARGV[i+3]) end
    return i + 4
  end,
  P = function(i, run)
    if run then redis.call('SET', ARGV[i+1], ARGV[i+2], 'PX', ARGV[i+3]) end
    return i + 4
  end,
  T = function(i, run)
    local n = tonumber(ARGV[i+1])
    if run then xadd(KEYS[15], ARGV[7], unpack(ARGV, i + 2, i + 1 + 2 * n)) end
    return i + 2 + 2 * n
  end,
  Q = function(i, run)
    if run then
      redis.call('HSET', KEYS[16], 'version', ARGV[i+1], 'loaded_ms', ARGV[i+2], 'instance', ARGV[i+3])
    end
    return i + 4
  end,
}
local i = 9
local n = #ARGV
while i <= n do
  local op = ops[ARGV[i]]
  if not op then return redis.error_reply('ERR unknown commit op ' .. tostring(ARGV[i])) end
  local run = skip == 0
  if not run then skip = skip - 1 end
  i = op(i, run)
end
return 'OK'
)lua";

// KEYS: routes. ARGV: triples (once key, contact or '', reply key or ''). Answers per triple:
// once key exists (0/1), the contact's route or '', the earlier reply's event id or ''.
constexpr const char* kLookupScript = R"lua(
local out = {}
for i = 1, #ARGV, 3 do
  out[#out+1] = redis.call('EXISTS', ARGV[i])
  local route = ARGV[i+1] ~= '' and redis.call('HGET', KEYS[1], ARGV[i+1]) or false
  out[#out+1] = route or ''
  local reply = ARGV[i+2] ~= '' and redis.call('GET', ARGV[i+2]) or false
  out[#out+1] = reply or ''
end
return out
)lua";

constexpr const char* kLoadScript = R"lua(
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]),
        redis.call('HGETALL', KEYS[3])}
)lua";

// ---- JSON -----------------------------------------------------------------------------------

// HGETALL reply → values, or the first unreadable one as an error.
template <class T, class Parse>
Result<void> read_hash(const RedisReply& reply, Parse parse, std::vector<T>& out) {
  if (!reply.is_array() || reply.elements.size() % 2 != 0) {
    return make_error(Errc::internal, "routing hash reply is " + describe(reply));
  }
  for (std::size_t i = 1; i < reply.elements.size(); i += 2) {
    auto record = parse(reply.elements[i].str);
    if (!record) return record.error();
    out.push_back(std::move(*record));
  }
  return {};
}

}  // namespace

RoutingRedisStore::RoutingRedisStore(RedisClient& redis, TenantKeys keys,
                                     RoutingRedisStoreOptions options)
    : redis_(redis), keys_(std::move(keys)), options_(std::move(options)) {}

void RoutingRedisStore::save_contact(const ContactRecord& contact) {
  ops_.insert(ops_.end(), {"C", contact.id, contact_to_json(contact)});
}

void RoutingRedisStore::erase_contact(std::string_view contact_id) {
  ops_.insert(ops_.end(), {"E", std::string(contact_id)});
}

void RoutingRedisStore::save_agent(const AgentRecord& agent) {
  ops_.insert(ops_.end(), {"A", agent.spec.id, agent_to_json(agent)});
}

void RoutingRedisStore::save_sticky(const StickyRecord& sticky) {
  ops_.insert(ops_.end(), {"S", sticky.customer_id, sticky_to_json(sticky)});
}

void RoutingRedisStore::erase_agent(std::string_view agent_id) {
  ops_.insert(ops_.end(), {"a", std::string(agent_id)});
}

void RoutingRedisStore::erase_sticky(std::string_view customer_id) {
  ops_.insert(ops_.end(), {"s", std::string(customer_id)});
}

void RoutingRedisStore::save_match_input(std::string_view contact_id, std::string input) {
  ops_.insert(ops_.end(), {"M", std::string(contact_id), std::move(input)});
}

std::string RoutingRedisStore::match_inputs_key() const {
  return keys_.routing_contacts() + ":inputs";
}

void RoutingRedisStore::load_match_inputs(
    const std::vector<std::string>& contact_ids,
    std::function<void(Result<std::vector<std::optional<std::string>>>)> done) const {
  if (contact_ids.empty()) return done(std::vector<std::optional<std::string>>{});
  std::vector<std::string> args{"HMGET", match_inputs_key()};
  args.insert(args.end(), contact_ids.begin(), contact_ids.end());
  redis_.command(
      std::move(args), [n = contact_ids.size(), done = std::move(done)](Result<RedisReply> reply) {
        if (!reply) return done(reply.error());
        if (!reply->is_array() || reply->elements.size() != n) {
          return done(make_error(Errc::unavailable, "match inputs: " + describe(*reply)));
        }
        std::vector<std::optional<std::string>> out;
        for (auto& e : reply->elements) {
          out.push_back(e.is_string() ? std::optional(std::move(e.str)) : std::nullopt);
        }
        done(std::move(out));
      });
}

void RoutingRedisStore::save_activity(std::string_view contact_id, routing::TimePoint at_ms) {
  ops_.insert(ops_.end(), {"L", std::string(contact_id), std::to_string(at_ms)});
}

void RoutingRedisStore::erase_activity(std::string_view contact_id) {
  ops_.insert(ops_.end(), {"l", std::string(contact_id)});
}

std::string RoutingRedisStore::activity_key() const {
  return keys_.routing_contacts() + ":activity";
}

void RoutingRedisStore::load_activity(
    std::function<void(Result<std::map<std::string, routing::TimePoint>>)> done) const {
  redis_.command({"HGETALL", activity_key()}, [done = std::move(done)](Result<RedisReply> reply) {
    if (!reply) return done(reply.error());
    if (!reply->is_array() || reply->elements.size() % 2 != 0) {
      return done(make_error(Errc::unavailable, "contact activity: " + describe(*reply)));
    }
    std::map<std::string, routing::TimePoint> out;
    const auto& e = reply->elements;
    for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
      out[e[i].str] = std::strtoll(e[i + 1].str.c_str(), nullptr, 10);
    }
    done(std::move(out));
  });
}

Result<RoutingSnapshot> RoutingRedisStore::load() const {
  return make_error(Errc::internal, "RoutingRedisStore reads asynchronously: use load_snapshot()");
}

namespace {

void append_extras(std::vector<std::string>& args, CommitExtras& extras, std::int64_t history_ttl) {
  const std::string history_ttl_text = std::to_string(history_ttl);
  auto history = [&](CommitExtras::History& h) {
    args.insert(args.end(), {"H", std::move(h.key), history_ttl_text, std::move(h.line)});
  };
  for (auto& a : extras.assignments) {
    if (!a.once_key.empty()) {
      const int guarded = a.history ? 2 : 1;
      args.insert(args.end(), {"G", std::move(a.once_key), std::to_string(a.once_ttl_ms),
                               std::to_string(guarded)});
    }
    args.insert(args.end(), {"X", std::move(a.payload), std::move(a.trail_key),
                             std::to_string(a.trail_ttl_ms)});
    if (a.history) history(*a.history);
  }
  for (auto& h : extras.history) history(h);
  for (auto& [contact, route] : extras.routes) {
    args.insert(args.end(), {"W", std::move(contact), std::move(route)});
  }
  for (auto& o : extras.outbound) args.insert(args.end(), {"U", std::move(o)});
  for (auto& d : extras.dead_letters) {
    args.insert(args.end(),
                {"D", std::move(d.payload), std::move(d.reason), std::move(d.stream),
                 std::move(d.entry_id), std::to_string(d.deliveries), std::move(d.command_id)});
  }
  for (auto& m : extras.markers) {
    args.insert(args.end(), {"P", std::move(m.key), std::move(m.value), std::to_string(m.ttl_ms)});
  }
  if (!extras.stats.empty()) {
    args.insert(args.end(), {"T", std::to_string(extras.stats.size())});
    for (auto& [field, value] : extras.stats) args.insert(args.end(), {field, std::move(value)});
  }
  if (extras.rules) {
    args.insert(args.end(), {"Q", extras.rules->version, std::to_string(extras.rules->loaded_ms),
                             extras.rules->instance});
  }
  // Results and ACKs last: a result is never written without everything it reports.
  for (auto& r : extras.results) {
    args.insert(args.end(), {"R", std::move(r.command_id), std::move(r.status), std::move(r.body)});
  }
  for (auto& id : extras.ack_ids) args.insert(args.end(), {"K", std::move(id)});
  for (auto& id : extras.command_acks) args.insert(args.end(), {"k", std::move(id)});
}

}  // namespace

void RoutingRedisStore::commit(const Fence& fence, CommitExtras extras,
                               std::function<void(Result<void>)> done) {
  std::vector<std::string> args{"EVAL",
                                kCommitScript,
                                "16",
                                keys_.router_lease(),
                                keys_.router_fence(),
                                keys_.routing_contacts(),
                                keys_.routing_agents(),
                                keys_.routing_sticky(),
                                keys_.assignments(),
                                keys_.deadletter(),
                                keys_.inbound(),
                                match_inputs_key(),
                                activity_key(),
                                routes_key(),
                                keys_.commands(),
                                keys_.results(),
                                keys_.outbound(),
                                keys_.stats(),
                                keys_.router_rules(),
                                fence.instance,
                                std::to_string(fence.token),
                                std::to_string(options_.assignments_maxlen),
                                std::to_string(options_.deadletter_maxlen),
                                std::to_string(options_.outbound_maxlen),
                                std::to_string(options_.results_maxlen),
                                std::to_string(options_.stats_maxlen),
                                options_.group};
  args.reserve(args.size() + ops_.size() + 8 * extras.assignments.size());
  std::move(ops_.begin(), ops_.end(), std::back_inserter(args));
  ops_.clear();
  append_extras(args, extras, options_.history_ttl_ms);
  redis_.command(std::move(args), [done = std::move(done)](Result<RedisReply> reply) {
    if (!reply) return done(reply.error());
    if (reply->is_error()) {
      if (reply->str.starts_with("FENCED")) return done(make_error(Errc::conflict, reply->str));
      return done(make_error(Errc::unavailable, "routing commit failed: " + reply->str));
    }
    done(Result<void>());
  });
}

std::string RoutingRedisStore::routes_key() const {
  return keys_.routing_contacts() + ":route";
}

void RoutingRedisStore::lookup_commands(
    const std::vector<CommandLookup>& lookups,
    std::function<void(Result<std::vector<CommandState>>)> done) const {
  if (lookups.empty()) return done(std::vector<CommandState>{});
  std::vector<std::string> args{"EVAL", kLookupScript, "1", routes_key()};
  for (const auto& l : lookups) args.insert(args.end(), {l.once_key, l.route_of, l.reply_key});
  redis_.command(
      std::move(args), [n = lookups.size(), done = std::move(done)](Result<RedisReply> reply) {
        if (!reply) return done(reply.error());
        if (!reply->is_array() || reply->elements.size() != 3 * n) {
          return done(make_error(Errc::unavailable, "command lookup: " + describe(*reply)));
        }
        std::vector<CommandState> out(n);
        auto text = [](RedisReply& r) {
          return r.str.empty() ? std::nullopt : std::optional(std::move(r.str));
        };
        for (std::size_t i = 0; i < n; ++i) {
          auto& e = reply->elements;
          out[i].applied = e[3 * i].is_integer() && e[3 * i].integer == 1;
          out[i].route = text(e[3 * i + 1]);
          out[i].replied = text(e[3 * i + 2]);
        }
        done(std::move(out));
      });
}

void RoutingRedisStore::load_snapshot(std::function<void(Result<RoutingSnapshot>)> done) const {
  redis_.command(
      {"EVAL", kLoadScript, "3", keys_.routing_contacts(), keys_.routing_agents(),
       keys_.routing_sticky()},
      [done = std::move(done)](Result<RedisReply> reply) {
        if (!reply) return done(reply.error());
        if (!reply->is_array() || reply->elements.size() != 3) {
          return done(make_error(Errc::unavailable, "routing load failed: " + describe(*reply)));
        }
        RoutingSnapshot s;
        const auto& e = reply->elements;
        for (auto r : {read_hash(e[0], contact_from_json, s.contacts),
                       read_hash(e[1], agent_from_json, s.agents),
                       read_hash(e[2], sticky_from_json, s.sticky)}) {
          if (!r) return done(r.error());
        }
        done(std::move(s));
      });
}

}  // namespace omniroute::daemon
