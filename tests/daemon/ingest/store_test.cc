// Specification of the ingest store against a real redis-server: one entry per vendor
// message, duplicates answered with the first stream id, batches all-or-nothing, raw bodies.
#include "daemon/ingest/store.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "daemon/redis/client.h"
#include "daemon/redis/keys.h"
#include "tests/support/redis_server.h"

using namespace omniroute;
using namespace omniroute::daemon;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;

namespace {

constexpr const char* kInbound = "omniroute:{acme}:inbound";

IngestItem item(const std::string& vendor_id, const std::string& payload = "entry") {
  return IngestItem{"twilio", vendor_id, payload + ":" + vendor_id, std::nullopt, ""};
}

// An item whose raw body is to be kept under the acme tenant's raw key for `event_id`.
IngestItem raw_item(const std::string& vendor_id, std::string body, const std::string& event_id) {
  IngestItem out = item(vendor_id);
  out.raw_body = std::move(body);
  out.raw_key = TenantKeys::make("omniroute", "acme").value().raw(event_id);
  return out;
}

struct Harness {
  explicit Harness(RedisServer& redis, IngestStoreOptions store_options = {},
                   std::size_t connections = 1)
      : log(LogLevel::error),
        client(io, client_options(redis, connections), log, metrics),
        store(client, std::move(store_options), metrics, clock) {
    client.start();
    REQUIRE(run_until(io, [&] { return client.ready_connections() == connections; }));
  }
  static RedisClientOptions client_options(RedisServer& redis, std::size_t connections) {
    RedisClientOptions o;
    o.endpoint = parse_redis_url(redis.url()).value();
    o.connections = connections;
    return o;
  }

  Result<std::vector<IngestOutcome>> put(std::vector<IngestItem> items,
                                         std::string tenant = "acme") {
    std::optional<Result<std::vector<IngestOutcome>>> out;
    store.store(tenant, std::move(items), [&](auto r) { out = std::move(r); });
    REQUIRE(run_until(io, [&] { return out.has_value(); }));
    return std::move(*out);
  }

  // The dedup window of `clock`'s time (unix seconds / dedup TTL).
  std::int64_t window() const {
    return clock.now_unix_ms() / 1000 / store.options().dedup_ttl_secs;
  }
  // The stream id the dedup window `index` holds for a twilio message, "" when none.
  std::string mark(RedisServer& redis, const std::string& id, std::int64_t index) const {
    const auto keys = TenantKeys::make("omniroute", "acme").value();
    return redis.command({"HGET", keys.dedup_window(index), TenantKeys::dedup_field("twilio", id)})
        .str;
  }

  // Starts at the real time: window expiries are absolute, and Redis expires by its own clock.
  ManualClock clock{SystemClock::instance().now_unix_ms()};
  // The unix second at which the clock's dedup window ends.
  std::int64_t window_end_s() const {
    const std::int64_t ttl = store.options().dedup_ttl_secs;
    return (clock.now_unix_ms() / 1000 / ttl + 1) * ttl;
  }
  boost::asio::io_context io;
  Logger log;
  Metrics metrics;
  RedisClient client;
  IngestStore store;
};

// Stores `batches` requests of 100 new messages each, ids "0", "1", ... in order.
void put_numbered(Harness& h, int batches) {
  for (int batch = 0; batch < batches; ++batch) {
    std::vector<IngestItem> items;
    for (int i = 0; i < 100; ++i) items.push_back(item(std::to_string(batch * 100 + i)));
    REQUIRE(h.put(std::move(items)).has_value());
  }
}

// Hour-long dedup windows: tests move the clock across them.
IngestStoreOptions hourly(std::int64_t raw_payload_ttl_secs = 0) {
  IngestStoreOptions options;
  options.dedup_ttl_secs = 3600;
  options.raw_payload_ttl_secs = raw_payload_ttl_secs;
  return options;
}

}  // namespace

