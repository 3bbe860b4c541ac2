// The dispatch engine's operations and matching: a contact that becomes eligible goes to the best
// free agent; an agent that frees up takes the most urgent contact it can serve in any queue.
#include "routing/engine.h"

#include <algorithm>

#include "routing/engine_impl.h"

namespace omniroute::routing {
namespace {

Error not_found(const std::string& what, const std::string& id) {
  return make_error(Errc::not_found, "unknown " + what + " '" + id + "'");
}

void erase_value(std::vector<std::string>& v, const std::string& value) {
  v.erase(std::remove(v.begin(), v.end(), value), v.end());
}

}  // namespace

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::queued:
      return "queued";
    case EventKind::offered:
      return "offered";
    case EventKind::accepted:
      return "accepted";
    case EventKind::rejected:
      return "rejected";
    case EventKind::timed_out:
      return "timed_out";
    case EventKind::returned:
      return "returned";
    case EventKind::escalated:
      return "escalated";
    case EventKind::overflowed:
      return "overflowed";
    case EventKind::sla_warning:
      return "sla_warning";
    case EventKind::sla_breached:
      return "sla_breached";
    case EventKind::completed:
      return "completed";
    case EventKind::agent_set_away:
      return "agent_set_away";
    case EventKind::requeued:
      return "requeued";
    case EventKind::withdrawn:
      return "withdrawn";
    case EventKind::transferred:
      return "transferred";
  }
  return "unknown";
}

bool WaitKey::operator<(const WaitKey& o) const {
  if (priority != o.priority) return priority > o.priority;
  if (deadline != o.deadline) return deadline < o.deadline;
  if (arrival != o.arrival) return arrival < o.arrival;
  return contact->rec.id < o.contact->rec.id;
}

bool TimerKey::operator<(const TimerKey& o) const {
  if (due != o.due) return due < o.due;
  return contact->rec.id < o.contact->rec.id;
}

Engine::Impl::Impl(const Clock& c, EngineConfig cfg, EventSink& s, RoutingStore* st)
    : clock(c), config(std::move(cfg)), sink(s), store(st) {
  rebuild_queue_index();
}

void Engine::Impl::rebuild_queue_index() {
  queue_index.clear();
  for (std::size_t i = 0; i < config.queues.size(); ++i) {
    queue_index.emplace(config.queues[i].name, i);
  }
}

bool Engine::Impl::is_closed(std::size_t queue) const {
  return !closed_queues.empty() && closed_queues.contains(config.queues[queue].name);
}

const QueueSpec& Engine::Impl::queue_of(const ContactState& c) const {
  return config.queues[queue_index.at(c.rec.queue)];
}

void Engine::Impl::emit(EventKind kind, const ContactState& c, std::string agent,
                        std::string reason, TimePoint expires, int step) {
  EngineEvent e = event_of(kind, std::move(reason));
  e.at_ms = now;
  e.contact = c.rec.id;
  e.agent = std::move(agent);
  e.queue = c.rec.queue;
  e.expires_ms = expires;
  e.step = step;
  sink.on_event(e);
}

void Engine::Impl::emit_agent(EventKind kind, const AgentState& a, std::string reason) {
  EngineEvent e = event_of(kind, std::move(reason));
  e.at_ms = now;
  e.agent = a.id();
  sink.on_event(e);
}

void Engine::Impl::recompute_required(ContactState& c) {
  c.required = c.rec.base_skills;
  for (auto& r : c.required) r.min_level = std::max(1, r.min_level - c.rec.relaxed_by);
  std::sort(c.required.begin(), c.required.end(),
            [](const auto& a, const auto& b) { return a.skill < b.skill; });
}

Bucket& Engine::Impl::bucket(std::size_t queue, const std::string& channel,
                             const std::vector<SkillRequirement>& required) {
  std::string key = std::to_string(queue) + '\x1f' + channel;
  for (const auto& r : required) key += '\x1f' + r.skill + ':' + std::to_string(r.min_level);
  auto [it, inserted] = buckets.try_emplace(key);
  if (inserted) {
    it->second.queue = queue;
    it->second.channel = channel;
    it->second.required = required;
    buckets_by_channel[channel].push_back(&it->second);
  }
  return it->second;
}

