// Customer identity: one customer id per channel identity (E.164 phone, lower-cased e-mail,
// WeChat openid …) per tenant, created on first sight, and links that merge two customers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "daemon/redis/keys.h"

namespace omniroute::daemon {

class RedisClient;

// "<kind>:<value>" with both normalized, the field of the identities hash. Phones lose
// separators and keep one leading '+'; a WhatsApp number is the same identity as that phone
// (kind "phone"); e-mail is trimmed and lower-cased; other kinds are trimmed only.
// Errc::invalid_input for an empty kind or value, or a phone with no digits.
Result<std::string> normalize_identity(std::string_view kind, std::string_view value);

struct ResolvedCustomer {
  std::string customer_id;
  bool created = false;                     // first sight of this identity
  std::optional<std::string> profile_tier;  // the customer profile's `tier`, when a CRM set one
};

using ResolveCallback = std::function<void(Result<ResolvedCustomer>)>;
using LinkCallback = std::function<void(Result<std::string>)>;

// Each operation is one Lua script, so two routers (or a router and the API) racing on the
// same identity still agree on one customer id. Callbacks run on a Redis connection's strand.
class IdentityStore {
 public:
  IdentityStore(RedisClient& redis, TenantKeys keys, const Clock& clock);

  // The customer of an identity (already normalized, see normalize_identity), created with a
  // fresh ULID when the identity is new, plus the customer's profile tier.
  void resolve(const std::string& identity, ResolveCallback done);

  // Makes `b` the same customer as `a` and answers a's customer id. When both already have
  // customers, every identity of b's customer moves to a's, b's profile gets `merged_into`,
  // and a's profile tier wins (b's fills in only when a has none). Linking twice, or two
  // identities of one customer, changes nothing. Contacts already routed keep the customer id
  // they were routed with; new messages resolve to a's.
  void link(const std::string& identity_a, const std::string& identity_b, LinkCallback done);

 private:
  RedisClient& redis_;
  TenantKeys keys_;
  const Clock& clock_;
};

}  // namespace omniroute::daemon
