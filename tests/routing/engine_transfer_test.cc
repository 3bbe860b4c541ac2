// Specifications of Engine::transfer (an agent or a supervisor hands a contact to a queue or a
// named agent) and of the wrap-up a completion carries.
#include <catch2/catch.hpp>

#include "tests/routing/engine_fixture.h"

using namespace omniroute;
using namespace omniroute::routing;
using namespace omniroute::routing::testing;

namespace {

// ana holds c1 (active); billing is empty; bob is available when `bob_available`.
struct Transfer : Fixture {
  explicit Transfer(bool bob_available = true)
      : Fixture({queue("general"), queue("billing", {{"billing", 2}})}) {
    agent("ana");
    add("c1", "general", /*priority=*/5, 10min);
    REQUIRE(engine->accept("c1", "ana").has_value());
    if (bob_available) {
      agent("bob", {{"billing", 3}});
    } else {
      engine->upsert_agent(agent_spec("bob", {{"billing", 3}}));
    }
    sink.clear();
  }
};

}  // namespace

TEST_CASE("an agent transfers a conversation to a queue: it keeps arrival, deadline, priority") {
  Transfer f;
  const ContactRecord before = *f.engine->contact("c1");
  f.clock.advance(1min);
  REQUIRE(f.engine->transfer("c1", "ana", {"billing", ""}, "needs a refund").has_value());
  const ContactRecord& c = *f.engine->contact("c1");
  CHECK(c.id == before.id);
  CHECK(c.arrival_ms == before.arrival_ms);
  CHECK(c.decision.sla_deadline == before.decision.sla_deadline);
  CHECK(c.priority == 5);
  CHECK(c.queue == "billing");
  CHECK(c.queue_entered_ms == f.now());
  CHECK(c.base_skills == std::vector<SkillRequirement>{{"billing", 2}});
  // bob has the skill and room: the contact is offered to him in the same call.
  CHECK(f.holder("c1") == "bob");
  CHECK(f.engine->agent_load("ana")->total == 0);
  const auto events = f.sink.events;
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == EventKind::transferred);
  CHECK(events[0].agent == "ana");
  CHECK(events[0].queue == "billing");
  CHECK(events[0].reason == "by ana to queue billing: needs a refund");
  CHECK(events[1].kind == EventKind::offered);
}

TEST_CASE("a contact transferred to a queue nobody serves waits; the old agent does not get it") {
  Transfer f(/*bob_available=*/false);
  REQUIRE(f.engine->transfer("c1", "ana", {"general", ""}).has_value());
  // ana has room again and serves general, but she handed it over: it waits for someone else.
  CHECK(f.status("c1") == ContactStatus::waiting);
  CHECK(f.engine->contact("c1")->declined_by == std::vector<std::string>{"ana"});
  CHECK(f.engine->waiting_in("general") == std::vector<std::string>{"c1"});
}

TEST_CASE("after the first answer a transferred contact fires no SLA warning or breach") {
  Transfer f(/*bob_available=*/false);
  REQUIRE(f.engine->transfer("c1", "ana", {"billing", ""}).has_value());
  CHECK(f.engine->contact("c1")->answered_ms > 0);
  f.tick(1h);
  CHECK(f.sink.of(EventKind::sla_warning).empty());
  CHECK(f.sink.of(EventKind::sla_breached).empty());
}

TEST_CASE("an agent transfers a conversation to a named agent: offered to that agent directly") {
  Transfer f;
  REQUIRE(f.engine->transfer("c1", "ana", {"", "bob"}).has_value());
  const ContactRecord& c = *f.engine->contact("c1");
  CHECK(c.status == ContactStatus::offered);
  CHECK(c.agent == "bob");
  CHECK(c.queue == "general");  // bob lacks nothing here, but skills are not checked anyway
  CHECK(f.engine->agent_load("ana")->total == 0);
  CHECK(f.engine->agent_load("bob")->offers == std::vector<std::string>{"c1"});
  REQUIRE(f.sink.events.size() == 2);
  CHECK(f.sink.events[0].reason == "by ana to agent bob");
  CHECK(f.sink.events[1].kind == EventKind::offered);
  CHECK(f.sink.events[1].reason == "transferred from ana");
  // bob rejects: it is back in its queue, where the usual rounds apply: ana handed it over,
  // bob declined it last, so with nobody else it goes back to ana.
  REQUIRE(f.engine->reject("c1", "bob", "not mine").has_value());
  CHECK(f.engine->contact("c1")->declined_by == std::vector<std::string>{"ana", "bob"});
  CHECK(f.holder("c1") == "ana");
}

