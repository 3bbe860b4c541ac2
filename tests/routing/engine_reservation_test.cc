// Offers and their answers: accept, reject, timeout (back at the original place, next agent),
// consecutive misses setting an agent away, auto-accept, and offers returned on disconnect.
#include <catch2/catch.hpp>

#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

namespace {

QueueSpec support(Millis timeout = 30s, int misses = 3) {
  QueueSpec q = queue("support");
  q.reservation_timeout = timeout;
  q.max_consecutive_misses = misses;
  return q;
}

}  // namespace

TEST_CASE("an offer carries its expiry and is accepted by the agent it was offered to") {
  Fixture f({support(20s)});
  f.agent("ana");
  f.add("c1", "support");
  const auto offered = f.sink.of(EventKind::offered);
  REQUIRE(offered.size() == 1);
  CHECK(offered[0].agent == "ana");
  CHECK(offered[0].expires_ms == f.now() + 20'000);
  CHECK_FALSE(f.engine->accept("c1", "bob"));  // not offered to bob
  REQUIRE(f.engine->accept("c1", "ana"));
  CHECK(f.status("c1") == ContactStatus::active);
  CHECK(f.engine->accept("c1", "ana").error().code == omniroute::Errc::conflict);
}

TEST_CASE("a rejected contact goes back at its original place and the next agent is offered it") {
  Fixture f({support()});
  f.agent("ana");
  f.add("c1", "support", 0, 5min);
  f.clock.advance(1s);
  f.add("c2", "support", 0, 10min);
  const ContactRecord before = *f.engine->contact("c1");
  f.clock.advance(1s);
  f.agent("bob");  // takes c2: c1 is held by ana
  REQUIRE(f.holder("c2") == "bob");
  f.add("c3", "support", 0, 20min);
  REQUIRE(f.engine->reject("c1", "ana", "wrong language"));
  // c1 is first again (same deadline and arrival) and, with bob busy, waits.
  CHECK(f.engine->waiting_in("support") == std::vector<std::string>{"c1"});
  CHECK(f.engine->contact("c1")->arrival_ms == before.arrival_ms);
  CHECK(f.engine->contact("c1")->decision.sla_deadline == before.decision.sla_deadline);
  CHECK(f.sink.of(EventKind::rejected).back().reason == "wrong language");
  // ana is free again, but just declined c1: she gets the next contact instead.
  CHECK(f.holder("c3") == "ana");
  CHECK_FALSE(f.engine->complete("c2", "bob"));  // only accepted contacts can be completed
  REQUIRE(f.engine->accept("c2", "bob"));
  REQUIRE(f.engine->complete("c2", "bob"));
  CHECK(f.holder("c1") == "bob");
}

TEST_CASE("an offer not accepted in time goes back and the next agent is tried") {
  Fixture f({support(30s)});
  f.agent("ana");
  f.clock.advance(1s);
  f.agent("bob");
  f.add("c1", "support");
  REQUIRE(f.holder("c1") == "ana");
  CHECK(f.engine->next_due() == f.now() + 30'000);
  f.tick(29'999ms);
  CHECK(f.holder("c1") == "ana");
  f.tick(1ms);
  CHECK(f.sink.of(EventKind::timed_out).size() == 1);
  CHECK(f.holder("c1") == "bob");
  CHECK(f.engine->agent_load("ana")->total == 0);
  CHECK(f.engine->agent("ana")->consecutive_misses == 1);
}

TEST_CASE("an agent who misses N offers in a row is set away and its offers go back") {
  Fixture f({support(10s, 2)});
  f.agent("ana", {}, {{"chat", 2}}, 2);
  f.add("c1", "support");
  f.add("c2", "support");
  REQUIRE(f.engine->agent_load("ana")->offers.size() == 2);
  f.tick(10s);  // both expire together: two misses
  const auto away = f.sink.of(EventKind::agent_set_away);
  REQUIRE(away.size() == 1);
  CHECK(away[0].agent == "ana");
  CHECK(away[0].reason.find("missed offers") != std::string::npos);
  CHECK(f.engine->agent("ana")->presence == Presence::away);
  CHECK(f.engine->agent("ana")->away_reason == "missed offers");
  CHECK(f.engine->agent_load("ana")->total == 0);
  CHECK(f.engine->waiting_count() == 2);

  SECTION("going available again resets the count") {
    REQUIRE(f.engine->set_presence("ana", Presence::available));
    REQUIRE(f.engine->agent("ana")->consecutive_misses == 0);
  }
}

TEST_CASE("a miss count below N keeps the agent available, and an accept resets it") {
  Fixture f({support(10s, 3)});
  f.agent("ana");
  f.add("c1", "support");
  f.tick(10s);
  CHECK(f.engine->agent("ana")->consecutive_misses == 1);
  f.add("c2", "support");  // ana declined c1 last, so c2 comes to her
  REQUIRE(f.holder("c2") == "ana");
  REQUIRE(f.engine->accept("c2", "ana"));
  CHECK(f.engine->agent("ana")->consecutive_misses == 0);
  CHECK(f.engine->agent("ana")->presence == Presence::available);
}

TEST_CASE("an auto-accept queue makes the offer active at once, without a timer") {
  QueueSpec q = support();
  q.auto_accept = true;
  Fixture f({q});
  f.agent("ana");
  f.add("c1", "support", 0, 10min);
  CHECK(f.status("c1") == ContactStatus::active);
  CHECK(f.sink.of(EventKind::accepted).back().reason == "auto-accept");
  CHECK_FALSE(f.engine->next_due().has_value());  // SLA timers stop at the first response
}

TEST_CASE("an agent that goes offline returns its un-accepted offers to their original places") {
  Fixture f({support()});
  f.agent("ana", {}, {{"chat", 3}}, 3);
  f.add("c1", "support", 0, 5min);
  f.add("c2", "support", 0, 6min);
  REQUIRE(f.engine->accept("c2", "ana"));
  f.add("c3", "support", 0, 7min);
  f.engine->upsert_agent(agent_spec("bob"));  // offline for now
  REQUIRE(f.engine->set_presence("ana", Presence::offline, "socket closed"));
  CHECK(f.engine->waiting_in("support") == std::vector<std::string>{"c1", "c3"});
  CHECK(f.sink.of(EventKind::returned).size() == 2);
  CHECK(f.sink.of(EventKind::returned)[0].reason == "agent offline: socket closed");
  CHECK(f.holder("c2") == "ana");  // accepted work stays with her
  CHECK(f.engine->agent_load("ana")->total == 1);
  REQUIRE(f.engine->set_presence("bob", Presence::available));
  CHECK(f.holder("c1") == "bob");
}
