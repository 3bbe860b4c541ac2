// The dispatch engine: waiting contacts ordered by urgency, agents with skills and capacity,
// offers and their timeouts, escalation and SLA timers. Single writer, driven by its caller.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "routing/agent_index.h"
#include "routing/model.h"
#include "routing/store.h"

namespace omniroute::routing {

struct EngineConfig {
  std::vector<QueueSpec> queues;
  double sla_warning_fraction = 0.8;  // of (deadline - arrival); outside (0,1) = no warning
  // How long a completed contact id is remembered so that a replayed enqueue changes nothing.
  Millis completed_retention{std::chrono::hours(24)};
};

enum class EventKind {
  queued,
  offered,
  accepted,
  rejected,
  timed_out,
  returned,  // an un-accepted offer went back because its agent went away or offline
  escalated,
  overflowed,  // max_wait reached: moved to the queue's overflow_queue
  sla_warning,
  sla_breached,
  completed,
  agent_set_away,
};
std::string_view to_string(EventKind kind);

// One decision, with the reason: the audit trail of why a contact went where it went.
struct EngineEvent {
  EventKind kind;
  TimePoint at_ms = 0;
  std::string contact;  // empty for agent_set_away
  std::string agent;    // empty when no agent is involved
  std::string queue;
  TimePoint expires_ms = 0;  // offered: the reservation's deadline (0 when auto-accepted)
  int step = -1;             // escalated: index of the step in the queue's escalation list
  std::string reason;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const EngineEvent& event) = 0;
};

struct AgentLoad {
  int total = 0;
  std::map<std::string, int> by_channel;
  std::vector<std::string> offers;  // contact ids offered and not yet accepted
  std::vector<std::string> active;
};

class Engine {
 public:
  // `store` may be null (simulation); otherwise every state change is written to it.
  Engine(const Clock& clock, EngineConfig config, EventSink& sink, RoutingStore* store = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Rebuilds the indexes from a snapshot (start-up, fail-over). Only on a fresh engine; emits
  // nothing and writes nothing. Call on_time() afterwards to fire what fell due meanwhile.
  Result<void> restore(const RoutingSnapshot& snapshot);

  // A routed contact arrives. Idempotent by id: a known (or recently completed) id is a no-op.
  Result<void> enqueue(const std::string& contact_id, const RoutingDecision& decision,
                       const std::string& channel, const std::string& customer_id,
                       TimePoint arrival_ms);

  // Adds or replaces an agent's skills and capacities; a new agent starts offline.
  void upsert_agent(const AgentSpec& spec);
  Result<void> set_presence(const std::string& agent_id, Presence presence,
                            const std::string& reason = {});

  Result<void> accept(const std::string& contact_id, const std::string& agent_id);
  Result<void> reject(const std::string& contact_id, const std::string& agent_id,
                      const std::string& reason);
  Result<void> complete(const std::string& contact_id, const std::string& agent_id);

  // Fires everything due at the clock's now: reservation timeouts, SLA warnings and breaches,
  // escalation steps, max_wait overflow. Returns when nothing more is due.
  void on_time();
  // When on_time() next has work; the caller arms one timer for it.
  std::optional<TimePoint> next_due() const;

  // Read side (ops API, tests).
  const ContactRecord* contact(const std::string& contact_id) const;
  const AgentRecord* agent(const std::string& agent_id) const;
  std::optional<AgentLoad> agent_load(const std::string& agent_id) const;
  // The waiting contacts of a queue, most urgent first (O(n): for ops views, not decisions).
  std::vector<std::string> waiting_in(const std::string& queue) const;
  std::size_t waiting_count() const;
  // The open (waiting, offered or active) contact of a customer on a channel, for threading.
  const ContactRecord* open_contact(const std::string& customer_id,
                                    const std::string& channel) const;
  // The engine's whole state as records: what the store should hold.
  RoutingSnapshot snapshot() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omniroute::routing
