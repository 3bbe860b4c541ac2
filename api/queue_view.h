// Internal to api/: the per-queue figures of GET /queues and the dashboard, computed from the
// router's records (pure, so tests feed it records and a time).
#pragma once

#include <boost/json/array.hpp>
#include <cstdint>

#include "api/redis_reads.h"
#include "routing/rules.h"

namespace omniroute::api {

// The fraction of the SLA target after which a waiting contact counts as at risk; the router's
// sla_warning_fraction default (RouterOptions), which the rules file does not carry.
inline constexpr double kAtRiskFraction = 0.8;

// Per queue (the rules' queues, when known, plus any queue a contact is in), sorted by name:
// {name, waiting, oldest_wait_ms, sla_target_ms, at_risk, offered, active, available_agents,
//  breaches_last_hour}. oldest_wait_ms and sla_target_ms are null when nobody waits.
boost::json::array queue_views(const RoutingState& state, const routing::Rules* rules,
                               std::int64_t now_ms);

}  // namespace omniroute::api
