// Queue figures. Available agents are those present, with room, and (when the rules are known)
// holding the queue's required skills: who could take the next contact now.
#include "api/queue_view.h"

#include <map>
#include <set>

namespace omniroute::api {
namespace {

constexpr std::int64_t kHourMs = 3600 * 1000;

struct Figures {
  std::int64_t waiting = 0, offered = 0, active = 0, at_risk = 0, breaches = 0;
  const routing::ContactRecord* oldest = nullptr;
};

bool has_skills(const routing::AgentSpec& agent, const routing::QueueSpec& queue) {
  for (const auto& need : queue.required_skills) {
    auto it = agent.skills.find(need.skill);
    if (it == agent.skills.end() || it->second < need.min_level) return false;
  }
  return true;
}

std::int64_t available_for(const RoutingState& state, const routing::Queue* queue) {
  std::int64_t n = 0;
  for (const auto& a : state.agents) {
    if (a.presence != routing::Presence::available) continue;
    if (load_of(a.spec.id, state.contacts).total >= a.spec.total_capacity) continue;
    if (queue && !has_skills(a.spec, queue->spec)) continue;
    ++n;
  }
  return n;
}

void count(Figures& f, const routing::ContactRecord& c, std::int64_t now) {
  const std::int64_t target = c.decision.sla_deadline - c.arrival_ms;
  if (c.sla_breached && c.decision.sla_deadline >= now - kHourMs) ++f.breaches;
  switch (c.status) {
    case routing::ContactStatus::waiting:
      ++f.waiting;
      if (!f.oldest || c.arrival_ms < f.oldest->arrival_ms) f.oldest = &c;
      break;
    case routing::ContactStatus::offered:
      ++f.offered;
      break;
    case routing::ContactStatus::active:
      ++f.active;
      return;  // answered: no longer at risk
    case routing::ContactStatus::completed:
      return;
  }
  const bool warned =
      c.sla_warned || now >= c.arrival_ms + static_cast<std::int64_t>(kAtRiskFraction * target);
  if (warned && !c.sla_breached && now < c.decision.sla_deadline) ++f.at_risk;
}

}  // namespace

boost::json::array queue_views(const RoutingState& state, const routing::Rules* rules,
                               std::int64_t now) {
  std::map<std::string, Figures> figures;
  if (rules) {
    for (const auto& q : rules->queues) figures[q.spec.name];
  }
  for (const auto& c : state.contacts) {
    if (c.status != routing::ContactStatus::completed || c.sla_breached)
      count(figures[c.queue], c, now);
  }
  boost::json::array out;
  for (const auto& [name, f] : figures) {
    boost::json::object q{{"name", name},
                          {"waiting", f.waiting},
                          {"oldest_wait_ms", nullptr},
                          {"sla_target_ms", nullptr},
                          {"at_risk", f.at_risk},
                          {"offered", f.offered},
                          {"active", f.active},
                          {"breaches_last_hour", f.breaches}};
    if (f.oldest) {
      q["oldest_wait_ms"] = now - f.oldest->arrival_ms;
      q["sla_target_ms"] = f.oldest->decision.sla_deadline - f.oldest->arrival_ms;
    }
    q["available_agents"] = available_for(state, rules ? rules->find_queue(name) : nullptr);
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace omniroute::api
