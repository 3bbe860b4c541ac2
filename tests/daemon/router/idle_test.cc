// Specification of the conversation idle close against a real redis-server, on a ManualClock:
// an open conversation with no message for the idle time is withdrawn with reason "idle"; each
// message pushes the deadline forward, also across a restart (the last activity is in Redis).
#include <catch2/catch.hpp>

#include "tests/daemon/router/test_support.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace omniroute::testing::router;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;
using namespace std::chrono_literals;

namespace {

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
    capacity: {sms: 2}
    total_capacity: 2
    initial_presence: available
queues:
  - name: general
    required_skills: {english: 1}
    auto_accept: true
rules:
  - name: default
    then:
      queue: general
)";

struct Harness : RouterHarness {
  explicit Harness(RedisServer& redis_server) : RouterHarness(redis_server) {
    options.conversation_idle_close = 1h;
    the_rules = parse_test_rules(kRules, "idle.yaml");
  }
  void start(const std::string& consumer) {
    router = make_router(the_rules, consumer);
    wait_active(*router);
  }
  void stop() { stop_router(router); }
  void add(const std::string& payload) { add_committed(*router, payload); }
  // Advances the clock and runs the router's timers; a marker entry from another customer,
  // applied after the timers step, tells us the step has been committed.
  void advance_and_settle(std::chrono::milliseconds d) {
    clock.advance(d);
    router->run_timers();
    const auto n = std::to_string(++markers);
    add(entry("marker-" + n, "+1555999000" + n));
  }
  std::vector<std::string> lines_about(const std::string& contact) {
    std::vector<std::string> out;
    for (const auto& l : lines()) {
      if (l.find(" " + contact) != std::string::npos) out.push_back(l);
    }
    return out;
  }

  std::shared_ptr<const routing::Rules> the_rules;
  std::unique_ptr<Router> router;
  int markers = 0;
};

}  // namespace

TEST_CASE("a conversation with no message for the idle time is withdrawn with reason idle") {
  RedisServer redis;
  Harness h(redis);
  h.start("r1");
  h.add(entry("c1", "+15550000001"));
  h.clock.advance(30min);
  h.add(entry("m2", "+15550000001"));  // joins c1 and pushes its idle deadline to +90 min
  h.advance_and_settle(45min);         // +75 min: an hour since arrival, not since m2
  CHECK(h.lines_about("c1") ==
        Lines{"QUEUED c1", "OFFERED c1 ana", "ACCEPTED c1 ana", "MESSAGE_APPENDED c1 ana"});

  h.advance_and_settle(16min);  // +91 min: an hour and a minute after m2
  auto about = h.lines_about("c1");
  REQUIRE(about.size() == 5);
  CHECK(about.back() == "WITHDRAWN c1 ana");
  auto withdrawn = h.assignments();
  auto it = std::find_if(withdrawn.begin(), withdrawn.end(),
                         [](const auto& a) { return a.kind() == v1::ASSIGNMENT_KIND_WITHDRAWN; });
  REQUIRE(it != withdrawn.end());
  CHECK(it->reason().find("idle") != std::string::npos);

  h.add(entry("c3", "+15550000001"));  // the customer writes again: a new contact
  CHECK(h.lines_about("c3").front() == "QUEUED c3");
}

TEST_CASE("the idle deadline survives a restart: it counts from the last message in Redis") {
  RedisServer redis;
  Harness h(redis);
  h.start("r1");
  h.add(entry("c1", "+15550000001"));
  h.clock.advance(50min);
  h.add(entry("m2", "+15550000001"));
  h.stop();

  h.start("r2");
  h.advance_and_settle(20min);  // +70 min: past an hour from arrival, 20 min after m2
  CHECK(h.lines_about("c1").back() == "MESSAGE_APPENDED c1 ana");
  h.advance_and_settle(41min);  // +111 min: 61 min after m2
  CHECK(h.lines_about("c1").back() == "WITHDRAWN c1 ana");
}
