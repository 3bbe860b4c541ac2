// End-to-end router: the omniroute binary, a real redis-server, signed Twilio webhooks in and
// AssignmentEvents out. States invariants 3 and 4: at-most-once assignment across SIGKILL, and
// one active router per tenant with a standby that takes over.
#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "tests/daemon/router/test_support.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/one_queue_rules.h"
#include "tests/support/redis_server.h"
#include "tests/support/twilio_signer.h"

using namespace omniroute::testing;
using omniroute::testing::router::assignments_in;

namespace {

constexpr const char* kToken = "test-auth-token";

const std::string kRules = one_queue_rules();

std::string config_for(const RedisServer& redis, const std::string& rules_path,
                       const std::string& consumer) {
  return "listen: 127.0.0.1:0\n"
         "redis:\n"
         "  url: " +
         redis.url() +
         "\n"
         "streams:\n"
         "  prefix: omni\n"
         "routing:\n"
         "  rules_file: " +
         rules_path +
         "\n"
         "  lease_ttl_ms: 1000\n"
         "  claim_idle_ms: 1000\n"
         "  consumer_name: " +
         consumer +
         "\n"
         "adapters:\n"
         "  - name: twilio-demo\n"
         "    vendor: twilio\n"
         "    tenant: demo\n"
         "    path: /webhooks/twilio/demo\n"
         "    settings:\n"
         "      auth_token: {env: TEST_TWILIO_TOKEN}\n";
}

struct Daemon {
  Daemon(const RedisServer& redis, const std::string& rules_path, const std::string& consumer)
      : config_path(write_temp_file(consumer + ".yaml", config_for(redis, rules_path, consumer))),
        process({"run", "-c", config_path}, {{"TEST_TWILIO_TOKEN", kToken}}) {
    port = static_cast<std::uint16_t>(process.wait_for_port());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (http_request(port, "GET", "/readyz").status != 200) {
      if (std::chrono::steady_clock::now() > deadline) FAIL("omniroute never became ready");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // start-up readiness poll
    }
  }
  int post_sms(const std::string& sid, const std::string& from) {
    auto params = twilio_sms(sid, from, "hello");
    auto url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/twilio/demo";
    HttpConnection conn(port);
    return conn
        .request("POST", "/webhooks/twilio/demo",
                 {{"Content-Type", "application/x-www-form-urlencoded"},
                  {"X-Twilio-Signature", twilio_signature(kToken, url, params)}},
                 form_encode(params))
        .status;
  }
  bool holds_lease() {
    auto body = http_request(port, "GET", "/metrics").body;
    return body.find("omniroute_router_lease_active{tenant=\"demo\"} 1") != std::string::npos;
  }
  std::string config_path;
  DaemonProcess process;
  std::uint16_t port = 0;
};

// contact id → how many events of `kind` name it.
std::map<std::string, int> count_of(const RedisServer& redis, omniroute::v1::AssignmentKind kind) {
  std::map<std::string, int> out;
  for (const auto& a : assignments_in(redis)) {
    if (a.kind() == kind) ++out[a.contact_id()];
  }
  return out;
}

std::vector<std::string> inbound_event_ids(const RedisServer& redis) {
  std::vector<std::string> out;
  for (const auto& [id, fields] : redis.xrange("omni:{demo}:inbound")) {
    omniroute::v1::StreamEntry e;
    REQUIRE(e.ParseFromString(fields.at(1)));
    out.push_back(e.contact().event_id());
  }
  return out;
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling Redis with a deadline
  }
  return true;
}

}  // namespace

TEST_CASE("a signed Twilio SMS is queued and offered to the agent the rules declare") {
  RedisServer redis;
  auto rules = write_temp_file("rules.yaml", kRules);
  Daemon daemon(redis, rules, "node-a");
  REQUIRE(daemon.post_sms("SM1000", "+15550001000") == 200);
  REQUIRE(eventually([&] { return assignments_in(redis).size() >= 3; }));
  auto events = assignments_in(redis);
  CHECK(events[0].kind() == omniroute::v1::ASSIGNMENT_KIND_QUEUED);
  CHECK(events[1].kind() == omniroute::v1::ASSIGNMENT_KIND_OFFERED);
  CHECK(events[1].agent_id() == "ana");
  CHECK(events[2].kind() == omniroute::v1::ASSIGNMENT_KIND_ACCEPTED);
  CHECK(events[0].contact_id() == inbound_event_ids(redis).at(0));
  CHECK(events[0].channel() == "sms");
}

TEST_CASE("SIGKILL mid-stream, another instance: every contact assigned exactly once") {
  RedisServer redis;
  auto rules = write_temp_file("rules.yaml", kRules);
  constexpr int kTotal = 40;
  {
    Daemon first(redis, rules, "node-a");
    for (int i = 0; i < kTotal / 2; ++i) {
      REQUIRE(first.post_sms("SMK" + std::to_string(i), "+1555100" + std::to_string(1000 + i)) ==
              200);
    }
    first.process.signal(SIGKILL);
    first.process.wait_exit();
  }
  Daemon second(redis, rules, "node-b");
  for (int i = kTotal / 2; i < kTotal; ++i) {
    REQUIRE(second.post_sms("SMK" + std::to_string(i), "+1555100" + std::to_string(1000 + i)) ==
            200);
  }
  REQUIRE(eventually(
      [&] { return count_of(redis, omniroute::v1::ASSIGNMENT_KIND_ACCEPTED).size() == kTotal; }));
  auto queued = count_of(redis, omniroute::v1::ASSIGNMENT_KIND_QUEUED);
  auto accepted = count_of(redis, omniroute::v1::ASSIGNMENT_KIND_ACCEPTED);
  for (const auto& id : inbound_event_ids(redis)) {
    CHECK(queued[id] == 1);
    CHECK(accepted[id] == 1);
  }
  CHECK(queued.size() == kTotal);
  CHECK(redis.command({"XPENDING", "omni:{demo}:inbound", "router"}).elements.at(0).integer == 0);
}

TEST_CASE("two instances: one holds the lease, and the standby takes over when it dies") {
  RedisServer redis;
  auto rules = write_temp_file("rules.yaml", kRules);
  Daemon a(redis, rules, "node-a");
  Daemon b(redis, rules, "node-b");
  REQUIRE(eventually([&] { return a.holds_lease() || b.holds_lease(); }));
  CHECK(a.holds_lease() != b.holds_lease());
  Daemon& active = a.holds_lease() ? a : b;
  Daemon& standby = a.holds_lease() ? b : a;
  REQUIRE(active.post_sms("SMT1", "+15552000001") == 200);
  REQUIRE(eventually([&] { return assignments_in(redis).size() >= 3; }));

  active.process.signal(SIGKILL);
  active.process.wait_exit();
  REQUIRE(eventually([&] { return standby.holds_lease(); }));
  REQUIRE(standby.post_sms("SMT2", "+15552000002") == 200);
  REQUIRE(eventually([&] { return assignments_in(redis).size() >= 6; }));
  CHECK(count_of(redis, omniroute::v1::ASSIGNMENT_KIND_QUEUED).size() == 2);
}
