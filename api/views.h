// JSON views of routing records and events as the API answers them (docs/api.md). Until the
// router's shared view serializer exists, these are the one definition of the shapes.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>

#include "omniroute/v1/assignment.pb.h"
#include "routing/store.h"

namespace omniroute::api {

std::string_view to_string(routing::ContactStatus status);
std::string_view to_string(routing::Presence presence);

// {id, status, queue, tier, rule, channel, customer_id, agent, priority, arrival_ms,
//  sla_deadline_ms, offer_expires_ms?, completed_ms?}
boost::json::object contact_view(const routing::ContactRecord& contact);

// Offered and active contacts per agent: the agent's load, derived as the engine derives it.
struct AgentLoad {
  int offered = 0;
  int active = 0;
  std::map<std::string, int> by_channel;
};

// {id, name, presence, away_reason, skills, capacity_by_channel, total_capacity, load{...}}
boost::json::object agent_view(const routing::AgentRecord& agent, const AgentLoad& load);

// "offered", "sla_breached" ...: the kind without its ASSIGNMENT_KIND_ prefix, lower case.
std::string kind_name(v1::AssignmentKind kind);

// One routing decision for the trail: {event_id, kind, at_ms, queue, agent?, rule, tier,
// priority, sla_deadline_ms, reason, ...}.
boost::json::object event_view(const v1::AssignmentEvent& event);

// What an event says about its contact, for WebSocket messages that carry `contact`.
boost::json::object contact_from_event(const v1::AssignmentEvent& event);

}  // namespace omniroute::api
