// RoutingStore on Redis: records as JSON in three hashes per tenant, writes buffered per engine
// operation and committed with the assignment events and XACKs in one fenced Lua script.
#include "daemon/routing_redis_store.h"

#include <boost/json.hpp>
#include <cstdlib>

#include "daemon/redis_client.h"
#include "daemon/routing_views.h"

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
    if run then xadd(KEYS[7], ARGV[4], 'e', ARGV[i+1], 'reason', ARGV[i+2]) end
    return i + 3
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

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::array skills(const std::vector<SkillRequirement>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::array{json::value(s.skill), s.min_level});
  return a;
}

json::object int_map(const std::map<std::string, int>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

json::object decision_json(const RoutingDecision& d) {
  return {{"rule", d.rule},
          {"tier", d.tier},
          {"queue", d.queue},
          {"skills", skills(d.required_skills)},
          {"priority", d.priority},
          {"sla_deadline", d.sla_deadline},
          {"tags", strings(d.tags)},
          {"tier_source", d.tier_source},
          {"rule_queue", d.rule_queue},
          {"queue_closed", d.queue_closed}};
}

// Readers: a missing or mistyped field throws inside Boost.JSON's accessors; the public
// from_json functions turn that into an error value.
std::string str(const json::object& o, std::string_view key) {
  return std::string(o.at(key).as_string());
}
std::int64_t num(const json::object& o, std::string_view key) {
  return o.at(key).to_number<std::int64_t>();
}
int small(const json::object& o, std::string_view key) {
  return static_cast<int>(num(o, key));
}
std::vector<std::string> read_strings(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}
std::vector<SkillRequirement> read_skills(const json::value& v) {
  std::vector<SkillRequirement> out;
  for (const auto& s : v.as_array()) {
    const auto& pair = s.as_array();
    out.push_back(
        {std::string(pair.at(0).as_string()), static_cast<int>(pair.at(1).to_number<int>())});
  }
  return out;
}
std::map<std::string, int> read_int_map(const json::value& v) {
  std::map<std::string, int> out;
  for (const auto& [k, n] : v.as_object()) out[std::string(k)] = n.to_number<int>();
  return out;
}

RoutingDecision read_decision(const json::object& o) {
  RoutingDecision d;
  d.rule = str(o, "rule");
  d.tier = str(o, "tier");
  d.queue = str(o, "queue");
  d.required_skills = read_skills(o.at("skills"));
  d.priority = small(o, "priority");
  d.sla_deadline = num(o, "sla_deadline");
  d.tags = read_strings(o.at("tags"));
  d.tier_source = str(o, "tier_source");
  d.rule_queue = str(o, "rule_queue");
  d.queue_closed = o.at("queue_closed").as_bool();
  return d;
}

template <class T, class Read>
Result<T> parse_record(std::string_view text, const char* what, Read read) {
  try {
    return read(json::parse(text).as_object());
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("unreadable ") + what + " record: " + e.what());
  }
}

ContactStatus status_from(std::string_view s) {
  if (s == "offered") return ContactStatus::offered;
  if (s == "active") return ContactStatus::active;
  if (s == "completed") return ContactStatus::completed;
  if (s == "waiting") return ContactStatus::waiting;
  throw std::invalid_argument("unknown contact status " + std::string(s));
}

// The names are the views' (routing_views.h): records in Redis and API answers spell them alike.
Presence presence_from(std::string_view s) {
  if (auto presence = presence_from_name(s)) return *presence;
  throw std::invalid_argument("unknown presence " + std::string(s));
}

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

