// The smallest rules file the router tests need: one tier, one skill, agent "ana" available
// with the given SMS capacity, one queue "general" that every contact goes to.
#pragma once

#include <string>

namespace omniroute::testing {

struct OneQueueRules {
  int capacity = 1000;      // ana's SMS and total capacity
  bool auto_accept = true;  // offers become active at once
};

inline std::string one_queue_rules(OneQueueRules r = {}) {
  const std::string capacity = std::to_string(r.capacity);
  return R"(version: 1
tiers:
  - name: standard
    priority: 0
    default: true
    first_response_secs: {default: 600}
skills:
  english: English
agents:
  - id: ana
    name: Ana
    skills: {english: 3}
    capacity: {sms: )" +
         capacity + R"(}
    total_capacity: )" +
         capacity + R"(
    initial_presence: available
queues:
  - name: general
    required_skills: {english: 1}
)" + (r.auto_accept ? "    auto_accept: true\n" : "") +
         R"(rules:
  - name: default
    then:
      queue: general
)";
}

}  // namespace omniroute::testing
