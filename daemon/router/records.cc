// The router's records as JSON, the form they take in the routing hashes: one writer and one
// reader for the router's store and for the API's reads, so both sides agree on the format.
#include "daemon/router/records.h"

#include <boost/json.hpp>
#include <stdexcept>

#include "daemon/router/views.h"

namespace omniroute::daemon {
namespace json = boost::json;
using namespace omniroute::routing;

namespace {

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

}  // namespace omniroute::daemon
