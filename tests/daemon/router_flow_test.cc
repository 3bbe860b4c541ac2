// Specification of the router role against a real redis-server: contacts in, assignment events
// out in order, ACK only with the effect, replays change nothing, threading, identity links,
// timers on an injected clock, rebuild from Redis, and fencing of a deposed writer.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "daemon/identity.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/router.h"
#include "omniroute/v1/assignment.pb.h"
#include "omniroute/v1/contact_event.pb.h"
#include "routing/rules_yaml.h"
#include "tests/support/redis_server.h"

using namespace omniroute;
using namespace omniroute::daemon;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;
using namespace std::chrono_literals;

namespace {

constexpr const char* kInbound = "omni:{demo}:inbound";
constexpr const char* kAssignments = "omni:{demo}:assignments";

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

std::shared_ptr<const routing::Rules> rules(bool auto_accept = false) {
  auto parsed = routing::parse_rules(rules_yaml(auto_accept), "test-rules.yaml");
  REQUIRE(parsed.errors.empty());
  return parsed.rules;
}

std::string entry(const std::string& event_id, const std::string& kind, const std::string& from,
                  v1::Channel channel = v1::CHANNEL_SMS) {
  v1::StreamEntry e;
  e.set_schema_version(1);
  auto* c = e.mutable_contact();
  c->set_event_id(event_id);
  c->set_tenant("demo");
  c->set_channel(channel);
  c->mutable_sender()->set_kind(kind);
  c->mutable_sender()->set_value(from);
  c->set_text("hello");
  return e.SerializeAsString();
}

struct Harness {
  explicit Harness(RedisServer& redis_server, bool auto_accept = false,
                   std::chrono::milliseconds lease_ttl = 3s)
      : redis(redis_server), log(LogLevel::error) {
    options.prefix = "omni";
    options.tenant = "demo";
    options.lease_ttl = lease_ttl;
    options.block = 100ms;
    options.redis.endpoint = parse_redis_url(redis.url()).value();
    the_rules = rules(auto_accept);
  }
  std::unique_ptr<Router> start(const std::string& consumer) {
    options.consumer = consumer;
    auto r = std::make_unique<Router>(io, options, the_rules, clock, log, metrics);
    r->start();
    return r;
  }
  void add(const std::string& payload) { redis.command({"XADD", kInbound, "*", "e", payload}); }
  void wait_committed(Router& r, std::uint64_t n) {
    REQUIRE(run_until(io, [&] { return r.committed_entries() >= n; }));
  }
  std::vector<v1::AssignmentEvent> assignments() {
    std::vector<v1::AssignmentEvent> out;
    for (const auto& [id, fields] : redis.xrange(kAssignments)) {
      v1::AssignmentEvent a;
      REQUIRE(a.ParseFromString(fields.at(1)));
      out.push_back(a);
    }
    return out;
  }
  // "QUEUED c1", "OFFERED c1 ana": the sequence of decisions.
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    for (const auto& a : assignments()) {
      std::string kind = v1::AssignmentKind_Name(a.kind()).substr(16);
      out.push_back(kind + " " + a.contact_id() + (a.agent_id().empty() ? "" : " " + a.agent_id()));
    }
    return out;
  }
  long long pending() {
    return redis.command({"XPENDING", kInbound, "router"}).elements[0].integer;
  }

  RedisServer& redis;
  boost::asio::io_context io;
  ManualClock clock;
  Logger log;
  Metrics metrics;
  RouterOptions options;
  std::shared_ptr<const routing::Rules> the_rules;
};

using Lines = std::vector<std::string>;

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
  h.add("not a protobuf \xff\xff");
  h.add(entry("c1", "phone", "+15550000001"));
  h.wait_committed(*router, 2);
  auto dead = redis.xrange("omni:{demo}:deadletter");
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].second.at(2) == "reason");
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
  first->stop();
  REQUIRE(run_until(h.io, [&] { return !redis.exists("omni:{demo}:router:lease"); }));
  first.reset();

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