// Puts the contact back into every index matching its current record and saves it. Waiting
// contacts sit in their home bucket and in one bucket per escalation also_queue; a contact whose
// home queue is closed sits in none (nobody may be offered it), and closed also_queues are skipped.
void Engine::Impl::touch(ContactState& c, bool persist) {
  untouch(c);
  if (c.rec.status == ContactStatus::waiting && !is_closed(queue_index.at(c.rec.queue))) {
    const TimePoint deadline =
        c.rec.decision.sla_deadline > 0 ? c.rec.decision.sla_deadline : kNever;
    c.wait_key = WaitKey{c.rec.priority, deadline, c.rec.arrival_ms, &c};
    const std::size_t home = queue_index.at(c.rec.queue);
    c.in_buckets.push_back(&bucket(home, c.rec.channel, c.required));
    for (const auto& name : c.rec.also_queues) {
      auto q = queue_index.find(name);
      if (q == queue_index.end() || q->second == home || is_closed(q->second)) continue;
      Bucket* b = &bucket(q->second, c.rec.channel, config.queues[q->second].required_skills);
      if (std::find(c.in_buckets.begin(), c.in_buckets.end(), b) == c.in_buckets.end()) {
        c.in_buckets.push_back(b);
      }
    }
    for (Bucket* b : c.in_buckets) b->waiting.insert(c.wait_key);
  }
  c.due = compute_due(c);
  if (c.due != kNever) timers.insert({c.due, &c});
  if (persist && store != nullptr) store->save_contact(c.rec);
}

void Engine::Impl::untouch(ContactState& c) {
  for (Bucket* b : c.in_buckets) b->waiting.erase(c.wait_key);
  c.in_buckets.clear();
  if (c.due != kNever) timers.erase({c.due, &c});
  c.due = kNever;
}

void Engine::Impl::save(const AgentState& a) {
  if (store != nullptr) store->save_agent(a.rec);
}

// Runs the matching the last operation made possible: first the contacts that became eligible,
// then the agents that gained room. An offer only ever takes room, so this terminates.
void Engine::Impl::settle() {
  while (!dirty_contacts.empty() || !dirty_agents.empty()) {
    auto contact_ids = std::move(dirty_contacts);
    dirty_contacts.clear();
    for (const auto& id : contact_ids) {
      auto it = contacts.find(id);
      if (it != contacts.end() && it->second.rec.status == ContactStatus::waiting) {
        try_offer(it->second);
      }
    }
    auto agent_ids = std::move(dirty_agents);
    dirty_agents.clear();
    for (const auto& id : agent_ids) {
      if (auto it = agents.find(id); it != agents.end()) fill_agent(it->second);
    }
  }
}

AgentState* Engine::Impl::sticky_candidate(const ContactState& c) {
  if (c.rec.customer_id.empty()) return nullptr;
  auto s = sticky.find(c.rec.customer_id);
  if (s == sticky.end() || now - s->second.served_ms > queue_of(c).sticky_window.count()) {
    return nullptr;
  }
  auto a = agents.find(s->second.agent_id);
  if (a == agents.end() || !a->second.free_on(c.rec.channel)) return nullptr;
  const auto& declined = c.rec.declined_by;
  if (std::find(declined.begin(), declined.end(), a->first) != declined.end()) return nullptr;
  for (const Bucket* b : c.in_buckets) {
    if (a->second.satisfies(b->required)) return &a->second;
  }
  return nullptr;
}

