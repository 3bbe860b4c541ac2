// The JSON shapes. Times are unix milliseconds with an `_ms` suffix; empty optional strings
// are left out rather than sent as "".
#include "api/views.h"

#include <cctype>

namespace omniroute::api {
namespace {

void put_if(boost::json::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) o[key] = value;
}

}  // namespace

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
