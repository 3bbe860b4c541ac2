// Business hours in the router: the rules say when each queue is staffed; the router opens and
// closes the engine's queues accordingly, after every rebuild and at every transition.
#include "daemon/router/router_impl.h"

namespace omniroute::daemon {

// One timer for all queues, at the earliest next transition; when it fires the pump runs the
// timers step, which calls this again. Capped at a minute so a wall clock that jumps (NTP,
// a test's ManualClock with run_timers()) is noticed soon.
void Router::Impl::sync_hours() {
  hours_timer.cancel();
  if (!engine) return;
  const auto now = clock.now_unix_ms();
  std::optional<routing::TimePoint> next;
  for (const auto& q : rules->queues) {
    if (!q.hours) continue;
    const bool open = q.hours->is_open(now);
    if (engine->queue_open(q.spec.name) != open) {
      if (auto set = engine->set_queue_open(q.spec.name, open); !set) {
        log.warn(
            "business hours: could not open or close a queue",
            {{"tenant", options.tenant}, {"queue", q.spec.name}, {"reason", set.error().message}});
        continue;
      }
      log.info(open ? "queue opens (business hours)" : "queue closes (business hours)",
               {{"tenant", options.tenant}, {"queue", q.spec.name}});
    }
    if (auto t = routing::next_transition(*q.hours, now); t && (!next || *t < *next)) next = t;
  }
  if (!next) return;
  auto delay = std::chrono::milliseconds(std::max<std::int64_t>(0, *next - now));
  hours_timer.expires_after(std::min(delay, std::chrono::milliseconds(60000)));
  hours_timer.async_wait(
      [weak = weak_from_this(), sent_epoch = epoch](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (!self || ec || self->epoch != sent_epoch) return;
        self->timers_due = true;
        self->pump();
      });
}

}  // namespace omniroute::daemon
