// One Lua script does dedup and XADD for every item of a request (or of several requests, with
// group commit). Scripts run without other clients' commands in between, so two deliveries of
// one vendor message cannot both see "new".
#include "daemon/ingest/store.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/metrics.h"
#include "daemon/redis/client.h"
#include "daemon/redis/keys.h"

namespace omniroute::daemon {
namespace {

// The script is generated once per store with its settings written in: every argument
// becomes a Lua string that Redis must create, put in ARGV and later collect, on every call,
// so constants travel in the source instead, and branches on settings are decided here rather
// than on every call.
//
// Dedup marks live in one hash per dedup window (docs/decisions/0007-dedup-windows.md): field
// "<vendor>:<vendor message id>" → the stream id it became. A window is dedup_ttl long; the
// current and the previous window are checked, so an id is remembered for at least the TTL and
// at most twice it. In the last minutes of a window the next one is checked too: another
// instance whose clock is a little ahead may already write there. (Always checking it cost ~7 %
// throughput; even passing its key when unused cost ~4 % of Redis's time, hence the optional
// key.) Per item that is one field in two HMGETs and one HSET shared by the whole call, where a
// key per mark cost a GET and a SET with its own expiry per item (Redis CPU per webhook 9.3 →
// 7.5 µs in the ingest benchmark, with group commit).
//
// KEYS: [1] inbound stream, [2] current window, [3] previous window, [4] the window before the
// previous (unlinked when the current one is created: a big hash freed in the background, not
// by a blocking expiry), [5] the next window, only near the end of the current one; then with
// retention on, one raw key per item.
// ARGV: [1] when the current window expires (unix seconds, a backstop for idle tenants), then
// the n dedup fields, the n payloads, and with retention on the n flags ("1": a raw body
// follows) and the n raw bodies.
// Reply: one string, per item "<stream id>" (new) or "d<stream id>" (duplicate, the first id),
// space-separated; a stream id starts with a digit. Not a table: Redis 7 probes every table a
// script returns for its special fields (err, ok, double, map, ...).
// Every read happens before the first write, and entries are written before their marks: if
// Redis failed between the two (only possible under OOM), the vendor's retry would add a second
// entry rather than lose the message. Trimming runs once per call, not per XADD.
constexpr const char* kScriptTemplate = R"lua(
local n = (#ARGV - 1) / $ARGS_PER_ITEM
local fixed = #KEYS - $RAW_KEYS
local cur = redis.call('HMGET', KEYS[2], unpack(ARGV, 2, n + 1))
local prev = redis.call('HMGET', KEYS[3], unpack(ARGV, 2, n + 1))
local next = fixed == 5 and redis.call('HMGET', KEYS[5], unpack(ARGV, 2, n + 1))
local out, marks, seen = {}, {}, {}
for i = 1, n do
  local field = ARGV[1 + i]
  local r = cur[i] or prev[i] or (next and next[i]) or seen[field]
  if r then
    r = 'd' .. r
  else
    r = redis.call('XADD', KEYS[1], '*', 'e', ARGV[1 + n + i])
    seen[field] = r
    marks[#marks + 1] = field
    marks[#marks + 1] = r
$RAW_SET  end
  out[i] = r
end
if #marks > 0 then
$XTRIM  local fresh = redis.call('EXISTS', KEYS[2]) == 0
  redis.call('HSET', KEYS[2], unpack(marks))
  if fresh then
    redis.call('EXPIREAT', KEYS[2], ARGV[1])
    redis.call('UNLINK', KEYS[4])
  end
end
if n == 1 then return out[1] end
return table.concat(out, ' ')
)lua";

// Retention on: the raw body, when the item has one, under its own key and TTL.
constexpr const char* kRawSet = R"lua(    if ARGV[1 + 2 * n + i] == '1' then
      redis.call('SET', KEYS[fixed + i], ARGV[1 + 3 * n + i], 'EX', '$RAW_TTL')
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
  replace("$ARGS_PER_ITEM", keep_raw ? "4" : "2");
  replace("$RAW_KEYS", keep_raw ? "n" : "0");
  replace("$XTRIM", options.inbound_maxlen > 0 ? "  redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', '" +
                                                     std::to_string(options.inbound_maxlen) + "')\n"
                                               : std::string());
  replace("$RAW_TTL", std::to_string(options.raw_payload_ttl_secs));
  return script;
}

constexpr std::size_t kMaxVendorMessageIdBytes = 512;

// How far apart the clocks of two instances may be for dedup across a window boundary to hold
// (NTP keeps them milliseconds apart; ten minutes is a broken host).
constexpr std::int64_t kClockSkewMarginSecs = 600;

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
  // EVALSHA, sha, numkeys, keys..., argv... in RESP: handed to the client by reference, never
  // copied. The array header and everything from `tail_at` on (numkeys onwards) stay the same
  // for an EVAL retry.
  std::string command;
  std::size_t tail_at = 0;
  bool by_sha = true;
  std::vector<std::string> vendors;  // per item, for the dedup metric
  std::size_t items = 0;
  IngestCallback done;
  std::chrono::steady_clock::time_point started;
};

IngestStore::IngestStore(RedisClient& redis, IngestStoreOptions options, Metrics& metrics,
                         const Clock& clock)
    : redis_(redis),
      options_(std::move(options)),
      metrics_(metrics),
      clock_(clock),
      xadd_seconds_(metrics.histogram("omniroute_xadd_seconds",
                                      "Latency of the ingest script (dedup + XADD), seconds")),
      script_calls_(metrics.counter("omniroute_ingest_script_calls_total",
                                    "Dedup+XADD script calls; with batching one serves several "
                                    "requests")),
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

// The checks store() makes before anything is sent (or batched: one bad request must not fail
// the requests it would have shared a script call with).
Result<void> IngestStore::check(const TenantKeys& keys,
                                const std::vector<IngestItem>& items) const {
  const bool keep_raw = options_.raw_payload_ttl_secs > 0;
  const std::string raw_key_start = keep_raw ? keys.base() + ":raw:" : std::string();
  for (const auto& item : items) {
    if (item.vendor.empty() || item.vendor_message_id.empty() ||
        item.vendor_message_id.size() > kMaxVendorMessageIdBytes) {
      return make_error(Errc::invalid_input,
                        "ingest item needs a vendor and a vendor message id of at most 512 bytes");
    }
    if (keep_raw && item.raw_body.has_value() && item.raw_key.rfind(raw_key_start, 0) != 0) {
      return make_error(Errc::invalid_input, "raw key must be one of the tenant's raw keys");
    }
  }
  return {};
}

void IngestStore::store(std::string_view tenant, std::vector<IngestItem> items,
                        IngestCallback done) {
  auto keys = TenantKeys::make(options_.prefix, tenant);
  if (!keys) return done(keys.error());
  if (items.empty()) return done(std::vector<IngestOutcome>{});
  if (auto ok = check(*keys, items); !ok) return done(ok.error());
  if (auto batch = batch_of_this_thread())
    return add_to_batch(batch, *keys, std::move(items), std::move(done));
  send_items(*keys, std::move(items), std::move(done));
}

// One script call for `items` (already checked).
void IngestStore::send_items(const TenantKeys& keys, std::vector<IngestItem> items,
                             IngestCallback done) {
  const bool keep_raw = options_.raw_payload_ttl_secs > 0;
  auto call = std::make_shared<Call>();
  call->items = items.size();
  call->done = std::move(done);
  // Layout of the command: see kScriptTemplate.
  const std::size_t n = items.size();
  const std::int64_t ttl = options_.dedup_ttl_secs;
  const std::int64_t now_s = clock_.now_unix_ms() / 1000;
  const std::int64_t window = now_s / ttl;
  // Near the end of a window, instances with clocks ahead by up to the margin write into the next.
  const bool check_next =
      (window + 1) * ttl - now_s <= std::min<std::int64_t>(kClockSkewMarginSecs, ttl / 2);
  const std::size_t fixed_keys = check_next ? 5 : 4;
  const std::size_t key_count = fixed_keys + (keep_raw ? n : 0);
  std::size_t bytes = 256 + 64 * n;
  for (const auto& item : items) {
    bytes += item.vendor_message_id.size() + item.payload.size();
    if (keep_raw && item.raw_body) bytes += item.raw_key.size() + item.raw_body->size();
  }
  // Written straight into RESP: a vector of arguments would copy every payload once more, and
  // hiredis's formatter again.
  auto& out = call->command;
  out.reserve(bytes);
  append_resp_array(out, 3 + key_count + 1 + (keep_raw ? 4 : 2) * n);
  append_resp_bulk(out, "EVALSHA");
  append_resp_bulk(out, script_sha1_);
  call->tail_at = out.size();
  append_resp_bulk(out, std::to_string(key_count));
  append_resp_bulk(out, keys.inbound());
  for (std::int64_t w : {window, window - 1, window - 2})
    append_resp_bulk(out, keys.dedup_window(w));
  if (check_next) append_resp_bulk(out, keys.dedup_window(window + 1));
  if (keep_raw) {
    // Unused unless the item has a raw body; any of the tenant's keys keeps Cluster happy.
    const std::string unused = keys.raw("");
    for (const auto& item : items) append_resp_bulk(out, item.raw_body ? item.raw_key : unused);
  }
  // The current window lives until the end of the next but one: a backstop behind the UNLINK.
  append_resp_bulk(out, std::to_string((window + 3) * ttl));
  for (const auto& item : items) {
    append_resp_bulk(out, TenantKeys::dedup_field(item.vendor, item.vendor_message_id));
  }
  for (const auto& item : items) append_resp_bulk(out, item.payload);
  if (keep_raw) {
    for (const auto& item : items) append_resp_bulk(out, item.raw_body ? "1" : "0");
    for (const auto& item : items) append_resp_bulk(out, item.raw_body ? *item.raw_body : "");
  }
  call->vendors.reserve(n);
  for (auto& item : items) call->vendors.push_back(std::move(item.vendor));
  call->started = std::chrono::steady_clock::now();
  script_calls_.inc();
  send(std::move(call));
}

// ---- group commit ----------------------------------------------------------------------------

// What one I/O thread stored during one turn of its event loop, per tenant. Only that thread
// touches it: each batching io_context is run by exactly one thread (HttpServer's model).
struct IngestStore::BatchTenant {
  explicit BatchTenant(TenantKeys k) : keys(std::move(k)) {}
  struct Waiter {
    IngestCallback done;
    std::size_t items = 0;  // how many of `items` are this caller's
  };
  TenantKeys keys;
  std::vector<IngestItem> items;
  std::vector<Waiter> waiters;
};

struct IngestStore::Batch {
  explicit Batch(boost::asio::io_context& context) : io(context) {}
  boost::asio::io_context& io;
  std::map<std::string, BatchTenant, std::less<>> tenants;
  bool flush_posted = false;
};

void IngestStore::enable_batching(const std::vector<boost::asio::io_context*>& contexts,
                                  std::size_t max_items) {
  batches_.clear();
  for (auto* io : contexts) batches_.push_back(std::make_shared<Batch>(*io));
  max_batch_items_ = std::max<std::size_t>(1, max_items);
}

std::shared_ptr<IngestStore::Batch> IngestStore::batch_of_this_thread() const {
  for (const auto& b : batches_) {
    if (b->io.get_executor().running_in_this_thread()) return b;
  }
  return nullptr;
}

void IngestStore::add_to_batch(const std::shared_ptr<Batch>& batch, const TenantKeys& keys,
                               std::vector<IngestItem> items, IngestCallback done) {
  auto it = batch->tenants.find(keys.tenant());
  if (it == batch->tenants.end())
    it = batch->tenants.emplace(keys.tenant(), BatchTenant(keys)).first;
  auto& tenant = it->second;
  tenant.waiters.push_back({std::move(done), items.size()});
  for (auto& item : items) tenant.items.push_back(std::move(item));
  if (tenant.items.size() >= max_batch_items_) {
    BatchTenant full = std::move(tenant);
    batch->tenants.erase(it);
    return send_batch(std::move(full));
  }
  if (batch->flush_posted) return;
  batch->flush_posted = true;
  // Queued behind the handlers already ready on this thread, so the requests that arrived in
  // the same turn (other connections' reads) join this batch before it goes out.
  boost::asio::post(batch->io, [this, batch] { flush(*batch); });
}

void IngestStore::flush(Batch& batch) {
  batch.flush_posted = false;
  auto tenants = std::move(batch.tenants);
  batch.tenants.clear();
  for (auto& [name, tenant] : tenants) send_batch(std::move(tenant));
}

// One script call for every request in the batch; each gets its own outcomes, in order, or the
// call's error (then every one of them answers 503 and its vendor retries).
void IngestStore::send_batch(BatchTenant tenant) {
  if (tenant.waiters.size() == 1) {
    return send_items(tenant.keys, std::move(tenant.items), std::move(tenant.waiters.front().done));
  }
  send_items(tenant.keys, std::move(tenant.items),
             [waiters = std::move(tenant.waiters)](Result<std::vector<IngestOutcome>> result) {
               std::size_t next = 0;
               for (const auto& w : waiters) {
                 if (!result) {
                   w.done(result.error());
                   continue;
                 }
                 auto first = result->begin() + static_cast<std::ptrdiff_t>(next);
                 w.done(std::vector<IngestOutcome>(
                     std::make_move_iterator(first),
                     std::make_move_iterator(first + static_cast<std::ptrdiff_t>(w.items))));
                 next += w.items;
               }
             });
}

// EVALSHA first; on NOSCRIPT (a restarted or flushed Redis) EVAL once, which also caches it.
void IngestStore::send(std::shared_ptr<Call> call) {
  std::shared_ptr<const std::string> command(call, &call->command);
  // Written at once: a full batch goes out while this thread is still parsing the rest of its
  // turn (see enable_batching), and Redis gets to work on it meanwhile.
  redis_.command_formatted(
      std::move(command),
      [this, call](Result<RedisReply> reply) {
        if (!reply) return finish(call, reply.error());
        if (call->by_sha && reply->is_error() && reply->str.rfind("NOSCRIPT", 0) == 0) {
          // The client is done with the command (it answered), so it may change for the retry.
          const std::size_t header_end = call->command.find("\r\n") + 2;  // "*<args>\r\n"
          std::string eval(call->command, 0, header_end);
          eval.reserve(call->command.size() + script_.size());
          append_resp_bulk(eval, "EVAL");
          append_resp_bulk(eval, script_);
          eval.append(call->command, call->tail_at);
          call->command = std::move(eval);
          call->by_sha = false;
          return send(call);
        }
        finish(call, parse_outcomes(*reply, call->items));
      },
      RedisWrite::now);
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
