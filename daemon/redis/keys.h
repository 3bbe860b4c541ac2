// The Redis key layout of omniroute, defined in this one place: every key is
// `<prefix>:{<tenant>}:<kind>...`, so one tenant's keys share a Redis Cluster hash slot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace omniroute::daemon {

// Tenant names are [a-z0-9_-]{1,64}: safe in keys, URLs and metric labels, and never a brace
// that would move the hash tag.
bool is_valid_tenant(std::string_view tenant);

// Customer ids are the router's ULIDs; anything outside [A-Za-z0-9_-]{1,64} names no customer.
// The customer's keys differ only by a suffix (`:identities`, `:attributes`), so an id taken
// from a URL with ':' in it could name another customer's key: callers refuse such ids.
bool is_valid_customer_id(std::string_view customer_id);

// Key prefixes are [A-Za-z0-9_.:-]{1,64}; braces are refused because Redis takes the first
// `{...}` of a key as its hash tag, and that must be the tenant's.
bool is_valid_key_prefix(std::string_view prefix);

// The hash tag Redis Cluster would hash for `key` (the text between the first '{' and the next
// '}', when non-empty), or the whole key when it has none. Tests use it to prove that all of a
// tenant's keys land in one slot.
std::string_view redis_hash_tag(std::string_view key);

// All keys of one tenant. Built once per (prefix, tenant) after validation, then cheap to use.
class TenantKeys {
 public:
  // Errc::invalid_input when the prefix or tenant breaks the rules above.
  static Result<TenantKeys> make(std::string_view prefix, std::string_view tenant);

  const std::string& tenant() const { return tenant_; }
  // "<prefix>:{<tenant>}": the common start of every key below.
  const std::string& base() const { return base_; }

  // Stream of StreamEntry protobufs written by ingest, read by the router (group "router").
  std::string inbound() const { return base_ + ":inbound"; }
  // Hash of the vendor messages stored in dedup window `index` (unix seconds / dedup TTL):
  // dedup_field(vendor, id) → the stream id of the entry it became (docs/ingest.md).
  std::string dedup_window(std::int64_t index) const;
  // "<vendor>:<vendor message id>": vendor ids are vendor text, kept out of key names.
  static std::string dedup_field(std::string_view vendor, std::string_view vendor_message_id);
  // The raw request body an event came from, when raw payload retention is on.
  std::string raw(std::string_view event_id) const;
  // Stream of events that could not be parsed or routed, with the reason.
  std::string deadletter() const { return base_ + ":deadletter"; }
  // Stream of Assignment events written by the router.
  std::string assignments() const { return base_ + ":assignments"; }
  // Stream of OutboundMessage protobufs (agent replies) for the channel senders to deliver.
  std::string outbound() const { return base_ + ":outbound"; }

  // --- commands and read models (docs/commands.md) --------------------------------------------
  // Stream of commands from API instances to the active router (group "router").
  std::string commands() const { return base_ + ":commands"; }
  // Stream of command results (id, status, body), written in the commit of the command's effect.
  std::string results() const { return base_ + ":results"; }
  // List of every AssignmentEvent of one contact, in order; expires after the retention.
  std::string trail(std::string_view contact_id) const;
  // List of JSON lines: one customer's messages in and out on every channel.
  std::string history(std::string_view customer_id) const;
  // Stream of dashboard samples from the active router (every 15 s).
  std::string stats() const { return base_ + ":stats"; }
  // Hash: version, loaded_ms, instance of the rules the active router runs.
  std::string router_rules() const { return base_ + ":router:rules"; }
  // Marker that a command was applied (replay guard), expires after the completed retention.
  std::string routing_command(std::string_view command_id) const;
  // A reply's client idempotency key within a contact → the OutboundMessage event id it made.
  std::string routing_reply(std::string_view contact_id, std::string_view client_id) const;

  // --- router (docs/router.md) ---------------------------------------------------------------
  // Hash "<kind>:<normalized value>" → customer id: one customer per channel identity.
  std::string identities() const { return base_ + ":identities"; }
  // Hash of one customer's profile: `tier` (set by a CRM through the API), `merged_into` after
  // a link moved its identities to another customer, `created_ms`.
  std::string customer(std::string_view customer_id) const;
  // Set of the "<kind>:<value>" identities of one customer (what a link must repoint).
  std::string customer_identities(std::string_view customer_id) const;
  // Hash of one customer's CRM attributes (string values, written by the API's PATCH): its own
  // key, so that a CRM can never overwrite the profile's router fields.
  std::string customer_attributes(std::string_view customer_id) const;
  // Hashes of the routing engine's records (JSON values), keyed by contact / agent / customer
  // id: what the active router rebuilds its memory from at start-up and fail-over.
  std::string routing_contacts() const { return base_ + ":routing:contacts"; }
  std::string routing_agents() const { return base_ + ":routing:agents"; }
  std::string routing_sticky() const { return base_ + ":routing:sticky"; }
  // Marker that a message which joined an open conversation was already announced, so a
  // replayed stream entry does not announce it twice; expires after the completed retention.
  std::string routing_applied(std::string_view event_id) const;
  // The router lease (value: the holder's instance id, PX ttl) and its fencing token counter.
  std::string router_lease() const { return base_ + ":router:lease"; }
  std::string router_fence() const { return base_ + ":router:fence"; }

 private:
  TenantKeys(std::string tenant, std::string base)
      : tenant_(std::move(tenant)), base_(std::move(base)) {}
  std::string tenant_;
  std::string base_;
};

}  // namespace omniroute::daemon
