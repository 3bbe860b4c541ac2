// Specification of the commands stream (docs/commands.md) against a real redis-server: each
// operation's effect and result, its refusals, and that a command is applied at most once,
// with its effect, its result and its ACK in one fenced commit.
#include <catch2/catch.hpp>

#include "omniroute/v1/outbound.pb.h"
#include "tests/daemon/router/test_support.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace omniroute::testing::router;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string rules_yaml(const std::string& extra_queue = "") {
  return R"(version: 1
tiers:
  - name: standard
    priority: 0
    default: true
    first_response_secs: {default: 600}
skills:
  english: English
  billing: Billing
agents:
  - id: ana
    name: Ana
    skills: {english: 3, billing: 3}
    capacity: {sms: 1}
    total_capacity: 1
    initial_presence: available
  - id: bob
    name: Bob
    skills: {english: 3}
    capacity: {sms: 1}
    total_capacity: 1
queues:
  - name: general
    required_skills: {english: 1}
  - name: billing
    required_skills: {billing: 2}
)" + extra_queue +
         R"(rules:
  - name: default
    then:
      queue: general
)";
}

json::object cmd(const std::string& op, const std::string& actor, json::object fields = {},
                 const std::string& role = "agent") {
  fields["op"] = op;
  fields["actor"] = actor;
  fields["role"] = role;
  return fields;
}

// An SMS from +15550000001 to our number +15559990000, delivered by "twilio".
std::string sms(const std::string& event_id, const std::string& vendor_id = "SM1") {
  v1::StreamEntry e;
  e.set_schema_version(1);
  auto* c = e.mutable_contact();
  c->set_event_id(event_id);
  c->set_tenant("demo");
  c->set_channel(v1::CHANNEL_SMS);
  c->set_vendor("twilio");
  c->set_vendor_message_id(vendor_id);
  c->mutable_sender()->set_kind("phone");
  c->mutable_sender()->set_value("+15550000001");
  c->set_recipient("+15559990000");
  c->set_conversation_key("sms:+15550000001:+15559990000");
  c->set_text("my invoice is wrong");
  c->set_received_at_unix_ms(1'700'000'000'000);
  return e.SerializeAsString();
}

struct Harness : RouterHarness {
  explicit Harness(RedisServer& redis_server) : RouterHarness(redis_server) {
    the_rules = parse_test_rules(rules_yaml(), "test-rules.yaml");
  }
  // An active router with contact c1 offered to ana.
  std::unique_ptr<Router> start_with_offer() {
    auto r = make_router(the_rules, "r1");
    wait_active(*r);
    add_committed(*r, sms("c1"));
    REQUIRE(lines().back() == "OFFERED c1 ana");
    return r;
  }
  std::string field(const CommandResult& r, const char* key) {
    return std::string(r.body.as_object().at(key).as_string());
  }
  long long pending_commands() {
    return redis.command({"XPENDING", kCommands, "router"}).elements[0].integer;
  }
  std::shared_ptr<const routing::Rules> the_rules;
};

}  // namespace

TEST_CASE("accept: the contact becomes active; one result, the event names the actor") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  auto r = h.call("k1", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}}));
  CHECK(r.status == "200");
  CHECK(h.field(r, "status") == "active");
  CHECK(h.field(r, "agent") == "ana");
  CHECK(h.field(r, "queue") == "general");
  CHECK(r.body.as_object().at("answered_ms").as_int64() == h.clock.now_unix_ms());
  const auto accepted = h.assignments().back();
  CHECK(describe(accepted, false) == "ACCEPTED c1 ana");
  CHECK(accepted.actor() == "ana");
  CHECK(h.pending_commands() == 0);
}

