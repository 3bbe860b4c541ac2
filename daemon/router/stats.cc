// Dashboard samples (docs/commands.md, `<base>:stats`) and the `router:rules` hash: what the API
// shows about the routing core without asking the router.
#include <boost/json.hpp>

#include "daemon/router/router_impl.h"

namespace omniroute::daemon {

void Router::Impl::arm_stats_timer() {
  stats_timer.expires_after(options.stats_interval);
  stats_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->state == RouterState::stopped) return;
    if (self->state == RouterState::active) {
      self->stats_due = true;
      self->pump();
    }
    self->arm_stats_timer();
  });
}

// The engine's counts now, and the SLA outcomes since the previous sample.
void Router::Impl::sample_stats(CommitExtras& extras) {
  const routing::EngineCounts n = engine->counts();
  boost::json::object queues;
  for (const auto& [queue, waiting] : n.waiting_by_queue) queues[queue] = waiting;
  auto text = [](auto v) { return std::to_string(v); };
  extras.stats = {{"at_ms", text(clock.now_unix_ms())},
                  {"waiting", text(n.waiting)},
                  {"offered", text(n.offered)},
                  {"active", text(n.active)},
                  {"available", text(n.available)},
                  {"away", text(n.away)},
                  {"offline", text(n.offline)},
                  {"answered_in_sla", text(sink.answered_in_sla)},
                  {"answered_late", text(sink.answered_late)},
                  {"breached", text(sink.breached)},
                  {"queues", boost::json::serialize(queues)}};
  sink.answered_in_sla = sink.answered_late = sink.breached = 0;
}

CommitExtras::RulesInfo Router::Impl::rules_info() const {
  return {rules->version, clock.now_unix_ms(), instance};
}

}  // namespace omniroute::daemon
