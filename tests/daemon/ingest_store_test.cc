// Specification of the ingest store against a real redis-server: one entry per vendor
// message, duplicates answered with the first stream id, batches all-or-nothing, raw bodies.
#include "daemon/ingest_store.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "daemon/keys.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/redis_client.h"
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

struct Harness {
  explicit Harness(RedisServer& redis, IngestStoreOptions store_options = {},
                   std::size_t connections = 1)
      : log(LogLevel::error),
        client(io, client_options(redis, connections), log, metrics),
        store(client, std::move(store_options), metrics) {
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

  boost::asio::io_context io;
  Logger log;
  Metrics metrics;
  RedisClient client;
  IngestStore store;
};

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
  const std::string dedup = "omniroute:{acme}:dedup:twilio:SM1";
  CHECK(redis.get(dedup) == (*r)[0].stream_id);
  CHECK(redis.ttl(dedup) > 3 * 24 * 3600 - 60);
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
  for (int batch = 0; batch < 10; ++batch) {
    std::vector<IngestItem> items;
    for (int i = 0; i < 100; ++i) items.push_back(item(std::to_string(batch * 100 + i)));
    REQUIRE(h.put(std::move(items)).has_value());
  }
  const auto len = redis.xlen(kInbound);
  CHECK(len >= 10);
  CHECK(len <= 10 + 100);  // MAXLEN ~ trims whole radix-tree nodes (100 entries by default)
}

TEST_CASE("with inbound_maxlen 0 the inbound stream is not capped") {
  RedisServer redis;
  IngestStoreOptions options;
  options.inbound_maxlen = 0;
  Harness h(redis, options);
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<IngestItem> items;
    for (int i = 0; i < 100; ++i) items.push_back(item(std::to_string(batch * 100 + i)));
    REQUIRE(h.put(std::move(items)).has_value());
  }
  CHECK(redis.xlen(kInbound) == 300);
  CHECK(redis.get("omniroute:{acme}:dedup:twilio:299") == redis.xrange(kInbound).back().first);
}

TEST_CASE("with retention on, a batch mixing raw bodies, none and a repeat keeps each item apart") {
  RedisServer redis;
  IngestStoreOptions options;
  options.raw_payload_ttl_secs = 600;
  Harness h(redis, options);
  auto keys = TenantKeys::make("omniroute", "acme").value();
  auto first = item("M1");
  first.raw_body = "body one";
  first.raw_key = keys.raw("01EVENTONE");
  auto second = item("M2");  // no raw body
  auto third = item("M3");
  third.raw_body = "body three";
  third.raw_key = keys.raw("01EVENTTHREE");
  auto r = h.put({first, second, item("M1"), third});
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 4);
  CHECK_FALSE((*r)[0].duplicate);
  CHECK_FALSE((*r)[1].duplicate);
  CHECK((*r)[2].duplicate);
  CHECK((*r)[2].stream_id == (*r)[0].stream_id);
  CHECK_FALSE((*r)[3].duplicate);
  CHECK(redis.xlen(kInbound) == 3);
  CHECK(redis.get(keys.dedup("twilio", "M2")) == (*r)[1].stream_id);
  CHECK(redis.get(keys.dedup("twilio", "M3")) == (*r)[3].stream_id);
  CHECK(redis.get(keys.raw("01EVENTONE")) == "body one");
  CHECK(redis.get(keys.raw("01EVENTTHREE")) == "body three");
  CHECK(redis.ttl(keys.raw("01EVENTTHREE")) > 500);
  CHECK(redis.keys().size() == 6);  // inbound, three dedup marks, two raw bodies
}

TEST_CASE("raw bodies are kept with their TTL when retention is on") {
  RedisServer redis;
  IngestStoreOptions options;
  options.raw_payload_ttl_secs = 3600;
  Harness h(redis, options);
  auto keys = TenantKeys::make("omniroute", "acme").value();
  auto with_raw = item("R1");
  with_raw.raw_body = std::string("Body=hello&From=%2B1555\0", 24);
  with_raw.raw_key = keys.raw("01HZYEVENT");
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
  auto keys = TenantKeys::make("omniroute", "acme").value();
  auto a = item("{weird}id");
  a.raw_body = "raw";
  a.raw_key = keys.raw("01A");
  REQUIRE(h.put({a, item("plain")}).has_value());
  const auto written = redis.keys();
  CHECK(written.size() == 4);  // stream, two dedup marks, one raw body
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
