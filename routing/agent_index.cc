// The free-agent index: pools per (channel, skill); a match walks the smallest pool among the
// required skills in strategy order and stops at the first agent that satisfies everything.
#include "routing/agent_index.h"

#include <algorithm>

namespace omniroute::routing {
namespace {

constexpr int kMaxLevel = 5;
const std::string kAnySkill;  // the pool that holds every free agent of a channel

}  // namespace

int AgentState::level(const std::string& skill) const {
  auto it = rec.spec.skills.find(skill);
  return it == rec.spec.skills.end() ? 0 : it->second;
}

int AgentState::capacity(const std::string& channel) const {
  auto it = rec.spec.capacity_by_channel.find(channel);
  return it == rec.spec.capacity_by_channel.end() ? 0 : it->second;
}

int AgentState::load(const std::string& channel) const {
  auto it = load_by_channel.find(channel);
  return it == load_by_channel.end() ? 0 : it->second;
}

bool AgentState::free_on(const std::string& channel) const {
  return rec.presence == Presence::available && total_load < rec.spec.total_capacity &&
         load(channel) < capacity(channel);
}

bool AgentState::satisfies(const std::vector<SkillRequirement>& required) const {
  return std::all_of(required.begin(), required.end(),
                     [&](const SkillRequirement& r) { return level(r.skill) >= r.min_level; });
}

std::int64_t AgentState::load_ratio_ppm() const {
  return std::int64_t{total_load} * 1'000'000 / std::max(1, rec.spec.total_capacity);
}

bool AgentIndex::IdleKey::operator<(const IdleKey& o) const {
  if (idle != o.idle) return idle < o.idle;
  return agent->id() < o.agent->id();
}

bool AgentIndex::LoadKey::operator<(const LoadKey& o) const {
  if (ratio != o.ratio) return ratio < o.ratio;
  if (idle != o.idle) return idle < o.idle;
  return agent->id() < o.agent->id();
}

bool AgentIndex::LevelKey::operator<(const LevelKey& o) const {
  if (level != o.level) return level > o.level;
  if (idle != o.idle) return idle < o.idle;
  return agent->id() < o.agent->id();
}

// Calls fn(pool, level) for every pool the agent belongs to while free on that pool's channel.
template <class Fn>
void AgentIndex::for_each_pool(const AgentState& agent, Fn&& fn) {
  for (const auto& [channel, cap] : agent.rec.spec.capacity_by_channel) {
    if (!agent.free_on(channel)) continue;
    auto& by_skill = pools_[channel];
    fn(by_skill[kAnySkill], 0);
    for (const auto& [skill, level] : agent.rec.spec.skills) fn(by_skill[skill], level);
  }
}

void AgentIndex::insert(const AgentState& agent) {
  const TimePoint idle = agent.rec.idle_since_ms;
  const std::int64_t ratio = agent.load_ratio_ppm();
  for_each_pool(agent, [&](Pool& p, int level) {
    p.by_idle.insert({idle, &agent});
    p.by_load.insert({ratio, idle, &agent});
    p.by_level.insert({level, idle, &agent});
  });
}

void AgentIndex::erase(const AgentState& agent) {
  const TimePoint idle = agent.rec.idle_since_ms;
  const std::int64_t ratio = agent.load_ratio_ppm();
  for_each_pool(agent, [&](Pool& p, int level) {
    p.by_idle.erase({idle, &agent});
    p.by_load.erase({ratio, idle, &agent});
    p.by_level.erase({level, idle, &agent});
  });
}

const AgentIndex::Pool* AgentIndex::pool(const std::string& channel,
                                         const std::string& skill) const {
  auto by_channel = pools_.find(channel);
  if (by_channel == pools_.end()) return nullptr;
  auto it = by_channel->second.find(skill);
  return it == by_channel->second.end() ? nullptr : &it->second;
}

const AgentState* AgentIndex::best(const std::string& channel,
                                   const std::vector<SkillRequirement>& required, Strategy strategy,
                                   const Admissible& admissible) const {
  // Walk the smallest pool among the required skills: it bounds the candidates.
  const Pool* pivot = pool(channel, kAnySkill);
  const SkillRequirement* pivot_req = nullptr;
  for (const auto& r : required) {
    const Pool* p = pool(channel, r.skill);
    if (p == nullptr || p->by_idle.empty()) return nullptr;
    if (pivot_req == nullptr || p->by_idle.size() < pivot->by_idle.size()) {
      pivot = p;
      pivot_req = &r;
    }
  }
  if (pivot == nullptr) return nullptr;
  auto eligible = [&](const AgentState& a) { return a.satisfies(required) && admissible(a); };
  if (strategy == Strategy::highest_proficiency && pivot_req != nullptr) {
    return best_proficiency(*pivot, *pivot_req, required, admissible);
  }
  if (strategy == Strategy::least_busy) {
    for (const auto& k : pivot->by_load) {
      if (eligible(*k.agent)) return k.agent;
    }
    return nullptr;
  }
  for (const auto& k : pivot->by_idle) {
    if (eligible(*k.agent)) return k.agent;
  }
  return nullptr;
}

// Highest sum of levels on the required skills. The pivot pool is ordered by the pivot skill's
// level, so once even perfect levels on the other skills cannot reach the best sum, stop.
const AgentState* AgentIndex::best_proficiency(const Pool& pivot, const SkillRequirement& pivot_req,
                                               const std::vector<SkillRequirement>& required,
                                               const Admissible& admissible) const {
  const int others_max = kMaxLevel * static_cast<int>(required.size() - 1);
  const AgentState* best = nullptr;
  int best_sum = -1;
  for (const auto& k : pivot.by_level) {
    if (k.level < pivot_req.min_level || k.level + others_max < best_sum) break;
    const AgentState& a = *k.agent;
    if (!a.satisfies(required) || !admissible(a)) continue;
    int sum = 0;
    for (const auto& r : required) sum += a.level(r.skill);
    // Equal sums: the walk meets a lower pivot level later, so compare idle time and id here.
    const bool better = sum > best_sum ||
                        (sum == best_sum &&
                         (a.rec.idle_since_ms < best->rec.idle_since_ms ||
                          (a.rec.idle_since_ms == best->rec.idle_since_ms && a.id() < best->id())));
    if (better) {
      best = &a;
      best_sum = sum;
    }
  }
  return best;
}

}  // namespace omniroute::routing
