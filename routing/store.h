// What the dispatch engine persists (invariant 4: Redis is the source of truth) and the small
// interface through which it does so; the daemon implements it on Redis, tests use MemoryStore.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "routing/model.h"

namespace omniroute::routing {

// waiting: in its queue; offered: reserved for one agent until offer_expires_at;
// active: accepted, an open conversation; completed: kept only so a replayed enqueue is a no-op.
enum class ContactStatus { waiting, offered, active, completed };

enum class Presence { available, away, offline };

// Everything needed to put a contact back exactly where it was: its place in the queue
// (priority, sla_deadline, arrival_ms, id), its escalation progress and its reservation.
struct ContactRecord {
  std::string id;
  RoutingDecision decision;  // as routed; decision.priority is the priority before escalation
  std::string channel;
  std::string customer_id;
  TimePoint arrival_ms = 0;

  std::string queue;                          // current queue (differs after max_wait overflow)
  TimePoint queue_entered_ms = 0;             // escalation steps count from here
  int priority = 0;                           // effective: decision.priority + raises
  std::vector<SkillRequirement> base_skills;  // requirements before relaxation
  int relaxed_by = 0;                         // sum of lower_min_level_by of fired steps
  std::vector<std::string> also_queues;       // added by escalation steps
  int next_step = 0;                          // index of the next escalation step to fire
  bool sla_warned = false;
  bool sla_breached = false;

  ContactStatus status = ContactStatus::waiting;
  std::string agent;               // offered to / handled by (empty while waiting)
  TimePoint offer_expires_ms = 0;  // offered without auto-accept
  TimePoint completed_ms = 0;
  // When an agent first accepted it (its first response; 0 until then). SLA timers stop for
  // good at that moment, also if the contact is later transferred back to a queue.
  TimePoint answered_ms = 0;
  // Agents that rejected or let an offer expire in this round; the last one declined last.
  std::vector<std::string> declined_by;

  friend bool operator==(const ContactRecord&, const ContactRecord&) = default;
};

// An agent's durable state. Its load is not stored: it is derived from the offered and active
// contacts that name it, so the two can never disagree after a rebuild.
struct AgentRecord {
  AgentSpec spec;
  Presence presence = Presence::offline;
  std::string away_reason;
  TimePoint idle_since_ms = 0;  // last moment it became free (longest-idle ordering)
  int consecutive_misses = 0;

  friend bool operator==(const AgentRecord&, const AgentRecord&) = default;
};

// The agent who last served a customer, for the sticky-agent preference.
struct StickyRecord {
  std::string customer_id;
  std::string agent_id;
  TimePoint served_ms = 0;
  friend bool operator==(const StickyRecord&, const StickyRecord&) = default;
};

// The whole routing state of one shard; Engine::restore() rebuilds its indexes from it.
struct RoutingSnapshot {
  std::vector<ContactRecord> contacts;  // every status, completed ones within their retention
  std::vector<AgentRecord> agents;
  std::vector<StickyRecord> sticky;
  friend bool operator==(const RoutingSnapshot&, const RoutingSnapshot&) = default;
};

// The engine calls these synchronously, once per changed record, inside each public operation.
// Implementations buffer: the Redis store queues the writes and the daemon commits them in one
// MULTI/Lua script (fenced by the shard lease) after the operation returns and before it ACKs
// the stream entry or answers the agent. Writes are whole records, so replaying them is harmless.
class RoutingStore {
 public:
  virtual ~RoutingStore() = default;
  virtual void save_contact(const ContactRecord& contact) = 0;
  virtual void erase_contact(std::string_view contact_id) = 0;  // completed retention expired
  virtual void save_agent(const AgentRecord& agent) = 0;
  virtual void save_sticky(const StickyRecord& sticky) = 0;
  // Added with Engine::remove_agent and sticky pruning; no-ops by default so that a store that
  // does not implement them keeps working (the records then come back at the next restore).
  virtual void erase_agent(std::string_view /*agent_id*/) {}
  virtual void erase_sticky(std::string_view /*customer_id*/) {}
  virtual Result<RoutingSnapshot> load() const = 0;
};

}  // namespace omniroute::routing
