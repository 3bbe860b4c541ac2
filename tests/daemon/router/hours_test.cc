// Specification of business hours in the router against a real redis-server, on a ManualClock:
// a closed queue holds its contacts, the opening offers them, the closing holds new ones again.
#include <catch2/catch.hpp>

#include "tests/daemon/router/test_support.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace omniroute::testing::router;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;
using namespace std::chrono_literals;

namespace {

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
    initial_presence: available
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

struct Harness : RouterHarness {
  explicit Harness(RedisServer& redis_server) : RouterHarness(redis_server) {
    clock.set_unix_ms(kMonday0800Utc);
    router = make_router(parse_test_rules(kRules, "hours.yaml"));
    wait_active(*router);
  }
  void add(const std::string& payload) { add_committed(*router, payload); }
  void at(std::int64_t unix_ms, std::size_t expected_lines) {
    clock.set_unix_ms(unix_ms);
    router->run_timers();
    REQUIRE(run_until(io, [&] { return lines().size() >= expected_lines; }));
  }

  std::unique_ptr<Router> router;
};

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