std::string contact_to_json(const ContactRecord& c) {
  json::object o{{"id", c.id},
                 {"decision", decision_json(c.decision)},
                 {"channel", c.channel},
                 {"customer_id", c.customer_id},
                 {"arrival_ms", c.arrival_ms},
                 {"queue", c.queue},
                 {"queue_entered_ms", c.queue_entered_ms},
                 {"priority", c.priority},
                 {"base_skills", skills(c.base_skills)},
                 {"relaxed_by", c.relaxed_by},
                 {"also_queues", strings(c.also_queues)},
                 {"next_step", c.next_step},
                 {"sla_warned", c.sla_warned},
                 {"sla_breached", c.sla_breached},
                 {"status", status_name(c.status)},
                 {"agent", c.agent},
                 {"offer_expires_ms", c.offer_expires_ms},
                 {"completed_ms", c.completed_ms},
                 {"answered_ms", c.answered_ms},
                 {"declined_by", strings(c.declined_by)}};
  return json::serialize(o);
}

Result<ContactRecord> contact_from_json(std::string_view text) {
  return parse_record<ContactRecord>(text, "contact", [](const json::object& o) {
    ContactRecord c;
    c.id = str(o, "id");
    c.decision = read_decision(o.at("decision").as_object());
    c.channel = str(o, "channel");
    c.customer_id = str(o, "customer_id");
    c.arrival_ms = num(o, "arrival_ms");
    c.queue = str(o, "queue");
    c.queue_entered_ms = num(o, "queue_entered_ms");
    c.priority = small(o, "priority");
    c.base_skills = read_skills(o.at("base_skills"));
    c.relaxed_by = small(o, "relaxed_by");
    c.also_queues = read_strings(o.at("also_queues"));
    c.next_step = small(o, "next_step");
    c.sla_warned = o.at("sla_warned").as_bool();
    c.sla_breached = o.at("sla_breached").as_bool();
    c.status = status_from(o.at("status").as_string());
    c.agent = str(o, "agent");
    c.offer_expires_ms = num(o, "offer_expires_ms");
    c.completed_ms = num(o, "completed_ms");
    // Added with transfers; records written before have none (0: not answered yet, or unknown).
    if (o.contains("answered_ms")) c.answered_ms = num(o, "answered_ms");
    c.declined_by = read_strings(o.at("declined_by"));
    return c;
  });
}

std::string agent_to_json(const AgentRecord& a) {
  json::object o{{"id", a.spec.id},
                 {"name", a.spec.name},
                 {"skills", int_map(a.spec.skills)},
                 {"capacity_by_channel", int_map(a.spec.capacity_by_channel)},
                 {"total_capacity", a.spec.total_capacity},
                 {"presence", presence_name(a.presence)},
                 {"away_reason", a.away_reason},
                 {"idle_since_ms", a.idle_since_ms},
                 {"consecutive_misses", a.consecutive_misses}};
  return json::serialize(o);
}

Result<AgentRecord> agent_from_json(std::string_view text) {
  return parse_record<AgentRecord>(text, "agent", [](const json::object& o) {
    AgentRecord a;
    a.spec.id = str(o, "id");
    a.spec.name = str(o, "name");
    a.spec.skills = read_int_map(o.at("skills"));
    a.spec.capacity_by_channel = read_int_map(o.at("capacity_by_channel"));
    a.spec.total_capacity = small(o, "total_capacity");
    a.presence = presence_from(o.at("presence").as_string());
    a.away_reason = str(o, "away_reason");
    a.idle_since_ms = num(o, "idle_since_ms");
    a.consecutive_misses = small(o, "consecutive_misses");
    return a;
  });
}

std::string sticky_to_json(const StickyRecord& s) {
  json::object o{
      {"customer_id", s.customer_id}, {"agent_id", s.agent_id}, {"served_ms", s.served_ms}};
  return json::serialize(o);
}

Result<StickyRecord> sticky_from_json(std::string_view text) {
  return parse_record<StickyRecord>(text, "sticky", [](const json::object& o) {
    return StickyRecord{str(o, "customer_id"), str(o, "agent_id"), num(o, "served_ms")};
  });
}

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
    args.insert(args.end(), {"D", std::move(d.payload), std::move(d.reason)});
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
