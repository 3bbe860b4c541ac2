// The commands stream (docs/commands.md): the API's requests applied in the router's single-writer
// loop. One batch = one lookup round trip (replays, reply routes) and one fenced commit holding
// the effects, the results and the ACKs, so a result is never seen without its effect.
#include <boost/json/serialize.hpp>

#include "common/ulid.h"
#include "daemon/router/router_impl.h"
#include "daemon/router/views.h"
#include "omniroute/v1/outbound.pb.h"

namespace omniroute::daemon {
namespace {

CommandOutcome failure(const Error& e) {
  return {http_status(e.code), error_body(to_string(e.code), e.message)};
}

CommandOutcome failure(Errc code, const std::string& message) {
  return failure(make_error(code, message));
}

CommandOutcome success(const boost::json::object& body) {
  return {200, boost::json::serialize(body)};
}

}  // namespace

std::vector<CommandEntry> parse_command_entries(const RedisReply& list) {
  std::vector<CommandEntry> out;
  if (!list.is_array()) return out;
  for (const auto& item : list.elements) {
    if (!item.is_array() || item.elements.size() < 2 || !item.elements[0].is_string()) continue;
    CommandEntry entry{item.elements[0].str, {}, std::nullopt};
    const auto& fields = item.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == "id") entry.id = fields[i + 1].str;
      if (fields[i].str == "c") entry.body = fields[i + 1].str;
    }
    // The API's ids are ULIDs. A longer one would become a key and a result id of any size:
    // such an entry is treated as one without an id (acknowledged, not applied).
    if (entry.id.size() > kMaxIdBytes) entry.id.clear();
    out.push_back(std::move(entry));
  }
  return out;
}

void Router::Impl::take_commands() {
  std::vector<PendingCommand> batch;
  std::set<std::string> ids;  // the same command twice in one batch is applied once
  while (!command_stash.empty() && batch.size() < options.batch) {
    CommandEntry& e = command_stash.front();
    // A command delivered before goes alone (as inbound entries do, see pump()).
    const bool alone = e.deliveries > 1;
    if (alone && !batch.empty()) break;
    Result<Command> command =
        e.body ? parse_command(*e.body)
               : Result<Command>(make_error(Errc::invalid_input, "the entry has no 'c' field"));
    const bool reload = command && command->op == CommandOp::reload_rules;
    if (reload && !batch.empty()) break;  // a reload goes alone: its commit is the reload's
    if (command) command->stream_id = e.stream_id;
    if (command) command->id = e.id;
    const bool duplicate = !e.id.empty() && !ids.insert(e.id).second;
    batch.push_back(PendingCommand{std::move(e), std::move(command), CommandState{}});
    batch.back().state.applied = duplicate;
    command_stash.pop_front();
    if (reload || alone) break;
  }
  std::vector<CommandLookup> lookups;
  for (const auto& p : batch) {
    CommandLookup l{keys.routing_command(p.entry.id), {}, {}};
    if (p.command && p.command->op == CommandOp::reply) {
      l.route_of = p.command->contact;
      if (!p.command->client_id.empty()) {
        l.reply_key = keys.routing_reply(p.command->contact, p.command->client_id);
      }
    }
    lookups.push_back(std::move(l));
  }
  busy = true;
  const auto sent_epoch = epoch;
  auto shared = std::make_shared<std::vector<PendingCommand>>(std::move(batch));
  store.lookup_commands(lookups, [weak = weak_from_this(), sent_epoch, shared](auto states) {
    auto self = weak.lock();
    if (!self) return;
    self->on_strand([sent_epoch, shared, states = std::move(states)](Impl& s) {
      if (s.epoch != sent_epoch || s.state != RouterState::active) return;
      s.busy = false;
      if (!states) return s.recover("looking up commands: " + states.error().message);
      for (std::size_t i = 0; i < shared->size(); ++i) {
        const bool duplicate = (*shared)[i].state.applied;
        (*shared)[i].state = std::move((*states)[i]);
        (*shared)[i].state.applied = (*shared)[i].state.applied || duplicate;
      }
      s.apply_commands(std::move(*shared));
    });
  });
}