TEST_CASE("refusals: wrong agent, acting for another, unknown, expired, unreadable") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  auto not_yours = h.call("k1", cmd("accept", "bob", {{"agent", "bob"}, {"contact", "c1"}}));
  CHECK(not_yours.status == "409");
  CHECK(h.field(not_yours, "error") == "conflict");
  CHECK(h.field(not_yours, "message") == "contact c1 is not offered to bob");
  CHECK(h.call("k2", cmd("accept", "bob", {{"agent", "ana"}, {"contact", "c1"}})).status == "403");
  CHECK(h.call("k3", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "zz"}})).status == "404");
  CHECK(h.call("k4", cmd("close", "ana", {{"contact", "c1"}})).status == "403");
  CHECK(h.call("k5", cmd("reload_rules", "sup", {}, "supervisor")).status == "403");
  auto late = cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}});
  late["expires_ms"] = h.clock.now_unix_ms() - 1;
  auto expired = h.call("k6", late);
  CHECK(expired.status == "410");
  CHECK(h.field(expired, "error") == "expired");
  auto unknown_key =
      h.call("k7", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}, {"colour", "red"}}));
  CHECK(unknown_key.status == "400");
  CHECK(h.field(unknown_key, "message") == "unknown key 'colour' for op accept");
  redis.command({"XADD", kCommands, "*", "id", "k8", "c", "{not json"});
  REQUIRE(run_until(h.io, [&] { return !h.results_of("k8").empty(); }));
  CHECK(h.results_of("k8")[0].status == "400");
  // Nothing of it changed the contact: still offered to ana.
  CHECK(h.lines().back() == "OFFERED c1 ana");
  CHECK(h.pending_commands() == 0);
  const auto metrics = h.metrics.render();
  INFO(metrics);
  CHECK(metrics.find("omniroute_router_commands_total{tenant=\"demo\",op=\"accept\",status="
                     "\"409\"} 1") != std::string::npos);
  // k7 (an unknown key) and k8 (not JSON) are both unreadable.
  CHECK(metrics.find("op=\"unreadable\",status=\"400\"} 2") != std::string::npos);
}

TEST_CASE("an entry whose id is over 128 bytes is acknowledged and not applied") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  const std::string long_id(129, 'k');
  h.send(long_id, cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}}));
  // A later command's result means the long one was read and decided before it.
  CHECK(h.call("k1", cmd("presence", "bob", {{"agent", "bob"}, {"presence", "offline"}})).status ==
        "200");
  CHECK(h.results_of(long_id).empty());
  CHECK(h.lines().back() == "OFFERED c1 ana");  // not accepted
  CHECK(redis.command({"EXISTS", "omni:{demo}:routing:command:" + long_id}).integer == 0);
  CHECK(h.pending_commands() == 0);
}

TEST_CASE("presence: sign-in is away, available takes work, sign-out returns open offers") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  h.add_committed(*router, entry("c2", "+15550000002"));  // waits: bob is offline
  auto in = h.call("p1", cmd("presence", "bob",
                             {{"agent", "bob"}, {"presence", "away"}, {"reason", "signed-in"}}));
  CHECK(in.status == "200");
  CHECK(h.field(in, "presence") == "away");
  CHECK(h.field(in, "away_reason") == "signed-in");
  auto ready = h.call("p2", cmd("presence", "bob", {{"agent", "bob"}, {"presence", "available"}}));
  CHECK(ready.body.as_object().at("offers") == json::array{"c2"});
  CHECK(h.lines().back() == "OFFERED c2 bob");
  auto out = h.call("p3", cmd("presence", "bob", {{"agent", "bob"}, {"presence", "offline"}}));
  CHECK(h.field(out, "presence") == "offline");
  CHECK(h.lines().back() == "RETURNED c2 bob");
  CHECK(h.call("p4", cmd("presence", "bob", {{"agent", "bob"}, {"presence", "away"}})).status ==
        "400");  // away needs a reason
  CHECK(
      h.call("p5", cmd("presence", "sup", {{"agent", "cy"}, {"presence", "offline"}}, "supervisor"))
          .status == "404");
}

TEST_CASE("update_agent merges the given fields into the agent's spec, presence kept") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  auto r = h.call("u1", cmd("update_agent", "sup",
                            {{"agent", "ana"}, {"skills", {{"english", 5}}}, {"total_capacity", 2}},
                            "supervisor"));
  REQUIRE(r.status == "200");
  const auto& a = r.body.as_object();
  CHECK(a.at("skills") == json::object{{"english", 5}});
  CHECK(a.at("capacity_by_channel") == json::object{{"sms", 1}});
  CHECK(a.at("total_capacity") == 2);
  CHECK(a.at("presence") == "available");
  CHECK(a.at("load") == json::object{{"total", 1}, {"by_channel", {{"sms", 1}}}});
  CHECK(
      h.call("u2", cmd("update_agent", "ana", {{"agent", "ana"}, {"total_capacity", 9}})).status ==
      "403");
}