TEST_CASE("one new vendor message becomes one stream entry and a dedup mark") {
  RedisServer redis;
  Harness h(redis);
  auto r = h.put({item("SM1", "payload")});
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK_FALSE((*r)[0].duplicate);

  const auto entries = redis.xrange(kInbound);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].first == (*r)[0].stream_id);
  CHECK(entries[0].second == std::vector<std::string>{"e", "payload:SM1"});
  CHECK(h.mark(redis, "SM1", h.window()) == (*r)[0].stream_id);
  // The window outlives the next one (its marks are checked there), plus one as a backstop.
  const std::string window = "omniroute:{acme}:dedup:" + std::to_string(h.window());
  const std::int64_t expires_at = (h.window() + 3) * 3 * 24 * 3600;
  const auto ttl = redis.ttl(window);
  CHECK(ttl > expires_at - h.clock.now_unix_ms() / 1000 - 60);
  CHECK(ttl <= expires_at - h.clock.now_unix_ms() / 1000 + 1);
  CHECK(h.metrics.histogram("omniroute_xadd_seconds", "").count() == 1);
}

TEST_CASE("the same vendor message again is a duplicate with the first stream id") {
  RedisServer redis;
  Harness h(redis);
  auto first = h.put({item("SM1")});
  auto again = h.put({item("SM1")});
  REQUIRE(first.has_value());
  REQUIRE(again.has_value());
  CHECK((*again)[0].duplicate);
  CHECK((*again)[0].stream_id == (*first)[0].stream_id);
  CHECK(redis.xlen(kInbound) == 1);
  CHECK(h.metrics.counter("omniroute_dedup_hits_total", "", {{"vendor", "twilio"}}).value() == 1);
}

TEST_CASE("a batch of three with one seen before adds two entries, outcomes in order") {
  RedisServer redis;
  Harness h(redis);
  auto seen = h.put({item("B")});
  auto r = h.put({item("A"), item("B"), item("C")});
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 3);
  CHECK_FALSE((*r)[0].duplicate);
  CHECK((*r)[1].duplicate);
  CHECK((*r)[1].stream_id == (*seen)[0].stream_id);
  CHECK_FALSE((*r)[2].duplicate);
  CHECK(redis.xlen(kInbound) == 3);
  CHECK((*r)[0].stream_id < (*r)[2].stream_id);  // same millisecond or later: ids still ordered
}

TEST_CASE("a message repeated inside one batch is stored once") {
  RedisServer redis;
  Harness h(redis);
  auto r = h.put({item("X"), item("X")});
  REQUIRE(r.has_value());
  CHECK_FALSE((*r)[0].duplicate);
  CHECK((*r)[1].duplicate);
  CHECK((*r)[1].stream_id == (*r)[0].stream_id);
  CHECK(redis.xlen(kInbound) == 1);
}

TEST_CASE("the same vendor message id from another vendor or tenant is not a duplicate") {
  RedisServer redis;
  Harness h(redis);
  auto other_vendor = item("SAME");
  other_vendor.vendor = "meta";
  REQUIRE_FALSE((*h.put({item("SAME")}))[0].duplicate);
  REQUIRE_FALSE((*h.put({other_vendor}))[0].duplicate);
  REQUIRE_FALSE((*h.put({item("SAME")}, "globex"))[0].duplicate);
  CHECK(redis.xlen(kInbound) == 2);
  CHECK(redis.xlen("omniroute:{globex}:inbound") == 1);
}

TEST_CASE("a vendor retry in the next dedup window is still a duplicate (TTL at least)") {
  RedisServer redis;
  Harness h(redis, hourly());
  h.clock.set_unix_ms((h.window_end_s() - 600) * 1000);  // 600 s before a window ends
  auto first = h.put({item("SM1")});
  h.clock.advance(std::chrono::seconds(3599));  // just under the TTL later: the next window
  auto again = h.put({item("SM1")});
  REQUIRE(first.has_value());
  REQUIRE(again.has_value());
  CHECK((*again)[0].duplicate);
  CHECK((*again)[0].stream_id == (*first)[0].stream_id);
  CHECK(redis.xlen(kInbound) == 1);
}

TEST_CASE(
    "an instance whose clock is a little behind finds the mark of one already in the next "
    "window") {
  RedisServer redis;
  Harness ahead(redis, hourly());
  Harness behind(redis, hourly());
  const std::int64_t boundary_s = ahead.window_end_s();
  ahead.clock.set_unix_ms((boundary_s + 1) * 1000);
  behind.clock.set_unix_ms((boundary_s - 1) * 1000);
  REQUIRE(ahead.window() == behind.window() + 1);
  auto first = ahead.put({item("SM1")});
  auto retry = behind.put({item("SM1")});
  REQUIRE(first.has_value());
  REQUIRE(retry.has_value());
  CHECK((*retry)[0].duplicate);
  CHECK((*retry)[0].stream_id == (*first)[0].stream_id);
  CHECK(redis.xlen(kInbound) == 1);
}

