// The routes that change routing state: each turns its body into a command of
// docs/commands.md, submits it, and answers with the router's result as it comes.
#include <boost/json/serialize.hpp>

#include "api/bodies.h"
#include "api/call.h"
#include "api/command_bus.h"

namespace omniroute::api {
namespace {

using boost::json::object;

template <class T>
object map_object(const std::map<std::string, T>& m) {
  object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

Result<object> agent_command(const Call& call) {
  const std::string& agent = call.param("agent");
  switch (call.route->id) {
    case RouteId::agent_patch: {
      auto b = parse_agent_patch(call.body);
      if (!b) return b.error();
      object c{{"op", "update_agent"}, {"agent", agent}};
      if (b->skills) c["skills"] = map_object(*b->skills);
      if (b->capacity_by_channel) c["capacity_by_channel"] = map_object(*b->capacity_by_channel);
      if (b->total_capacity) c["total_capacity"] = *b->total_capacity;
      return c;
    }
    case RouteId::agent_sign_in:
    case RouteId::agent_sign_out: {
      if (auto b = parse_empty(call.body); !b) return b.error();
      const bool in = call.route->id == RouteId::agent_sign_in;
      return object{{"op", "presence"},
                    {"agent", agent},
                    {"presence", in ? "away" : "offline"},
                    {"reason", in ? "signed-in" : "signed-out"}};
    }
    case RouteId::agent_presence: {
      auto b = parse_presence(call.body);
      if (!b) return b.error();
      return object{
          {"op", "presence"}, {"agent", agent}, {"presence", b->presence}, {"reason", b->reason}};
    }
    default:
      return make_error(Errc::internal, "not an agent command");
  }
}

// accept, reject, complete and reply act as the agent holding the contact: only an agent token
// has one (a supervisor transfers or closes instead).
Result<object> contact_command(const Call& call) {
  const std::string& contact = call.param("contact");
  const RouteId id = call.route->id;
  const bool needs_agent = id == RouteId::contact_accept || id == RouteId::contact_reject ||
                           id == RouteId::contact_complete || id == RouteId::contact_reply;
  if (needs_agent && call.who.role != ApiRole::agent) {
    return make_error(Errc::forbidden, "only the agent offered or holding the contact may do this");
  }
  object c{{"contact", contact}};
  if (call.who.role == ApiRole::agent) c["agent"] = call.who.agent;
  switch (id) {
    case RouteId::contact_accept:
      if (auto b = parse_empty(call.body); !b) return b.error();
      c["op"] = "accept";
      return c;
    case RouteId::contact_reject: {
      auto b = parse_reject(call.body);
      if (!b) return b.error();
      c["op"] = "reject";
      c["reason"] = b->reason;
      return c;
    }
    case RouteId::contact_complete: {
      auto b = parse_complete(call.body);
      if (!b) return b.error();
      c["op"] = "complete";
      c["wrap_up_code"] = b->wrap_up_code;
      c["note"] = b->note;
      return c;
    }
    case RouteId::contact_transfer: {
      auto b = parse_transfer(call.body);
      if (!b) return b.error();
      c["op"] = "transfer";
      if (!c.contains("agent")) c["agent"] = "";
      if (!b->queue.empty()) c["queue"] = b->queue;
      if (!b->agent.empty()) c["to_agent"] = b->agent;
      c["reason"] = b->reason;
      return c;
    }
    case RouteId::contact_reply: {
      auto b = parse_reply(call.body);
      if (!b) return b.error();
      c["op"] = "reply";
      c["text"] = b->text;
      if (!b->client_id.empty()) c["client_id"] = b->client_id;
      return c;
    }
    case RouteId::contact_close: {
      auto b = parse_close(call.body);
      if (!b) return b.error();
      c.erase("agent");
      c["op"] = "close";
      c["reason"] = b->reason;
      return c;
    }
    default:
      return make_error(Errc::internal, "not a contact command");
  }
}

Result<object> command_of(const Call& call) {
  switch (call.route->id) {
    case RouteId::agent_patch:
    case RouteId::agent_sign_in:
    case RouteId::agent_sign_out:
    case RouteId::agent_presence:
      return agent_command(call);
    case RouteId::rules_reload:
      if (auto b = parse_empty(call.body); !b) return b.error();
      return object{{"op", "reload_rules"}};
    default:
      return contact_command(call);
  }
}

}  // namespace

void handle_command(Services& s, const CallPtr& call) {
  auto command = command_of(*call);
  if (!command) return reply_error(*call, command.error());
  s.bus.submit(call->keys, call->who, std::move(*command),
               [call](CommandReply r) { reply_raw(*call, r.status, std::move(r.body)); });
}

}  // namespace omniroute::api