TEST_CASE("complete carries wrap-up code and note; the trail lists every event and expires") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  REQUIRE(h.call("k1", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}})).status ==
          "200");
  auto r = h.call("k2", cmd("complete", "ana",
                            {{"agent", "ana"},
                             {"contact", "c1"},
                             {"wrap_up_code", "refund"},
                             {"note", "sent the credit note"}}));
  CHECK(r.status == "200");
  CHECK(h.field(r, "status") == "completed");
  const auto done = h.assignments().back();
  CHECK(describe(done, false) == "COMPLETED c1 ana");
  CHECK(done.wrap_up_code() == "refund");
  CHECK(done.note() == "sent the credit note");
  auto trail = redis.command({"LRANGE", "omni:{demo}:trail:c1", "0", "-1"});
  std::vector<std::string> kinds;
  for (const auto& e : trail.elements) {
    v1::AssignmentEvent a;
    REQUIRE(a.ParseFromString(e.str));
    kinds.push_back(describe(a, false));
  }
  CHECK(kinds == Lines{"QUEUED c1", "OFFERED c1 ana", "ACCEPTED c1 ana", "COMPLETED c1 ana"});
  CHECK(redis.ttl("omni:{demo}:trail:c1") > 0);
}

TEST_CASE("transfer to a queue or an agent keeps the deadline; an offline agent is a conflict") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  REQUIRE(h.call("k1", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}})).status ==
          "200");
  auto offline = h.call(
      "t1", cmd("transfer", "ana", {{"agent", "ana"}, {"contact", "c1"}, {"to_agent", "bob"}}));
  CHECK(offline.status == "409");
  CHECK(h.field(offline, "message") == "agent bob is not available");
  auto moved = h.call("t2", cmd("transfer", "ana",
                                {{"agent", "ana"},
                                 {"contact", "c1"},
                                 {"queue", "billing"},
                                 {"reason", "invoice question"}}));
  CHECK(moved.status == "200");
  CHECK(h.field(moved, "queue") == "billing");
  CHECK(h.field(moved, "status") == "waiting");  // ana handed it over; nobody else can take it
  const auto t = h.assignments().back();
  CHECK(describe(t, true) == "TRANSFERRED c1 billing ana");
  CHECK(t.reason() == "by ana to queue billing: invoice question");
  CHECK(t.sla_deadline_unix_ms() == 1'700'000'000'000 + 600'000);
  // A supervisor moves it on to a named agent who is there.
  REQUIRE(
      h.call("p1", cmd("presence", "bob", {{"agent", "bob"}, {"presence", "available"}})).status ==
      "200");
  auto to_bob =
      h.call("t3", cmd("transfer", "sup", {{"contact", "c1"}, {"to_agent", "bob"}}, "supervisor"));
  CHECK(h.field(to_bob, "status") == "offered");
  CHECK(h.field(to_bob, "agent") == "bob");
}

