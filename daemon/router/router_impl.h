// Internals of the router role (daemon/router/router.h), shared by router.cc (lease, loop, commits)
// and apply_entries.cc (decoding entries, threading, matching, assignment events).
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "common/log.h"
#include "common/metrics.h"
#include "daemon/redis/keys.h"
#include "daemon/router/command.h"
#include "daemon/router/identity.h"
#include "daemon/router/redis_store.h"
#include "daemon/router/router.h"
#include "omniroute/v1/assignment.pb.h"
#include "omniroute/v1/contact_event.pb.h"
#include "routing/engine.h"

namespace omniroute::daemon {

// Names one entry of the inbound or the commands stream (logs, dead letters, failures).
struct EntryRef {
  std::string_view stream;  // "inbound" or "commands"
  std::string id;
  std::string key() const { return std::string(stream) + " " + id; }
  std::string describe() const { return std::string(stream) + " entry " + id; }
};

// One inbound stream entry as read (XREADGROUP or XAUTOCLAIM).
struct InboundEntry {
  std::string id;
  std::optional<std::string> payload;  // field "e"; none when the entry lacks it
  std::int64_t deliveries = 1;         // Redis's delivery count: 1 when read, more when claimed
};

// One entry of the commands stream as read: fields "id" (the command id) and "c" (the JSON).
struct CommandEntry {
  std::string stream_id;
  std::string id;
  std::optional<std::string> body;
  std::int64_t deliveries = 1;  // as InboundEntry::deliveries
};
std::vector<CommandEntry> parse_command_entries(const RedisReply& list);

// A command ready to apply: parsed (or why not) and what Redis said about it beforehand.
struct PendingCommand {
  CommandEntry entry;
  Result<Command> command;
  CommandState state;
};

// What a command answers: an HTTP status and a JSON body (docs/commands.md, results stream).
struct CommandOutcome {
  int status = 200;
  std::string body;
};

// An entry after decoding and customer resolution, ready for the engine.
struct ResolvedEntry {
  InboundEntry entry;
  std::optional<v1::ContactEvent> event;  // none: dead letter with `problem`
  std::string problem;
  std::string customer_id;
  std::optional<std::string> profile_tier;
  bool exhausted = false;  // delivered more than max_deliveries times: not even decoded
};

// What the router keeps per routed contact to match it again after a rules reload
// (daemon/router/reload.cc): the event trimmed to the fields match() reads, and the profile tier.
struct MatchInput {
  v1::ContactEvent event;
  std::optional<std::string> profile_tier;
};
std::string encode_match_input(const v1::ContactEvent& event,
                               const std::optional<std::string>& tier,
                               routing::TimePoint arrival_ms, std::size_t text_cap);
std::optional<MatchInput> decode_match_input(std::string_view text);

// Turns engine events into AssignmentEvents appended to the commit being prepared.
class AssignmentSink final : public routing::EventSink {
 public:
  AssignmentSink(std::string tenant, const Clock& clock, Metrics& metrics);
  void on_event(const routing::EngineEvent& event) override;
  // Context of the operation in progress.
  const routing::Engine* engine = nullptr;
  CommitExtras* extras = nullptr;
  const v1::ContactEvent* current = nullptr;  // the message being applied, if any
  std::string actor;                          // who asked, while a command is applied
  std::string rules_version;
  const TenantKeys* keys = nullptr;  // for the contacts' trail lists
  std::int64_t trail_ttl_ms = 0;     // a trail expires this long after its contact ended
  // Since the last stats sample: first answers within and after the SLA deadline, breaches.
  std::uint64_t answered_in_sla = 0;
  std::uint64_t answered_late = 0;
  std::uint64_t breached = 0;
  // Also used for MESSAGE_APPENDED, which the engine does not know about.
  v1::AssignmentEvent base(v1::AssignmentKind kind, const routing::ContactRecord* contact,
                           std::int64_t at_ms) const;
  void count(v1::AssignmentKind kind);
  // The commit item for `a`: the event, appended to its contact's trail too.
  CommitExtras::Assignment item(const v1::AssignmentEvent& a) const;