// As with inbound entries, one command that throws fails the batch, and the router rebuilds
// and claims its commands again one by one.
void Router::Impl::apply_commands(std::vector<PendingCommand> batch) {
  if (batch.size() == 1 && batch[0].command && batch[0].command->op == CommandOp::reload_rules &&
      !batch[0].state.applied && !exhausted(batch[0].entry.deliveries) &&
      batch[0].command->expires_ms >= clock.now_unix_ms()) {
    const EntryRef ref{"commands", batch[0].entry.stream_id};
    auto started = apply_guarded(ref, [&] { start_reload_command(std::move(batch[0])); });
    if (!started) entry_failed(ref, started.error());
    return;
  }
  CommitExtras extras;
  sink.extras = &extras;
  for (const auto& p : batch) {
    extras.command_acks.push_back(p.entry.stream_id);
    if (p.state.applied) continue;  // applied before (a replay): its result is written
    const EntryRef ref{"commands", p.entry.stream_id};
    if (exhausted(p.entry.deliveries)) {
      give_up_command(p, extras);
      continue;
    }
    if (p.entry.id.empty()) {
      log.warn("command without an id (or over 128 bytes): acknowledged, not applied",
               {{"tenant", options.tenant}, {"entry", p.entry.stream_id}});
      continue;
    }
    CommandOutcome outcome;
    if (!p.command) {
      outcome = failure(p.command.error());
    } else if (p.command->expires_ms < clock.now_unix_ms()) {
      outcome = {410, error_body("expired", "the command expired before the router read it")};
    } else {
      sink.actor = p.command->actor;
      auto applied =
          apply_guarded(ref, [&] { outcome = apply_command(*p.command, p.state, extras); });
      if (!applied) return entry_failed(ref, applied.error());
      sink.actor.clear();
    }
    finish_command(p, std::move(outcome), extras);
  }
  sink.extras = nullptr;
  commit(std::move(extras), 0);
}

// Delivered more than max_deliveries times: the dead-letter stream, and a 500 result for an API
// caller that may still wait (docs/commands.md).
void Router::Impl::give_up_command(const PendingCommand& p, CommitExtras& extras) {
  const EntryRef ref{"commands", p.entry.stream_id};
  auto reason = exhausted_reason(ref, p.entry.deliveries);
  dead_letter({p.entry.body.value_or(""), reason, "commands", p.entry.stream_id, p.entry.deliveries,
               p.entry.id},
              "max_deliveries", extras);
  if (p.entry.id.empty()) return;  // nobody to answer
  const auto message = "the router could not apply this command (delivered " +
                       std::to_string(p.entry.deliveries) +
                       " times); it is in the dead-letter stream";
  finish_command(p, {500, error_body("dead_lettered", message)}, extras);
}

// The result, and the marker that makes a replay of the same command id a no-op.
void Router::Impl::finish_command(const PendingCommand& p, CommandOutcome outcome,
                                  CommitExtras& extras) {
  if (outcome.status >= 500) {
    log.warn("command failed", {{"tenant", options.tenant},
                                {"command", p.entry.id},
                                {"status", outcome.status},
                                {"body", outcome.body}});
  }
  // Bounded labels: a fixed set of ops ("unreadable" for a command that did not parse) and of
  // statuses.
  const std::string op = p.command ? std::string(to_string(p.command->op)) : "unreadable";
  metrics
      .counter("omniroute_router_commands_total", "API commands applied or refused by the router",
               {{"tenant", options.tenant}, {"op", op}, {"status", std::to_string(outcome.status)}})
      .inc();
  extras.results.push_back({p.entry.id, std::to_string(outcome.status), std::move(outcome.body)});
  extras.markers.push_back(
      {keys.routing_command(p.entry.id), "1", options.completed_retention.count()});
}

CommandOutcome Router::Impl::contact_outcome(const Result<void>& done,
                                             const std::string& contact) const {
  if (!done) return failure(done.error());
  const auto* c = engine->contact(contact);
  if (!c) return failure(Errc::not_found, "unknown contact '" + contact + "'");
  return success(contact_view(*c));
}

CommandOutcome Router::Impl::agent_outcome(const Result<void>& done,
                                           const std::string& agent) const {
  if (!done) return failure(done.error());
  const auto* a = engine->agent(agent);
  if (!a) return failure(Errc::not_found, "unknown agent '" + agent + "'");
  return success(agent_view(*a, engine->agent_load(agent).value_or(routing::AgentLoad{})));
}

