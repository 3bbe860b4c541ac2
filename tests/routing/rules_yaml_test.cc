// Reading valid rules files: the shipped example loads, and each section lands in the model
// with the values ops wrote (tiers, skills, agents, queues, hours, escalation, rules).
#include "routing/rules_yaml.h"

#include <catch2/catch.hpp>

#include "common/crypto.h"

using namespace omniroute;
using namespace omniroute::routing;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const Rules> example() {
  auto rules = load_rules_file("config/rules.example.yaml");
  if (!rules) FAIL(rules.error().message);
  return *rules;
}

}  // namespace

TEST_CASE("the shipped example rules file is valid") {
  auto rules = example();
  CHECK(rules->tiers.size() == 3);
  CHECK(rules->default_tier == "standard");
  CHECK(rules->tier_attribute == "tier");
  CHECK(rules->queues.size() == 4);
  CHECK(rules->agents.size() == 2);
  CHECK(rules->rules.back().name == "default");
  CHECK(rules->rules.back().when.empty());
}

TEST_CASE("the rules version is the hex SHA-256 of the file bytes") {
  const std::string text = R"(version: 1
tiers: [{name: standard, priority: 0, default: true, first_response_secs: {default: 60}}]
queues: [{name: general}]
rules: [{name: default, then: {queue: general}}]
)";
  auto parsed = parse_rules(text, "t.yaml");
  REQUIRE(parsed.rules);
  CHECK(parsed.rules->version == crypto::hex_encode(crypto::digest(crypto::Digest::sha256, text)));
  CHECK(parse_rules(text + "# comment\n", "t.yaml").rules->version != parsed.rules->version);
}

TEST_CASE("tiers carry their priority and an SLA target per channel with a fallback") {
  auto rules = example();
  const Tier* vip = rules->find_tier("vip");
  REQUIRE(vip);
  CHECK(vip->priority == 20);
  CHECK(vip->target_for("sms") == 120s);
  CHECK(vip->target_for("email") == 3600s);
  CHECK(vip->target_for("webchat") == 60s);  // not listed: the tier's default
}

TEST_CASE("agents declared in YAML keep skills with levels, capacity per channel and a cap") {
  auto rules = example();
  const AgentSpec& alice = rules->agents.at(0);
  CHECK(alice.id == "alice");
  CHECK(alice.name == "Alice Lima");
  CHECK(alice.skills.at("complaints") == 4);
  CHECK(alice.capacity_by_channel.at("email") == 5);
  CHECK(alice.total_capacity == 6);
}

TEST_CASE("queues read dispatch settings, business hours and out-of-hours behaviour") {
  auto rules = example();
  const Queue* vip = rules->find_queue("vip");
  REQUIRE(vip);
  CHECK(vip->spec.strategy == Strategy::highest_proficiency);
  CHECK(vip->spec.reservation_timeout == 20s);
  CHECK(vip->spec.max_wait == std::optional<Millis>(600s));
  CHECK(vip->spec.overflow_queue == "general");
  CHECK(vip->spec.required_skills == std::vector<SkillRequirement>{{"english", 3}});
  CHECK(vip->spec.channels.size() == 5);
  REQUIRE(vip->hours);
  CHECK(vip->hours->zone->name() == "Asia/Shanghai");
  CHECK(vip->hours->weekly[0] == std::vector<DailyWindow>{{480, 1320}});
  CHECK(vip->hours->weekly[6] == std::vector<DailyWindow>{{600, 1080}});
  CHECK(vip->hours->holidays.count(20251001) == 1);
  CHECK(vip->out_of_hours.action == OutOfHours::Action::after_hours_queue);
  CHECK(vip->out_of_hours.queue == "after_hours");

  const Queue* general = rules->find_queue("general");
  REQUIRE(general);
  CHECK_FALSE(general->hours);  // always open
  CHECK(general->spec.strategy == Strategy::longest_idle);
  CHECK(rules->find_queue("after_hours")->spec.strategy == Strategy::least_busy);
  CHECK(rules->find_queue("complaints")->out_of_hours.action == OutOfHours::Action::wait);
}

TEST_CASE("escalation steps read their waiting time and each kind of effect") {
  auto rules = example();
  const auto& steps = rules->find_queue("vip")->spec.escalation;
  REQUIRE(steps.size() == 3);
  CHECK(steps[0] == EscalationStep{60s, 1, {}, 0});
  CHECK(steps[1] == EscalationStep{120s, 0, {"general"}, 0});
  CHECK(steps[2] == EscalationStep{300s, 0, {}, 10});
}

TEST_CASE("rules keep their order, conditions and actions") {
  auto rules = example();
  REQUIRE(rules->rules.size() == 6);
  const Rule& complaints = rules->rules[0];
  CHECK(complaints.name == "complaints");
  CHECK(complaints.when.keywords.size() == 6);
  CHECK(complaints.when.keywords[4] == "投訴");
  CHECK(complaints.then.queue == "complaints");
  CHECK(complaints.then.priority_adjustment == 5);
  CHECK(complaints.then.tags == std::vector<std::string>{"complaint"});
  const Rule& legal = rules->rules[1];
  CHECK(legal.when.regex != nullptr);
  CHECK(legal.then.sla_first_response == std::optional<Millis>(300s));
  CHECK(legal.then.extra_skills == std::vector<SkillRequirement>{{"complaints", 4}});
  CHECK(rules->tier_rules.at(0).set_tier == "vip");
}

TEST_CASE("a single value stands for a one-item list in conditions") {
  auto parsed = parse_rules(R"(version: 1
tiers: [{name: standard, priority: 0, default: true, first_response_secs: {default: 60}}]
queues: [{name: general}]
rules:
  - name: sms
    when: {channels: sms, keywords: Refund}
    then: {queue: general}
  - name: default
    then: {queue: general}
)",
                            "t.yaml");
  REQUIRE(parsed.rules);
  CHECK(parsed.rules->rules[0].when.channels == std::vector<v1::Channel>{v1::CHANNEL_SMS});
  CHECK(parsed.rules->rules[0].when.keywords == std::vector<std::string>{"refund"});
}
