// The routing vocabulary shared by the rules (what ops write in YAML) and the dispatch engine
// (queues, agents, offers). Plain data: no Redis, no I/O, no clocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "omniroute/v1/contact_event.pb.h"

namespace omniroute::routing {

using Millis = std::chrono::milliseconds;
using TimePoint = std::int64_t;  // unix milliseconds; the engine's clock is injected

// A skill requirement: the agent must hold `skill` at `min_level` (1..5) or above.
struct SkillRequirement {
  std::string skill;
  int min_level = 1;
  friend bool operator==(const SkillRequirement&, const SkillRequirement&) = default;
};

struct Tier {
  std::string name;      // "standard", "member", "vip"
  int priority = 0;      // higher is served first (a priority class)
  // First-response SLA target per channel name ("sms", "email", ...), with a fallback.
  std::map<std::string, Millis> first_response_by_channel;
  Millis first_response_default{std::chrono::minutes(15)};
  Millis target_for(const std::string& channel) const {
    auto it = first_response_by_channel.find(channel);
    return it == first_response_by_channel.end() ? first_response_default : it->second;
  }
};

enum class Strategy { longest_idle, least_busy, highest_proficiency };

// What changes while a contact waits longer than `after`.
struct EscalationStep {
  Millis after{0};
  int lower_min_level_by = 0;             // relax every skill requirement by this much (floor 1)
  std::vector<std::string> also_queues;   // also offer to agents eligible for these queues
  int raise_priority_by = 0;
  friend bool operator==(const EscalationStep&, const EscalationStep&) = default;
};

struct QueueSpec {
  std::string name;
  std::vector<std::string> channels;            // accepted channel names; empty = all
  std::vector<SkillRequirement> required_skills;
  Strategy strategy = Strategy::longest_idle;
  Millis reservation_timeout{std::chrono::seconds(30)};
  bool auto_accept = false;
  int max_consecutive_misses = 3;               // then the agent is set away
  Millis sticky_window{std::chrono::hours(24)}; // returning customer → last agent, if free
  std::optional<Millis> max_wait;               // then overflow_queue, if set
  std::string overflow_queue;
  std::vector<EscalationStep> escalation;       // sorted by `after`
};

struct AgentSpec {
  std::string id;
  std::string name;
  std::map<std::string, int> skills;            // skill → level 1..5
  std::map<std::string, int> capacity_by_channel; // channel → max concurrent contacts
  int total_capacity = 1;
  friend bool operator==(const AgentSpec&, const AgentSpec&) = default;
};

// The result of matching one contact against the rules: where it goes and how urgent it is.
struct RoutingDecision {
  std::string rule;                             // name of the rule that matched
  std::string tier;
  std::string queue;
  std::vector<SkillRequirement> required_skills; // queue's plus the rule's extra ones
  int priority = 0;                             // tier priority + rule adjustment
  TimePoint sla_deadline = 0;                   // arrival + first-response target
  std::vector<std::string> tags;
  // Why, for the audit trail: where the tier came from ("profile", "attribute",
  // "tier_rule:<name>", "default"), and the queue the rule named before out-of-hours handling
  // moved the contact (equal to `queue` when nothing moved it).
  std::string tier_source;
  std::string rule_queue;
  bool queue_closed = false;  // `queue` is out of hours and the contact waits for it to open
  friend bool operator==(const RoutingDecision&, const RoutingDecision&) = default;
};

}  // namespace omniroute::routing
