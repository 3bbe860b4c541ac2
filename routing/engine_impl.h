// The dispatch engine's internal state, shared by engine.cc (operations and matching) and
// engine_timers.cc (time: reservations, SLA, escalation, overflow). Not part of the API.
#pragma once

#include <deque>
#include <limits>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "routing/engine.h"

namespace omniroute::routing {

constexpr TimePoint kNever = std::numeric_limits<TimePoint>::max();

struct ContactState;

// A waiting contact's place: higher priority first, then earliest SLA deadline, then earliest
// arrival, then smallest id. The fields are copied in so the key never changes under the set.
struct WaitKey {
  int priority = 0;
  TimePoint deadline = kNever;
  TimePoint arrival = 0;
  ContactState* contact = nullptr;
  bool operator<(const WaitKey& o) const;  // "more urgent than"
};

// Waiting contacts that one kind of agent can serve: same queue (hence strategy), same channel,
// same requirements. A queue has a few buckets; an agent that frees up looks at their heads.
struct Bucket {
  std::size_t queue = 0;
  std::string channel;
  std::vector<SkillRequirement> required;
  std::set<WaitKey> waiting;
};

struct ContactState {
  ContactRecord rec;
  std::vector<SkillRequirement> required;  // rec.base_skills relaxed by rec.relaxed_by
  // Where the contact is indexed, with the keys used, so it can be taken out after a change.
  std::vector<Bucket*> in_buckets;  // home bucket first, then escalation's also_queues
  WaitKey wait_key;
  TimePoint due = kNever;
};

struct TimerKey {
  TimePoint due;
  const ContactState* contact;
  bool operator<(const TimerKey& o) const;
};

struct Engine::Impl {
  Impl(const Clock& clock, EngineConfig config, EventSink& sink, RoutingStore* store);

  // --- state ---
  const Clock& clock;
  EngineConfig config;
  EventSink& sink;
  RoutingStore* store;
  TimePoint now = 0;  // read from the clock at the start of each operation

  std::unordered_map<std::string, std::size_t> queue_index;
  std::unordered_map<std::string, ContactState> contacts;       // waiting, offered, active
  std::unordered_map<std::string, ContactRecord> finished;      // completed, within retention
  std::deque<std::pair<TimePoint, std::string>> finished_fifo;  // completion order
  std::unordered_map<std::string, AgentState> agents;
  std::unordered_map<std::string, StickyRecord> sticky;
  // (served_ms, customer) in the order sticky records were written; an entry whose record has a
  // later served_ms since is stale and skipped. Pruning pops from the front.
  std::deque<std::pair<TimePoint, std::string>> sticky_fifo;
  std::unordered_set<std::string> closed_queues;   // out of business hours (set_queue_open)
  std::unordered_set<std::string> retired_queues;  // left the config, still hold contacts
  std::unordered_map<std::string, std::string> open_by_customer;  // customer+channel → contact
  std::unordered_map<std::string, Bucket> buckets;
  std::unordered_map<std::string, std::vector<Bucket*>> buckets_by_channel;
  AgentIndex index;
  std::set<TimerKey> timers;                // one entry per contact: its earliest due time
  std::vector<std::string> dirty_contacts;  // became waiting or more eligible: match them
  std::vector<std::string> dirty_agents;    // gained room or became available: fill them

  // --- helpers (engine.cc) ---
  void begin() { now = clock.now_unix_ms(); }
  // Starts an agent's answer to a contact: the contact must be `status` and held by `agent_id`,
  // else not_found or conflict with the message the API returns.
  Result<ContactState*> held_by(const std::string& contact_id, const std::string& agent_id,
                                ContactStatus status);
  const QueueSpec& queue_of(const ContactState& c) const;
  void emit(EventKind kind, const ContactState& c, std::string agent, std::string reason,
            TimePoint expires = 0, int step = -1);
  void emit_agent(EventKind kind, const AgentState& a, std::string reason);
  void recompute_required(ContactState& c);
  Bucket& bucket(std::size_t queue, const std::string& channel,
                 const std::vector<SkillRequirement>& required);
  void touch(ContactState& c, bool persist = true);  // re-index, re-arm, persist
  void untouch(ContactState& c);                     // drop from buckets and timers
  void save(const AgentState& a);
  void settle();
  void try_offer(ContactState& c);
  AgentState* sticky_candidate(const ContactState& c);
  void fill_agent(AgentState& a);
  void offer(ContactState& c, AgentState& a, const std::string& reason);
  void activate(ContactState& c, AgentState& a);
  void unassign(ContactState& c);
  void release(ContactState& c, AgentState& a);
  void decline(ContactState& c, const std::string& agent_id);
  void return_offers(AgentState& a, const std::string& why);
  void remember_finished(ContactRecord rec);
  void prune_finished();
  static std::string open_key(const std::string& customer, const std::string& channel);
  void remember_sticky(const std::string& customer, const std::string& agent);
  void prune_sticky();
  // The contact leaves the engine with `event` (kind, reason, wrap-up; the rest is filled in).
  void finish(ContactState& c, EngineEvent event);
  bool is_closed(std::size_t queue) const;
  void rebuild_queue_index();

  // --- reconfigure, requeue (engine_reconfigure.cc) ---
  // Returns whether the change matters to routing (queue, skills, urgency, rule, tier, tags).
  bool apply_decision(ContactState& c, const RoutingDecision& d);
  std::string describe_change(const RoutingDecision& before, const ContactRecord& now_rec) const;

  // --- time (engine_timers.cc) ---
  TimePoint compute_due(const ContactState& c) const;
  TimePoint warning_at(const ContactState& c) const;
  void fire(ContactState& c);
  void time_out(ContactState& c);
  void escalate(ContactState& c);
  void overflow(ContactState& c);
  // The skills a contact needs in `target`: that queue's plus the extra ones its rule added.
  std::vector<SkillRequirement> skills_for(const ContactState& c, const QueueSpec& target) const;
  // Moves a contact to `target` with a fresh start there (overflow, transfer): no relaxation,
  // no also_queues, escalation from step 0 counted from now, a new round of offers.
  void move_to(ContactState& c, const QueueSpec& target);

  // --- transfer (engine_transfer.cc) ---
  Result<ContactState*> transferable(const std::string& contact_id, const std::string& by_agent);
};

}  // namespace omniroute::routing
