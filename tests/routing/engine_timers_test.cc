// Time-driven behaviour with a manual clock: escalation steps fire exactly on time (also when no
// agent is free), SLA warning and breach events, max_wait overflow, and next_due().
#include <catch2/catch.hpp>

#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

TEST_CASE("an escalation step fires exactly at its time, not before, even with no agent at all") {
  QueueSpec q = queue("billing", {{"billing", 4}});
  q.escalation = {EscalationStep{60s, 2, {}, 0}, EscalationStep{120s, 0, {}, 3}};
  Fixture f({q});
  f.add("c1", "billing", 0, 10min, {{"billing", 4}});
  CHECK(f.engine->next_due() == f.now() + 60'000);
  f.tick(59'999ms);
  CHECK(f.sink.of(EventKind::escalated).empty());
  f.tick(1ms);
  auto escalated = f.sink.of(EventKind::escalated);
  REQUIRE(escalated.size() == 1);
  CHECK(escalated[0].step == 0);
  CHECK(escalated[0].at_ms == f.now());
  CHECK(f.engine->contact("c1")->relaxed_by == 2);
  CHECK(f.engine->next_due() == f.now() + 60'000);
  f.tick(60s);
  CHECK(f.sink.of(EventKind::escalated).size() == 2);
  CHECK(f.engine->contact("c1")->priority == 3);
}

TEST_CASE("a lowered required level makes a waiting contact reach a less skilled agent") {
  QueueSpec q = queue("billing", {{"billing", 4}});
  q.escalation = {EscalationStep{60s, 2, {}, 0}};
  Fixture f({q});
  f.agent("junior", {{"billing", 2}});
  f.add("c1", "billing", 0, 10min, {{"billing", 4}});
  f.tick(59s);
  CHECK(f.status("c1") == ContactStatus::waiting);
  f.tick(1s);
  CHECK(f.holder("c1") == "junior");
}

TEST_CASE("an escalation step can offer a contact to another queue's agents") {
  QueueSpec vip = queue("vip", {{"vip", 1}});
  vip.escalation = {EscalationStep{2min, 0, {"general"}, 0}};
  Fixture f({vip, queue("general", {{"general", 1}})});
  f.agent("gina", {{"general", 2}});
  f.add("busy", "general", 0, 10min, {{"general", 1}});
  REQUIRE(f.engine->accept("busy", "gina"));
  f.add("c1", "vip", 0, 10min, {{"vip", 1}});
  f.tick(2min);
  CHECK(f.engine->contact("c1")->also_queues == std::vector<std::string>{"general"});
  CHECK(f.status("c1") == ContactStatus::waiting);                // gina is busy
  f.add("general-later", "general", 0, 10min, {{"general", 1}});  // later deadline than c1
  REQUIRE(f.engine->complete("busy", "gina"));
  CHECK(f.holder("c1") == "gina");  // most urgent she can now serve, borrowed from vip
}

TEST_CASE("SLA warning at the configured fraction and breach at the deadline, while waiting") {
  Fixture f({queue("support")}, 0.8);
  f.add("c1", "support", 0, 100s);
  f.tick(79'999ms);
  CHECK(f.sink.of(EventKind::sla_warning).empty());
  f.tick(1ms);
  REQUIRE(f.sink.of(EventKind::sla_warning).size() == 1);
  CHECK(f.sink.of(EventKind::sla_warning)[0].contact == "c1");
  f.tick(19'999ms);
  CHECK(f.sink.of(EventKind::sla_breached).empty());
  f.tick(1ms);
  REQUIRE(f.sink.of(EventKind::sla_breached).size() == 1);
  CHECK_FALSE(f.engine->next_due().has_value());
  f.tick(1h);
  CHECK(f.sink.of(EventKind::sla_breached).size() == 1);  // once
}

TEST_CASE("SLA timers keep running while a contact is offered and stop once it is accepted") {
  QueueSpec q = queue("support");
  q.reservation_timeout = 10min;
  Fixture f({q}, 0.5);
  f.agent("ana");
  f.agent("bob");
  f.add("offered", "support", 0, 100s);
  f.add("accepted", "support", 0, 100s);
  REQUIRE(f.engine->accept("accepted", "bob"));
  f.tick(100s);
  CHECK(f.sink.of(EventKind::sla_warning).size() == 1);
  REQUIRE(f.sink.of(EventKind::sla_breached).size() == 1);
  CHECK(f.sink.of(EventKind::sla_breached)[0].contact == "offered");
  CHECK(f.sink.of(EventKind::sla_breached)[0].agent == "ana");
}

TEST_CASE("a late on_time fires everything that fell due, in one call") {
  QueueSpec q = queue("support");
  q.escalation = {EscalationStep{10s, 0, {}, 1}, EscalationStep{20s, 0, {}, 1}};
  Fixture f({q});
  f.add("c1", "support", 0, 30s);
  f.tick(1h);
  CHECK(f.sink.of(EventKind::escalated).size() == 2);
  CHECK(f.sink.of(EventKind::sla_warning).size() == 1);
  CHECK(f.sink.of(EventKind::sla_breached).size() == 1);
  CHECK(f.engine->contact("c1")->priority == 2);
}

TEST_CASE("max_wait moves a waiting contact to the overflow queue, keeping its urgency") {
  QueueSpec tier1 = queue("tier1", {{"tier1", 1}});
  tier1.max_wait = 5min;
  tier1.overflow_queue = "tier2";
  Fixture f({tier1, queue("tier2", {{"tier2", 1}})});
  f.agent("t2", {{"tier2", 1}, {"german", 1}});
  f.add("c1", "tier1", 3, 20min, {{"tier1", 1}, {"german", 1}});  // german: the rule's extra
  const TimePoint deadline = f.engine->contact("c1")->decision.sla_deadline;
  f.tick(5min - 1ms);
  CHECK(f.engine->contact("c1")->queue == "tier1");
  f.tick(1ms);
  const ContactRecord* c = f.engine->contact("c1");
  CHECK(f.sink.of(EventKind::overflowed).size() == 1);
  CHECK(c->queue == "tier2");
  CHECK(c->priority == 3);
  CHECK(c->decision.sla_deadline == deadline);
  CHECK(c->base_skills == std::vector<SkillRequirement>{{"tier2", 1}, {"german", 1}});
  CHECK(f.holder("c1") == "t2");
}

TEST_CASE("next_due is the earliest pending time over all contacts") {
  QueueSpec q = queue("support");
  q.reservation_timeout = 15s;
  Fixture f({q}, 0.0);  // no warnings
  CHECK_FALSE(f.engine->next_due().has_value());
  f.add("c1", "support", 0, 60s);
  CHECK(f.engine->next_due() == f.now() + 60'000);
  f.agent("ana");
  CHECK(f.engine->next_due() == f.now() + 15'000);  // the offer's expiry
}