CommandOutcome Router::Impl::apply_command(const Command& c, const CommandState& state,
                                           CommitExtras& extras) {
  switch (c.op) {
    case CommandOp::presence: {
      if (!engine->agent(c.agent))
        return failure(Errc::not_found, "unknown agent '" + c.agent + "'");
      return agent_outcome(engine->set_presence(c.agent, *presence_from_name(c.presence), c.reason),
                           c.agent);
    }
    case CommandOp::update_agent: {
      // Unknown agents are created (offline); a declared agent's file spec wins at the next
      // reload or fail-over (docs/routing-rules.md).
      const auto* before = engine->agent(c.agent);
      routing::AgentSpec spec;
      if (before) {
        spec = before->spec;
      } else {
        spec.id = spec.name = c.agent;
      }
      if (c.skills) spec.skills = *c.skills;
      if (c.capacity_by_channel) spec.capacity_by_channel = *c.capacity_by_channel;
      if (c.total_capacity) spec.total_capacity = *c.total_capacity;
      engine->upsert_agent(spec);
      return agent_outcome({}, c.agent);
    }
    case CommandOp::accept:
      return contact_outcome(engine->accept(c.contact, c.agent), c.contact);
    case CommandOp::reject:
      return contact_outcome(engine->reject(c.contact, c.agent, c.reason), c.contact);
    case CommandOp::complete:
      return contact_outcome(engine->complete(c.contact, c.agent, c.wrap_up_code, c.note),
                             c.contact);
    case CommandOp::transfer:
      return contact_outcome(engine->transfer(c.contact, c.agent, {c.queue, c.to_agent}, c.reason),
                             c.contact);
    case CommandOp::reply:
      return run_reply(c, state, extras);
    case CommandOp::close:
      return contact_outcome(
          engine->withdraw(c.contact,
                           "closed by " + c.actor + (c.reason.empty() ? "" : ": " + c.reason)),
          c.contact);
    case CommandOp::reload_rules:
      break;  // applied through start_reload_command(); here only when it could not start
  }
  return failure(Errc::internal, "the command could not be applied");
}

// A reply goes out on the contact's channel, from the address the customer last wrote to, as an
// OutboundMessage; the customer's history gets the line. The same client_id twice sends once.
CommandOutcome Router::Impl::run_reply(const Command& c, const CommandState& state,
                                       CommitExtras& extras) {
  const auto* contact = engine->contact(c.contact);
  if (!contact) return failure(Errc::not_found, "unknown contact '" + c.contact + "'");
  if (contact->status != routing::ContactStatus::active ||
      (!c.agent.empty() && contact->agent != c.agent)) {
    return failure(Errc::conflict, "contact " + c.contact + " is not active with " +
                                       (c.agent.empty() ? "an agent" : c.agent));
  }
  if (state.replied) {
    return success({{"event_id", *state.replied}, {"duplicate", true}});
  }
  v1::ContactEvent route;
  if (!state.route || !route.ParseFromString(*state.route)) {
    return failure(Errc::conflict,
                   "no inbound message of contact " + c.contact + " is known to reply to");
  }
  const auto now = clock.now_unix_ms();
  v1::OutboundMessage m;
  m.set_schema_version(1);
  m.set_event_id(make_ulid(now));
  m.set_tenant(options.tenant);
  m.set_contact_id(contact->id);
  m.set_customer_id(contact->customer_id);
  m.set_channel(route.channel());
  m.set_vendor(route.vendor());
  m.set_endpoint(route.recipient());
  *m.mutable_recipient() = route.sender();
  m.set_conversation_key(route.conversation_key());
  m.set_agent_id(contact->agent);
  m.set_text(c.text);
  m.set_client_id(c.client_id);
  m.set_created_unix_ms(now);
  m.set_in_reply_to(route.vendor_message_id());
  m.set_in_reply_to_event_id(route.event_id());
  m.set_subject(route.subject());
  extras.outbound.push_back(m.SerializeAsString());
  if (!c.client_id.empty()) {
    extras.markers.push_back({keys.routing_reply(c.contact, c.client_id), m.event_id(),
                              options.completed_retention.count()});
  }
  HistoryLine line{now, "out", contact->channel, contact->id, c.text, contact->agent, m.event_id()};
  auto view = history_view(line);
  if (!contact->customer_id.empty()) {
    extras.history.push_back({keys.history(contact->customer_id), boost::json::serialize(view)});
  }
  return success({{"event_id", m.event_id()}, {"duplicate", false}, {"message", std::move(view)}});
}

// The rules are read now; the result is committed with the reconfiguration (apply_reload).
void Router::Impl::start_reload_command(PendingCommand p) {
  auto loaded = options.load_rules
                    ? options.load_rules()
                    : Result<std::shared_ptr<const routing::Rules>>(make_error(
                          Errc::unavailable, "this router cannot reload its rules file"));
  if (!loaded) {
    CommitExtras extras;
    extras.command_acks.push_back(p.entry.stream_id);
    const Error& e = loaded.error();
    finish_command(p,
                   e.code == Errc::invalid_input
                       ? CommandOutcome{400, error_body("invalid_rules", e.message)}
                       : failure(e),
                   extras);
    return commit(std::move(extras), 0);
  }
  rules = std::move(*loaded);
  reload_command = std::move(p);
  reload();
}

}  // namespace omniroute::daemon
