// Specification of the command parser (docs/commands.md): strict fields per op, and the role
// checks the router makes again after the API.
#include <catch2/catch.hpp>

#include "daemon/router/command.h"
#include "daemon/router/views.h"

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

namespace {

const std::string kAccept =
    R"({"op":"accept","actor":"ana","role":"agent","expires_ms":1,"agent":"ana","contact":"c1"})";

// update_agent with `n` skills named `name`0, `name`1, ...
std::string update_with_skills(std::size_t n, const std::string& name = "s") {
  std::string out =
      R"({"op":"update_agent","actor":"s","role":"admin","expires_ms":1,"agent":"a","skills":{)";
  for (std::size_t i = 0; i < n; ++i) {
    out += (i ? ",\"" : "\"") + name + std::to_string(i) + "\":1";
  }
  return out + "}}";
}

}  // namespace

TEST_CASE("a command repeating a key is refused: it would mean two things") {
  CHECK(refusal(R"({"op":"accept","actor":"ana","role":"agent","expires_ms":1,"agent":"ana",)"
                R"("agent":"bob","contact":"c1"})") ==
        "invalid_input: the command repeats the key 'agent'");
  CHECK(refusal(R"({"op":"update_agent","actor":"s","role":"admin","expires_ms":1,"agent":"a",)"
                R"("skills":{"x":1,"x":5}})") == "invalid_input: the command repeats the key 'x'");
}

TEST_CASE("truncated, oversized and deeply nested commands are refused") {
  REQUIRE(parse_command(kAccept).has_value());
  for (std::size_t n = 0; n < kAccept.size(); ++n) {
    INFO(kAccept.substr(0, n));
    CHECK_FALSE(parse_command(kAccept.substr(0, n)).has_value());
  }
  const std::string huge = R"({"op":"reply","actor":"a","role":"agent","expires_ms":1,)"
                           R"("agent":"a","contact":"c","text":")" +
                           std::string(kMaxCommandBytes, 'x') + "\"}";
  CHECK(refusal(huge).starts_with("too_large: the command is "));
  CHECK(refusal(R"({"op":"accept","x":[[[[1]]]]})") ==
        "invalid_input: the command nests deeper than 4 levels");
  CHECK(refusal(kAccept + "{}").starts_with("invalid_input: the command is not JSON"));
}

TEST_CASE("strings and maps are bounded") {
  const std::string long_id(kMaxIdBytes + 1, 'a');
  CHECK(refusal(R"({"op":"accept","actor":"s","role":"admin","expires_ms":1,"agent":"a",)"
                R"("contact":")" +
                long_id + "\"}") == "invalid_input: contact: longer than 128 bytes");
  CHECK(refusal(R"({"op":"close","actor":"s","role":"admin","expires_ms":1,"contact":"c",)"
                R"("reason":")" +
                std::string(kMaxNoteBytes + 1, 'r') + "\"}") ==
        "invalid_input: reason: longer than 4096 bytes");
  CHECK(parse_command(update_with_skills(kMaxMapEntries)).has_value());
  CHECK(refusal(update_with_skills(kMaxMapEntries + 1)) ==
        "invalid_input: skills: more than 64 entries");
  CHECK(refusal(update_with_skills(1, std::string(kMaxIdBytes, 'n'))) ==
        "invalid_input: skills: names must be 1..128 bytes");
  CHECK(refusal(R"({"op":"update_agent","actor":"s","role":"admin","expires_ms":1,"agent":"a",)"
                R"("capacity_by_channel":{"":1}})") ==
        "invalid_input: capacity_by_channel: names must be 1..128 bytes");
}

TEST_CASE("a required id may not be empty") {
  CHECK(refusal(R"({"op":"accept","actor":"s","role":"admin","expires_ms":1,"agent":"",)"
                R"("contact":"c"})") == "invalid_input: agent: must not be empty");
  CHECK(refusal(R"({"op":"close","actor":"s","role":"admin","expires_ms":1,"contact":""})") ==
        "invalid_input: contact: must not be empty");
}

TEST_CASE("wrong types are refused naming the field") {
  CHECK(refusal(R"({"op":7,"actor":"a","role":"agent","expires_ms":1})") ==
        "invalid_input: op: required");
  CHECK(refusal(R"({"op":"accept","actor":"a","role":"agent","expires_ms":"1","agent":"a",)"
                R"("contact":"c"})") == "invalid_input: expires_ms: required (unix ms)");
  CHECK(refusal(R"({"op":"update_agent","actor":"s","role":"admin","expires_ms":1,"agent":"a",)"
                R"("total_capacity":2.5})") ==
        "invalid_input: total_capacity: expected an integer 1..1000");
  CHECK(refusal(R"({"op":"update_agent","actor":"s","role":"admin","expires_ms":1,"agent":"a",)"
                R"("skills":[1]})") == "invalid_input: skills: expected an object");
}

namespace {

Command base(CommandOp op, std::string role = "supervisor") {
  Command c;
  c.op = op;
  c.actor = role == "agent" ? "ana" : "sup";
  c.role = std::move(role);
  c.expires_ms = 1700000000000;
  return c;
}

}  // namespace

TEST_CASE("every command the API can build reads back as the same command (one schema)") {
  std::vector<Command> commands;
  Command presence = base(CommandOp::presence, "agent");
  presence.agent = "ana";
  presence.presence = "away";
  presence.reason = "lunch";
  commands.push_back(presence);
  Command update = base(CommandOp::update_agent);
  update.agent = "ana";
  update.skills = std::map<std::string, int>{{"english", 4}, {"billing", 2}};
  update.capacity_by_channel = std::map<std::string, int>{{"sms", 2}};
  update.total_capacity = 3;
  commands.push_back(update);
  for (auto op : {CommandOp::accept, CommandOp::reject, CommandOp::complete, CommandOp::reply}) {
    Command c = base(op, "agent");
    c.agent = "ana";
    c.contact = "01HCONTACT";
    if (op == CommandOp::reject) c.reason = "busy";
    if (op == CommandOp::complete) c.wrap_up_code = "solved", c.note = "refund sent, 退款";
    if (op == CommandOp::reply) c.text = "您好 \"quoted\"\n", c.client_id = "cl-1";
    commands.push_back(c);
  }
  Command transfer = base(CommandOp::transfer);
  transfer.contact = "01HCONTACT";
  transfer.to_agent = "bob";
  transfer.reason = "language";
  commands.push_back(transfer);
  Command close = base(CommandOp::close);
  close.contact = "01HCONTACT";
  close.reason = "spam";
  commands.push_back(close);
  commands.push_back(base(CommandOp::reload_rules, "admin"));

  for (const auto& c : commands) {
    INFO(serialize_command(c));
    auto again = parse_command(serialize_command(c));
    REQUIRE(again.has_value());
    CHECK(*again == c);
  }
}

TEST_CASE("the serialized command carries only the keys its op takes") {
  Command close = base(CommandOp::close);
  close.contact = "c1";
  close.agent = "ana";  // not a field of close: left out, so the router does not refuse it
  CHECK(serialize_command(close) ==
        R"({"op":"close","actor":"sup","role":"supervisor","expires_ms":1700000000000,)"
        R"("contact":"c1"})");
  auto again = parse_command(serialize_command(close));
  REQUIRE(again.has_value());
  CHECK(again->agent.empty());
}