TEST_CASE("a transfer to an agent who is not available or has no room is a conflict") {
  SECTION("offline") {
    Transfer f(/*bob_available=*/false);
    auto r = f.engine->transfer("c1", "ana", {"", "bob"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::conflict);
    CHECK(r.error().message == "agent bob is not available");
  }
  SECTION("full") {
    Transfer f;
    f.add("c2", "general");
    REQUIRE(f.holder("c2") == "bob");
    auto r = f.engine->transfer("c1", "ana", {"", "bob"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::conflict);
    CHECK(r.error().message == "agent bob has no room on chat");
  }
  SECTION("to the agent who has it") {
    Transfer f;
    auto r = f.engine->transfer("c1", "ana", {"", "ana"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::conflict);
  }
  // Nothing changed: ana still has it.
}

TEST_CASE("a refused transfer changes nothing") {
  Transfer f(/*bob_available=*/false);
  const auto before = f.engine->snapshot();
  CHECK(f.engine->transfer("c1", "ana", {"", "bob"}).error().code == Errc::conflict);
  CHECK(f.engine->transfer("c1", "ana", {"nowhere", ""}).error().code == Errc::not_found);
  CHECK(f.engine->transfer("c1", "ana", {"", "nobody"}).error().code == Errc::not_found);
  CHECK(f.engine->transfer("c1", "ana", {"billing", "bob"}).error().code == Errc::invalid_input);
  CHECK(f.engine->transfer("c1", "ana", {"", ""}).error().code == Errc::invalid_input);
  CHECK(f.engine->transfer("zz", "ana", {"billing", ""}).error().code == Errc::not_found);
  CHECK(f.engine->snapshot() == before);
  CHECK(f.sink.events.empty());
}

TEST_CASE("an agent may only transfer a contact that is active with it") {
  Transfer f;
  auto r = f.engine->transfer("c1", "bob", {"billing", ""});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::conflict);
  CHECK(r.error().message == "contact c1 is not active with bob");
  // An offer is not yet the agent's to hand over either.
  f.add("c2", "general");
  REQUIRE(f.holder("c2") == "bob");
  CHECK(f.engine->transfer("c2", "bob", {"billing", ""}).error().code == Errc::conflict);
}

TEST_CASE("a supervisor transfers a waiting contact: escalation starts over in the new queue") {
  QueueSpec general = queue("general");
  general.escalation = {EscalationStep{1min, 0, {}, 10}};
  Fixture f({general, queue("billing")});
  f.add("c1", "general");
  f.tick(2min);
  REQUIRE(f.engine->contact("c1")->next_step == 1);
  REQUIRE(f.engine->contact("c1")->priority == 10);
  REQUIRE(f.engine->transfer("c1", "", {"billing", ""}, "wrong queue").has_value());
  const ContactRecord& c = *f.engine->contact("c1");
  CHECK(c.queue == "billing");
  CHECK(c.next_step == 0);
  CHECK(c.priority == 10);  // its urgency stays
  CHECK(f.sink.of(EventKind::transferred).at(0).reason == "to queue billing: wrong queue");
  CHECK(f.sink.of(EventKind::transferred).at(0).agent.empty());
  // Still unanswered: its SLA timers keep running.
  f.tick(10min);
  CHECK(f.sink.of(EventKind::sla_breached).size() == 1);
}

TEST_CASE("a supervisor transfers an offered contact to another agent") {
  Transfer f;
  f.add("c2", "general");
  REQUIRE(f.holder("c2") == "bob");
  f.agent("cy");
  REQUIRE(f.engine->transfer("c2", "", {"", "cy"}).has_value());
  CHECK(f.holder("c2") == "cy");
  CHECK(f.engine->agent_load("bob")->total == 0);
}

TEST_CASE("a completed contact cannot be transferred") {
  Transfer f;
  REQUIRE(f.engine->complete("c1", "ana").has_value());
  auto r = f.engine->transfer("c1", "", {"billing", ""});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::conflict);
}

TEST_CASE("a completion carries the agent's wrap-up code and note") {
  Transfer f;
  REQUIRE(f.engine->complete("c1", "ana", "refund-issued", "customer happy").has_value());
  const auto done = f.sink.of(EventKind::completed);
  REQUIRE(done.size() == 1);
  CHECK(done[0].wrap_up_code == "refund-issued");
  CHECK(done[0].note == "customer happy");
  CHECK(done[0].agent == "ana");
  CHECK(done[0].queue == "general");
}

TEST_CASE("counts summarize contacts by status, agents by presence and waiting per queue") {
  Transfer f(/*bob_available=*/false);
  f.add("c2", "general");
  f.add("c3", "billing");
  const EngineCounts n = f.engine->counts();
  CHECK(n.active == 1);
  CHECK(n.waiting == 2);
  CHECK(n.offered == 0);
  CHECK(n.available == 1);
  CHECK(n.offline == 1);
  CHECK(n.waiting_by_queue == std::map<std::string, std::size_t>{{"billing", 1}, {"general", 1}});
}
