// Specification of the command parser (docs/commands.md): strict fields per op, and the role
// checks the router makes again after the API.
#include <catch2/catch.hpp>

#include "daemon/router_command.h"
#include "daemon/routing_views.h"

using namespace omniroute;
using namespace omniroute::daemon;

namespace {

std::string refusal(const std::string& json) {
  auto c = parse_command(json);
  REQUIRE_FALSE(c.has_value());
  return std::string(to_string(c.error().code)) + ": " + c.error().message;
}

}  // namespace

TEST_CASE("a transfer command reads its fields") {
  auto c = parse_command(
      R"({"op":"transfer","actor":"sup","role":"supervisor","expires_ms":5,"contact":"c1",)"
      R"("queue":"billing","reason":"refund"})");
  REQUIRE(c.has_value());
  CHECK(c->op == CommandOp::transfer);
  CHECK(c->expires_ms == 5);
  CHECK(c->agent.empty());
  CHECK(c->queue == "billing");
  CHECK(c->reason == "refund");
}

TEST_CASE("update_agent reads levels and capacities, refusing out-of-range values") {
  auto c = parse_command(
      R"({"op":"update_agent","actor":"sup","role":"admin","expires_ms":1,"agent":"ana",)"
      R"("skills":{"english":4},"total_capacity":3})");
  REQUIRE(c.has_value());
  CHECK(*c->skills == std::map<std::string, int>{{"english", 4}});
  CHECK_FALSE(c->capacity_by_channel.has_value());
  CHECK(*c->total_capacity == 3);
  CHECK(refusal(R"({"op":"update_agent","actor":"s","role":"admin","expires_ms":1,"agent":"a",)"
                R"("skills":{"english":9}})") ==
        "invalid_input: skills.english: expected an integer 1..5");
}

TEST_CASE("malformed commands are refused naming what is wrong") {
  CHECK(refusal("[1]") == "invalid_input: the command is not a JSON object");
  CHECK(refusal(R"({"op":"fly","actor":"a","role":"agent","expires_ms":1})") ==
        "invalid_input: op: unknown op 'fly'");
  CHECK(refusal(R"({"op":"accept","actor":"a","role":"agent","agent":"a","contact":"c"})") ==
        "invalid_input: expires_ms: required (unix ms)");
  CHECK(refusal(R"({"op":"accept","actor":"a","role":"agent","expires_ms":1,"agent":"a"})") ==
        "invalid_input: contact: required for op accept");
  CHECK(refusal(R"({"op":"accept","actor":"a","role":"agent","expires_ms":1,"agent":"a",)"
                R"("contact":7})") == "invalid_input: contact: expected a string");
  CHECK(refusal(R"({"op":"transfer","actor":"s","role":"admin","expires_ms":1,"contact":"c"})") ==
        "invalid_input: transfer: exactly one of queue or to_agent");
  CHECK(refusal(R"({"op":"reply","actor":"a","role":"agent","expires_ms":1,"agent":"a",)"
                R"("contact":"c","text":""})") == "invalid_input: text: must not be empty");
  CHECK(refusal(R"({"op":"accept","actor":"a","role":"root","expires_ms":1,"agent":"a",)"
                R"("contact":"c"})") == "invalid_input: role: expected agent, supervisor or admin");
}

TEST_CASE("agents act only for themselves; supervisors and admins for anyone") {
  CHECK(refusal(R"({"op":"accept","actor":"bob","role":"agent","expires_ms":1,"agent":"ana",)"
                R"("contact":"c"})") == "forbidden: agent bob cannot act for agent 'ana'");
  CHECK(refusal(R"({"op":"transfer","actor":"bob","role":"agent","expires_ms":1,"contact":"c",)"
                R"("queue":"q"})") == "forbidden: agent bob cannot act for agent ''");
  CHECK(refusal(R"({"op":"reload_rules","actor":"s","role":"supervisor","expires_ms":1})") ==
        "forbidden: reloading the rules needs the admin role");
  CHECK(parse_command(R"({"op":"accept","actor":"s","role":"supervisor","expires_ms":1,)"
                      R"("agent":"ana","contact":"c"})")
            .has_value());
}

TEST_CASE("the contact view shows a record the way the API answers it") {
  routing::ContactRecord c;
  c.id = "c1";
  c.status = routing::ContactStatus::offered;
  c.queue = "general";
  c.agent = "ana";
  c.channel = "sms";
  c.base_skills = {{"english", 2}};
  c.decision.sla_deadline = 99;
  auto v = contact_view(c);
  CHECK(v.at("status") == "offered");
  CHECK(v.at("sla_deadline_ms") == 99);
  CHECK(v.at("required_skills") == boost::json::object{{"english", 2}});
  routing::AgentRecord a;
  a.spec.id = "ana";
  auto load = load_of("ana", {c});
  CHECK(load.offers == std::vector<std::string>{"c1"});
  CHECK(agent_view(a, load).at("load").at("total") == 1);
}
