// Specification of the conversation idle close against a real redis-server, on a ManualClock:
// an open conversation with no message for the idle time is withdrawn with reason "idle"; each
// message pushes the deadline forward, also across a restart (the last activity is in Redis).
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
queues:
  - name: general
    required_skills: {english: 1}
    auto_accept: true
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
  explicit Harness(RedisServer& redis_server) : redis(redis_server), log(LogLevel::error) {
    options.lease_ttl = 3s;
    options.block = 100ms;
    options.conversation_idle_close = 1h;
    options.redis.endpoint = parse_redis_url(redis.url()).value();
    auto parsed = routing::parse_rules(kRules, "idle.yaml");
    REQUIRE(parsed.errors.empty());
    the_rules = parsed.rules;
  }
  void start(const std::string& consumer) {
    options.consumer = consumer;
    router = std::make_unique<Router>(io, options, the_rules, clock, log, metrics);
    router->start();
    REQUIRE(run_until(io, [&] { return router->state() == RouterState::active; }));
  }
  void stop() {
    router->stop();
    REQUIRE(run_until(io, [&] { return !redis.exists("omni:{demo}:router:lease"); }));
    router.reset();
  }
  void add(const std::string& payload) {
    const auto before = router->committed_entries();
    redis.command({"XADD", kInbound, "*", "e", payload});
    REQUIRE(run_until(io, [&] { return router->committed_entries() > before; }));
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
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    for (const auto& a : assignments()) {
      std::string kind = v1::AssignmentKind_Name(a.kind()).substr(16);
      out.push_back(kind + " " + a.contact_id() + (a.agent_id().empty() ? "" : " " + a.agent_id()));
    }
    return out;
  }
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

  RedisServer& redis;
  boost::asio::io_context io;
  ManualClock clock;
  Logger log;
  Metrics metrics;
  RouterOptions options;
  std::shared_ptr<const routing::Rules> the_rules;
  std::unique_ptr<Router> router;
  int markers = 0;
};

using Lines = std::vector<std::string>;

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
