// The durable half of ingest: dedup by vendor message id and XADD to the tenant's inbound
// stream, for a whole request at once, in one Lua script (atomic, one round trip).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "daemon/redis/keys.h"

namespace boost::asio {
class io_context;
}

namespace omniroute {
class Counter;
class Histogram;
class Metrics;
}  // namespace omniroute

namespace omniroute {
class Clock;
}

namespace omniroute::daemon {

class RedisClient;

struct IngestItem {
  std::string vendor;             // adapter name: "twilio"
  std::string vendor_message_id;  // the dedup key within (tenant, vendor)
  std::string payload;            // serialized omniroute.v1.StreamEntry (the "e" field)
  // The raw request body to keep, and where (TenantKeys::raw(event_id) of the same tenant, the
  // key the event's raw_payload_ref names). Ignored when raw retention is off.
  std::optional<std::string> raw_body;
  std::string raw_key;
};

struct IngestOutcome {
  bool duplicate = false;  // seen before: nothing was written
  std::string stream_id;   // the entry's id in the inbound stream (the earlier one if duplicate)
};

struct IngestStoreOptions {
  std::string prefix = "omniroute";
  // Approximate cap of the inbound stream (XADD MAXLEN ~); 0 means uncapped.
  std::int64_t inbound_maxlen = 1'000'000;
  // How long a vendor message id is remembered: at least this, at most twice this (marks live
  // in windows of this length, the current and the previous one are checked; decision 0007).
  std::int64_t dedup_ttl_secs = 3 * 24 * 3600;
  // How long raw request bodies are kept; 0 turns raw retention off.
  std::int64_t raw_payload_ttl_secs = 0;
};

using IngestCallback = std::function<void(Result<std::vector<IngestOutcome>>)>;

// Thread-safe; must outlive the calls it has in flight. All items of one store() go to Redis in
// one script call (shared with other store() calls when batching): either every item is in the
// stream (or found to be a duplicate) or the call failed and the vendor should retry; a dedup
// mark is written with its entry, never before it.
class IngestStore {
 public:
  // Throws std::invalid_argument on a bad prefix or non-positive dedup TTL (start-up only).
  // `clock` places dedup marks in their window (tests move it across windows).
  IngestStore(RedisClient& redis, IngestStoreOptions options, Metrics& metrics, const Clock& clock);

  // `done` gets one outcome per item, in order. Errors: Errc::invalid_input for a bad tenant
  // or item (reported inline, before anything is sent); Errc::unavailable / Errc::timeout when
  // Redis is down or slow (answer 503, the vendor retries); Errc::internal for an unexpected
  // reply. Otherwise `done` runs on a Redis client strand.
  void store(std::string_view tenant, std::vector<IngestItem> items, IngestCallback done);

  // Group commit: store() calls made on the thread of one of `contexts` during one turn of its
  // event loop go to Redis as ONE script call per tenant, so Redis runs the script once for
  // several requests. Each caller still gets exactly its own outcomes, or the call's error.
  // A batch that reaches `max_items` goes out at once, mid-turn: Redis works on it while this
  // thread parses the rest of its turn. (Sending only at the end of a turn made the thread and
  // Redis take turns: 47 k against 63 k webhooks/s on one thread, docs/benchmarks.md; 8 and 16
  // did the same, 32 and more never filled within a turn.) Every context must be run by
  // exactly one thread (HttpServer's model); calls from other threads are sent at once, as
  // without batching. Call before serving.
  void enable_batching(const std::vector<boost::asio::io_context*>& contexts,
                       std::size_t max_items = 8);

  const IngestStoreOptions& options() const { return options_; }
  // The Lua source (with this store's settings in it) and its SHA-1 (what EVALSHA names).
  const std::string& script() const { return script_; }
  const std::string& script_sha1() const { return script_sha1_; }

 private:
  struct Call;
  struct Batch;
  struct BatchTenant;
  Result<void> check(const TenantKeys& keys, const std::vector<IngestItem>& items) const;
  void send_items(const TenantKeys& keys, std::vector<IngestItem> items, IngestCallback done);
  std::shared_ptr<Batch> batch_of_this_thread() const;
  void add_to_batch(const std::shared_ptr<Batch>& batch, const TenantKeys& keys,
                    std::vector<IngestItem> items, IngestCallback done);
  void flush(Batch& batch);
  void send_batch(BatchTenant tenant);
  void send(std::shared_ptr<Call> call);
  void finish(const std::shared_ptr<Call>& call, Result<std::vector<IngestOutcome>> result);

  RedisClient& redis_;
  const IngestStoreOptions options_;
  Metrics& metrics_;
  const Clock& clock_;
  Histogram& xadd_seconds_;
  Counter& script_calls_;
  std::vector<std::shared_ptr<Batch>> batches_;  // one per batching context
  std::size_t max_batch_items_ = 8;
  const std::string script_;
  const std::string script_sha1_;
};

}  // namespace omniroute::daemon
