// The dispatch engine under a rules reload (invariant 6: config changes never drop work): new
// queue specs swapped in one operation, waiting contacts re-evaluated, timers re-armed.
#include <algorithm>

#include "routing/engine_impl.h"

namespace omniroute::routing {
namespace {

std::string skills_text(const std::vector<SkillRequirement>& skills) {
  std::string s;
  for (const auto& r : skills)
    s += (s.empty() ? "" : ",") + r.skill + ":" + std::to_string(r.min_level);
  return s.empty() ? "-" : s;
}

// The specs must be usable by the engine: unique non-empty names, overflow targets that exist
// (a missing one would make max_wait fire forever).
Result<void> validate_specs(const std::vector<QueueSpec>& queues) {
  std::vector<std::string> names;
  for (const auto& q : queues) names.push_back(q.name);
  std::sort(names.begin(), names.end());
  if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end()) {
    return make_error(Errc::invalid_input, "reconfigure: queue '" + *dup + "' twice");
  }
  for (const auto& q : queues) {
    if (q.name.empty()) return make_error(Errc::invalid_input, "reconfigure: a queue has no name");
    if (!q.overflow_queue.empty() &&
        !std::binary_search(names.begin(), names.end(), q.overflow_queue)) {
      return make_error(Errc::invalid_input, "reconfigure: queue " + q.name +
                                                 " overflows to unknown queue '" +
                                                 q.overflow_queue + "'");
    }
  }
  return {};
}

}  // namespace

bool Engine::Impl::apply_decision(ContactState& c, const RoutingDecision& d) {
  ContactRecord& r = c.rec;
  const RoutingDecision old = r.decision;
  if (d == old) return false;
  r.decision = d;
  const bool placement_changed = d.queue != old.queue || d.required_skills != old.required_skills;
  if (placement_changed) {
    // A new queue or new requirements: a fresh start there, keeping arrival (its place).
    r.queue = d.queue;
    r.queue_entered_ms = now;
    r.priority = d.priority;
    r.base_skills = d.required_skills;
    r.relaxed_by = 0;
    r.also_queues.clear();
    r.next_step = 0;
    r.declined_by.clear();
  } else {
    r.priority += d.priority - old.priority;  // keeps what escalation steps added
  }
  if (d.sla_deadline != old.sla_deadline) {
    // A flag stays set only if it is still true under the new deadline; fire() raises the rest.
    r.sla_breached = r.sla_breached && d.sla_deadline > 0 && d.sla_deadline <= now;
    r.sla_warned = r.sla_breached || (r.sla_warned && warning_at(c) <= now);
  }
  recompute_required(c);
  return placement_changed || d.priority != old.priority || d.sla_deadline != old.sla_deadline ||
         d.rule != old.rule || d.tier != old.tier || d.tags != old.tags;
}

std::string Engine::Impl::describe_change(const RoutingDecision& before,
                                          const ContactRecord& rec) const {
  const RoutingDecision& after = rec.decision;
  std::string s = "re-evaluated:";
  auto field = [&](const char* name, const std::string& a, const std::string& b) {
    if (a != b) s += std::string(" ") + name + " " + a + " → " + b + ";";
  };
  field("rule", before.rule, after.rule);
  field("tier", before.tier, after.tier);
  field("queue", before.queue, after.queue);
  field("skills", skills_text(before.required_skills), skills_text(after.required_skills));
  field("priority", std::to_string(before.priority), std::to_string(after.priority));
  field("SLA deadline", std::to_string(before.sla_deadline), std::to_string(after.sla_deadline));
  if (before.tags != after.tags) s += " tags changed;";
  return s;
}