 private:
  std::string tenant_;
  const Clock& clock_;
  Metrics& metrics_;
};

struct Router::Impl : std::enable_shared_from_this<Router::Impl> {
  Impl(boost::asio::io_context& io, RouterOptions options,
       std::shared_ptr<const routing::Rules> rules, const Clock& clock, Logger& log,
       Metrics& metrics);

  // --- router.cc: lifecycle, lease, scheduling, commits ---
  void start();
  void stop();
  void lease_tick();
  void try_acquire();
  void renew();
  void lose_lease(const std::string& why);
  void become_leader(std::int64_t token);
  void rebuild();
  void on_snapshot(Result<routing::RoutingSnapshot> snapshot,
                   Result<std::map<std::string, routing::TimePoint>> activity);
  void recover(const std::string& why);
  void pump();
  void read_more();
  void claim_more();
  void commit(CommitExtras extras, std::size_t entries);
  // Entries of an XREADGROUP / XAUTOCLAIM list to the stash of their stream, with the delivery
  // counts of a claim (none: a fresh read, 1 each).
  void stash_entries(bool commands, const RedisReply& list, const RedisReply* deliveries = nullptr);
  void arm_engine_timer();
  void arm_claim_timer();
  // Posts f(*this) to the strand if this Impl still lives then.
  template <class F>
  void on_strand(F f) {
    boost::asio::post(strand, [weak = weak_from_this(), f = std::move(f)]() mutable {
      if (auto self = weak.lock()) f(*self);
    });
  }

  // --- apply_entries.cc: entries to engine operations ---
  void resolve_batch(std::vector<InboundEntry> entries);
  void apply_batch(std::vector<ResolvedEntry> batch);
  void apply_one(const ResolvedEntry& r, CommitExtras& extras);
  void declare_agents();
  std::unique_ptr<routing::Engine> make_engine(std::vector<routing::QueueSpec> queues);
  // The customer's history line and the contact's reply route for an applied inbound message.
  void record_inbound(const ResolvedEntry& r, const std::string& contact, CommitExtras& extras,
                      CommitExtras::Assignment* appended);

  // --- apply_commands.cc: the commands stream ---
  // Takes the next batch from command_stash (a reload_rules alone), looks up replays and reply
  // routes in one round trip, then applies the batch on the strand.
  void take_commands();
  void apply_commands(std::vector<PendingCommand> batch);
  CommandOutcome apply_command(const Command& c, const CommandState& state, CommitExtras& extras);
  CommandOutcome run_reply(const Command& c, const CommandState& state, CommitExtras& extras);
  CommandOutcome contact_outcome(const Result<void>& done, const std::string& contact) const;
  CommandOutcome agent_outcome(const Result<void>& done, const std::string& agent) const;
  void finish_command(const PendingCommand& p, CommandOutcome outcome, CommitExtras& extras);
  // Dead-letters a command delivered more than max_deliveries times and answers it 500.
  void give_up_command(const PendingCommand& p, CommitExtras& extras);
  // reload_rules: loads the rules through options.load_rules and starts reload(); the result is
  // committed by apply_reload() with the reconfiguration.
  void start_reload_command(PendingCommand p);

  // --- poison.cc: entries that fail on every delivery (docs/router.md, "Poison entries") ---
  bool exhausted(std::int64_t deliveries) const { return deliveries > options.max_deliveries; }
  // Runs `apply` for one entry, after the test seam; an exception becomes the error.
  Result<void> apply_guarded(const EntryRef& entry, const std::function<void()>& apply);
  // The entry failed: remembered as its last failure (the dead letter's reason, should it come
  // to that), then the router rebuilds from Redis, which delivers the entry again.
  void entry_failed(const EntryRef& entry, const Error& error);
  // A dead letter in the commit being prepared: counted, logged, its last failure forgotten.
  // `label` is the metric's reason: undecodable, unroutable or max_deliveries.
  void dead_letter(CommitExtras::DeadLetter letter, std::string_view label, CommitExtras& extras);
  // The dead letter's reason for an entry given up after `deliveries` deliveries.
  std::string exhausted_reason(const EntryRef& entry, std::int64_t deliveries) const;
  // omniroute_router_dead_letters_total{tenant, stream, reason}: a fixed set, registered at start.
  Counter& dead_letter_counter(std::string_view stream, std::string_view label);
  void register_dead_letter_counters();