TEST_CASE("near a window's end, with retention on, raw bodies still land under their own keys") {
  RedisServer redis;
  Harness h(redis, hourly(600));
  h.clock.set_unix_ms((h.window_end_s() - 5) * 1000);  // the next window is checked too
  auto keys = TenantKeys::make("omniroute", "acme").value();
  auto with_raw = raw_item("R1", "body", "01RAW");
  auto r = h.put({item("P1"), with_raw});
  REQUIRE(r.has_value());
  CHECK(redis.get(keys.raw("01RAW")) == "body");
  CHECK(h.mark(redis, "R1", h.window()) == (*r)[1].stream_id);
  CHECK(redis.xlen(kInbound) == 2);
}

TEST_CASE("after two dedup windows a vendor message id is forgotten (TTL at most twice)") {
  RedisServer redis;
  Harness h(redis, hourly());
  auto first = h.put({item("SM1")});
  h.clock.advance(std::chrono::seconds(2 * 3600));
  auto later = h.put({item("SM1")});
  REQUIRE(later.has_value());
  CHECK_FALSE((*later)[0].duplicate);
  CHECK(redis.xlen(kInbound) == 2);
}

TEST_CASE("a new dedup window unlinks the one before the previous; the previous stays") {
  RedisServer redis;
  Harness h(redis, hourly());
  const auto start = h.window();
  for (int w = 0; w < 3; ++w) {
    REQUIRE(h.put({item("W" + std::to_string(w))}).has_value());
    h.clock.advance(std::chrono::seconds(3600));
  }
  CHECK(h.window() == start + 3);
  CHECK_FALSE(redis.exists("omniroute:{acme}:dedup:" + std::to_string(start)));
  CHECK(h.mark(redis, "W1", start + 1) != "");
  CHECK(h.mark(redis, "W2", start + 2) != "");
  // Only a window's first write does the housekeeping: a later one neither sets its expiry
  // again nor unlinks the window before the previous.
  const std::string current = "omniroute:{acme}:dedup:" + std::to_string(start + 2);
  const std::string two_before = "omniroute:{acme}:dedup:" + std::to_string(start);
  h.clock.advance(std::chrono::seconds(-3600));  // back in window start + 2
  redis.command({"PERSIST", current});
  redis.command({"HSET", two_before, "twilio:old", "1-0"});
  REQUIRE(h.put({item("W2b")}).has_value());
  CHECK(redis.ttl(current) == -1);
  CHECK(redis.exists(two_before));
  CHECK(h.mark(redis, "W1", start + 1) != "");
}

TEST_CASE("two deliveries of one message racing on two connections store it once") {
  RedisServer redis;
  Harness h(redis, {}, 2);
  std::vector<Result<std::vector<IngestOutcome>>> results;
  for (int i = 0; i < 2; ++i) {
    h.store.store("acme", {item("RACE")}, [&](auto r) { results.push_back(std::move(r)); });
  }
  REQUIRE(run_until(h.io, [&] { return results.size() == 2; }));
  REQUIRE(results[0].has_value());
  REQUIRE(results[1].has_value());
  CHECK((*results[0])[0].duplicate != (*results[1])[0].duplicate);
  CHECK(redis.xlen(kInbound) == 1);
}

TEST_CASE("the inbound stream is capped approximately at inbound_maxlen") {
  RedisServer redis;
  IngestStoreOptions options;
  options.inbound_maxlen = 10;
  Harness h(redis, options);
  put_numbered(h, 10);
  const auto len = redis.xlen(kInbound);
  CHECK(len >= 10);
  CHECK(len <= 10 + 100);  // MAXLEN ~ trims whole radix-tree nodes (100 entries by default)
}

TEST_CASE("with inbound_maxlen 0 the inbound stream is not capped") {
  RedisServer redis;
  IngestStoreOptions options;
  options.inbound_maxlen = 0;
  Harness h(redis, options);
  put_numbered(h, 3);
  CHECK(redis.xlen(kInbound) == 300);
  CHECK(h.mark(redis, "299", h.window()) == redis.xrange(kInbound).back().first);
}