TEST_CASE("reply: one OutboundMessage to the customer's address, history in and out, once") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  auto early =
      h.call("r0", cmd("reply", "ana", {{"agent", "ana"}, {"contact", "c1"}, {"text", "hi"}}));
  CHECK(early.status == "409");  // only an accepted conversation
  REQUIRE(h.call("k1", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}})).status ==
          "200");
  h.add_committed(*router, sms("m2", "SM2"));  // joins c1
  json::object reply{
      {"agent", "ana"}, {"contact", "c1"}, {"text", "fixed it"}, {"client_id", "x1"}};
  auto r = h.call("r1", cmd("reply", "ana", reply));
  REQUIRE(r.status == "200");
  CHECK(r.body.as_object().at("duplicate") == false);
  auto again = h.call("r2", cmd("reply", "ana", reply));  // a client retry: same client_id
  CHECK(again.body.as_object().at("duplicate") == true);
  CHECK(h.field(again, "event_id") == h.field(r, "event_id"));

  auto outbound = redis.xrange(kOutbound);
  REQUIRE(outbound.size() == 1);
  v1::OutboundMessage m;
  REQUIRE(m.ParseFromString(outbound[0].second.at(1)));
  CHECK(m.event_id() == h.field(r, "event_id"));
  CHECK(m.contact_id() == "c1");
  CHECK(m.channel() == v1::CHANNEL_SMS);
  CHECK(m.vendor() == "twilio");
  CHECK(m.endpoint() == "+15559990000");
  CHECK(m.recipient().value() == "+15550000001");
  CHECK(m.in_reply_to() == "SM2");  // the latest inbound message
  CHECK(m.in_reply_to_event_id() == "m2");
  CHECK(m.agent_id() == "ana");
  CHECK(m.text() == "fixed it");
  CHECK(m.client_id() == "x1");

  const std::string customer = h.assignments().front().customer_id();
  auto history = redis.command({"LRANGE", "omni:{demo}:history:" + customer, "0", "-1"});
  std::vector<std::string> lines;
  for (const auto& e : history.elements) {
    auto line = json::parse(e.str).as_object();
    lines.push_back(std::string(line.at("direction").as_string()) + " " +
                    std::string(line.at("contact").as_string()) + " " +
                    std::string(line.at("text").as_string()));
  }
  CHECK(lines ==
        Lines{"in c1 my invoice is wrong", "in c1 my invoice is wrong", "out c1 fixed it"});
}

TEST_CASE("reply: a subject cut at 998 bytes keeps whole characters, so the route still parses") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.make_router(h.the_rules, "r1");
  h.wait_active(*router);
  // An MMS whose subject has a 3-byte character on bytes 997..999: a cut at byte 998 that split
  // it would store a route protobuf refuses to parse, and every reply would fail with 409.
  const std::string ascii(997, 'a');
  v1::StreamEntry e;
  REQUIRE(e.ParseFromString(sms("c1")));
  e.mutable_contact()->set_subject(ascii + "\xE4\xB8\xAD\xE6\x96\x87");  // 中文
  h.add_committed(*router, e.SerializeAsString());
  REQUIRE(h.lines().back() == "OFFERED c1 ana");
  REQUIRE(h.call("k1", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}})).status ==
          "200");
  auto r = h.call("r1", cmd("reply", "ana", {{"agent", "ana"}, {"contact", "c1"}, {"text", "ok"}}));
  CHECK(r.status == "200");
  auto outbound = redis.xrange(kOutbound);
  REQUIRE(outbound.size() == 1);
  v1::OutboundMessage m;
  REQUIRE(m.ParseFromString(outbound[0].second.at(1)));
  CHECK(m.subject() == ascii);  // the character that did not fit is left out whole
}

TEST_CASE("close: a supervisor withdraws a stuck contact") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  auto r = h.call("c1", cmd("close", "sup", {{"contact", "c1"}, {"reason", "spam"}}, "supervisor"));
  CHECK(r.status == "200");
  CHECK(h.field(r, "status") == "completed");
  CHECK(describe(h.assignments().back(), false) == "WITHDRAWN c1 ana");
  CHECK(h.assignments().back().reason() == "closed by sup: spam");
}

TEST_CASE("a command id seen twice is applied once, also when it comes back later") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  REQUIRE(h.call("k1", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}})).status ==
          "200");
  json::object reply{{"agent", "ana"}, {"contact", "c1"}, {"text", "hello"}};
  h.send("r1", cmd("reply", "ana", reply));
  h.send("r1", cmd("reply", "ana", reply));  // in the same batch, most likely
  REQUIRE(run_until(h.io, [&] { return h.pending_commands() == 0 && h.results_of("r1").size(); }));
  h.send("r1", cmd("reply", "ana", reply));  // in a later batch
  h.send("k2", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}}));
  REQUIRE(run_until(h.io, [&] { return !h.results_of("k2").empty(); }));
  CHECK(h.results_of("r1").size() == 1);
  CHECK(redis.xlen(kOutbound) == 1);
  CHECK(h.pending_commands() == 0);
}

