// Specifications of contacts and agents leaving the dispatch engine: a withdrawn contact
// (customer abandoned, closed by the API), a removed agent, and sticky records that expire.
#include <catch2/catch.hpp>

#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

TEST_CASE("a waiting contact the customer abandoned leaves its queue with a reason") {
  Fixture f({queue("general")});
  f.add("c1", "general");
  f.add("c2", "general");
  REQUIRE(f.engine->withdraw("c1", "customer abandoned").has_value());
  CHECK(f.engine->waiting_in("general") == std::vector<std::string>{"c2"});
  CHECK(f.status("c1") == ContactStatus::completed);
  auto events = f.sink.of(EventKind::withdrawn);
  REQUIRE(events.size() == 1);
  CHECK(events[0].contact == "c1");
  CHECK(events[0].reason == "customer abandoned");
  CHECK(f.engine->open_contact("cust-c1", "chat") == nullptr);
  // No timer is left for it: its SLA breach never fires.
  f.tick(1h);
  for (const auto& e : f.sink.of(EventKind::sla_breached)) CHECK(e.contact != "c1");
}

TEST_CASE("withdrawing an offered contact frees the agent, who takes the next one") {
  Fixture f({queue("general")});
  f.agent("ana");
  f.add("c1", "general");
  f.add("c2", "general");
  REQUIRE(f.holder("c1") == "ana");
  REQUIRE(f.engine->withdraw("c1", "closed by API").has_value());
  CHECK(f.holder("c2") == "ana");
  CHECK(f.engine->agent_load("ana")->offers == std::vector<std::string>{"c2"});
}

TEST_CASE("withdrawing an active conversation ends it and frees the agent's room") {
  Fixture f({queue("general")});
  f.agent("ana");
  f.add("c1", "general");
  REQUIRE(f.engine->accept("c1", "ana").has_value());
  REQUIRE(f.engine->withdraw("c1", "closed by API").has_value());
  CHECK(f.engine->agent_load("ana")->total == 0);
  CHECK(f.sink.of(EventKind::withdrawn).at(0).agent == "ana");
}

TEST_CASE("a replayed withdraw or enqueue of a withdrawn contact changes nothing") {
  Fixture f({queue("general")});
  f.add("c1", "general");
  REQUIRE(f.engine->withdraw("c1", "customer abandoned").has_value());
  const auto before = f.engine->snapshot();
  CHECK(f.engine->withdraw("c1", "customer abandoned").has_value());
  CHECK(f.engine->enqueue("c1", f.decision("general"), "chat", "cust-c1", f.now()).has_value());
  CHECK(f.engine->snapshot() == before);
  CHECK(f.sink.of(EventKind::withdrawn).size() == 1);
  CHECK_FALSE(f.engine->withdraw("never-seen", "x").has_value());
}

TEST_CASE("removing an agent returns its un-accepted offers to their places") {
  Fixture f({queue("general")});
  f.agent("ana");
  f.add("c1", "general");
  REQUIRE(f.holder("c1") == "ana");
  f.agent("bob");
  REQUIRE(f.engine->remove_agent("ana").has_value());
  CHECK(f.engine->agent("ana") == nullptr);
  CHECK(f.holder("c1") == "bob");
  CHECK(f.sink.of(EventKind::returned).at(0).reason == "agent removed");
  // Gone from the store too, so a restart does not bring it back.
  const RoutingSnapshot stored = f.store.load().value();
  for (const auto& a : stored.agents) CHECK(a.spec.id != "ana");
}

TEST_CASE("an agent with an active conversation cannot be removed until it is handed over") {
  Fixture f({queue("general")});
  f.agent("ana");
  f.add("c1", "general");
  REQUIRE(f.engine->accept("c1", "ana").has_value());
  auto r = f.engine->remove_agent("ana");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == omniroute::Errc::conflict);
  CHECK_THAT(r.error().message, Catch::Contains("still handles c1"));
  CHECK(f.engine->agent("ana") != nullptr);
  REQUIRE(f.engine->complete("c1", "ana").has_value());
  CHECK(f.engine->remove_agent("ana").has_value());
  CHECK_FALSE(f.engine->remove_agent("ana").has_value());
}

TEST_CASE("a sticky record older than every queue's sticky window is pruned on time") {
  QueueSpec q = queue("general");
  q.sticky_window = 1h;
  Fixture f({q});
  f.agent("ana");
  f.add("c1", "general", 0, 10min, {}, "chat", "alice");
  REQUIRE(f.engine->accept("c1", "ana").has_value());
  REQUIRE(f.engine->complete("c1", "ana").has_value());
  REQUIRE(f.engine->snapshot().sticky.size() == 1);
  f.tick(59min);
  CHECK(f.engine->snapshot().sticky.size() == 1);
  f.tick(2min);
  CHECK(f.engine->snapshot().sticky.empty());
  CHECK(f.store.load()->sticky.empty());
}

TEST_CASE("a sticky record refreshed by a later contact is kept") {
  QueueSpec q = queue("general");
  q.sticky_window = 1h;
  Fixture f({q});
  f.agent("ana");
  f.add("c1", "general", 0, 10min, {}, "chat", "alice");
  REQUIRE(f.engine->accept("c1", "ana").has_value());
  REQUIRE(f.engine->complete("c1", "ana").has_value());
  f.tick(50min);
  f.add("c2", "general", 0, 10min, {}, "chat", "alice");
  REQUIRE(f.engine->accept("c2", "ana").has_value());
  f.tick(20min);  // 70 min after the first record, 20 after the refresh
  REQUIRE(f.engine->snapshot().sticky.size() == 1);
  CHECK(f.engine->snapshot().sticky[0].served_ms == f.now() - 20 * 60'000);
}