TEST_CASE("with retention on, a batch mixing raw bodies, none and a repeat keeps each item apart") {
  RedisServer redis;
  IngestStoreOptions options;
  options.raw_payload_ttl_secs = 600;
  Harness h(redis, options);
  auto keys = TenantKeys::make("omniroute", "acme").value();
  auto first = raw_item("M1", "body one", "01EVENTONE");
  auto second = item("M2");  // no raw body
  auto third = raw_item("M3", "body three", "01EVENTTHREE");
  auto r = h.put({first, second, item("M1"), third});
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 4);
  CHECK_FALSE((*r)[0].duplicate);
  CHECK_FALSE((*r)[1].duplicate);
  CHECK((*r)[2].duplicate);
  CHECK((*r)[2].stream_id == (*r)[0].stream_id);
  CHECK_FALSE((*r)[3].duplicate);
  CHECK(redis.xlen(kInbound) == 3);
  CHECK(h.mark(redis, "M2", h.window()) == (*r)[1].stream_id);
  CHECK(h.mark(redis, "M3", h.window()) == (*r)[3].stream_id);
  CHECK(redis.get(keys.raw("01EVENTONE")) == "body one");
  CHECK(redis.get(keys.raw("01EVENTTHREE")) == "body three");
  CHECK(redis.ttl(keys.raw("01EVENTTHREE")) > 500);
  CHECK(redis.keys().size() == 4);  // inbound, the dedup window, two raw bodies
}

TEST_CASE("raw bodies are kept with their TTL when retention is on") {
  RedisServer redis;
  IngestStoreOptions options;
  options.raw_payload_ttl_secs = 3600;
  Harness h(redis, options);
  auto keys = TenantKeys::make("omniroute", "acme").value();
  auto with_raw = raw_item("R1", std::string("Body=hello&From=%2B1555\0", 24), "01HZYEVENT");
  REQUIRE(h.put({with_raw}).has_value());
  CHECK(redis.get(keys.raw("01HZYEVENT")) == *with_raw.raw_body);
  const auto ttl = redis.ttl(keys.raw("01HZYEVENT"));
  CHECK(ttl > 3500);
  CHECK(ttl <= 3600);
}

TEST_CASE("raw bodies are not written when retention is off") {
  RedisServer redis;
  Harness h(redis);  // raw_payload_ttl_secs = 0
  auto with_raw = item("R1");
  with_raw.raw_body = "Body=hello";
  with_raw.raw_key = "omniroute:{acme}:raw:01HZYEVENT";
  REQUIRE(h.put({with_raw}).has_value());
  CHECK_FALSE(redis.exists("omniroute:{acme}:raw:01HZYEVENT"));
  CHECK(redis.xlen(kInbound) == 1);
}

TEST_CASE("a raw key outside the tenant's keys is refused and nothing is written") {
  RedisServer redis;
  IngestStoreOptions options;
  options.raw_payload_ttl_secs = 60;
  Harness h(redis, options);
  auto bad = item("R1");
  bad.raw_body = "x";
  bad.raw_key = "omniroute:{globex}:raw:1";
  auto r = h.put({item("OK"), bad});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::invalid_input);
  CHECK(redis.keys().empty());
}

TEST_CASE("the script is reloaded after SCRIPT FLUSH (NOSCRIPT recovery)") {
  RedisServer redis;
  Harness h(redis);
  REQUIRE(h.put({item("1")}).has_value());
  redis.command({"SCRIPT", "FLUSH"});
  CHECK(redis.command({"SCRIPT", "EXISTS", h.store.script_sha1()}).elements[0].integer == 0);
  auto r = h.put({item("2"), item("1")});
  REQUIRE(r.has_value());
  CHECK_FALSE((*r)[0].duplicate);
  CHECK((*r)[1].duplicate);
  CHECK(redis.command({"SCRIPT", "EXISTS", h.store.script_sha1()}).elements[0].integer == 1);
  CHECK(redis.xlen(kInbound) == 2);
}

TEST_CASE("every key the store writes carries the tenant's hash tag") {
  RedisServer redis;
  IngestStoreOptions options;
  options.raw_payload_ttl_secs = 60;
  Harness h(redis, options);
  auto a = raw_item("{weird}id", "raw", "01A");
  REQUIRE(h.put({a, item("plain")}).has_value());
  const auto written = redis.keys();
  CHECK(written.size() == 3);  // stream, the dedup window, one raw body
  for (const auto& key : written) {
    INFO(key);
    CHECK(redis_hash_tag(key) == "acme");
  }
}

