// The JSON shapes of a contact, an agent and a history line as the API shows them
// (docs/commands.md, "Views"): one serializer for the router's command results and the API's
// reads from Redis, so both always answer the same shape.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/engine.h"
#include "routing/store.h"

namespace omniroute::daemon {

std::string_view status_name(routing::ContactStatus status);
std::string_view presence_name(routing::Presence presence);
std::optional<routing::Presence> presence_from_name(std::string_view name);

// {"id","status","queue","rule","tier","priority","channel","customer_id","agent","tags",
//  "required_skills","arrival_ms","sla_deadline_ms","answered_ms","offer_expires_ms",
//  "completed_ms","sla_warned","sla_breached"}
boost::json::object contact_view(const routing::ContactRecord& contact);

// {"id","name","presence","away_reason","skills","capacity_by_channel","total_capacity",
//  "idle_since_ms","load":{"total","by_channel"},"offers":[ids],"active":[ids]}
boost::json::object agent_view(const routing::AgentRecord& agent, const routing::AgentLoad& load);

// An agent's load derived from contact records (what the API has when it reads Redis): the
// offered and active contacts naming it.
routing::AgentLoad load_of(std::string_view agent_id,
                           const std::vector<routing::ContactRecord>& contacts);

// One line of a customer's history list.
struct HistoryLine {
  std::int64_t at_ms = 0;
  std::string direction;  // "in" (the customer) or "out" (an agent's reply)
  std::string channel;
  std::string contact;
  std::string text;
  std::string agent;     // out: who replied; omitted when empty
  std::string event_id;  // in: the ContactEvent's id; out: the OutboundMessage's id
  int attachments = 0;   // in: how many attachments the message had; omitted when 0
};
boost::json::object history_view(const HistoryLine& line);

// {"error": code, "message": message}: every failure body of the API and of command results.
std::string error_body(std::string_view code, std::string_view message);

}  // namespace omniroute::daemon
