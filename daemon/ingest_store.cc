// One Lua script does dedup and XADD for every item of a request. Scripts run without other
// clients' commands in between, so two deliveries of one vendor message cannot both see "new".
#include "daemon/ingest_store.h"

#include <chrono>
#include <memory>
#include <stdexcept>

#include "common/crypto.h"
#include "daemon/keys.h"
#include "daemon/metrics.h"
#include "daemon/redis_client.h"

namespace omniroute::daemon {
namespace {

// KEYS[1] = inbound stream; ARGV[1] = maxlen ("0" = uncapped), ARGV[2] = dedup TTL, ARGV[3] =
// raw TTL ("0" = retention off). Then per item i (1-based), k = 1 + K(i-1), a = 3 + A(i-1):
//   retention off (K = 1, A = 1): KEYS[k+1] = dedup key; ARGV[a+1] = payload.
//   retention on  (K = 2, A = 3): KEYS[k+1] = dedup key, KEYS[k+2] = raw key; ARGV[a+1] =
//     payload, ARGV[a+2] = "1" when a raw body follows, ARGV[a+3] = raw body.
// The short layout matters: every key and argument becomes a Lua string Redis must create and
// later collect, on every call. Reply: a flat array {duplicate (0/1), stream id} per item.
// Numbers stay the strings the daemon formatted: a Lua number passed to redis.call would be
// formatted again on every call.
// Every read happens before the first write of an item, and the entry is written before its
// dedup mark: if Redis failed between the two (only possible under OOM), the vendor's retry
// would add a second entry rather than lose the message.
constexpr const char* kScript = R"lua(
local maxlen = ARGV[1]
local dedup_ttl = ARGV[2]
local keep_raw = ARGV[3] ~= '0'
local keys_per_item = keep_raw and 2 or 1
local args_per_item = keep_raw and 3 or 1
local out = {}
for i = 1, (#KEYS - 1) / keys_per_item do
  local k = 1 + keys_per_item * (i - 1)
  local a = 3 + args_per_item * (i - 1)
  local dedup_key = KEYS[k + 1]
  local seen = redis.call('GET', dedup_key)
  if seen then
    out[2 * i - 1] = 1
    out[2 * i] = seen
  else
    local id
    if maxlen ~= '0' then
      id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'e', ARGV[a + 1])
    else
      id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[a + 1])
    end
    redis.call('SET', dedup_key, id, 'EX', dedup_ttl)
    if keep_raw and ARGV[a + 2] == '1' then
      redis.call('SET', KEYS[k + 2], ARGV[a + 3], 'EX', ARGV[3])
    end
    out[2 * i - 1] = 0
    out[2 * i] = id
  end
end
return out
)lua";

constexpr std::size_t kMaxVendorMessageIdBytes = 512;