TEST_CASE("an invalid tenant or item is refused before anything is sent") {
  RedisServer redis;
  Harness h(redis);
  auto bad_tenant = h.put({item("1")}, "Acme Corp");
  REQUIRE_FALSE(bad_tenant.has_value());
  CHECK(bad_tenant.error().code == Errc::invalid_input);
  auto no_id = h.put({item("")});
  REQUIRE_FALSE(no_id.has_value());
  CHECK(no_id.error().code == Errc::invalid_input);
  CHECK(redis.keys().empty());
}

TEST_CASE("a script that fails half-way leaves no dedup mark, so the vendor's retry is stored") {
  RedisServer redis;
  Harness h(redis);
  redis.command({"SET", kInbound, "not a stream"});  // the XADD will fail with WRONGTYPE
  auto r = h.put({item("SM1")});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::internal);
  CHECK(r.error().message.find("WRONGTYPE") != std::string::npos);
  CHECK(h.mark(redis, "SM1", h.window()) == "");
  redis.command({"DEL", kInbound});
  auto retry = h.put({item("SM1")});
  REQUIRE(retry.has_value());
  CHECK_FALSE((*retry)[0].duplicate);
  CHECK(redis.xlen(kInbound) == 1);
}

TEST_CASE("a Redis that refuses writes for now (READONLY) is unavailable: the vendor retries") {
  RedisServer redis;
  Harness h(redis);
  // A replica of nobody: reads work, every write answers READONLY, as during a fail-over.
  redis.command({"REPLICAOF", "127.0.0.1", "1"});
  auto r = h.put({item("SM1")});
  redis.command({"REPLICAOF", "NO", "ONE"});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::unavailable);
  CHECK(http_status(r.error().code) == 503);
  CHECK(redis.xlen(kInbound) == 0);
}

TEST_CASE("with Redis down the store answers unavailable, so the vendor gets a 503") {
  RedisServer redis;
  Harness h(redis);
  redis.stop();
  REQUIRE(run_until(h.io, [&] { return !h.client.ready(); }));
  auto r = h.put({item("1")});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::unavailable);
  CHECK(http_status(r.error().code) == 503);
}

// ---- group commit (enable_batching) ---------------------------------------------------------

namespace {

using Outcomes = std::optional<Result<std::vector<IngestOutcome>>>;

// Stores each request from inside one handler on `h.io`, as the I/O thread does for webhooks
// read in the same turn, then runs the loop until every request has its answer.
std::vector<Outcomes> store_in_one_turn(Harness& h, std::vector<std::vector<IngestItem>> requests,
                                        const std::string& tenant = "acme") {
  std::vector<Outcomes> out(requests.size());
  boost::asio::post(h.io, [&] {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      h.store.store(tenant, std::move(requests[i]), [&out, i](auto r) { out[i] = std::move(r); });
    }
  });
  REQUIRE(run_until(h.io, [&] {
    return std::all_of(out.begin(), out.end(), [](const Outcomes& o) { return o.has_value(); });
  }));
  return out;
}

std::uint64_t script_calls(Harness& h) {
  return h.metrics
      .counter("omniroute_ingest_script_calls_total",
               "Dedup+XADD script calls; with batching one serves several requests")
      .value();
}

}  // namespace

TEST_CASE("batching: requests stored in one loop turn share one script call, each gets its own") {
  RedisServer redis;
  Harness h(redis);
  h.store.enable_batching({&h.io});
  REQUIRE(h.put({item("seen")}).has_value());  // one request alone is its own batch
  const auto before = script_calls(h);
  auto out =
      store_in_one_turn(h, {{item("a")}, {item("b"), item("c")}, {item("seen")}, {item("a")}});
  CHECK(script_calls(h) == before + 1);
  REQUIRE(out[0]->has_value());
  REQUIRE((*out[1])->size() == 2);
  CHECK_FALSE((**out[0])[0].duplicate);
  CHECK_FALSE((**out[1])[0].duplicate);
  CHECK_FALSE((**out[1])[1].duplicate);
  CHECK((**out[2])[0].duplicate);  // stored before the batch
  // The same vendor message twice in one batch (a vendor retry racing the first delivery):
  // stored once, and the second caller is told the first one's stream id.
  CHECK((**out[3])[0].duplicate);
  CHECK((**out[3])[0].stream_id == (**out[0])[0].stream_id);
  CHECK(redis.xlen(kInbound) == 4);  // seen, a, b, c
}

