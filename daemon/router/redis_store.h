// The routing engine's RoutingStore on Redis: buffers the records the engine writes during one
// operation, then commits them with the assignment events and stream ACKs in one fenced script.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "daemon/redis/keys.h"
#include "daemon/router/records.h"
#include "routing/store.h"

namespace omniroute::daemon {

class RedisClient;

// Who may write: the lease holder's instance id and the fencing token it got on acquiring.
// An empty instance commits unfenced (tests of the store alone).
struct Fence {
  std::string instance;
  std::int64_t token = 0;
};

// What a commit carries besides the engine's records (docs/commands.md, "What the router's
// commit maintains for readers").
struct CommitExtras {
  // One line for a customer's history list (`TenantKeys::history`), kept to its last 500 lines.
  struct History {
    std::string key;
    std::string line;  // JSON, see views.h history_line()
  };
  struct Assignment {
    std::string payload;   // serialized omniroute.v1.AssignmentEvent
    std::string once_key;  // non-empty: append only if this key was not set yet (replay guard)
    std::int64_t once_ttl_ms = 0;
    std::string trail_key = {};           // non-empty: also appended to the contact's trail list
    std::int64_t trail_ttl_ms = 0;        // > 0: the contact ended, its trail expires after this
    std::optional<History> history = {};  // written with it, under the same once guard
  };
  std::vector<Assignment> assignments;
  // An entry of `<base>:deadletter`: fields e, reason, stream, id, deliveries (and command).
  struct DeadLetter {
    std::string payload;  // the stream entry as read: an inbound "e", a command's "c"
    std::string reason;
    std::string stream = "inbound";  // the stream it came from: "inbound" or "commands"
    std::string entry_id = {};       // its id in that stream
    std::int64_t deliveries = 1;     // how often Redis had delivered it
    std::string command_id = {};     // a command's "id" field (commands only)
  };
  std::vector<DeadLetter> dead_letters;
  std::vector<std::string> ack_ids;  // inbound entries whose effect this commit is

  // --- commands, replies and read models ---
  std::vector<History> history;  // lines of their own (new contacts, replies)
  // Per contact: the latest inbound message's addresses (serialized ContactEvent), what a reply
  // is sent with; kept in `<contacts key>:route`, erased with the contact record.
  std::vector<std::pair<std::string, std::string>> routes;
  std::vector<std::string> outbound;  // serialized omniroute.v1.OutboundMessage
  struct CommandResult {
    std::string command_id;
    std::string status;  // "200", "404", ...
    std::string body;    // JSON
  };
  std::vector<CommandResult> results;
  std::vector<std::string> command_acks;  // entries of the commands stream
  struct Marker {  // SET key value PX ttl: a command applied, a reply's client id
    std::string key;
    std::string value;
    std::int64_t ttl_ms = 0;
  };
  std::vector<Marker> markers;
  std::vector<std::pair<std::string, std::string>> stats;  // one sample's fields, if non-empty
  struct RulesInfo {
    std::string version;
    std::int64_t loaded_ms = 0;
    std::string instance;
  };
  std::optional<RulesInfo> rules;  // the `router:rules` hash

  bool empty() const {
    return assignments.empty() && dead_letters.empty() && ack_ids.empty() && history.empty() &&
           routes.empty() && outbound.empty() && results.empty() && command_acks.empty() &&
           markers.empty() && stats.empty() && !rules;
  }
};

struct RoutingRedisStoreOptions {
  std::string group = "router";  // consumer group on the inbound stream
  std::int64_t assignments_maxlen = 1000000;
  std::int64_t deadletter_maxlen = 100000;
  std::int64_t outbound_maxlen = 1000000;
  std::int64_t results_maxlen = 10000;
  std::int64_t stats_maxlen = 1000;
  // History lists expire this long after their last line.
  std::int64_t history_ttl_ms = 90LL * 24 * 3600 * 1000;
};

// What lookup_commands() asks about one command before it is applied.
struct CommandLookup {
  std::string once_key;   // TenantKeys::routing_command(id)
  std::string route_of;   // a contact whose route to read, or empty
  std::string reply_key;  // TenantKeys::routing_reply(contact, client id), or empty
};
struct CommandState {
  bool applied = false;                // its once key exists: applied before, only ACK it
  std::optional<std::string> route;    // the contact's route, when asked and stored
  std::optional<std::string> replied;  // the OutboundMessage event id of an earlier same reply
};

// Errc::conflict from commit(): the lease or the fencing token is not ours any more; nothing
// was written. Any other error: the commit may or may not have been applied (see RedisClient).
class RoutingRedisStore final : public routing::RoutingStore {
 public:
  RoutingRedisStore(RedisClient& redis, TenantKeys keys, RoutingRedisStoreOptions options = {});

  // RoutingStore: buffered until the next commit().
  void save_contact(const routing::ContactRecord& contact) override;
  void erase_contact(std::string_view contact_id) override;
  void save_agent(const routing::AgentRecord& agent) override;
  void save_sticky(const routing::StickyRecord& sticky) override;
  void erase_agent(std::string_view agent_id) override;      // the agent left the team
  void erase_sticky(std::string_view customer_id) override;  // older than any sticky window
  // Redis is read asynchronously: use load_snapshot(). Always Errc::unsupported.
  Result<routing::RoutingSnapshot> load() const override;

  // Sends the buffered records plus `extras` as ONE script: it checks the fence, then writes
  // the records, appends assignment events and dead letters, and XACKs. The buffer is empty
  // when this returns. `done` runs on a Redis connection's strand.
  void commit(const Fence& fence, CommitExtras extras, std::function<void(Result<void>)> done);
  std::size_t buffered() const { return ops_.size(); }
  void discard() { ops_.clear(); }

  // Reads every record of the tenant in one script (a consistent view), for Engine::restore.
  void load_snapshot(std::function<void(Result<routing::RoutingSnapshot>)> done) const;

  // What the router needs to match a contact again under new rules (its trimmed event), kept
  // beside the contact record in `<contacts key>:inputs` and erased with it. Buffered.
  void save_match_input(std::string_view contact_id, std::string input);
  // HMGET of those inputs, one per id, nullopt where none was stored.
  void load_match_inputs(
      const std::vector<std::string>& contact_ids,
      std::function<void(Result<std::vector<std::optional<std::string>>>)> done) const;
  std::string match_inputs_key() const;

  // The last message of each open conversation (unix ms), for the idle close, in
  // `<contacts key>:activity`; erased with the contact record at the latest. Buffered.
  void save_activity(std::string_view contact_id, routing::TimePoint at_ms);
  void erase_activity(std::string_view contact_id);
  void load_activity(
      std::function<void(Result<std::map<std::string, routing::TimePoint>>)> done) const;
  std::string activity_key() const;
  std::string routes_key() const;

  // One round trip before a batch of commands is applied: which were applied already (replays),
  // the routes of the contacts replies go to, and earlier replies with the same client id.
  void lookup_commands(const std::vector<CommandLookup>& lookups,
                       std::function<void(Result<std::vector<CommandState>>)> done) const;

  const TenantKeys& keys() const { return keys_; }

 private:
  RedisClient& redis_;
  TenantKeys keys_;
  RoutingRedisStoreOptions options_;
  std::vector<std::string> ops_;  // script op codes and their arguments, flattened
};

}  // namespace omniroute::daemon