  // --- stats.cc: dashboard samples and the rules hash ---
  void arm_stats_timer();
  void sample_stats(CommitExtras& extras);
  CommitExtras::RulesInfo rules_info() const;

  // --- reload.cc: rules reload, retired queues ---
  void reload();
  void apply_reload(const std::map<std::string, MatchInput>& inputs);
  std::vector<routing::QueueSpec> queue_specs(const routing::RoutingSnapshot* snapshot) const;

  // --- hours.cc: business hours ---
  // Opens and closes the engine's queues as the rules' business hours say at the clock's now,
  // then arms hours_timer at the earliest next transition. Call inside a commit scope.
  void sync_hours();

  // --- idle_close.cc: conversation idle close ---
  // A message for `contact` now: its idle deadline moves to now + conversation_idle_close.
  void touch_activity(const std::string& contact, routing::TimePoint now);
  // Withdraws (reason "idle") every open contact whose deadline has passed. In a commit scope.
  void close_idle();
  // After a restore: one deadline per open contact, from its stored last activity (its arrival
  // when none was stored).
  void restore_idle(const routing::RoutingSnapshot& snapshot,
                    const std::map<std::string, routing::TimePoint>& activity);
  std::optional<routing::TimePoint> next_idle_close() const;

  boost::asio::io_context& io;
  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  RouterOptions options;
  TenantKeys keys;
  std::string instance;  // lease value: consumer name + a ULID, unique per process start
  std::shared_ptr<const routing::Rules> rules;
  const Clock& clock;
  Logger& log;
  Metrics& metrics;
  RedisClient reader;  // only the blocking XREADGROUP
  RedisClient writer;  // lease, identities, commits, claims
  IdentityStore identities;
  RoutingRedisStore store;
  AssignmentSink sink;
  std::unique_ptr<routing::Engine> engine;

  std::atomic<RouterState> state{RouterState::standby};
  std::atomic<std::int64_t> token{0};
  std::atomic<std::uint64_t> committed{0};
  Fence fence;
  std::uint64_t epoch = 0;  // bumped whenever the engine is dropped; stale callbacks see it
  std::chrono::steady_clock::time_point last_renewed{};

  bool reading = false;  // an XREADGROUP is in flight (reader connection)
  bool busy = false;     // resolving, committing or claiming (writer connection)
  bool timers_due = false;
  bool claim_due = false;
  std::map<std::string, routing::TimePoint> idle_deadline;  // open contact → idle close time
  std::set<std::pair<routing::TimePoint, std::string>> idle_order;
  bool reconfigure_due = false;  // re-evaluate waiting contacts under `rules` (reload())
  std::string claim_cursor = "0-0";
  std::chrono::milliseconds claim_min_idle{0};
  std::deque<InboundEntry> stash;          // read or claimed, not applied yet
  std::deque<CommandEntry> command_stash;  // commands read or claimed, not applied yet
  std::size_t claim_stream = 0;            // claiming: 0 the inbound stream, 1 the commands
  bool stats_due = false;
  // A reload_rules command whose rules are being applied (its result goes with apply_reload).
  std::optional<PendingCommand> reload_command;
  // EntryRef::key() → why its last attempt failed, while it waits to be delivered again.
  std::map<std::string, std::string> last_failure;

  boost::asio::steady_timer lease_timer;
  boost::asio::steady_timer engine_timer;
  boost::asio::steady_timer claim_timer;
  boost::asio::steady_timer retry_timer;
  boost::asio::steady_timer hours_timer;
  boost::asio::steady_timer stats_timer;

  Gauge& lease_gauge;
  Counter& routed;
  Counter& commit_failures;
};

// Parses an XREADGROUP / XAUTOCLAIM entry list ([[id, [field, value, ...]], ...]).
std::vector<InboundEntry> parse_entries(const RedisReply& list);

}  // namespace omniroute::daemon
