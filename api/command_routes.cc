// The routes that change routing state: each turns its body into a command of
// docs/commands.md, submits it, and answers with the router's result as it comes.
#include "api/bodies.h"
#include "api/call.h"
#include "api/command_bus.h"

namespace omniroute::api {
namespace {

using daemon::Command;
using daemon::CommandOp;

Command command(CommandOp op, std::string agent = {}, std::string contact = {}) {
  Command c;
  c.op = op;
  c.agent = std::move(agent);
  c.contact = std::move(contact);
  return c;
}

Result<Command> agent_command(const Call& call) {
  const std::string& agent = call.param("agent");
  switch (call.route->id) {
    case RouteId::agent_patch: {
      auto b = parse_agent_patch(call.body);
      if (!b) return b.error();
      Command c = command(CommandOp::update_agent, agent);
      c.skills = b->skills;
      c.capacity_by_channel = b->capacity_by_channel;
      if (b->total_capacity) c.total_capacity = static_cast<int>(*b->total_capacity);
      return c;
    }
    case RouteId::agent_sign_in:
    case RouteId::agent_sign_out: {
      if (auto b = parse_empty(call.body); !b) return b.error();
      const bool in = call.route->id == RouteId::agent_sign_in;
      Command c = command(CommandOp::presence, agent);
      c.presence = in ? "away" : "offline";
      c.reason = in ? "signed-in" : "signed-out";
      return c;
    }
    case RouteId::agent_presence: {
      auto b = parse_presence(call.body);
      if (!b) return b.error();
      Command c = command(CommandOp::presence, agent);
      c.presence = b->presence;
      c.reason = b->reason;
      return c;
    }
    default:
      return make_error(Errc::internal, "not an agent command");
  }
}

// accept, reject, complete and reply act as the agent holding the contact: only an agent token
// has one (a supervisor transfers or closes instead).
Result<Command> contact_command(const Call& call) {
  const RouteId id = call.route->id;
  const bool needs_agent = id == RouteId::contact_accept || id == RouteId::contact_reject ||
                           id == RouteId::contact_complete || id == RouteId::contact_reply;
  if (needs_agent && call.who.role != ApiRole::agent) {
    return make_error(Errc::forbidden, "only the agent offered or holding the contact may do this");
  }
  const std::string agent = call.who.role == ApiRole::agent ? call.who.agent : "";
  auto contact = [&](CommandOp op) { return command(op, agent, call.param("contact")); };
  switch (id) {
    case RouteId::contact_accept: {
      if (auto b = parse_empty(call.body); !b) return b.error();
      return contact(CommandOp::accept);
    }
    case RouteId::contact_reject: {
      auto b = parse_reject(call.body);
      if (!b) return b.error();
      Command c = contact(CommandOp::reject);
      c.reason = b->reason;
      return c;
    }
    case RouteId::contact_complete: {
      auto b = parse_complete(call.body);
      if (!b) return b.error();
      Command c = contact(CommandOp::complete);
      c.wrap_up_code = b->wrap_up_code;
      c.note = b->note;
      return c;
    }
    case RouteId::contact_transfer: {
      auto b = parse_transfer(call.body);
      if (!b) return b.error();
      Command c = contact(CommandOp::transfer);
      c.queue = b->queue;
      c.to_agent = b->agent;
      c.reason = b->reason;
      return c;
    }
    case RouteId::contact_reply: {
      auto b = parse_reply(call.body);
      if (!b) return b.error();
      Command c = contact(CommandOp::reply);
      c.text = b->text;
      c.client_id = b->client_id;
      return c;
    }
    case RouteId::contact_close: {
      auto b = parse_close(call.body);
      if (!b) return b.error();
      Command c = command(CommandOp::close, "", call.param("contact"));
      c.reason = b->reason;
      return c;
    }
    default:
      return make_error(Errc::internal, "not a contact command");
  }
}

Result<Command> command_of(const Call& call) {
  switch (call.route->id) {
    case RouteId::agent_patch:
    case RouteId::agent_sign_in:
    case RouteId::agent_sign_out:
    case RouteId::agent_presence:
      return agent_command(call);
    case RouteId::rules_reload:
      if (auto b = parse_empty(call.body); !b) return b.error();
      return command(CommandOp::reload_rules);
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