// Errors after which a retry may well succeed (fail-over, memory pressure, start-up).
bool is_transient(std::string_view error) {
  for (std::string_view prefix :
       {"OOM", "READONLY", "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"}) {
    if (error.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

Result<std::vector<IngestOutcome>> parse_outcomes(const RedisReply& reply, std::size_t items) {
  if (reply.is_error()) {
    return make_error(is_transient(reply.str) ? Errc::unavailable : Errc::internal,
                      "ingest script failed: " + reply.str);
  }
  if (!reply.is_array() || reply.elements.size() != 2 * items) {
    return make_error(Errc::internal, "ingest script returned " + describe(reply));
  }
  std::vector<IngestOutcome> outcomes;
  outcomes.reserve(items);
  for (std::size_t i = 0; i < items; ++i) {
    const RedisReply& flag = reply.elements[2 * i];
    const RedisReply& id = reply.elements[2 * i + 1];
    if (!flag.is_integer() || !id.is_string()) {
      return make_error(Errc::internal, "ingest script returned a malformed outcome");
    }
    outcomes.push_back({flag.integer == 1, id.str});
  }
  return outcomes;
}

}  // namespace

// One store() in flight: the script arguments (kept for the EVAL retry) and the caller.
struct IngestStore::Call {
  std::vector<std::string> keys_and_args;  // numkeys, keys..., argv...
  std::vector<std::string> vendors;        // per item, for the dedup metric
  std::size_t items = 0;
  IngestCallback done;
  std::chrono::steady_clock::time_point started;
};

const std::string& IngestStore::script() {
  static const std::string source = kScript;
  return source;
}

const std::string& IngestStore::script_sha1() {
  static const std::string sha = crypto::hex_encode(crypto::digest(crypto::Digest::sha1, script()));
  return sha;
}

IngestStore::IngestStore(RedisClient& redis, IngestStoreOptions options, Metrics& metrics)
    : redis_(redis),
      options_(std::move(options)),
      metrics_(metrics),
      xadd_seconds_(metrics.histogram("omniroute_xadd_seconds",
                                      "Latency of the ingest script (dedup + XADD), seconds")) {
  if (!is_valid_key_prefix(options_.prefix)) {
    throw std::invalid_argument("redis key prefix must match [A-Za-z0-9_.:-]{1,64}");
  }
  if (options_.dedup_ttl_secs <= 0) throw std::invalid_argument("dedup_ttl_secs must be > 0");
  if (options_.inbound_maxlen < 0 || options_.raw_payload_ttl_secs < 0) {
    throw std::invalid_argument("inbound_maxlen and raw_payload_ttl_secs must be >= 0");
  }
}

void IngestStore::store(std::string_view tenant, std::vector<IngestItem> items,
                        IngestCallback done) {
  auto keys = TenantKeys::make(options_.prefix, tenant);
  if (!keys) return done(keys.error());
  if (items.empty()) return done(std::vector<IngestOutcome>{});
  const bool keep_raw = options_.raw_payload_ttl_secs > 0;
  const std::string raw_key_start = keep_raw ? keys->base() + ":raw:" : std::string();

  auto call = std::make_shared<Call>();
  call->items = items.size();
  call->done = std::move(done);
  // numkeys, KEYS, ARGV in one vector, built in place (layout: see kScript).
  const std::size_t keys_per_item = keep_raw ? 2 : 1;
  const std::size_t args_per_item = keep_raw ? 3 : 1;
  const std::size_t key_count = 1 + keys_per_item * items.size();
  auto& out = call->keys_and_args;
  out.reserve(1 + key_count + 3 + args_per_item * items.size());
  out.resize(1 + key_count + 3);
  out[0] = std::to_string(key_count);
  out[1] = keys->inbound();
  out[1 + key_count] = std::to_string(options_.inbound_maxlen);
  out[2 + key_count] = std::to_string(options_.dedup_ttl_secs);
  out[3 + key_count] = std::to_string(options_.raw_payload_ttl_secs);
  call->vendors.reserve(items.size());
  std::size_t next_key = 2;
  for (auto& item : items) {
    if (item.vendor.empty() || item.vendor_message_id.empty() ||
        item.vendor_message_id.size() > kMaxVendorMessageIdBytes) {
      return call->done(make_error(Errc::invalid_input,
                                   "ingest item needs a vendor and a vendor message id of at "
                                   "most 512 bytes"));
    }
    const bool raw = keep_raw && item.raw_body.has_value();
    if (raw && item.raw_key.rfind(raw_key_start, 0) != 0) {
      return call->done(
          make_error(Errc::invalid_input, "raw key must be one of the tenant's raw keys"));
    }
    out[next_key] = keys->dedup(item.vendor, item.vendor_message_id);
    if (keep_raw) out[next_key + 1] = raw ? item.raw_key : out[next_key];  // unused unless raw
    next_key += keys_per_item;
    out.push_back(std::move(item.payload));
    if (keep_raw) {
      out.push_back(raw ? "1" : "0");
      out.push_back(raw ? std::move(*item.raw_body) : std::string());
    }
    call->vendors.push_back(std::move(item.vendor));
  }
  call->started = std::chrono::steady_clock::now();
  send(std::move(call), false);
}

// EVALSHA first; on NOSCRIPT (a restarted or flushed Redis) EVAL once, which also caches it.
void IngestStore::send(std::shared_ptr<Call> call, bool with_source) {
  std::vector<std::string> args;
  args.reserve(2 + call->keys_and_args.size());
  args.push_back(with_source ? "EVAL" : "EVALSHA");
  args.push_back(with_source ? script() : script_sha1());
  args.insert(args.end(), call->keys_and_args.begin(), call->keys_and_args.end());
  redis_.command(std::move(args), [this, call, with_source](Result<RedisReply> reply) {
    if (!reply) return finish(call, reply.error());
    if (!with_source && reply->is_error() && reply->str.rfind("NOSCRIPT", 0) == 0) {
      return send(call, true);
    }
    finish(call, parse_outcomes(*reply, call->items));
  });
}

void IngestStore::finish(const std::shared_ptr<Call>& call,
                         Result<std::vector<IngestOutcome>> result) {
  if (result) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - call->started;
    xadd_seconds_.observe(elapsed.count());
    for (std::size_t i = 0; i < result->size(); ++i) {
      if (!(*result)[i].duplicate) continue;
      metrics_
          .counter("omniroute_dedup_hits_total", "Vendor messages dropped as already stored",
                   {{"vendor", call->vendors[i]}})
          .inc();
    }
  }
  call->done(std::move(result));
}

}  // namespace omniroute::daemon
