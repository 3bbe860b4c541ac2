// The dispatch engine's time: one due time per contact (the earliest of its reservation expiry,
// SLA warning, SLA breach, next escalation step, max_wait) in one ordered set; and restore.
#include <algorithm>
#include <cmath>

#include "routing/engine_impl.h"

namespace omniroute::routing {
namespace {

bool unanswered(const ContactRecord& r) {
  return r.status == ContactStatus::waiting || r.status == ContactStatus::offered;
}

std::string describe(const EscalationStep& step) {
  std::string s = "waited " + std::to_string(step.after.count() / 1000) + " s:";
  if (step.lower_min_level_by != 0) {
    s += " required levels -" + std::to_string(step.lower_min_level_by);
  }
  for (const auto& q : step.also_queues) s += " also offered to queue " + q + ";";
  if (step.raise_priority_by != 0) s += " priority +" + std::to_string(step.raise_priority_by);
  return s;
}

}  // namespace

TimePoint Engine::Impl::warning_at(const ContactState& c) const {
  const double f = config.sla_warning_fraction;
  const TimePoint deadline = c.rec.decision.sla_deadline;
  if (!(f > 0.0 && f < 1.0) || deadline <= c.rec.arrival_ms) return kNever;
  const auto span = static_cast<double>(deadline - c.rec.arrival_ms);
  return c.rec.arrival_ms + static_cast<TimePoint>(std::llround(span * f));
}

// SLA timers run until the contact is accepted (its first response), also while it is offered.
TimePoint Engine::Impl::compute_due(const ContactState& c) const {
  const ContactRecord& r = c.rec;
  if (!unanswered(r)) return kNever;
  TimePoint due = kNever;
  if (r.status == ContactStatus::offered && r.offer_expires_ms != 0) due = r.offer_expires_ms;
  // A contact transferred back to a queue after its first answer has no SLA timers left.
  if (!r.sla_warned && r.answered_ms == 0) due = std::min(due, warning_at(c));
  if (!r.sla_breached && r.answered_ms == 0 && r.decision.sla_deadline > 0) {
    due = std::min(due, r.decision.sla_deadline);
  }
  const QueueSpec& q = queue_of(c);
  // Out of hours a waiting contact only runs its SLA timers; set_queue_open restarts the rest.
  if (r.status == ContactStatus::waiting && is_closed(queue_index.at(r.queue))) return due;
  if (r.next_step < static_cast<int>(q.escalation.size())) {
    due = std::min(due, r.queue_entered_ms + q.escalation[r.next_step].after.count());
  }
  if (r.status == ContactStatus::waiting && q.max_wait && !q.overflow_queue.empty()) {
    due = std::min(due, r.queue_entered_ms + q.max_wait->count());
  }
  return due;
}

// Everything due for one contact, in a fixed order; matching waits for settle().
void Engine::Impl::fire(ContactState& c) {
  ContactRecord& r = c.rec;
  if (r.status == ContactStatus::offered && r.offer_expires_ms != 0 && r.offer_expires_ms <= now) {
    time_out(c);
  }
  if (!r.sla_warned && r.answered_ms == 0 && warning_at(c) <= now) {
    r.sla_warned = true;
    emit(EventKind::sla_warning, c, r.agent,
         "waited " + std::to_string(now - r.arrival_ms) + " ms, SLA deadline " +
             std::to_string(r.decision.sla_deadline));
  }
  if (!r.sla_breached && r.answered_ms == 0 && r.decision.sla_deadline > 0 &&
      r.decision.sla_deadline <= now) {
    r.sla_breached = true;
    r.sla_warned = true;  // a breach makes a later warning meaningless
    emit(EventKind::sla_breached, c, r.agent,
         "SLA deadline " + std::to_string(r.decision.sla_deadline) + " passed unanswered");
  }
  const auto& steps = queue_of(c).escalation;
  const bool held = r.status == ContactStatus::waiting && is_closed(queue_index.at(r.queue));
  while (!held && r.next_step < static_cast<int>(steps.size()) &&
         r.queue_entered_ms + steps[r.next_step].after.count() <= now) {
    escalate(c);
  }
  const QueueSpec& q = queue_of(c);
  if (!held && r.status == ContactStatus::waiting && q.max_wait && !q.overflow_queue.empty() &&
      r.queue_entered_ms + q.max_wait->count() <= now) {
    overflow(c);
  }
  touch(c);
}

void Engine::Impl::time_out(ContactState& c) {
  AgentState& a = agents.at(c.rec.agent);
  const QueueSpec& q = queue_of(c);
  release(c, a);
  decline(c, a.id());
  ++a.rec.consecutive_misses;
  emit(EventKind::timed_out, c, a.id(),
       "offer not accepted within " + std::to_string(q.reservation_timeout.count()) + " ms (" +
           std::to_string(a.rec.consecutive_misses) + " consecutive)");
  if (a.rec.consecutive_misses >= q.max_consecutive_misses) {
    {
      AgentIndex::Reindex reindex(index, a);
      a.rec.presence = Presence::away;
      a.rec.away_reason = "missed offers";
    }
    emit_agent(EventKind::agent_set_away, a,
               "missed offers: " + std::to_string(a.rec.consecutive_misses) + " in a row");
    return_offers(a, "agent set away: missed offers");
  }
  save(a);
}

// A step relaxes levels, widens the pool to other queues' agents and/or raises the priority
// (which moves the contact up within its queue). It also starts a new round of offers.
void Engine::Impl::escalate(ContactState& c) {
  ContactRecord& r = c.rec;
  const int i = r.next_step++;
  const EscalationStep& step = queue_of(c).escalation[i];
  r.relaxed_by += step.lower_min_level_by;
  for (const auto& q : step.also_queues) {
    if (queue_index.contains(q) &&
        std::find(r.also_queues.begin(), r.also_queues.end(), q) == r.also_queues.end()) {
      r.also_queues.push_back(q);
    }
  }
  r.priority += step.raise_priority_by;
  r.declined_by.clear();
  recompute_required(c);
  emit(EventKind::escalated, c, r.agent, describe(step), 0, i);
  dirty_contacts.push_back(r.id);
}

std::vector<SkillRequirement> Engine::Impl::skills_for(const ContactState& c,
                                                       const QueueSpec& target) const {
  const ContactRecord& r = c.rec;
  const auto decided_queue = queue_index.find(r.decision.queue);
  static const std::vector<SkillRequirement> kNone;
  const auto& decided_skills = decided_queue == queue_index.end()
                                   ? kNone
                                   : config.queues[decided_queue->second].required_skills;
  std::vector<SkillRequirement> skills = target.required_skills;
  for (const auto& extra : r.decision.required_skills) {
    auto in = [&](const std::vector<SkillRequirement>& v) {
      return std::any_of(v.begin(), v.end(), [&](const auto& s) { return s.skill == extra.skill; });
    };
    if (!in(decided_skills) && !in(skills)) skills.push_back(extra);
  }
  return skills;
}

void Engine::Impl::move_to(ContactState& c, const QueueSpec& target) {
  ContactRecord& r = c.rec;
  r.base_skills = skills_for(c, target);
  r.queue = target.name;
  r.queue_entered_ms = now;
  r.relaxed_by = 0;
  r.also_queues.clear();
  r.next_step = 0;
  r.declined_by.clear();
  recompute_required(c);
}

// max_wait reached: the contact moves to the overflow queue, keeping its arrival, deadline and
// priority (its urgency), taking that queue's skills plus the rule's extra ones, and starting
// that queue's escalation steps from now.
void Engine::Impl::overflow(ContactState& c) {
  const QueueSpec& from = queue_of(c);
  auto to = queue_index.find(from.overflow_queue);
  if (to == queue_index.end() || from.name == from.overflow_queue) return;
  const QueueSpec& target = config.queues[to->second];
  const std::string from_name = from.name;
  const auto max_wait = from.max_wait->count();
  move_to(c, target);
  emit(
      EventKind::overflowed, c, {},
      "max wait " + std::to_string(max_wait) + " ms in " + from_name + " reached → " + target.name);
  dirty_contacts.push_back(c.rec.id);
}

void Engine::on_time() {
  Impl& m = *impl_;
  m.begin();
  while (!m.timers.empty() && m.timers.begin()->due <= m.now) {
    auto& c = const_cast<ContactState&>(*m.timers.begin()->contact);
    m.untouch(c);
    m.fire(c);
  }
  m.settle();
  m.prune_finished();
  m.prune_sticky();
}

std::optional<TimePoint> Engine::next_due() const {
  if (impl_->timers.empty()) return std::nullopt;
  return impl_->timers.begin()->due;
}

// Rebuild: agents first, then contacts (their offers and conversations give the agents their
// load), then the agent index, whose keys depend on that load.
Result<void> Engine::restore(const RoutingSnapshot& snapshot) {
  Impl& m = *impl_;
  m.begin();
  if (!m.contacts.empty() || !m.agents.empty()) {
    return make_error(Errc::conflict, "restore needs a fresh engine");
  }
  for (const auto& rec : snapshot.agents) m.agents[rec.spec.id].rec = rec;
  for (const auto& s : snapshot.sticky) m.sticky[s.customer_id] = s;
  std::vector<std::pair<TimePoint, std::string>> by_age;
  for (const auto& s : snapshot.sticky) by_age.emplace_back(s.served_ms, s.customer_id);
  std::sort(by_age.begin(), by_age.end());
  m.sticky_fifo.assign(by_age.begin(), by_age.end());
  std::vector<ContactRecord> finished;
  for (const auto& rec : snapshot.contacts) {
    if (rec.status == ContactStatus::completed) {
      finished.push_back(rec);
      continue;
    }
    if (!m.queue_index.contains(rec.queue)) {
      return make_error(Errc::invalid_input, "contact " + rec.id + ": unknown queue " + rec.queue);
    }
    ContactState& c = m.contacts[rec.id];
    c.rec = rec;
    auto a = m.agents.find(rec.agent);
    if (rec.status != ContactStatus::waiting && a == m.agents.end()) {
      c.rec.status = ContactStatus::waiting;  // its agent is gone: wait again at its place
      c.rec.agent.clear();
      c.rec.offer_expires_ms = 0;
    } else if (rec.status != ContactStatus::waiting) {
      ++a->second.total_load;
      ++a->second.load_by_channel[rec.channel];
      (rec.status == ContactStatus::offered ? a->second.offers : a->second.active).insert(rec.id);
    }
    m.recompute_required(c);
    if (!rec.customer_id.empty())
      m.open_by_customer[Impl::open_key(rec.customer_id, rec.channel)] = rec.id;
    m.touch(c, /*persist=*/false);
  }
  std::sort(finished.begin(), finished.end(),
            [](const auto& x, const auto& y) { return x.completed_ms < y.completed_ms; });
  for (auto& rec : finished) m.remember_finished(std::move(rec));
  for (const auto& [id, a] : m.agents) m.index.insert(a);
  return {};
}

}  // namespace omniroute::routing