// Trigger (a): a contact became eligible. Sticky agent first; then, per bucket (home queue
// first), the queue's strategy among agents that have not declined it in this round; only if
// none is free, those that declined, except the one that declined last.
void Engine::Impl::try_offer(ContactState& c) {
  if (AgentState* a = sticky_candidate(c)) {
    offer(c, *a, "sticky: last served this customer");
    return;
  }
  const auto& declined = c.rec.declined_by;
  const AgentIndex::Admissible fresh = [&](const AgentState& a) {
    return std::find(declined.begin(), declined.end(), a.id()) == declined.end();
  };
  const AgentIndex::Admissible retry = [&](const AgentState& a) {
    return a.id() != declined.back();
  };
  for (const auto* admissible : {&fresh, &retry}) {
    if (admissible == &retry && declined.empty()) break;
    for (const Bucket* b : c.in_buckets) {
      const QueueSpec& q = config.queues[b->queue];
      const AgentState* a = index.best(c.rec.channel, b->required, q.strategy, *admissible);
      if (a == nullptr) continue;
      std::string reason = "best free agent of queue " + q.name + " by " +
                           (q.strategy == Strategy::longest_idle ? "longest idle"
                            : q.strategy == Strategy::least_busy ? "least busy"
                                                                 : "highest proficiency");
      if (admissible == &retry) reason += " (all others declined)";
      offer(c, agents.at(a->id()), reason);
      return;
    }
  }
}

// Trigger (b): an agent gained room. It takes the most urgent waiting contact it can serve,
// comparing the heads of every bucket it qualifies for, until it is full or nothing fits.
void Engine::Impl::fill_agent(AgentState& a) {
  while (true) {
    const WaitKey* best = nullptr;
    for (const auto& [channel, cap] : a.rec.spec.capacity_by_channel) {
      if (!a.free_on(channel)) continue;
      auto list = buckets_by_channel.find(channel);
      if (list == buckets_by_channel.end()) continue;
      for (const Bucket* b : list->second) {
        if (b->waiting.empty() || !a.satisfies(b->required)) continue;
        for (const WaitKey& k : b->waiting) {
          if (best != nullptr && !(k < *best)) break;
          const auto& declined = k.contact->rec.declined_by;
          if (!declined.empty() && declined.back() == a.id()) continue;
          best = &k;
          break;
        }
      }
    }
    if (best == nullptr) return;
    offer(*best->contact, a, "agent freed up: most urgent contact it can serve");
  }
}

void Engine::Impl::offer(ContactState& c, AgentState& a, const std::string& reason) {
  const QueueSpec& q = queue_of(c);
  {
    AgentIndex::Reindex reindex(index, a);
    ++a.total_load;
    ++a.load_by_channel[c.rec.channel];
    a.offers.insert(c.rec.id);
  }
  c.rec.status = ContactStatus::offered;
  c.rec.agent = a.id();
  c.rec.offer_expires_ms = q.auto_accept ? 0 : now + q.reservation_timeout.count();
  emit(EventKind::offered, c, a.id(), reason, c.rec.offer_expires_ms);
  if (q.auto_accept) {
    activate(c, a);
  } else {
    touch(c);
  }
}

void Engine::Impl::activate(ContactState& c, AgentState& a) {
  a.offers.erase(c.rec.id);
  a.active.insert(c.rec.id);
  a.rec.consecutive_misses = 0;
  save(a);
  c.rec.status = ContactStatus::active;
  c.rec.offer_expires_ms = 0;
  if (c.rec.answered_ms == 0) c.rec.answered_ms = now;
  touch(c);
  remember_sticky(c.rec.customer_id, a.id());
  emit(EventKind::accepted, c, a.id(), queue_of(c).auto_accept ? "auto-accept" : "agent accepted");
}

// The contact's agent (offered or active) lets go of it and gains the room back; it is matched
// again at the end of the operation. The contact's own fields are the caller's to change.
void Engine::Impl::unassign(ContactState& c) {
  AgentState& a = agents.at(c.rec.agent);
  {
    AgentIndex::Reindex reindex(index, a);
    --a.total_load;
    --a.load_by_channel[c.rec.channel];
    a.offers.erase(c.rec.id);
    a.active.erase(c.rec.id);
    a.rec.idle_since_ms = now;
  }
  save(a);
  dirty_agents.push_back(a.id());
}

