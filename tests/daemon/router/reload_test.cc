// Specification of a rules reload in the router (invariant 6) against a real redis-server:
// waiting contacts are matched again and move with a REQUEUED event, in arrival order; a bad
// file changes nothing; a restart under rules that removed a queue still restores its contacts.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "tests/daemon/router/test_support.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace omniroute::testing::router;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;
using namespace std::chrono_literals;

namespace {

// Two queues; every contact goes to `target`; `with_agent` declares Ana (English, one sms).
// `keep_general` false drops the general queue from the file altogether.
std::string rules_yaml(const std::string& target, bool with_agent, bool keep_general = true) {
  std::string text = R"(version: 1
tiers:
  - name: standard
    priority: 0
    default: true
    first_response_secs: {default: 600}
skills:
  english: English
)";
  if (with_agent) {
    text += R"(agents:
  - id: ana
    name: Ana
    skills: {english: 3}
    capacity: {sms: 1}
    total_capacity: 1
    initial_presence: available
)";
  }
  text += "queues:\n";
  if (keep_general) text += "  - name: general\n    required_skills: {english: 1}\n";
  text += "  - name: billing\n    required_skills: {english: 2}\n";
  text += "rules:\n  - name: to-" + target + "\n    then:\n      queue: " + target + "\n";
  return text;
}

std::shared_ptr<const routing::Rules> rules(const std::string& text) {
  return parse_test_rules(text, "test-rules.yaml");
}

struct Harness : RouterHarness {
  using RouterHarness::RouterHarness;
  std::unique_ptr<Router> start(const std::string& consumer,
                                std::shared_ptr<const routing::Rules> the_rules) {
    auto r = make_router(std::move(the_rules), consumer);
    wait_active(*r);
    return r;
  }
  void add(Router& r, const std::string& payload) { add_committed(r, payload); }
  // "REQUEUED z1 billing", "OFFERED z1 billing ana".
  Lines lines() { return RouterHarness::lines(/*with_queue=*/true); }
  void wait_lines(std::size_t n) {
    REQUIRE(run_until(io, [&] { return redis.xlen(kAssignments) >= static_cast<long long>(n); }));
  }
};

}  // namespace

TEST_CASE("a reload moves waiting contacts whose rule now points elsewhere, in arrival order") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start("r1", rules(rules_yaml("general", false)));
  h.add(*router, entry("z1", "+15550000001"));  // arrives first, sorts last by id
  h.clock.advance(1s);
  h.add(*router, entry("a2", "+15550000002"));
  REQUIRE(h.lines() == Lines{"QUEUED z1 general", "QUEUED a2 general"});

  auto next = rules(rules_yaml("billing", true));
  router->set_rules(next);
  h.wait_lines(5);
  CHECK(h.lines() == Lines{"QUEUED z1 general", "QUEUED a2 general", "REQUEUED z1 billing",
                           "REQUEUED a2 billing", "OFFERED z1 billing ana"});
  auto requeued = h.assignments()[2];
  CHECK(requeued.rule() == "to-billing");
  CHECK(requeued.rules_version() == next->version);
  CHECK_FALSE(requeued.reason().empty());
}

TEST_CASE("a reload under the same rules moves nothing") {
  RedisServer redis;
  Harness h(redis);
  auto text = rules_yaml("general", false);
  auto router = h.start("r1", rules(text));
  h.add(*router, entry("c1", "+15550000001"));
  router->set_rules(rules(text));
  h.add(*router, entry("c2", "+15550000002"));  // applied after the reload: it has run
  CHECK(h.lines() == Lines{"QUEUED c1 general", "QUEUED c2 general"});
}

TEST_CASE("a bad rules file changes nothing: the running rules keep routing") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start("r1", rules(rules_yaml("general", false)));
  h.add(*router, entry("c1", "+15550000001"));

  const std::string path = "router_reload_test_bad.yaml";
  std::ofstream(path) << rules_yaml("nowhere", true);  // a rule naming a queue that does not exist
  auto bad = routing::load_rules_file(path);
  std::remove(path.c_str());
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find(path + ":") != std::string::npos);  // file:line:col

  h.add(*router, entry("c2", "+15550000002"));
  CHECK(h.lines() == Lines{"QUEUED c1 general", "QUEUED c2 general"});
}

TEST_CASE(
    "a restart under rules that removed a queue restores its contacts and moves the waiting") {
  RedisServer redis;
  Harness h(redis);
  auto first = h.start("r1", rules(rules_yaml("general", true)));
  h.add(*first, entry("c1", "+15550000001"));  // offered to Ana in general
  h.add(*first, entry("c2", "+15550000002"));  // waits in general
  REQUIRE(h.lines() == Lines{"QUEUED c1 general", "OFFERED c1 general ana", "QUEUED c2 general"});
  h.stop_router(first);

  auto second = h.start("r2", rules(rules_yaml("billing", true, /*keep_general=*/false)));
  h.wait_lines(4);
  CHECK(h.lines() == Lines{"QUEUED c1 general", "OFFERED c1 general ana", "QUEUED c2 general",
                           "REQUEUED c2 billing"});
  h.add(*second, entry("c3", "+15550000003"));
  CHECK(h.lines().back() == "QUEUED c3 billing");
}
