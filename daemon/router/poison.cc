// Entries that fail on every delivery (invariant 8): each attempt is guarded, a failure is
// remembered and the router rebuilds from Redis; Redis's delivery count decides when an entry is
// given up to the dead-letter stream instead of tried again (docs/router.md, "Poison entries").
#include "daemon/router/router_impl.h"

namespace omniroute::daemon {
namespace {

// Failures of entries that left without being dead-lettered here (applied at a later try, taken
// over by another instance, trimmed) are forgotten wholesale past this many.
constexpr std::size_t kMaxRememberedFailures = 1024;

}  // namespace

Result<void> Router::Impl::apply_guarded(const EntryRef& entry,
                                         const std::function<void()>& apply) {
  try {
    if (options.before_apply) options.before_apply(entry.stream, entry.id);
    apply();
    return {};
  } catch (const std::exception& e) {
    return make_error(Errc::internal, "applying " + entry.describe() + " threw: " + e.what());
  } catch (...) {
    return make_error(Errc::internal, "applying " + entry.describe() + " threw");
  }
}

// The engine may hold part of the entry's effect and the store part of its records: both go,
// and the rebuild claims the entry again (one more delivery).
void Router::Impl::entry_failed(const EntryRef& entry, const Error& error) {
  sink.extras = nullptr;
  sink.current = nullptr;
  sink.actor.clear();
  if (last_failure.size() >= kMaxRememberedFailures) last_failure.clear();
  last_failure[entry.key()] = error.message;
  if (error.code == Errc::internal) {  // an exception: a bug to look at, not Redis going away
    log.error("router could not apply a stream entry", {{"tenant", options.tenant},
                                                        {"stream", entry.stream},
                                                        {"entry", entry.id},
                                                        {"error", error.message}});
  }
  recover(error.message);
}

std::string Router::Impl::exhausted_reason(const EntryRef& entry, std::int64_t deliveries) const {
  std::string reason = "max_deliveries: delivered " + std::to_string(deliveries) +
                       " times without being applied (routing.max_deliveries is " +
                       std::to_string(options.max_deliveries) + "); ";
  const auto known = last_failure.find(entry.key());
  if (known != last_failure.end()) return reason + "last failure: " + known->second;
  return reason + "the router failed or stopped while applying it (see the logs for the entry)";
}

Counter& Router::Impl::dead_letter_counter(std::string_view stream, std::string_view label) {
  return metrics.counter(
      "omniroute_router_dead_letters_total",
      "Stream entries the router moved to the dead-letter stream, by stream and reason",
      {{"tenant", options.tenant},
       {"stream", std::string(stream)},
       {"reason", std::string(label)}});
}

// Every series exists from the start (at 0), so an alert on its rate sees the first one.
void Router::Impl::register_dead_letter_counters() {
  for (const auto* label : {"undecodable", "unroutable", "max_deliveries"}) {
    dead_letter_counter("inbound", label);
  }
  dead_letter_counter("commands", "max_deliveries");
}

void Router::Impl::dead_letter(CommitExtras::DeadLetter letter, std::string_view label,
                               CommitExtras& extras) {
  dead_letter_counter(letter.stream, label).inc();
  const bool given_up = label == "max_deliveries";
  log.log(given_up ? LogLevel::error : LogLevel::warn, "stream entry dead-lettered",
          {{"tenant", options.tenant},
           {"stream", letter.stream},
           {"entry", letter.entry_id},
           {"deliveries", letter.deliveries},
           {"reason", letter.reason}});
  last_failure.erase(EntryRef{letter.stream, letter.entry_id}.key());
  extras.dead_letters.push_back(std::move(letter));
}

}  // namespace omniroute::daemon