// Takes an un-accepted offer back: the agent loses the load, the contact waits again at its
// original place (its key is unchanged) and both are matched again at the end of the operation.
void Engine::Impl::release(ContactState& c, AgentState& /*holder*/) {
  unassign(c);
  c.rec.status = ContactStatus::waiting;
  c.rec.agent.clear();
  c.rec.offer_expires_ms = 0;
  dirty_contacts.push_back(c.rec.id);
}

void Engine::Impl::decline(ContactState& c, const std::string& agent_id) {
  erase_value(c.rec.declined_by, agent_id);
  c.rec.declined_by.push_back(agent_id);
}

void Engine::Impl::return_offers(AgentState& a, const std::string& why) {
  const std::vector<std::string> offered(a.offers.begin(), a.offers.end());
  for (const auto& id : offered) {
    ContactState& c = contacts.at(id);
    release(c, a);
    emit(EventKind::returned, c, a.id(), why);
    touch(c);
  }
}

std::string Engine::Impl::open_key(const std::string& customer, const std::string& channel) {
  return customer + '\x1f' + channel;
}

void Engine::Impl::remember_sticky(const std::string& customer, const std::string& agent) {
  if (customer.empty()) return;
  StickyRecord& s = sticky[customer];
  s = StickyRecord{customer, agent, now};
  sticky_fifo.emplace_back(now, customer);
  if (store != nullptr) store->save_sticky(s);
}

// A sticky record older than the longest sticky window of any queue can never be used again.
void Engine::Impl::prune_sticky() {
  Millis longest{0};
  for (const auto& q : config.queues) longest = std::max(longest, q.sticky_window);
  while (!sticky_fifo.empty() && sticky_fifo.front().first + longest.count() < now) {
    auto [served, customer] = std::move(sticky_fifo.front());
    sticky_fifo.pop_front();
    auto it = sticky.find(customer);
    if (it == sticky.end() || it->second.served_ms != served) continue;  // refreshed since
    sticky.erase(it);
    if (store != nullptr) store->erase_sticky(customer);
  }
}

// The contact leaves the engine: its agent (if any) gets the room back, the record is kept as
// completed for the retention so that a replayed enqueue is a no-op.
void Engine::Impl::finish(ContactState& c, EngineEvent event) {
  const std::string id = c.rec.id, agent_id = c.rec.agent;
  if (c.rec.status != ContactStatus::waiting) {
    unassign(c);
    if (c.rec.status == ContactStatus::active) remember_sticky(c.rec.customer_id, agent_id);
  }
  event.at_ms = now;
  event.contact = id;
  event.agent = agent_id;
  event.queue = c.rec.queue;
  sink.on_event(event);
  untouch(c);
  c.rec.status = ContactStatus::completed;
  c.rec.completed_ms = now;
  c.rec.offer_expires_ms = 0;
  if (store != nullptr) store->save_contact(c.rec);
  auto open = open_by_customer.find(open_key(c.rec.customer_id, c.rec.channel));
  if (open != open_by_customer.end() && open->second == id) open_by_customer.erase(open);
  remember_finished(std::move(c.rec));
  contacts.erase(id);
}

void Engine::Impl::remember_finished(ContactRecord rec) {
  finished_fifo.emplace_back(rec.completed_ms, rec.id);
  finished.insert_or_assign(rec.id, std::move(rec));
}

void Engine::Impl::prune_finished() {
  while (!finished_fifo.empty() &&
         finished_fifo.front().first + config.completed_retention.count() <= now) {
    finished.erase(finished_fifo.front().second);
    if (store != nullptr) store->erase_contact(finished_fifo.front().second);
    finished_fifo.pop_front();
  }
}

// ---------------------------------------------------------------------------------------------

Engine::Engine(const Clock& clock, EngineConfig config, EventSink& sink, RoutingStore* store)
    : impl_(std::make_unique<Impl>(clock, std::move(config), sink, store)) {}

Engine::~Engine() = default;

