// The JSON shapes. Times are unix milliseconds with an `_ms` suffix; empty optional strings
// are left out rather than sent as "".
#include "api/views.h"

#include <cctype>

namespace omniroute::api {
namespace {

void put_if(boost::json::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) o[key] = value;
}

boost::json::object int_map(const std::map<std::string, int>& m) {
  boost::json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

}  // namespace

std::string_view to_string(routing::ContactStatus status) {
  switch (status) {
    case routing::ContactStatus::waiting:
      return "waiting";
    case routing::ContactStatus::offered:
      return "offered";
    case routing::ContactStatus::active:
      return "active";
    case routing::ContactStatus::completed:
      return "completed";
  }
  return "waiting";
}

std::string_view to_string(routing::Presence presence) {
  switch (presence) {
    case routing::Presence::available:
      return "available";
    case routing::Presence::away:
      return "away";
    case routing::Presence::offline:
      return "offline";
  }
  return "offline";
}

boost::json::object contact_view(const routing::ContactRecord& c) {
  boost::json::object o;
  o["id"] = c.id;
  o["status"] = to_string(c.status);
  o["queue"] = c.queue;
  o["tier"] = c.decision.tier;
  o["rule"] = c.decision.rule;
  o["channel"] = c.channel;
  o["customer_id"] = c.customer_id;
  put_if(o, "agent", c.agent);
  o["priority"] = c.priority;
  o["arrival_ms"] = c.arrival_ms;
  o["sla_deadline_ms"] = c.decision.sla_deadline;
  o["sla_breached"] = c.sla_breached;
  if (c.status == routing::ContactStatus::offered && c.offer_expires_ms != 0) {
    o["offer_expires_ms"] = c.offer_expires_ms;
  }
  if (c.completed_ms != 0) o["completed_ms"] = c.completed_ms;
  return o;
}

boost::json::object agent_view(const routing::AgentRecord& a, const AgentLoad& load) {
  boost::json::object o;
  o["id"] = a.spec.id;
  o["name"] = a.spec.name;
  o["presence"] = to_string(a.presence);
  put_if(o, "away_reason", a.away_reason);
  o["skills"] = int_map(a.spec.skills);
  o["capacity_by_channel"] = int_map(a.spec.capacity_by_channel);
  o["total_capacity"] = a.spec.total_capacity;
  o["load"] = boost::json::object{
      {"offered", load.offered}, {"active", load.active}, {"by_channel", int_map(load.by_channel)}};
  return o;
}

std::string kind_name(v1::AssignmentKind kind) {
  std::string name = v1::AssignmentKind_Name(kind);
  constexpr std::string_view kPrefix = "ASSIGNMENT_KIND_";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name;
}

boost::json::object event_view(const v1::AssignmentEvent& e) {
  boost::json::object o;
  o["event_id"] = e.event_id();
  o["kind"] = kind_name(e.kind());
  o["at_ms"] = e.at_unix_ms();
  put_if(o, "contact_id", e.contact_id());
  put_if(o, "queue", e.queue());
  put_if(o, "agent", e.agent_id());
  put_if(o, "rule", e.rule());
  put_if(o, "tier", e.tier());
  put_if(o, "customer_id", e.customer_id());
  put_if(o, "channel", e.channel());
  o["priority"] = e.priority();
  if (e.sla_deadline_unix_ms() != 0) o["sla_deadline_ms"] = e.sla_deadline_unix_ms();
  if (e.offer_expires_unix_ms() != 0) o["offer_expires_ms"] = e.offer_expires_unix_ms();
  if (e.escalation_step() >= 0 && e.kind() == v1::ASSIGNMENT_KIND_ESCALATED) {
    o["escalation_step"] = e.escalation_step();
  }
  put_if(o, "message_event_id", e.message_event_id());
  put_if(o, "reason", e.reason());
  put_if(o, "rules_version", e.rules_version());
  return o;
}

boost::json::object contact_from_event(const v1::AssignmentEvent& e) {
  boost::json::object o;
  o["id"] = e.contact_id();
  o["queue"] = e.queue();
  o["tier"] = e.tier();
  o["channel"] = e.channel();
  o["customer_id"] = e.customer_id();
  put_if(o, "agent", e.agent_id());
  o["priority"] = e.priority();
  o["sla_deadline_ms"] = e.sla_deadline_unix_ms();
  if (e.offer_expires_unix_ms() != 0) o["offer_expires_ms"] = e.offer_expires_unix_ms();
  return o;
}

}  // namespace omniroute::api
