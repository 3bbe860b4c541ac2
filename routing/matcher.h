// Matches one contact event against the rules: resolves the tier, finds the first rule that
// holds, applies out-of-hours handling, and computes queue, skills, priority and SLA deadline.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "routing/model.h"
#include "routing/rules.h"

namespace omniroute::routing {

struct MatchContext {
  TimePoint now = 0;                        // unix ms; business hours and time_of_day use it
  std::optional<std::string> profile_tier;  // from the customer profile (CRM), when known
};

// Pure and total: never throws, always returns a decision (the default rule catches all).
RoutingDecision match(const Rules& rules, const v1::ContactEvent& event, const MatchContext& ctx);

// Exposed for tests: do the conditions hold for this event, given its resolved tier?
bool conditions_hold(const Rules& rules, const Conditions& when, const v1::ContactEvent& event,
                     std::string_view tier, TimePoint now);

}  // namespace omniroute::routing