Result<void> Engine::enqueue(const std::string& contact_id, const RoutingDecision& decision,
                             const std::string& channel, const std::string& customer_id,
                             TimePoint arrival_ms) {
  Impl& m = *impl_;
  m.begin();
  if (m.contacts.contains(contact_id) || m.finished.contains(contact_id)) return {};
  if (!m.queue_index.contains(decision.queue) || m.retired_queues.contains(decision.queue)) {
    return make_error(Errc::invalid_input,
                      "contact " + contact_id + ": unknown queue '" + decision.queue + "'");
  }
  ContactState& c = m.contacts[contact_id];
  c.rec.id = contact_id;
  c.rec.decision = decision;
  c.rec.channel = channel;
  c.rec.customer_id = customer_id;
  c.rec.arrival_ms = arrival_ms;
  c.rec.queue = decision.queue;
  c.rec.queue_entered_ms = arrival_ms;
  c.rec.priority = decision.priority;
  c.rec.base_skills = decision.required_skills;
  m.recompute_required(c);
  if (!customer_id.empty()) m.open_by_customer[Impl::open_key(customer_id, channel)] = contact_id;
  m.touch(c);
  m.emit(EventKind::queued, c, {},
         "rule " + decision.rule + " → queue " + decision.queue + ", tier " + decision.tier +
             ", priority " + std::to_string(decision.priority) + ", SLA deadline " +
             std::to_string(decision.sla_deadline) +
             (m.closed_queues.contains(decision.queue) ? "; queue closed: waits for opening" : ""));
  m.dirty_contacts.push_back(contact_id);
  m.settle();
  m.prune_finished();
  return {};
}

void Engine::upsert_agent(const AgentSpec& spec) {
  Impl& m = *impl_;
  m.begin();
  auto [it, inserted] = m.agents.try_emplace(spec.id);
  AgentState& a = it->second;
  {
    AgentIndex::Reindex reindex(m.index, a);
    a.rec.spec = spec;
    if (inserted) a.rec.idle_since_ms = m.now;
  }
  m.save(a);
  m.dirty_agents.push_back(spec.id);
  m.settle();
}

Result<void> Engine::set_presence(const std::string& agent_ref, Presence presence,
                                  const std::string& reason) {
  const std::string agent_id = agent_ref;  // see accept()
  Impl& m = *impl_;
  m.begin();
  auto it = m.agents.find(agent_id);
  if (it == m.agents.end()) return not_found("agent", agent_id);
  AgentState& a = it->second;
  const bool was_available = a.rec.presence == Presence::available;
  {
    AgentIndex::Reindex reindex(m.index, a);
    a.rec.presence = presence;
    a.rec.away_reason = presence == Presence::available ? std::string() : reason;
    if (presence == Presence::available && !was_available) {
      a.rec.idle_since_ms = m.now;
      a.rec.consecutive_misses = 0;
    }
  }
  m.save(a);
  if (presence != Presence::available) {
    m.return_offers(a, std::string("agent ") + (presence == Presence::away ? "away" : "offline") +
                           (reason.empty() ? "" : ": " + reason));
  }
  m.dirty_agents.push_back(agent_id);
  m.settle();
  return {};
}

Result<ContactState*> Engine::Impl::held_by(const std::string& contact_id,
                                            const std::string& agent_id, ContactStatus status) {
  begin();
  auto it = contacts.find(contact_id);
  if (it == contacts.end()) return not_found("contact", contact_id);
  ContactState& c = it->second;
  if (c.rec.status != status || c.rec.agent != agent_id) {
    const char* relation =
        status == ContactStatus::active ? " is not active with " : " is not offered to ";
    return make_error(Errc::conflict, "contact " + contact_id + relation + agent_id);
  }
  return &c;
}

Result<void> Engine::accept(const std::string& contact_ref, const std::string& agent_ref) {
  // Copies: the caller may pass references into our own records, which this call changes.
  const std::string contact_id = contact_ref, agent_id = agent_ref;
  Impl& m = *impl_;
  auto held = m.held_by(contact_id, agent_id, ContactStatus::offered);
  if (!held) return held.error();
  m.activate(**held, m.agents.at(agent_id));
  m.settle();
  return {};
}

