// Customer identity on Redis: two Lua scripts over the tenant's identities hash and customer
// records. Keys: docs/redis-layout.md; semantics: docs/router.md.
#include "daemon/router/identity.h"

#include <algorithm>
#include <cctype>

#include "common/ulid.h"
#include "common/utf8.h"
#include "daemon/redis/client.h"

namespace omniroute::daemon {
namespace {

// KEYS[1] identities hash; ARGV: identity, candidate id, customer key prefix, now ms.
// The customer records share the tenant's hash tag (same slot as KEYS[1]).
constexpr const char* kResolveScript = R"lua(
local id = redis.call('HGET', KEYS[1], ARGV[1])
local created = 0
if not id then
  id = ARGV[2]
  redis.call('HSET', KEYS[1], ARGV[1], id)
  redis.call('HSET', ARGV[3] .. id, 'created_ms', ARGV[4])
  redis.call('SADD', ARGV[3] .. id .. ':identities', ARGV[1])
  created = 1
end
local tier = redis.call('HGET', ARGV[3] .. id, 'tier')
return {id, created, tier}
)lua";

// KEYS[1] identities hash; ARGV: identity a, identity b, candidate id, customer prefix, now ms.
constexpr const char* kLinkScript = R"lua(
local prefix = ARGV[4]
local function ensure(identity, candidate)
  local id = redis.call('HGET', KEYS[1], identity)
  if id then return id end
  redis.call('HSET', KEYS[1], identity, candidate)
  redis.call('HSET', prefix .. candidate, 'created_ms', ARGV[5])
  redis.call('SADD', prefix .. candidate .. ':identities', identity)
  return candidate
end
local a = ensure(ARGV[1], ARGV[3])
local b = redis.call('HGET', KEYS[1], ARGV[2])
if b == a then return a end
if not b then
  redis.call('HSET', KEYS[1], ARGV[2], a)
  redis.call('SADD', prefix .. a .. ':identities', ARGV[2])
  return a
end
for _, identity in ipairs(redis.call('SMEMBERS', prefix .. b .. ':identities')) do
  redis.call('HSET', KEYS[1], identity, a)
  redis.call('SADD', prefix .. a .. ':identities', identity)
end
redis.call('DEL', prefix .. b .. ':identities')
redis.call('HSET', prefix .. b, 'merged_into', a)
local btier = redis.call('HGET', prefix .. b, 'tier')
if btier then redis.call('HSETNX', prefix .. a, 'tier', btier) end
return a
)lua";

std::string trim(std::string_view s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "+1 (555) 000-1111" → "+15550001111"; the '+' is kept only in front.
std::string normalize_phone(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  if (!out.empty() && trim(value).starts_with('+')) out.insert(out.begin(), '+');
  return out;
}

Result<RedisReply> script_reply(Result<RedisReply> reply, std::string_view what) {
  if (!reply) return reply.error();
  if (reply->is_error()) {
    return make_error(Errc::unavailable, std::string(what) + " script failed: " + reply->str);
  }
  return reply;
}

}  // namespace

Result<std::string> normalize_identity(std::string_view kind_text, std::string_view value_text) {
  std::string kind = lower(trim(kind_text));
  std::string value = trim(value_text);
  if (value.starts_with("whatsapp:")) value = value.substr(9);
  if (kind == "whatsapp" || kind == "sms") kind = "phone";
  if (kind == "phone") value = normalize_phone(value);
  if (kind == "email") value = lower(value);
  if (kind.empty() || value.empty() || value == "+") {
    return make_error(Errc::invalid_input, "channel identity needs a kind and a value ('" +
                                               std::string(utf8_prefix(kind_text, 40)) + "', '" +
                                               std::string(utf8_prefix(value_text, 80)) + "')");
  }
  return kind + ":" + value;
}

IdentityStore::IdentityStore(RedisClient& redis, TenantKeys keys, const Clock& clock)
    : redis_(redis), keys_(std::move(keys)), clock_(clock) {}

void IdentityStore::resolve(const std::string& identity, ResolveCallback done) {
  const auto now = clock_.now_unix_ms();
  redis_.command(
      {"EVAL", kResolveScript, "1", keys_.identities(), identity, make_ulid(now),
       keys_.base() + ":customer:", std::to_string(now)},
      [done = std::move(done)](Result<RedisReply> reply) {
        auto r = script_reply(std::move(reply), "identity");
        if (!r) return done(r.error());
        const auto& e = r->elements;
        if (!r->is_array() || e.size() < 2 || !e[0].is_string() || !e[1].is_integer()) {
          return done(make_error(Errc::internal, "identity script returned " + describe(*r)));
        }
        ResolvedCustomer out{e[0].str, e[1].integer == 1, std::nullopt};
        if (e.size() > 2 && e[2].is_string()) out.profile_tier = e[2].str;
        done(std::move(out));
      });
}

void IdentityStore::link(const std::string& identity_a, const std::string& identity_b,
                         LinkCallback done) {
  const auto now = clock_.now_unix_ms();
  redis_.command(
      {"EVAL", kLinkScript, "1", keys_.identities(), identity_a, identity_b, make_ulid(now),
       keys_.base() + ":customer:", std::to_string(now)},
      [done = std::move(done)](Result<RedisReply> reply) {
        auto r = script_reply(std::move(reply), "link");
        if (!r) return done(r.error());
        if (!r->is_string()) {
          return done(make_error(Errc::internal, "link script returned " + describe(*r)));
        }
        done(r->str);
      });
}

}  // namespace omniroute::daemon
