// The JSON views of contacts, agents and history lines shared by command results and API reads.
#include "daemon/router/views.h"

#include <boost/json.hpp>

namespace omniroute::daemon {
namespace json = boost::json;
using namespace omniroute::routing;

namespace {

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

template <class Map>
json::object counts(const Map& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

}  // namespace

std::string_view status_name(ContactStatus status) {
  switch (status) {
    case ContactStatus::waiting:
      return "waiting";
    case ContactStatus::offered:
      return "offered";
    case ContactStatus::active:
      return "active";
    case ContactStatus::completed:
      return "completed";
  }
  return "waiting";
}

std::string_view presence_name(Presence presence) {
  switch (presence) {
    case Presence::available:
      return "available";
    case Presence::away:
      return "away";
    case Presence::offline:
      return "offline";
  }
  return "offline";
}

std::optional<Presence> presence_from_name(std::string_view name) {
  if (name == "available") return Presence::available;
  if (name == "away") return Presence::away;
  if (name == "offline") return Presence::offline;
  return std::nullopt;
}

json::object contact_view(const ContactRecord& c) {
  json::object skills;
  for (const auto& r : c.base_skills) skills[r.skill] = r.min_level;
  return {{"id", c.id},
          {"status", status_name(c.status)},
          {"queue", c.queue},
          {"rule", c.decision.rule},
          {"tier", c.decision.tier},
          {"priority", c.priority},
          {"channel", c.channel},
          {"customer_id", c.customer_id},
          {"agent", c.agent},
          {"tags", strings(c.decision.tags)},
          {"required_skills", std::move(skills)},
          {"arrival_ms", c.arrival_ms},
          {"sla_deadline_ms", c.decision.sla_deadline},
          {"answered_ms", c.answered_ms},
          {"offer_expires_ms", c.offer_expires_ms},
          {"completed_ms", c.completed_ms},
          {"sla_warned", c.sla_warned},
          {"sla_breached", c.sla_breached}};
}

json::object agent_view(const AgentRecord& a, const AgentLoad& load) {
  return {{"id", a.spec.id},
          {"name", a.spec.name},
          {"presence", presence_name(a.presence)},
          {"away_reason", a.away_reason},
          {"skills", counts(a.spec.skills)},
          {"capacity_by_channel", counts(a.spec.capacity_by_channel)},
          {"total_capacity", a.spec.total_capacity},
          {"idle_since_ms", a.idle_since_ms},
          {"load", json::object{{"total", load.total}, {"by_channel", counts(load.by_channel)}}},
          {"offers", strings(load.offers)},
          {"active", strings(load.active)}};
}

AgentLoad load_of(std::string_view agent_id, const std::vector<ContactRecord>& contacts) {
  AgentLoad load;
  for (const auto& c : contacts) {
    if (c.agent != agent_id) continue;
    if (c.status != ContactStatus::offered && c.status != ContactStatus::active) continue;
    ++load.total;
    ++load.by_channel[c.channel];
    (c.status == ContactStatus::offered ? load.offers : load.active).push_back(c.id);
  }
  return load;
}

json::object history_view(const HistoryLine& h) {
  json::object o{{"at_ms", h.at_ms},     {"direction", h.direction}, {"channel", h.channel},
                 {"contact", h.contact}, {"text", h.text},           {"event_id", h.event_id}};
  if (!h.agent.empty()) o["agent"] = h.agent;
  if (h.attachments > 0) o["attachments"] = h.attachments;
  return o;
}

std::string error_body(std::string_view code, std::string_view message) {
  return json::serialize(json::object{{"error", code}, {"message", message}});
}

}  // namespace omniroute::daemon