Result<void> Engine::reject(const std::string& contact_ref, const std::string& agent_ref,
                            const std::string& reason) {
  const std::string contact_id = contact_ref, agent_id = agent_ref;  // see accept()
  Impl& m = *impl_;
  auto held = m.held_by(contact_id, agent_id, ContactStatus::offered);
  if (!held) return held.error();
  ContactState& c = **held;
  AgentState& a = m.agents.at(agent_id);
  a.rec.consecutive_misses = 0;  // an explicit answer shows the agent is there
  m.release(c, a);
  m.decline(c, agent_id);
  m.emit(EventKind::rejected, c, agent_id, reason.empty() ? "rejected by agent" : reason);
  m.touch(c);
  m.settle();
  return {};
}

Result<void> Engine::complete(const std::string& contact_ref, const std::string& agent_ref,
                              const std::string& wrap_up_code, const std::string& note) {
  // Copies: the caller may pass references into our own records, which this call changes.
  const std::string contact_id = contact_ref, agent_id = agent_ref;
  Impl& m = *impl_;
  auto held = m.held_by(contact_id, agent_id, ContactStatus::active);
  if (!held) return held.error();
  EngineEvent event = event_of(EventKind::completed, "completed by agent");
  event.wrap_up_code = wrap_up_code;
  event.note = note;
  m.finish(**held, std::move(event));
  m.settle();
  return {};
}

Result<void> Engine::withdraw(const std::string& contact_ref, const std::string& reason) {
  const std::string contact_id = contact_ref;  // see accept()
  Impl& m = *impl_;
  m.begin();
  auto it = m.contacts.find(contact_id);
  if (it == m.contacts.end()) {
    if (m.finished.contains(contact_id)) return {};  // already gone: a replay changes nothing
    return not_found("contact", contact_id);
  }
  EngineEvent event = event_of(EventKind::withdrawn, reason.empty() ? "withdrawn" : reason);
  m.finish(it->second, std::move(event));
  m.settle();
  return {};
}

Result<void> Engine::remove_agent(const std::string& agent_ref) {
  const std::string agent_id = agent_ref;  // see accept()
  Impl& m = *impl_;
  m.begin();
  auto it = m.agents.find(agent_id);
  if (it == m.agents.end()) return not_found("agent", agent_id);
  AgentState& a = it->second;
  if (!a.active.empty()) {
    std::string ids;
    for (const auto& id : a.active) ids += (ids.empty() ? "" : ", ") + id;
    return make_error(Errc::conflict, "agent " + agent_id + " still handles " + ids +
                                          ": complete, withdraw or hand them over first");
  }
  m.return_offers(a, "agent removed");
  m.index.erase(a);
  m.agents.erase(it);
  if (m.store != nullptr) m.store->erase_agent(agent_id);
  m.settle();
  return {};
}

Result<void> Engine::set_queue_open(const std::string& queue, bool open) {
  Impl& m = *impl_;
  m.begin();
  if (!m.queue_index.contains(queue)) return not_found("queue", queue);
  if (open != m.closed_queues.contains(queue)) return {};  // no change
  if (open) {
    m.closed_queues.erase(queue);
  } else {
    m.closed_queues.insert(queue);
  }
  // Re-index the contacts the queue concerns. Those waiting in it count escalation and max_wait
  // from the opening: out of hours nobody was expected to take them. On opening they are offered
  // most urgent first (not in id order), so a scarce agent gets the right one.
  std::vector<WaitKey> opened;
  for (auto& [id, c] : m.contacts) {
    const auto& also = c.rec.also_queues;
    const bool home = c.rec.queue == queue;
    if (c.rec.status != ContactStatus::waiting ||
        (!home && std::find(also.begin(), also.end(), queue) == also.end())) {
      continue;
    }
    const bool restart_clock = open && home && c.rec.queue_entered_ms < m.now;
    if (restart_clock) c.rec.queue_entered_ms = m.now;
    m.touch(c, /*persist=*/restart_clock);
    const TimePoint deadline =
        c.rec.decision.sla_deadline > 0 ? c.rec.decision.sla_deadline : kNever;
    if (open) opened.push_back(WaitKey{c.rec.priority, deadline, c.rec.arrival_ms, &c});
  }
  std::sort(opened.begin(), opened.end());
  for (const auto& key : opened) m.dirty_contacts.push_back(key.contact->rec.id);
  m.settle();
  return {};
}

