// Conversation idle close (issue 3, threading): an open contact with no customer message for
// `conversation_idle_close` is withdrawn with reason "idle", so the next message starts afresh.
#include "daemon/router/router_impl.h"

namespace omniroute::daemon {

void Router::Impl::touch_activity(const std::string& contact, routing::TimePoint now) {
  if (auto it = idle_deadline.find(contact); it != idle_deadline.end()) {
    idle_order.erase({it->second, contact});
  }
  const auto deadline = now + options.conversation_idle_close.count();
  idle_deadline[contact] = deadline;
  idle_order.emplace(deadline, contact);
  store.save_activity(contact, now);  // the last activity, so a new idle time applies on restart
}

// Contacts that ended otherwise (completed, withdrawn through the API) are only forgotten here,
// lazily: at worst one entry per contact for one idle period.
void Router::Impl::close_idle() {
  const auto now = clock.now_unix_ms();
  while (!idle_order.empty() && idle_order.begin()->first <= now) {
    const std::string id = idle_order.begin()->second;
    idle_order.erase(idle_order.begin());
    idle_deadline.erase(id);
    store.erase_activity(id);
    const auto* c = engine->contact(id);
    if (!c || c->status == routing::ContactStatus::completed) continue;
    const auto secs = options.conversation_idle_close.count() / 1000;
    if (auto r = engine->withdraw(id, "idle: no message for " + std::to_string(secs) + " s"); !r) {
      log.warn("idle close failed",
               {{"tenant", options.tenant}, {"contact", id}, {"reason", r.error().message}});
    }
  }
}

void Router::Impl::restore_idle(const routing::RoutingSnapshot& snapshot,
                                const std::map<std::string, routing::TimePoint>& activity) {
  idle_deadline.clear();
  idle_order.clear();
  for (const auto& c : snapshot.contacts) {
    if (c.status == routing::ContactStatus::completed) continue;
    const auto it = activity.find(c.id);
    const auto last = it != activity.end() ? it->second : c.arrival_ms;
    const auto deadline = last + options.conversation_idle_close.count();
    idle_deadline[c.id] = deadline;
    idle_order.emplace(deadline, c.id);
  }
}

std::optional<routing::TimePoint> Router::Impl::next_idle_close() const {
  if (idle_order.empty()) return std::nullopt;
  return idle_order.begin()->first;
}

}  // namespace omniroute::daemon