TEST_CASE("a fenced router writes neither effect nor result; the next holder applies it once") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  // Another instance takes the lease behind the router's back (it was paused, say).
  redis.command({"SET", kLease, "intruder"});
  redis.command({"INCR", "omni:{demo}:router:fence"});
  h.send("k1", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}}));
  REQUIRE(run_until(h.io, [&] { return router->state() == RouterState::standby; }));
  CHECK(h.results_of("k1").empty());
  CHECK(h.lines().back() == "OFFERED c1 ana");
  CHECK(h.pending_commands() == 1);
  // The intruder goes away; the router wins the lease again, claims the command, applies it.
  redis.command({"DEL", kLease});
  REQUIRE(run_until(h.io, [&] { return !h.results_of("k1").empty(); }));
  CHECK(h.results_of("k1").size() == 1);
  CHECK(h.results_of("k1")[0].status == "200");
  CHECK(h.lines().back() == "ACCEPTED c1 ana");
  CHECK(h.pending_commands() == 0);
}

TEST_CASE("reload_rules answers the new version; the rules hash says what runs") {
  RedisServer redis;
  Harness h(redis);
  auto next = parse_test_rules(rules_yaml("  - name: vip\n"), "next.yaml");
  bool broken = false;
  h.options.load_rules = [&]() -> Result<std::shared_ptr<const routing::Rules>> {
    if (broken) return make_error(Errc::invalid_input, "rules.yaml:3:1: tiers: required");
    return next;
  };
  auto router = h.start_with_offer();
  auto hash = [&](const char* f) {
    return redis.command({"HGET", "omni:{demo}:router:rules", f}).str;
  };
  CHECK(hash("version") == h.the_rules->version);
  CHECK(hash("instance") == router->instance_id());
  auto r = h.call("l1", cmd("reload_rules", "root", {}, "admin"));
  CHECK(r.status == "200");
  CHECK(h.field(r, "version") == next->version);
  CHECK(h.field(r, "instance") == router->instance_id());
  CHECK(hash("version") == next->version);
  broken = true;
  auto bad = h.call("l2", cmd("reload_rules", "root", {}, "admin"));
  CHECK(bad.status == "400");
  CHECK(h.field(bad, "error") == "invalid_rules");
  CHECK(h.field(bad, "message") == "rules.yaml:3:1: tiers: required");
  CHECK(hash("version") == next->version);
}

TEST_CASE("stats samples count contacts, agents and first answers within the SLA") {
  RedisServer redis;
  Harness h(redis);
  h.options.stats_interval = 20ms;
  auto router = h.start_with_offer();
  REQUIRE(h.call("k1", cmd("accept", "ana", {{"agent", "ana"}, {"contact", "c1"}})).status ==
          "200");
  h.add_committed(*router, entry("c2", "+15550000002"));
  auto field = [](const std::vector<std::string>& f, const std::string& name) {
    for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
      if (f[i] == name) return f[i + 1];
    }
    return std::string("?");
  };
  // Wait for a sample taken after c2 arrived, then sum the answers over every sample.
  REQUIRE(run_until(h.io, [&] {
    auto s = redis.xrange(kStats);
    return !s.empty() && field(s.back().second, "waiting") == "1";
  }));
  const auto samples = redis.xrange(kStats);
  const auto& last = samples.back().second;
  CHECK(field(last, "active") == "1");
  CHECK(field(last, "available") == "1");
  CHECK(field(last, "offline") == "1");
  CHECK(json::parse(field(last, "queues")) == json::object{{"billing", 0}, {"general", 1}});
  int in_sla = 0, late = 0;
  for (const auto& [id, f] : samples) {
    in_sla += std::stoi(field(f, "answered_in_sla"));
    late += std::stoi(field(f, "answered_late"));
  }
  CHECK(in_sla == 1);
  CHECK(late == 0);
}

TEST_CASE("a replayed message that joined a conversation adds one history line") {
  RedisServer redis;
  Harness h(redis);
  auto router = h.start_with_offer();
  h.add_committed(*router, sms("m2", "SM2"));
  h.add_committed(*router, sms("m2", "SM2"));
  const std::string customer = h.assignments().front().customer_id();
  CHECK(redis.command({"LLEN", "omni:{demo}:history:" + customer}).integer == 2);
  CHECK(redis.command({"LLEN", "omni:{demo}:trail:c1"}).integer == 3);  // queued, offered, appended
}