bool Engine::queue_open(const std::string& queue) const {
  return !impl_->closed_queues.contains(queue);
}

// ---------------------------------------------------------------------------------------------
// Read side.

const ContactRecord* Engine::contact(const std::string& contact_id) const {
  if (auto it = impl_->contacts.find(contact_id); it != impl_->contacts.end()) {
    return &it->second.rec;
  }
  auto it = impl_->finished.find(contact_id);
  return it == impl_->finished.end() ? nullptr : &it->second;
}

const AgentRecord* Engine::agent(const std::string& agent_id) const {
  auto it = impl_->agents.find(agent_id);
  return it == impl_->agents.end() ? nullptr : &it->second.rec;
}

std::optional<AgentLoad> Engine::agent_load(const std::string& agent_id) const {
  auto it = impl_->agents.find(agent_id);
  if (it == impl_->agents.end()) return std::nullopt;
  const AgentState& a = it->second;
  AgentLoad load{
      a.total_load, {}, {a.offers.begin(), a.offers.end()}, {a.active.begin(), a.active.end()}};
  for (const auto& [channel, n] : a.load_by_channel) {
    if (n != 0) load.by_channel[channel] = n;
  }
  return load;
}

std::vector<std::string> Engine::waiting_in(const std::string& queue) const {
  std::vector<WaitKey> keys;
  for (const auto& [id, c] : impl_->contacts) {
    if (c.rec.status == ContactStatus::waiting && c.rec.queue == queue) keys.push_back(c.wait_key);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> ids;
  for (const auto& k : keys) ids.push_back(k.contact->rec.id);
  return ids;
}

std::size_t Engine::waiting_count() const {
  return static_cast<std::size_t>(
      std::count_if(impl_->contacts.begin(), impl_->contacts.end(),
                    [](const auto& kv) { return kv.second.rec.status == ContactStatus::waiting; }));
}

EngineCounts Engine::counts() const {
  EngineCounts n;
  for (const auto& q : impl_->config.queues) n.waiting_by_queue[q.name] = 0;
  for (const auto& [id, c] : impl_->contacts) {
    switch (c.rec.status) {
      case ContactStatus::waiting:
        ++n.waiting;
        ++n.waiting_by_queue[c.rec.queue];
        break;
      case ContactStatus::offered:
        ++n.offered;
        break;
      default:
        ++n.active;
    }
  }
  for (const auto& [id, a] : impl_->agents) {
    auto p = a.rec.presence;
    ++(p == Presence::available ? n.available : p == Presence::away ? n.away : n.offline);
  }
  return n;
}

const ContactRecord* Engine::open_contact(const std::string& customer_id,
                                          const std::string& channel) const {
  auto it = impl_->open_by_customer.find(Impl::open_key(customer_id, channel));
  return it == impl_->open_by_customer.end() ? nullptr : contact(it->second);
}

RoutingSnapshot Engine::snapshot() const {
  RoutingSnapshot s;
  for (const auto& [id, c] : impl_->contacts) s.contacts.push_back(c.rec);
  for (const auto& [id, rec] : impl_->finished) s.contacts.push_back(rec);
  for (const auto& [id, a] : impl_->agents) s.agents.push_back(a.rec);
  for (const auto& [id, st] : impl_->sticky) s.sticky.push_back(st);
  auto by = [](auto field) {
    return [field](const auto& x, const auto& y) { return field(x) < field(y); };
  };
  std::sort(s.contacts.begin(), s.contacts.end(), by([](const ContactRecord& r) { return r.id; }));
  std::sort(s.agents.begin(), s.agents.end(), by([](const AgentRecord& r) { return r.spec.id; }));
  std::sort(s.sticky.begin(), s.sticky.end(),
            by([](const StickyRecord& r) { return r.customer_id; }));
  return s;
}

}  // namespace omniroute::routing
