// Specification of the router role against a real redis-server: contacts in, assignment events
// out in order, ACK only with the effect, replays change nothing, threading, identity links,
// timers on an injected clock, rebuild from Redis, and fencing of a deposed writer.
#include <catch2/catch.hpp>
#include <optional>

#include "daemon/router/identity.h"
#include "tests/daemon/router/test_support.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace omniroute::testing::router;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;
using namespace std::chrono_literals;

namespace {

std::string rules_yaml(bool auto_accept = false) {
  return std::string(R"(version: 1
tiers:
  - name: standard
    priority: 0
    default: true
    first_response_secs: {default: 600}
skills:
  english: English
agents:
  - id: ana
    name: Ana
    skills: {english: 3}
    capacity: {sms: 1, email: 1}
    total_capacity: 1
    initial_presence: available
queues:
  - name: general
    required_skills: {english: 1}
    reservation_timeout_secs: 30
    auto_accept: )") +
         (auto_accept ? "true" : "false") + R"(
rules:
  - name: default
    then:
      queue: general
)";
}

struct Harness : RouterHarness {
  explicit Harness(RedisServer& redis_server, bool auto_accept = false,
                   std::chrono::milliseconds lease_ttl = 3s)
      : RouterHarness(redis_server) {
    options.prefix = "omni";
    options.tenant = "demo";
    options.lease_ttl = lease_ttl;
    the_rules = parse_test_rules(rules_yaml(auto_accept), "test-rules.yaml");
  }
  std::unique_ptr<Router> start(const std::string& consumer) {
    return make_router(the_rules, consumer);
  }
  void add(const std::string& payload) { xadd(payload); }
  void wait_committed(Router& r, std::uint64_t n) {
    REQUIRE(run_until(io, [&] { return r.committed_entries() >= n; }));
  }
  long long pending() {
    return redis.command({"XPENDING", kInbound, "router"}).elements[0].integer;
  }

  std::shared_ptr<const routing::Rules> the_rules;
};

}  // namespace

TEST_CASE("contacts in, assignment events out in order, every entry ACKed with its effect") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start("r1");
  REQUIRE(run_until(h.io, [&] { return router->state() == RouterState::active; }));
  h.add(entry("c1", "phone", "+15550000001"));
  h.add(entry("c2", "phone", "+15550000002"));
  h.wait_committed(*router, 2);
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana", "QUEUED c2"});
  CHECK(h.pending() == 0);
  auto offered = h.assignments()[1];
  CHECK(offered.rule() == "default");
  CHECK(offered.queue() == "general");
  CHECK(offered.tier() == "standard");
  CHECK(offered.channel() == "sms");
  CHECK(offered.customer_id().size() == 26);
  CHECK(offered.rules_version() == h.the_rules->version);
  CHECK(offered.offer_expires_unix_ms() == h.clock.now_unix_ms() + 30000);
  CHECK(h.metrics.render().find("omniroute_router_contacts_routed_total{tenant=\"demo\"} 2") !=
        std::string::npos);
}

TEST_CASE("the same stream entry applied twice changes nothing") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start("r1");
  h.add(entry("c1", "phone", "+15550000001"));
  h.add(entry("c1", "phone", "+15550000001"));
  h.wait_committed(*router, 2);
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana"});
  CHECK(h.pending() == 0);
}

TEST_CASE("an undecodable entry is dead-lettered with the reason and ACKed") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start("r1");
  const auto id = redis.command({"XADD", kInbound, "*", "e", "not a protobuf \xff\xff"}).str;
  h.add(entry("c1", "phone", "+15550000001"));
  h.wait_committed(*router, 2);
  auto dead = redis.xrange("omni:{demo}:deadletter");
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].second == std::vector<std::string>{"e", "not a protobuf \xff\xff", "reason",
                                                   "stream entry is not a StreamEntry protobuf",
                                                   "stream", "inbound", "id", id, "deliveries",
                                                   "1"});
  CHECK(h.metrics.render().find("omniroute_router_dead_letters_total{tenant=\"demo\",stream="
                                "\"inbound\",reason=\"undecodable\"} 1") != std::string::npos);
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana"});
  CHECK(h.pending() == 0);
}

