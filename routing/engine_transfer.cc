// Transfer: an agent or a supervisor hands a contact to another queue or a named agent. The
// contact keeps its id, arrival, SLA deadline and priority, so it keeps its place among equals.
#include "routing/engine_impl.h"

namespace omniroute::routing {

// The contact, if `by_agent` may hand it over: an agent only what is active with it, a
// supervisor (empty by_agent) anything still open.
Result<ContactState*> Engine::Impl::transferable(const std::string& contact_id,
                                                 const std::string& by_agent) {
  auto it = contacts.find(contact_id);
  if (it == contacts.end()) {
    if (finished.contains(contact_id)) {
      return make_error(Errc::conflict, "contact " + contact_id + " is already completed");
    }
    return make_error(Errc::not_found, "unknown contact '" + contact_id + "'");
  }
  ContactState& c = it->second;
  if (!by_agent.empty() && (c.rec.status != ContactStatus::active || c.rec.agent != by_agent)) {
    return make_error(Errc::conflict, "contact " + contact_id + " is not active with " + by_agent);
  }
  return &c;
}

Result<void> Engine::transfer(const std::string& contact_ref, const std::string& by_ref,
                              const TransferTarget& target_ref, const std::string& reason) {
  // Copies: the caller may pass references into our own records, which this call changes.
  const std::string contact_id = contact_ref, by_agent = by_ref;
  const TransferTarget target = target_ref;
  Impl& m = *impl_;
  m.begin();
  if (target.queue.empty() == target.agent.empty()) {
    return make_error(Errc::invalid_input, "transfer needs exactly one of a queue or an agent");
  }
  auto held = m.transferable(contact_id, by_agent);
  if (!held) return held.error();
  ContactState& c = **held;
  const QueueSpec* queue = nullptr;
  AgentState* to = nullptr;
  if (!target.queue.empty()) {
    auto q = m.queue_index.find(target.queue);
    if (q == m.queue_index.end() || m.retired_queues.contains(target.queue)) {
      return make_error(Errc::not_found, "unknown queue '" + target.queue + "'");
    }
    queue = &m.config.queues[q->second];
  } else {
    auto a = m.agents.find(target.agent);
    if (a == m.agents.end())
      return make_error(Errc::not_found, "unknown agent '" + target.agent + "'");
    to = &a->second;
    if (to->id() == c.rec.agent) {
      return make_error(Errc::conflict, "contact " + contact_id + " is already with " + to->id());
    }
    if (!to->free_on(c.rec.channel)) {
      return make_error(Errc::conflict, "agent " + to->id() +
                                            (to->rec.presence != Presence::available
                                                 ? " is not available"
                                                 : " has no room on " + c.rec.channel));
    }
  }

  // The previous agent lets go; it is declined last, so the contact never bounces straight back.
  const std::string from = c.rec.agent;
  m.untouch(c);
  if (!from.empty()) m.unassign(c);
  c.rec.status = ContactStatus::waiting;
  c.rec.agent.clear();
  c.rec.offer_expires_ms = 0;
  if (queue != nullptr) m.move_to(c, *queue);
  if (!from.empty()) m.decline(c, from);

  std::string why = (by_agent.empty() ? std::string() : "by " + by_agent + " ") +
                    (queue != nullptr ? "to queue " + queue->name : "to agent " + to->id()) +
                    (reason.empty() ? "" : ": " + reason);
  m.emit(EventKind::transferred, c, from, std::move(why));
  if (to != nullptr) {
    m.offer(c, *to, "transferred" + (from.empty() ? std::string() : " from " + from));
  } else {
    m.touch(c);
    m.dirty_contacts.push_back(contact_id);
  }
  m.settle();
  return {};
}

}  // namespace omniroute::routing
