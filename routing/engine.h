// The dispatch engine: waiting contacts ordered by urgency, agents with skills and capacity,
// offers and their timeouts, escalation and SLA timers. Single writer, driven by its caller.
#pragma once

#include <deque>
#include <functional>
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
  requeued,     // re-evaluated (rules reload, requeue()): a new decision, queue or urgency
  withdrawn,    // left the engine without completing: abandoned by the customer, closed by the API
  transferred,  // moved by its agent or a supervisor to another queue or agent (transfer())
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
  // completed: what the agent recorded when closing the conversation (complete()).
  std::string wrap_up_code;
  std::string note;
};

// An event of `kind` with `reason`, every other field at its default.
inline EngineEvent event_of(EventKind kind, std::string reason) {
  EngineEvent e{};
  e.kind = kind;
  e.reason = std::move(reason);
  return e;
}

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

// Where transfer() sends a contact: exactly one of the two is set.
struct TransferTarget {
  std::string queue;  // it waits there; escalation starts over in that queue
  std::string agent;  // it is offered to that agent directly
};

// Counts over the whole engine, for the ops dashboard's samples. O(contacts + agents).
struct EngineCounts {
  std::size_t waiting = 0;
  std::size_t offered = 0;
  std::size_t active = 0;
  std::size_t available = 0;
  std::size_t away = 0;
  std::size_t offline = 0;
  std::map<std::string, std::size_t> waiting_by_queue;  // every queue, 0 included
};

// The daemon's answer to "where does this contact go under the new rules?" during reconfigure():
// a fresh decision (match() over the contact's event, as of now), or nullopt to leave it as is.
using Rematch = std::function<std::optional<RoutingDecision>(const ContactRecord&)>;

struct ReconfigureReport {
  std::vector<std::string> requeued;  // contacts whose decision changed
  // Queues that left the config but still hold contacts: they stay, serving only those contacts
  // (no new ones), and go at the first reconfigure after they are empty.
  std::vector<std::string> retired_queues;
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
  // The conversation ends; `wrap_up_code` and `note` (what the agent recorded) go into the
  // completed event.
  Result<void> complete(const std::string& contact_id, const std::string& agent_id,
                        const std::string& wrap_up_code = {}, const std::string& note = {});
  // Hands a contact over (docs/routing-engine.md, "Transfer"). It keeps its id, arrival, SLA
  // deadline and priority; its previous agent (if any) gains the room. To a queue: it waits
  // there, escalation starting over. To an agent: it is offered to that agent directly, skills
  // not checked (a person chose them); Errc::conflict when that agent is not available or has no
  // room on the channel. `by_agent` non-empty: the contact must be active with that agent
  // (conflict otherwise); empty: a supervisor, any waiting, offered or active contact.
  // Errc::not_found for an unknown contact, queue or agent; a completed contact is a conflict.
  Result<void> transfer(const std::string& contact_id, const std::string& by_agent,
                        const TransferTarget& target, const std::string& reason = {});

  // Rules reload (invariant 6: a config change never drops work). Swaps the queue specs in one
  // step; then, for every waiting contact, asks `rematch` for its decision under the new rules
  // and requeues it (see requeue()); offered and active contacts stay with their agents. Escalation
  // and max_wait timers are re-armed from the new specs; matching runs once, at the end.
  // Fails, changing nothing, when a spec is invalid (duplicate name) or a decision names a queue
  // that is not in `queues`.
  Result<ReconfigureReport> reconfigure(std::vector<QueueSpec> queues, const Rematch& rematch = {});
  // Re-evaluates one waiting contact with a new decision. Arrival and id never change, so the
  // contact keeps its place among equals; deadline and priority follow the decision (the tier or
  // SLA may have changed). Same queue: escalation progress is kept. New queue: escalation starts
  // over from now and the contact enters a new round. Returns false when nothing changed;
  // Errc::conflict for an offered or active contact (its agent has it).
  Result<bool> requeue(const std::string& contact_id, const RoutingDecision& decision);
  // The waiting contacts, earliest arrival first: what a reload re-evaluates.
  std::vector<const ContactRecord*> waiting_contacts() const;

  // Business hours. A closed queue holds its waiting contacts without offering them (offers in
  // flight stay); its escalation steps and max_wait do not run while closed and count from the
  // opening; SLA timers keep running. Opening matches at once. Queues start open; the daemon
  // drives this from the rules' business hours (routing::next_transition) after start-up.
  Result<void> set_queue_open(const std::string& queue, bool open);
  bool queue_open(const std::string& queue) const;

  // The contact leaves without being completed by an agent: the customer abandoned, or the API
  // closed it. Waiting: leaves its queue; offered: the offer is withdrawn and the agent gains the
  // room; active: the conversation ends as if completed (the agent gains the room, becomes the
  // customer's sticky agent). Kept as completed for the retention, so a replay is a no-op.
  Result<void> withdraw(const std::string& contact_id, const std::string& reason);
  // Removes an agent (left the team). Its un-accepted offers go back to their places first.
  // Refused (Errc::conflict) while it has active conversations: they are the customer's open
  // threads, so the API must complete, withdraw or hand them over first.
  Result<void> remove_agent(const std::string& agent_id);

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
  EngineCounts counts() const;
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