TEST_CASE("a second message from a customer with an open conversation joins it") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start("r1");
  h.add(entry("c1", "phone", "+15550000001"));
  h.add(entry("m2", "whatsapp", "+1 555 000 0001", v1::CHANNEL_SMS));
  h.add(entry("c3", "phone", "+15550000001", v1::CHANNEL_EMAIL));  // another channel: new contact
  h.wait_committed(*router, 3);
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana", "MESSAGE_APPENDED c1 ana", "QUEUED c3"});
  auto events = h.assignments();
  CHECK(events[2].message_event_id() == "m2");
  CHECK(events[3].customer_id() == events[0].customer_id());
}

TEST_CASE("identities linked through the API are one customer across channels") {
  RedisServer redis;
  Harness h(redis);
  RedisClientOptions o;
  o.endpoint = h.options.redis.endpoint;
  RedisClient client(h.io, o, h.log, h.metrics);
  client.start();
  IdentityStore ids(client, TenantKeys::make("omni", "demo").value(), h.clock);
  std::optional<Result<std::string>> linked;
  REQUIRE(run_until(h.io, [&] { return client.ready(); }));
  ids.link("phone:+15550000001", "email:bo@example.com", [&](auto r) { linked = r; });
  REQUIRE(run_until(h.io, [&] { return linked.has_value(); }));

  auto router = h.start("r1");
  h.add(entry("c1", "phone", "+15550000001"));
  h.add(entry("c2", "email", "Bo@Example.com", v1::CHANNEL_EMAIL));
  h.wait_committed(*router, 2);
  auto events = h.assignments();
  REQUIRE(events.size() == 3);
  CHECK(events[0].customer_id() == **linked);
  CHECK(events[2].customer_id() == **linked);
  client.stop();
}

TEST_CASE("an offer not accepted in time times out on the injected clock") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start("r1");
  h.add(entry("c1", "phone", "+15550000001"));
  h.wait_committed(*router, 1);
  h.clock.advance(31s);
  router->run_timers();
  REQUIRE(run_until(h.io, [&] { return h.lines().size() >= 3; }));
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana", "TIMED_OUT c1 ana"});
}

TEST_CASE("a new router rebuilds the state from Redis: the busy agent stays busy") {
  RedisServer redis;
  Harness h(redis);
  auto first = h.start("r1");
  h.add(entry("c1", "phone", "+15550000001"));
  h.wait_committed(*first, 1);
  h.stop_router(first);

  auto second = h.start("r2");
  REQUIRE(run_until(h.io, [&] { return second->state() == RouterState::active; }));
  CHECK(second->fencing_token() == 2);
  h.add(entry("c2", "phone", "+15550000002"));
  h.wait_committed(*second, 1);
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana", "QUEUED c2"});
}

TEST_CASE("a deposed router writes nothing; its entry is routed once after the lease returns") {
  RedisServer redis;
  Harness h(redis, false, 300ms);
  auto router = h.start("r1");
  REQUIRE(run_until(h.io, [&] { return router->state() == RouterState::active; }));
  const auto token = router->fencing_token();
  redis.command({"INCR", "omni:{demo}:router:fence"});  // someone else was made the writer
  h.add(entry("c1", "phone", "+15550000001"));
  REQUIRE(run_until(h.io, [&] { return router->state() == RouterState::standby; }));
  CHECK(redis.xlen(kAssignments) == 0);
  CHECK(h.pending() <= 1);

  // Our stale lease lapses; we win it again with a new token and claim what was left.
  REQUIRE(run_until(h.io, [&] { return router->committed_entries() >= 1; }));
  CHECK(router->fencing_token() > token + 1);
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana"});
  CHECK(h.pending() == 0);
}

TEST_CASE("new rules take effect for the next contact") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start("r1");
  h.add(entry("c1", "phone", "+15550000001"));
  h.wait_committed(*router, 1);
  auto text = rules_yaml();
  text.replace(text.find("name: default"), 13, "name: fallback");
  auto parsed = routing::parse_rules(text, "new.yaml");
  REQUIRE(parsed.errors.empty());
  router->set_rules(parsed.rules);
  h.add(entry("c2", "phone", "+15550000002"));
  h.wait_committed(*router, 2);
  auto events = h.assignments();
  REQUIRE(events.size() == 3);
  CHECK(events[2].rule() == "fallback");
  CHECK(events[2].rules_version() == parsed.rules->version);
}
