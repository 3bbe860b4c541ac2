// JSON views of routing events as the API answers them (docs/api.md): the trail and what the
// agent WebSocket says about a contact; records use the router's views.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>

#include "daemon/router/views.h"
#include "omniroute/v1/assignment.pb.h"
#include "routing/store.h"

namespace omniroute::api {

// The contact and agent shapes are the router's (daemon/router/views.h), so command results
// and reads agree.
using daemon::agent_view;
using daemon::contact_view;
using daemon::load_of;

// "offered", "sla_breached" ...: the kind without its ASSIGNMENT_KIND_ prefix, lower case.
std::string kind_name(v1::AssignmentKind kind);

// One routing decision for the trail: {event_id, kind, at_ms, queue, agent?, rule, tier,
// priority, sla_deadline_ms, reason, ...}.
boost::json::object event_view(const v1::AssignmentEvent& event);

// What an event says about its contact, for WebSocket messages that carry `contact`.
boost::json::object contact_from_event(const v1::AssignmentEvent& event);

}  // namespace omniroute::api