Result<ReconfigureReport> Engine::reconfigure(std::vector<QueueSpec> queues,
                                              const Rematch& rematch) {
  Impl& m = *impl_;
  m.begin();
  if (auto ok = validate_specs(queues); !ok) return ok.error();
  std::unordered_set<std::string> names;
  for (const auto& q : queues) names.insert(q.name);

  // Ask for every decision first, so that a bad one leaves everything as it was.
  std::vector<std::pair<ContactState*, RoutingDecision>> decisions;
  if (rematch) {
    for (const ContactRecord* rec : waiting_contacts()) {
      auto d = rematch(*rec);
      if (!d) continue;
      if (!names.contains(d->queue)) {
        return make_error(Errc::invalid_input,
                          "reconfigure: contact " + rec->id + ": unknown queue '" + d->queue + "'");
      }
      decisions.emplace_back(&m.contacts.at(rec->id), std::move(*d));
    }
  }

  // Queues that leave the config but that contacts still name stay, retired: they serve those
  // contacts to the end (their offers, overflow and steps keep working) and take no new ones.
  std::unordered_set<std::string> moving;
  for (const auto& [c, d] : decisions) {
    if (d.queue != c->rec.decision.queue || d.required_skills != c->rec.decision.required_skills) {
      moving.insert(c->rec.id);
    }
  }
  ReconfigureReport report;
  for (const auto& old : m.config.queues) {
    if (names.contains(old.name)) continue;
    const bool named = std::any_of(m.contacts.begin(), m.contacts.end(), [&](const auto& kv) {
      const ContactRecord& r = kv.second.rec;
      return !moving.contains(r.id) && (r.queue == old.name || r.decision.queue == old.name);
    });
    if (!named) continue;
    QueueSpec kept = old;
    if (!names.contains(kept.overflow_queue)) kept.overflow_queue.clear();
    report.retired_queues.push_back(kept.name);
    queues.push_back(std::move(kept));
  }

  // Swap: out of every index, new specs, decisions applied, back into the indexes.
  for (auto& [id, c] : m.contacts) m.untouch(c);
  m.buckets_by_channel.clear();
  m.buckets.clear();
  m.config.queues = std::move(queues);
  m.rebuild_queue_index();
  m.retired_queues = {report.retired_queues.begin(), report.retired_queues.end()};
  std::erase_if(m.closed_queues, [&](const std::string& q) { return !m.queue_index.contains(q); });

  std::unordered_set<std::string> changed;
  for (auto& [c, d] : decisions) {
    const RoutingDecision before = c->rec.decision;
    const bool record_changed = !(before == d);
    if (m.apply_decision(*c, d)) {
      m.emit(EventKind::requeued, *c, {}, m.describe_change(before, c->rec));
      report.requeued.push_back(c->rec.id);
      m.dirty_contacts.push_back(c->rec.id);
    }
    if (record_changed) changed.insert(c->rec.id);
  }
  for (auto& [id, c] : m.contacts) m.touch(c, /*persist=*/changed.contains(id));
  // Requirements and specs changed: every agent may now serve a bucket it could not before.
  for (const auto& [id, a] : m.agents) m.dirty_agents.push_back(id);
  m.settle();
  std::sort(report.requeued.begin(), report.requeued.end());
  return report;
}

Result<bool> Engine::requeue(const std::string& contact_ref, const RoutingDecision& decision) {
  const std::string contact_id = contact_ref;  // see accept()
  Impl& m = *impl_;
  m.begin();
  auto it = m.contacts.find(contact_id);
  if (it == m.contacts.end()) return make_error(Errc::not_found, "unknown contact " + contact_id);
  ContactState& c = it->second;
  if (c.rec.status != ContactStatus::waiting) {
    return make_error(Errc::conflict, "contact " + contact_id + " is with agent " + c.rec.agent);
  }
  if (!m.queue_index.contains(decision.queue) || m.retired_queues.contains(decision.queue)) {
    return make_error(Errc::invalid_input,
                      "contact " + contact_id + ": unknown queue '" + decision.queue + "'");
  }
  const RoutingDecision before = c.rec.decision;
  if (before == decision) return false;
  m.untouch(c);
  const bool matters = m.apply_decision(c, decision);
  if (matters) m.emit(EventKind::requeued, c, {}, m.describe_change(before, c.rec));
  m.touch(c);
  m.dirty_contacts.push_back(contact_id);
  m.settle();
  return matters;
}

std::vector<const ContactRecord*> Engine::waiting_contacts() const {
  std::vector<const ContactRecord*> out;
  for (const auto& [id, c] : impl_->contacts) {
    if (c.rec.status == ContactStatus::waiting) out.push_back(&c.rec);
  }
  std::sort(out.begin(), out.end(), [](const ContactRecord* a, const ContactRecord* b) {
    return a->arrival_ms != b->arrival_ms ? a->arrival_ms < b->arrival_ms : a->id < b->id;
  });
  return out;
}

}  // namespace omniroute::routing
