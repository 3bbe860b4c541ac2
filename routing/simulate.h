// Dry runs for ops, no Redis needed: `simulate` (where would these events go), `diff` (what
// would change under new rules) and the YAML behaviour tests, all through the same matcher.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "routing/matcher.h"

namespace omniroute::routing {

inline constexpr std::size_t kMaxEventLineBytes = 1 << 20;

// One ContactEvent as protobuf JSON (snake_case or lowerCamel names; "channel": "CHANNEL_SMS").
Result<v1::ContactEvent> parse_event_json(std::string_view json);

// A dry run routes each event as of its arrival: now = received_at_unix_ms, no CRM profile.
MatchContext dry_run_context(const v1::ContactEvent& event);

// "rule=vip tier=vip queue=vip skills=billing:3,english:2 priority=20 deadline=...Z tags=a,b".
std::string format_decision(const RoutingDecision& d);
// Each field that differs, as "queue: general -> complaints"; empty when the same.
std::vector<std::string> decision_changes(const RoutingDecision& before,
                                          const RoutingDecision& after);

// `omniroute simulate rules.yaml events.jsonl`: one line per event. Bad event lines are
// reported on `err` with their line number and the run goes on. 0 = all fine, 1 = any error.
int run_simulate(const std::string& rules_path, const std::string& events_path, std::ostream& out,
                 std::ostream& err);

// `omniroute diff old.yaml new.yaml events.jsonl`: the events whose decision changes, then
// "N of M events route differently". Exit 0 also when there are differences; 1 on errors.
int run_diff(const std::string& old_rules_path, const std::string& new_rules_path,
             const std::string& events_path, std::ostream& out, std::ostream& err);

// Runs a behaviour file (a rules file plus cases: event in, expected decision out).
// Prints "ok"/"FAIL" per case; 0 when every case passes, 1 otherwise.
int run_behavior_tests(const std::string& cases_path, std::ostream& out, std::ostream& err);

}  // namespace omniroute::routing