TEST_CASE("batching: a bad request fails alone; the others in its turn are stored") {
  RedisServer redis;
  Harness h(redis);
  h.store.enable_batching({&h.io});
  IngestItem bad = item("x");
  bad.vendor_message_id.clear();
  auto out = store_in_one_turn(h, {{item("1")}, {bad}, {item("2")}});
  CHECK(out[0]->has_value());
  REQUIRE_FALSE(out[1]->has_value());
  CHECK(out[1]->error().code == Errc::invalid_input);
  CHECK(out[2]->has_value());
  CHECK(redis.xlen(kInbound) == 2);
}

TEST_CASE("batching: a full batch goes out at max_items, the rest in the next call") {
  RedisServer redis;
  Harness h(redis);
  h.store.enable_batching({&h.io}, 2);
  const auto before = script_calls(h);
  auto out = store_in_one_turn(h, {{item("1")}, {item("2")}, {item("3")}});
  CHECK(script_calls(h) == before + 2);
  for (const auto& o : out) CHECK(o->has_value());
  CHECK(redis.xlen(kInbound) == 3);
}

TEST_CASE("batching: a full batch is in Redis before the turn that filled it ends") {
  // As in the daemon: a client whose connection belongs to the I/O thread's own io_context,
  // so a command goes out inline rather than through a posted handler.
  RedisServer redis;
  boost::asio::io_context io{1};
  Logger log(LogLevel::error);
  Metrics metrics;
  ManualClock clock{SystemClock::instance().now_unix_ms()};
  RedisClient client({&io}, Harness::client_options(redis, 1), log, metrics);
  IngestStore store(client, {}, metrics, clock);
  store.enable_batching({&io}, 2);
  client.start();
  REQUIRE(run_until(io, [&] { return client.ready(); }));
  // A first webhook alone loads the script (EVALSHA, NOSCRIPT, EVAL): the batch below then
  // runs in one round trip.
  int answered = 0;
  store.store("acme", {item("0")}, [&](auto) { ++answered; });
  REQUIRE(run_until(io, [&] { return answered == 1; }));

  long long full_batch_seen = -1, after_third = -1;
  boost::asio::post(io, [&] {
    for (const char* id : {"1", "2"}) store.store("acme", {item(id)}, [&](auto) { ++answered; });
    // Still inside this turn: Redis is already storing the full batch.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (redis.xlen(kInbound) < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    full_batch_seen = redis.xlen(kInbound);
    store.store("acme", {item("3")}, [&](auto) { ++answered; });
    after_third = redis.xlen(kInbound);  // a batch that is not full waits for the turn's end
  });
  REQUIRE(run_until(io, [&] { return answered == 4; }));
  CHECK(full_batch_seen == 3);
  CHECK(after_third == 3);
  CHECK(redis.xlen(kInbound) == 4);
  client.stop();
  io.run_for(std::chrono::milliseconds(50));
}

TEST_CASE("batching: with Redis down every request of the batch answers unavailable") {
  RedisServer redis;
  Harness h(redis);
  h.store.enable_batching({&h.io});
  redis.stop();
  REQUIRE(run_until(h.io, [&] { return !h.client.ready(); }));
  auto out = store_in_one_turn(h, {{item("1")}, {item("2")}});
  for (const auto& o : out) {
    REQUIRE_FALSE(o->has_value());
    CHECK(o->error().code == Errc::unavailable);
  }
}

TEST_CASE("batching: requests of two tenants in one turn go to their own streams") {
  RedisServer redis;
  Harness h(redis);
  h.store.enable_batching({&h.io});
  std::vector<Outcomes> out(2);
  boost::asio::post(h.io, [&] {
    h.store.store("acme", {item("1")}, [&](auto r) { out[0] = std::move(r); });
    h.store.store("zeta", {item("1")}, [&](auto r) { out[1] = std::move(r); });
  });
  REQUIRE(run_until(h.io, [&] { return out[0].has_value() && out[1].has_value(); }));
  CHECK(out[0]->has_value());
  CHECK(out[1]->has_value());
  CHECK(redis.xlen(kInbound) == 1);
  CHECK(redis.xlen("omniroute:{zeta}:inbound") == 1);
}
