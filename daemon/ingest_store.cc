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

// The script is generated once per store with its settings written in: every argument
// becomes a Lua string that Redis must create, put in ARGV and later collect, on every call,
// so constants travel in the source instead (callgrind: 5 k of ~57 k instructions per call),
// and branches on settings are decided here rather than on every call.
// KEYS[1] = inbound stream. Then per item i (1-based), k = 1 + K(i-1), a = A(i-1):
//   retention off (K = 1, A = 1): KEYS[k+1] = dedup key; ARGV[a+1] = payload.
//   retention on  (K = 2, A = 3): KEYS[k+1] = dedup key, KEYS[k+2] = raw key; ARGV[a+1] =
//     payload, ARGV[a+2] = "1" when a raw body follows, ARGV[a+3] = raw body.
// Reply: one string, per item "<stream id>" (new) or "d<stream id>" (duplicate, the first id),
// space-separated; a stream id starts with a digit. Not a table: Redis 7 probes every table a
// script returns for its special fields (err, ok, double, map, ...), which cost more than the
// dedup check itself. The dedup SET carries GET (Redis >= 6.2): the key is known to be absent
// (GET found nothing), so its reply is nil, which Lua takes as false, where a plain SET's "OK"
// would become a table to build and collect.
// Every read happens before the first write of an item, and the entry is written before its
// dedup mark: if Redis failed between the two (only possible under OOM), the vendor's retry
// would add a second entry rather than lose the message.
constexpr const char* kScriptTemplate = R"lua(
local n = (#KEYS - 1) / $KEYS_PER_ITEM
local out
for i = 1, n do
  local k = 1 + $KEYS_PER_ITEM * (i - 1)
  local a = $ARGS_PER_ITEM * (i - 1)
  local r = redis.call('GET', KEYS[k + 1])
  if r then
    r = 'd' .. r
  else
    r = redis.call('XADD', KEYS[1], $XADD_TRIM'*', 'e', ARGV[a + 1])
    redis.call('SET', KEYS[k + 1], r, 'EX', '$DEDUP_TTL', 'GET')
$RAW_SET  end
  if n == 1 then return r end
  out = out or {}
  out[i] = r
end
return table.concat(out, ' ')
)lua";

// Retention on: the raw body, when the item has one, under its own key and TTL.
constexpr const char* kRawSet = R"lua(    if ARGV[a + 2] == '1' then
      redis.call('SET', KEYS[k + 2], ARGV[a + 3], 'EX', '$RAW_TTL')
    end
)lua";

std::string make_script(const IngestStoreOptions& options) {
  const bool keep_raw = options.raw_payload_ttl_secs > 0;
  std::string script = kScriptTemplate;
  auto replace = [&](std::string_view name, const std::string& value) {
    for (auto at = script.find(name); at != std::string::npos;
         at = script.find(name, at + value.size())) {
      script.replace(at, name.size(), value);
    }
  };
  replace("$RAW_SET", keep_raw ? kRawSet : "");
  replace("$KEYS_PER_ITEM", keep_raw ? "2" : "1");
  replace("$ARGS_PER_ITEM", keep_raw ? "3" : "1");
  replace("$XADD_TRIM", options.inbound_maxlen > 0
                            ? "'MAXLEN', '~', '" + std::to_string(options.inbound_maxlen) + "', "
                            : std::string());
  replace("$DEDUP_TTL", std::to_string(options.dedup_ttl_secs));
  replace("$RAW_TTL", std::to_string(options.raw_payload_ttl_secs));
  return script;
}

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
  if (!reply.is_string())
    return make_error(Errc::internal, "ingest script returned " + describe(reply));
  std::vector<IngestOutcome> outcomes;
  outcomes.reserve(items);
  std::string_view rest = reply.str;
  while (!rest.empty() && outcomes.size() < items) {
    const auto space = rest.find(' ');
    const std::string_view one = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    const bool duplicate = !one.empty() && one[0] == 'd';
    const std::string_view id = duplicate ? one.substr(1) : one;
    if (id.empty() || id[0] < '0' || id[0] > '9') break;
    outcomes.push_back({duplicate, std::string(id)});
  }
  if (outcomes.size() != items || !rest.empty()) {
    return make_error(Errc::internal, "ingest script returned a malformed outcome: " + reply.str);
  }
  return outcomes;
}

}  // namespace

// One store() in flight: the command (kept for the EVAL retry) and the caller.
struct IngestStore::Call {
  // EVALSHA, sha, numkeys, keys..., argv...: handed to the client by reference, never copied.
  std::vector<std::string> command;
  std::vector<std::string> vendors;  // per item, for the dedup metric
  std::size_t items = 0;
  IngestCallback done;
  std::chrono::steady_clock::time_point started;
};

IngestStore::IngestStore(RedisClient& redis, IngestStoreOptions options, Metrics& metrics)
    : redis_(redis),
      options_(std::move(options)),
      metrics_(metrics),
      xadd_seconds_(metrics.histogram("omniroute_xadd_seconds",
                                      "Latency of the ingest script (dedup + XADD), seconds")),
      script_(make_script(options_)),
      script_sha1_(crypto::hex_encode(crypto::digest(crypto::Digest::sha1, script_))) {
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
  // The whole command in one vector, built in place (layout: see kScriptTemplate).
  const std::size_t keys_per_item = keep_raw ? 2 : 1;
  const std::size_t args_per_item = keep_raw ? 3 : 1;
  const std::size_t key_count = 1 + keys_per_item * items.size();
  auto& out = call->command;
  out.reserve(3 + key_count + args_per_item * items.size());
  out.resize(3 + key_count);
  out[0] = "EVALSHA";
  out[1] = script_sha1_;
  out[2] = std::to_string(key_count);
  out[3] = keys->inbound();
  call->vendors.reserve(items.size());
  std::size_t next_key = 4;
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
  send(std::move(call));
}

// EVALSHA first; on NOSCRIPT (a restarted or flushed Redis) EVAL once, which also caches it.
void IngestStore::send(std::shared_ptr<Call> call) {
  std::shared_ptr<const std::vector<std::string>> command(call, &call->command);
  redis_.command(std::move(command), [this, call](Result<RedisReply> reply) {
    if (!reply) return finish(call, reply.error());
    if (call->command[0] == "EVALSHA" && reply->is_error() &&
        reply->str.rfind("NOSCRIPT", 0) == 0) {
      // The client is done with the command (it answered), so it may change for the retry.
      call->command[0] = "EVAL";
      call->command[1] = script_;
      return send(call);
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
