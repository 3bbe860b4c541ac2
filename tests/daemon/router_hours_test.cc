// Specification of business hours in the router against a real redis-server, on a ManualClock:
// a closed queue holds its contacts, the opening offers them, the closing holds new ones again.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

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
constexpr std::int64_t kMonday0800Utc = 1736150400000;  // 2025-01-06T08:00:00Z

constexpr const char* kRules = R"(version: 1
tiers:
  - name: standard
    priority: 0
    default: true
    first_response_secs: {default: 86400}
skills:
  english: English
agents:
  - id: ana
    name: Ana
    skills: {english: 3}
    capacity: {sms: 1}
    total_capacity: 1
queues:
  - name: general
    required_skills: {english: 1}
    reservation_timeout_secs: 86400
    business_hours:
      time_zone: UTC
      weekly:
        mon-fri: ["09:00-17:00"]
      out_of_hours: wait
rules:
  - name: default
    then:
      queue: general
)";

std::string entry(const std::string& event_id, const std::string& from) {
  v1::StreamEntry e;
  e.set_schema_version(1);
  auto* c = e.mutable_contact();
  c->set_event_id(event_id);
  c->set_tenant("demo");
  c->set_channel(v1::CHANNEL_SMS);
  c->mutable_sender()->set_kind("phone");
  c->mutable_sender()->set_value(from);
  c->set_text("hello");
  return e.SerializeAsString();
}

struct Harness {
  explicit Harness(RedisServer& redis_server)
      : redis(redis_server), clock(kMonday0800Utc), log(LogLevel::error) {
    options.lease_ttl = 3s;
    options.block = 100ms;
    options.redis.endpoint = parse_redis_url(redis.url()).value();
    auto parsed = routing::parse_rules(kRules, "hours.yaml");
    REQUIRE(parsed.errors.empty());
    router = std::make_unique<Router>(io, options, parsed.rules, clock, log, metrics);
    router->start();
    REQUIRE(run_until(io, [&] { return router->state() == RouterState::active; }));
  }
  void add(const std::string& payload) {
    const auto before = router->committed_entries();
    redis.command({"XADD", kInbound, "*", "e", payload});
    REQUIRE(run_until(io, [&] { return router->committed_entries() > before; }));
  }
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    for (const auto& [id, fields] : redis.xrange(kAssignments)) {
      v1::AssignmentEvent a;
      REQUIRE(a.ParseFromString(fields.at(1)));
      std::string kind = v1::AssignmentKind_Name(a.kind()).substr(16);
      out.push_back(kind + " " + a.contact_id() + (a.agent_id().empty() ? "" : " " + a.agent_id()));
    }
    return out;
  }
  void at(std::int64_t unix_ms, std::size_t expected_lines) {
    clock.set_unix_ms(unix_ms);
    router->run_timers();
    REQUIRE(run_until(io, [&] { return lines().size() >= expected_lines; }));
  }

  RedisServer& redis;
  boost::asio::io_context io;
  ManualClock clock;
  Logger log;
  Metrics metrics;
  RouterOptions options;
  std::unique_ptr<Router> router;
};

using Lines = std::vector<std::string>;
constexpr std::int64_t kHour = 3600 * 1000;

}  // namespace

TEST_CASE("a contact that arrives before opening waits and is offered when the queue opens") {
  RedisServer redis;
  Harness h(redis);
  h.add(entry("c1", "+15550000001"));
  CHECK(h.lines() == Lines{"QUEUED c1"});

  h.at(kMonday0800Utc + kHour - 1, 1);  // 08:59:59.999: still closed
  h.add(entry("c0", "+15550000000"));   // and the router has run its timers meanwhile
  CHECK(h.lines() == Lines{"QUEUED c1", "QUEUED c0"});

  h.at(kMonday0800Utc + kHour, 3);  // 09:00 opens: Ana gets the most urgent (earliest deadline)
  CHECK(h.lines() == Lines{"QUEUED c1", "QUEUED c0", "OFFERED c1 ana"});
}

TEST_CASE("after closing time new contacts wait again until the next opening") {
  RedisServer redis;
  Harness h(redis);
  h.at(kMonday0800Utc + 9 * kHour, 0);  // 17:00: closed again
  h.add(entry("c1", "+15550000001"));
  h.at(kMonday0800Utc + 24 * kHour, 1);  // Tuesday 08:00: still closed
  CHECK(h.lines() == Lines{"QUEUED c1"});
  h.at(kMonday0800Utc + 25 * kHour, 2);  // Tuesday 09:00
  CHECK(h.lines() == Lines{"QUEUED c1", "OFFERED c1 ana"});
}
